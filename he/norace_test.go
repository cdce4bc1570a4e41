//go:build !race

package he

const raceDetector = false
