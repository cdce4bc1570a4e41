package main

import (
	"fmt"
	"math"

	"github.com/veil-go/veil/internal/csvio"
)

// party is one data holder's local input.
type party struct {
	name   string  // "hospital 0"
	source string  // file name, or "synthetic"
	values []int64 // the column, scaled by csvio.Scale (two fraction digits)
}

// loadParties reads one party per input file, or makes synthetic data.
func loadParties(cfg *config) ([]party, error) {
	if len(cfg.inputs) == 0 {
		return synthetic(cfg.parties, cfg.rows, cfg.seed)
	}
	ps := make([]party, len(cfg.inputs))
	for i, f := range cfg.inputs {
		t, err := csvio.ReadFile(f)
		if err != nil {
			return nil, err
		}
		v, err := t.Decimals(cfg.column)
		if err != nil {
			return nil, err
		}
		ps[i] = party{name: fmt.Sprintf("hospital %d", i), source: f, values: v}
	}
	return ps, nil
}

// synthetic makes n parties of rows values each: systolic blood pressure in
// mmHg with two decimals, normal around 120 + 4*i (sd 15), clipped to
// [70, 250]. Demo data only, the same for a seed on every machine.
func synthetic(n, rows int, seed int64) ([]party, error) {
	g, err := csvio.NewSynthetic("jointstats", seed)
	if err != nil {
		return nil, err
	}
	ps := make([]party, n)
	for i := range ps {
		vals := make([]int64, rows)
		for r := range vals {
			x := 120 + 4*float64(i) + 15*g.Normal()
			vals[r] = csvio.Cents(math.Min(250, math.Max(70, x)))
		}
		ps[i] = party{name: fmt.Sprintf("hospital %d", i), source: "synthetic", values: vals}
	}
	return ps, nil
}
