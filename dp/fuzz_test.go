package dp

import (
	"errors"
	"math"
	"testing"
)

// FuzzConstructors feeds arbitrary parameters to every constructor: each
// must either fail with ErrInvalidParams or return a sampler whose outputs
// are finite (for finite inputs), never panic or hang.
func FuzzConstructors(f *testing.F) {
	f.Add(1.0, 1e-5, 1.0, int64(1))
	f.Add(0.0, 0.0, 0.0, int64(0))
	f.Add(math.NaN(), 1.0, -1.0, int64(-5))
	f.Add(1e-12, 0.999, 1e300, int64(1<<62))
	f.Add(700.0, 1e-300, 1e-300, int64(3))
	f.Fuzz(func(t *testing.T, eps, delta, sens float64, isens int64) {
		check := func(err error) bool {
			if err != nil && !errors.Is(err, ErrInvalidParams) {
				t.Fatalf("error not wrapping ErrInvalidParams: %v", err)
			}
			return err == nil
		}
		if l, err := NewLaplace(LaplaceConfig{Budget: testBudget(), Epsilon: eps, Sensitivity: sens}); check(err) {
			if y := must(l.AddNoise(1)); math.IsNaN(y) {
				t.Fatalf("Laplace(%v, %v) gave NaN", eps, sens)
			}
		}
		if g, err := NewGaussian(GaussianConfig{Budget: testBudget(), Epsilon: eps, Delta: delta, Sensitivity: sens}); check(err) {
			if y := must(g.AddNoise(1)); math.IsNaN(y) || !(g.Sigma() > 0) {
				t.Fatalf("Gaussian(%v, %v, %v) gave %v, sigma %v", eps, delta, sens, y, g.Sigma())
			}
		}
		if d, err := NewDiscreteLaplace(DiscreteLaplaceConfig{Budget: testBudget(), Epsilon: eps, Sensitivity: isens}); check(err) {
			d.Sample()
		}
		if d, err := NewDiscreteGaussian(DiscreteGaussianConfig{Sigma: sens}); check(err) {
			d.Sample()
		}
		_, err := NewAccountant(eps, delta)
		check(err)
		if s, err := NewSkellamShare(SkellamShareConfig{Mu: sens, Parties: 3}); check(err) {
			s.Noise(2)
		}
		_, err = NewRandomizedResponse(RandomizedResponseConfig{Epsilon: eps, Budget: testBudget()})
		check(err)
		_, err = AnalyticGaussianSigma(GaussianConfig{Budget: testBudget(), Epsilon: eps, Delta: delta, Sensitivity: sens})
		check(err)
		// F6: every other constructor, and one release of what it builds.
		k := int(isens % (1 << 20))
		if e, err := NewExponentialMechanism(ExponentialMechanismConfig{Epsilon: eps, Sensitivity: sens, Budget: testBudget()}); check(err) {
			_, err := e.PermuteAndFlip([]float64{0, delta, -1})
			check(err)
		}
		if r, err := NewKRandomizedResponse(KRandomizedResponseConfig{Epsilon: eps, K: k, Budget: testBudget()}); check(err) {
			_, err := r.Respond(0)
			check(err)
		}
		if r, err := NewRandomizedResponse(RandomizedResponseConfig{Epsilon: eps, Budget: testBudget()}); check(err) {
			_, _ = r.Respond(true)
		}
		c := Contribution{MaxPartitions: isens % 100, MaxPerPartition: int64(k % 7)}
		if q, err := NewQuantiles(QuantilesConfig{Epsilon: eps, Lower: -sens, Upper: delta, Buckets: k, Contribution: c, Budget: testBudget()}); check(err) {
			_, err := q.Release([]float64{0, sens, delta}, []float64{0.5})
			check(err)
		}
		if h, err := NewHistogram[int](HistogramConfig{Epsilon: eps, Delta: delta, Contribution: c, Budget: testBudget()}); check(err) {
			_, err := h.ReleaseKnown([]int{1}, map[int]int64{1: isens})
			check(err)
		}
		if m, err := NewCount(CountConfig{Epsilon: eps, Contribution: c, Budget: testBudget()}); check(err) {
			_, err := m.Release(isens)
			check(err)
		}
		if m, err := NewBoundedSumInt(BoundedSumIntConfig{Epsilon: eps, Lower: -isens, Upper: isens, Contribution: c, Budget: testBudget()}); check(err) {
			_, err := m.Release(isens)
			check(err)
		}
		if m, err := NewBoundedSumFloat(BoundedSumFloatConfig{Epsilon: eps, Lower: -sens, Upper: delta, Contribution: c, Budget: testBudget()}); check(err) {
			_, err := m.Release(isens)
			check(err)
		}
		if m, err := NewBoundedMean(BoundedMeanConfig{Epsilon: eps, Lower: -sens, Upper: delta, Contribution: c, Budget: testBudget()}); check(err) {
			_, err := m.ReleaseValues([]float64{0, sens})
			check(err)
		}
		if m, err := NewBoundedVariance(BoundedVarianceConfig{Epsilon: eps, Lower: -sens, Upper: delta, MaxValues: isens, Contribution: c, Budget: testBudget()}); check(err) {
			_, err := m.Release(1, 0, 0)
			check(err)
		}
		// The same aggregations with Gaussian noise (Delta in (0, 1)).
		if si, err := NewBoundedSumInt(BoundedSumIntConfig{Epsilon: eps, Delta: delta, Noise: GaussianNoise, Lower: -isens, Upper: isens, Contribution: c, Budget: testBudget()}); check(err) {
			_, err := si.Release(isens)
			check(err)
		}
		if sf, err := NewBoundedSumFloat(BoundedSumFloatConfig{Epsilon: eps, Delta: delta, Noise: GaussianNoise, Lower: -sens, Upper: sens, Contribution: c, Budget: testBudget()}); check(err) {
			_, err := sf.Release(isens)
			check(err)
		}
		if m, err := NewBoundedMean(BoundedMeanConfig{Epsilon: eps, Delta: delta, Noise: GaussianNoise, Lower: -sens, Upper: sens, Contribution: c, Budget: testBudget()}); check(err) {
			_, err := m.ReleaseValues([]float64{0, sens})
			check(err)
		}
		if m, err := NewBoundedVariance(BoundedVarianceConfig{Epsilon: eps, Delta: delta, Noise: GaussianNoise, Lower: -sens, Upper: sens, MaxValues: isens, Contribution: c, Budget: testBudget()}); check(err) {
			_, err := m.Release(1, 0, 0)
			check(err)
		}
		_, err = NewRDPFilter(eps, delta)
		check(err)
		_, err = NewZCDPFilter(sens)
		check(err)
		_ = ClassicGaussianSigma(GaussianConfig{Epsilon: eps, Delta: delta, Sensitivity: sens})
		_, err = CalibrateDiscreteGaussian(eps, delta, isens)
		check(err)
		_, err = DiscreteGaussianDelta(eps, isens, sens)
		check(err)
		tg := DistributedTarget{Epsilon: eps, Delta: delta, L1: sens, L2: sens, Dim: k, Honest: k % 5}
		_, err = CalibrateSkellam(tg)
		check(err)
		if k < 64 { // the calibration's cost grows with Honest
			_, err = CalibrateDistributedDiscreteGaussian(tg)
			check(err)
		}
		_, _, err = AdvancedComposition(eps, delta, k, delta)
		check(err)
		_, err = ZCDPToDP(eps, delta)
		check(err)
		_, err = NewContributionBounder(c)
		check(err)
	})
}
