package main

import (
	"fmt"

	"github.com/veil-go/veil/mpc/secagg"
)

// noiseOption returns the clients' noise hook for -epsilon > 0.
func noiseOption(o *options, cfg *secagg.Config) (secagg.NoiseFunc, string, error) {
	if o.epsilon == 0 {
		return nil, "none (exact sum)", nil
	}
	return nil, "", fmt.Errorf("-epsilon %v: distributed noise from package dp is not available in this build yet", o.epsilon)
}
