package main

import (
	"context"
	"math"
	"math/big"

	"github.com/veil-go/veil/internal/csvio"
)

// totals are the three figures each party contributes and the protocol
// adds up: count, sum (scaled by csvio.Scale) and sum of squares (scaled
// by csvio.Scale squared), as exact integers.
type totals struct {
	count, sum, sumSq *big.Int
}

// localTotals computes a party's contribution, clamping each value to
// [lo, hi] when clamp is set, and subtracting the public centre from each
// value (which makes the DP sensitivities depend on the width of the bounds,
// not on their distance from zero).
func localTotals(p party, clamp bool, lo, hi, centre int64) (totals, int, error) {
	sum, sq := new(big.Int), new(big.Int)
	var v, v2 big.Int
	clamped := 0
	for _, x := range p.values {
		if clamp && (x < lo || x > hi) {
			x = min(hi, max(lo, x))
			clamped++
		}
		v.SetInt64(x)
		v.Sub(&v, big.NewInt(centre))
		sum.Add(sum, &v)
		sq.Add(sq, v2.Mul(&v, &v))
	}
	return totals{count: big.NewInt(int64(len(p.values))), sum: sum, sumSq: sq}, clamped, nil
}

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

// compute runs the joint computation and the DP release.
func compute(ctx context.Context, cfg *config, ps []party) (*result, error) {
	clamp := cfg.epsilon > 0
	var centre int64 // public: derived from the public bounds
	if clamp {
		centre = cfg.lo + (cfg.hi-cfg.lo)/2
	}
	locals := make([]totals, len(ps))
	res := &result{Parties: len(ps), Epsilon: cfg.epsilon, clamped: make([]int, len(ps))}
	for i, p := range ps {
		t, c, err := localTotals(p, clamp, cfg.lo, cfg.hi, centre)
		if err != nil {
			return nil, err
		}
		locals[i], res.clamped[i] = t, c
	}
	rel, err := newRelease(cfg, centre, len(ps))
	if err != nil {
		return nil, err
	}
	if rel.noise != nil {
		res.Delta, res.Mechanism = cfg.delta, rel.noise.NoiseConfig().Mechanism.String()
	}
	agg, err := aggregate(ctx, cfg, locals, rel, res)
	if err != nil {
		return nil, err
	}
	released := agg
	res.dpNote = rel.describe(cfg)
	res.Count, _ = new(big.Float).SetInt(released.count).Float64()
	res.Mean, res.Variance = stats(released, centre, cfg, clamp)
	// sum = shifted sum + centre*count, exact in integers.
	s := new(big.Int).Mul(big.NewInt(centre), released.count)
	res.Sum, _ = new(big.Rat).SetFrac(s.Add(s, released.sum), big.NewInt(csvio.Scale)).Float64()
	return res, nil
}

// stats derives mean and sample variance from (possibly noisy) totals. With
// noise the figures are post-processed into their possible ranges.
func stats(t totals, centre int64, cfg *config, noisy bool) (mean, variance float64) {
	if t.count.Sign() <= 0 {
		return math.NaN(), math.NaN()
	}
	n := new(big.Rat).SetInt(t.count)
	s := new(big.Rat).SetFrac(t.sum, big.NewInt(csvio.Scale))
	q := new(big.Rat).SetFrac(t.sumSq, big.NewInt(csvio.Scale*csvio.Scale))
	m := new(big.Rat).Quo(s, n)
	mean, _ = new(big.Rat).Add(m, new(big.Rat).SetFrac64(centre, csvio.Scale)).Float64()
	if t.count.Cmp(big.NewInt(2)) < 0 {
		return mean, math.NaN()
	}
	// (sumSq - sum*mean) / (n-1), exact in rationals.
	v := new(big.Rat).Sub(q, new(big.Rat).Mul(s, m))
	v.Quo(v, new(big.Rat).Sub(n, big.NewRat(1, 1)))
	variance, _ = v.Float64()
	if noisy {
		c, _ := n.Float64()
		lo, hi := float64(cfg.lo)/csvio.Scale, float64(cfg.hi)/csvio.Scale
		mean = math.Min(hi, math.Max(lo, mean))
		variance = math.Min((hi-lo)*(hi-lo)/4*c/(c-1), math.Max(0, variance))
	}
	return mean, variance
}
