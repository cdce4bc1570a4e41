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
		_, err = NewRandomizedResponse(eps)
		check(err)
		_, err = AnalyticGaussianSigma(GaussianConfig{Budget: testBudget(), Epsilon: eps, Delta: delta, Sensitivity: sens})
		check(err)
	})
}
