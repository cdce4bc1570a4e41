package main

import "errors"

// release adds the differential-privacy noise. It is a placeholder until
// package dp lands: only -epsilon 0 (exact release) is available.
type release struct {
	epsilon float64
}

func newRelease(cfg *config) (*release, error) {
	if cfg.epsilon > 0 {
		return nil, errors.New("-epsilon > 0 needs package dp, which this build does not have yet; use -epsilon 0")
	}
	return &release{epsilon: cfg.epsilon}, nil
}

// finish returns the totals to publish.
func (r *release) finish(t totals) totals { return t }
