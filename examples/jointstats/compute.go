package main

import (
	"context"
	"fmt"
)

// result is what the program reports.
type result struct {
	Parties       int
	Count         float64 // released count
	Sum           float64 // released sum, in the column's unit
	Mean          float64
	Variance      float64 // sample variance (divides by count-1)
	Epsilon       float64
	Delta         float64 // with Epsilon > 0: the guarantee's delta
	Mechanism     string  // with Epsilon > 0: the noise (the report names it)
	BytesPerParty float64
	Seconds       float64

	scheme    string   // how the totals were aggregated, for the report
	revealed  string   // who learned what
	dpNote    string   // how the budget was spent
	clamped   []int    // values clamped per party (each party's own knowledge)
	decryptor []int    // parties that took part in decryption
	counted   []int    // parties whose totals are in the result
	params    string   // the HE parameters
	Receipt   string   // with -role and -ledger: the signed receipt's digest (hex)
	phases    []string // "key generation 0.12s", ...
}

type jsonResult struct {
	Parties       int     `json:"parties"`
	Count         float64 `json:"count"`
	Sum           float64 `json:"sum"`
	Mean          float64 `json:"mean"`
	Variance      float64 `json:"variance"`
	Epsilon       float64 `json:"epsilon"`
	Delta         float64 `json:"delta,omitempty"`
	BytesPerParty float64 `json:"bytes_per_party"`
	Seconds       float64 `json:"seconds"`
	Receipt       string  `json:"receipt,omitempty"`
}

func (r *result) jsonOutput() jsonResult {
	return jsonResult{Parties: r.Parties, Count: r.Count, Sum: r.Sum, Mean: r.Mean, Variance: r.Variance,
		Epsilon: r.Epsilon, Delta: r.Delta, BytesPerParty: r.BytesPerParty, Seconds: r.Seconds, Receipt: r.Receipt}
}

// figures are the released count, sum, mean and sample variance, in the
// column's unit.
type figures struct {
	count, sum, mean, variance float64
}

// compute runs the joint computation and the DP release.
func compute(ctx context.Context, cfg *config, ps []party) (*result, error) {
	res := &result{Parties: len(ps), Epsilon: cfg.epsilon, clamped: make([]int, len(ps))}
	rel, err := newRelease(cfg, len(ps))
	if err != nil {
		return nil, err
	}
	enc, err := newEncoding(cfg, len(ps), rel)
	if err != nil {
		return nil, err
	}
	vecs := make([][]int64, len(ps))
	for i, p := range ps {
		if vecs[i], res.clamped[i], err = enc.encode(p.values); err != nil {
			return nil, fmt.Errorf("%s (%s): %w", p.name, p.source, err)
		}
	}
	if rel.noise != nil {
		res.Delta, res.Mechanism = cfg.delta, rel.noise.NoiseConfig().Mechanism.String()
	}
	f, err := aggregate(ctx, cfg, enc, vecs, res)
	if err != nil {
		return nil, err
	}
	res.dpNote = rel.describe(cfg)
	res.Count, res.Sum, res.Mean, res.Variance = f.count, f.sum, f.mean, f.variance
	return res, nil
}
