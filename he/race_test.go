//go:build race

package he

// raceDetector: heavy cases (proofs at LogN 14) run once, not per scheme.
const raceDetector = true
