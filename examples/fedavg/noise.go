package main

import (
	"fmt"
	"math"

	"github.com/veil-go/veil/dp"
	"github.com/veil-go/veil/mpc/secagg"
)

// Distributed DP for -epsilon > 0. Each client's vector is the unit of
// privacy: every coordinate is clipped to ±clipBound (public), so one
// client changes the sum by at most clipBound*dim in L1 and
// clipBound*sqrt(dim) in L2. Each client adds a share of distributed
// discrete Gaussian noise (package dp; Kairouz, Liu & Steinke 2021) before
// masking, sized so that the shares of minHonest clients alone make the sum
// (epsilon, noiseDelta)-DP. (dp's Skellam shares would do as well, but their
// exact sampler costs milliseconds per value at the noise scales a whole
// client vector needs, against well under a microsecond here.)
const (
	clipBound  = 1000
	noiseDelta = 1e-6
)

// dpPlan is the noise calibration of a run.
type dpPlan struct {
	target    dp.DistributedTarget
	sigma     float64 // each share's discrete Gaussian sigma
	minHonest int
}

// minHonest is the number of clients assumed honest and counted: the
// clients minus the fractions the SecAgg+ parameters assume may drop out
// or collude with the server.
func minHonest(clients int) int {
	return max(1, int(math.Floor((1-secagg.DefaultDropoutRate-secagg.DefaultCorruptRate)*float64(clients))))
}

func planNoise(o *options) (*dpPlan, error) {
	if o.epsilon == 0 {
		return nil, nil
	}
	l1 := float64(clipBound) * float64(o.dim)
	l2 := float64(clipBound) * math.Sqrt(float64(o.dim))
	h := minHonest(o.clients)
	target := dp.DistributedTarget{Epsilon: o.epsilon, Delta: noiseDelta, L1: l1, L2: l2, Dim: o.dim, Honest: h}
	sigma, err := dp.CalibrateDistributedDiscreteGaussian(target)
	if err != nil {
		return nil, fmt.Errorf("-epsilon %v: %w", o.epsilon, err)
	}
	return &dpPlan{target: target, sigma: sigma, minHonest: h}, nil
}

// clientNoise returns a fresh client's noise hook.
func (p *dpPlan) clientNoise(clients int) (secagg.NoiseFunc, error) {
	share, err := dp.NewDiscreteGaussianShare(dp.DiscreteGaussianShareConfig{
		Target: p.target, LocalSigma: p.sigma, Parties: clients, MinHonest: p.minHonest})
	if err != nil {
		return nil, err
	}
	return func(dim int) ([]int64, error) { return share.Noise(dim), nil }, nil
}

// stddev is the standard deviation of one coordinate of the noise in a sum
// of counted honest clients' shares.
func (p *dpPlan) stddev(counted int) float64 {
	return p.sigma * math.Sqrt(float64(counted))
}

func clip(v []int64) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = min(max(x, -clipBound), clipBound)
	}
	return out
}

func (p *dpPlan) describe(o *options, counted int) string {
	if p == nil {
		return "none (exact sum)"
	}
	s := fmt.Sprintf("distributed discrete Gaussian noise, (epsilon=%g, delta=%g)-DP per client vector (values clipped to ±%d);\n"+
		"               each client added its share before masking; calibrated for >= %d honest counted clients,\n"+
		"               noise std per value %.4g with %d counted", o.epsilon, noiseDelta, clipBound, p.minHonest, p.stddev(counted), counted)
	if counted < p.minHonest {
		s += " (fewer than planned: weaker guarantee)"
	}
	return s
}
