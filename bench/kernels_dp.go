package bench

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"math"
	"time"

	"github.com/veil-go/veil/dp"
)

// DP samplers against a naive inverse-CDF Laplace on crypto/rand: the
// floor of a sampler that is NOT safe against floating-point attacks.
func dpCases() []Case {
	const batch = 4096 // samples per operation
	return []Case{
		{Group: "dp", Name: "secure Laplace (float64) sample", Headline: true, Item: "samples",
			Anchor: "Google DP Go: 11.7 us/sample (docs/ANCHORS.md, not measured by veilbench); goal < 1 us",
			Expect: 3 * time.Second, Setup: dpSetup(batch, func() (func() float64, error) {
				l, err := dp.NewLaplace(dp.LaplaceConfig{Epsilon: 1, Sensitivity: 1, Budget: benchBudget{}})
				if err != nil {
					return nil, err
				}
				return func() float64 { y, _ := l.AddNoise(0); return y }, nil
			})},
		{Group: "dp", Name: "discrete Laplace sample", Item: "samples",
			Anchor: "goal < 1 us/sample",
			Expect: 3 * time.Second, Setup: dpSetup(batch, func() (func() float64, error) {
				l, err := dp.NewDiscreteLaplace(dp.DiscreteLaplaceConfig{Epsilon: 1, Sensitivity: 1, Budget: benchBudget{}})
				if err != nil {
					return nil, err
				}
				return func() float64 { return float64(l.Sample()) }, nil
			})},
		{Group: "dp", Name: "discrete Gaussian sample (sigma 10)", Item: "samples",
			Anchor: "exact sampler of Canonne-Kamath-Steinke 2020",
			Expect: 3 * time.Second, Setup: dpSetup(batch, func() (func() float64, error) {
				g, err := dp.NewDiscreteGaussian(dp.DiscreteGaussianConfig{Sigma: 10})
				if err != nil {
					return nil, err
				}
				return func() float64 { return float64(g.Sample()) }, nil
			})},
	}
}

// benchBudget accepts every spend: the rows measure the samplers (and the
// Laplace row its call to Budget.Spend), not an accountant's bookkeeping.
type benchBudget struct{}

func (benchBudget) Spend(epsilon, delta float64) error { return nil }

func dpSetup(batch int, mk func() (func() float64, error)) func(context.Context, int) (*Ops, error) {
	return func(context.Context, int) (*Ops, error) {
		sample, err := mk()
		if err != nil {
			return nil, err
		}
		var sink float64
		buf := make([]byte, 8*batch)
		return &Ops{
			Veil: func(context.Context) (int64, error) {
				for range batch {
					sink += sample()
				}
				return 0, nil
			},
			BaselineName: "naive inverse-CDF Laplace on crypto/rand (unsafe)",
			Baseline: func(context.Context) (int64, error) {
				sink += naiveLaplace(buf, 1)
				return 0, nil
			},
			Items: float64(batch),
			Close: func() { _ = sink },
		}, nil
	}
}

// naiveLaplace draws len(buf)/8 Laplace(0, b) samples by inverting the CDF
// of uniforms read from crypto/rand in one call, and returns their sum.
// This is the textbook method that floating-point attacks break.
func naiveLaplace(buf []byte, b float64) float64 {
	_, _ = rand.Read(buf)
	var s float64
	for i := 0; i+8 <= len(buf); i += 8 {
		u := (float64(binary.LittleEndian.Uint64(buf[i:])>>11)+0.5)/(1<<53) - 0.5
		if u < 0 {
			s += b * math.Log(1+2*u)
		} else {
			s -= b * math.Log(1-2*u)
		}
	}
	return s
}
