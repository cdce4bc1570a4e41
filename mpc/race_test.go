//go:build race

package mpc

// The race detector slows the OT extension some twentyfold: the
// dealer-free reruns of the property tests keep to 2 parties there.
func init() { raceEnabled = true }
