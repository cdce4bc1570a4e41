package main

import (
	"context"
	"fmt"
	"math"
	"sort"
)

// Stats are the seven figures the computation reveals.
type Stats struct {
	N         int     `json:"n"`
	MeanX     float64 `json:"mean_x"`
	MeanY     float64 `json:"mean_y"`
	Cov       float64 `json:"cov"` // population covariance (divides by n)
	Corr      float64 `json:"corr"`
	Slope     float64 `json:"slope"` // least squares y = slope*x + intercept
	Intercept float64 `json:"intercept"`
}

type result struct {
	Stats
	aligned    int      // size of the intersection
	psiScheme  string   // how alignment was done
	mpcScheme  string   // how statistics were computed
	psiBytes   int64    // bytes sent by both parties in PSI
	mpcBytes   int64    // bytes sent by both parties in MPC
	psiSeconds float64  // time of the PSI phase
	mpcSeconds float64  // time of the MPC phase
	notes      []string // caveats for the report
	seconds    float64
}

func compute(ctx context.Context, bank, shop *holder) (*result, error) {
	res := &result{}
	shared, err := align(ctx, bank, shop, res)
	if err != nil {
		return nil, fmt.Errorf("aligning customers: %w", err)
	}
	res.aligned = len(shared)
	if len(shared) < 2 {
		return nil, fmt.Errorf("the files share %d customer IDs; correlation needs at least 2", len(shared))
	}
	x := pick(bank, shared)
	y := pick(shop, shared)
	if err := correlate(ctx, x, y, res); err != nil {
		return nil, fmt.Errorf("computing on shares: %w", err)
	}
	return res, nil
}

// pick returns h's values for ids, in that order.
func pick(h *holder, ids []string) []float64 {
	at := make(map[string]int, len(h.ids))
	for i, id := range h.ids {
		at[id] = i
	}
	out := make([]float64, len(ids))
	for i, id := range ids {
		out[i] = h.values[at[id]]
	}
	return out
}

// align is a PLACEHOLDER until package psi lands: a plain join of the IDs.
func align(ctx context.Context, bank, shop *holder, res *result) ([]string, error) {
	in := make(map[string]bool, len(bank.ids))
	for _, id := range bank.ids {
		in[id] = true
	}
	var shared []string
	for _, id := range shop.ids {
		if in[id] {
			shared = append(shared, id)
		}
	}
	sort.Strings(shared)
	res.psiScheme = "PLACEHOLDER: package psi is not in this build yet; IDs were compared in the clear"
	return shared, nil
}

// correlate is a PLACEHOLDER until package mpc lands: the statistics in
// the clear.
func correlate(ctx context.Context, x, y []float64, res *result) error {
	res.Stats = plainStats(x, y)
	res.mpcScheme = "PLACEHOLDER: package mpc is not in this build yet; statistics computed in the clear"
	return nil
}

// plainStats is the clear computation, for tests and the placeholder.
func plainStats(x, y []float64) Stats {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxx, syy, sxy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += dx * dx
		syy += dy * dy
		sxy += dx * dy
	}
	s := Stats{N: len(x), MeanX: mx, MeanY: my, Cov: sxy / n}
	s.Corr = sxy / math.Sqrt(sxx*syy)
	s.Slope = sxy / sxx
	s.Intercept = my - s.Slope*mx
	return s
}
