package dp

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Reference sigmas of the analytic Gaussian mechanism (sensitivity 1),
// computed independently with mpmath at 50 digits by bisection on
// Phi(1/(2s) - eps s) - e^eps Phi(-1/(2s) - eps s) = delta.
var analyticGaussianKAT = []struct{ eps, delta, sigma float64 }{
	{1, 1e-5, 3.7306316348159418},
	{0.5, 1e-6, 8.0576184807250443},
	{2, 1e-10, 3.0257935440946646},
	{0.1, 1e-3, 17.404396203031166},
	{8, 1e-5, 0.60022907219895156},
	{1, 0.1, 1.0858777651918565},
}

func TestAnalyticGaussianKnownAnswers(t *testing.T) {
	for _, c := range analyticGaussianKAT {
		for _, sens := range []float64{1, 0.25, 1000} {
			s, err := AnalyticGaussianSigma(GaussianConfig{Budget: testBudget(), Epsilon: c.eps, Delta: c.delta, Sensitivity: sens})
			require.NoError(t, err)
			require.InEpsilon(t, c.sigma*sens, s, 1e-8, "eps=%v delta=%v", c.eps, c.delta)
			require.GreaterOrEqual(t, s, c.sigma*sens*(1-1e-12), "must be on the safe side")
			require.LessOrEqual(t, gaussianDelta(c.eps, sens, s), c.delta)
		}
		// Tighter than the classic bound where that applies.
		if c.eps < 1 {
			require.Less(t, c.sigma, ClassicGaussianSigma(GaussianConfig{Budget: testBudget(), Epsilon: c.eps, Delta: c.delta, Sensitivity: 1}))
		}
	}
}

func TestLogPhiTail(t *testing.T) {
	// The two branches agree at the switch point.
	a := math.Log(0.5 * math.Erfc(37.0001/math.Sqrt2))
	b := logPhi(-37.0001)
	require.InDelta(t, a, b, 1e-9)
	require.InDelta(t, math.Log(0.5), logPhi(0), 1e-15)
	require.False(t, math.IsInf(logPhi(-1e5), 0))
}

func TestInvalidParams(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	bad := []float64{nan, inf, -inf, 0, -1}
	var errs []error
	for _, e := range bad {
		_, err := NewLaplace(LaplaceConfig{Budget: testBudget(), Epsilon: e, Sensitivity: 1})
		errs = append(errs, err)
		_, err = NewLaplace(LaplaceConfig{Budget: testBudget(), Epsilon: 1, Sensitivity: e})
		errs = append(errs, err)
		_, err = NewGaussian(GaussianConfig{Budget: testBudget(), Epsilon: e, Delta: 1e-5, Sensitivity: 1})
		errs = append(errs, err)
		_, err = NewGaussian(GaussianConfig{Budget: testBudget(), Epsilon: 1, Delta: 1e-5, Sensitivity: e})
		errs = append(errs, err)
		_, err = NewDiscreteLaplace(DiscreteLaplaceConfig{Budget: testBudget(), Epsilon: e, Sensitivity: 1})
		errs = append(errs, err)
		_, err = NewDiscreteGaussian(DiscreteGaussianConfig{Sigma: e})
		errs = append(errs, err)
		_, err = NewAccountant(e, 0)
		errs = append(errs, err)
		_, err = AnalyticGaussianSigma(GaussianConfig{Budget: testBudget(), Epsilon: e, Delta: 1e-5, Sensitivity: 1})
		errs = append(errs, err)
	}
	for _, d := range []float64{nan, inf, -inf, -0.1, 1, 1.5} {
		_, err := NewGaussian(GaussianConfig{Budget: testBudget(), Epsilon: 1, Delta: d, Sensitivity: 1})
		errs = append(errs, err)
		_, err = NewAccountant(1, d)
		errs = append(errs, err)
	}
	_, err := NewGaussian(GaussianConfig{Budget: testBudget(), Epsilon: 1, Delta: 0, Sensitivity: 1}) // Gaussian needs delta > 0
	errs = append(errs, err)
	_, err = NewDiscreteLaplace(DiscreteLaplaceConfig{Budget: testBudget(), Epsilon: 1, Sensitivity: 0})
	errs = append(errs, err)
	_, err = NewDiscreteLaplace(DiscreteLaplaceConfig{Budget: testBudget(), Epsilon: 1, Sensitivity: -3})
	errs = append(errs, err)
	_, err = NewDiscreteGaussian(DiscreteGaussianConfig{Sigma: 1e-9}) // below the supported range
	errs = append(errs, err)
	_, err = NewDiscreteGaussian(DiscreteGaussianConfig{Sigma: 1e12})
	errs = append(errs, err)
	_, err = NewLaplace(LaplaceConfig{Budget: testBudget(), Epsilon: 1e-300, Sensitivity: 1e300}) // scale overflows
	errs = append(errs, err)
	_, err = NewDiscreteLaplace(DiscreteLaplaceConfig{Budget: testBudget(), Epsilon: 1, Sensitivity: math.MaxInt64 / 4}) // scale above 2^52
	errs = append(errs, err)
	for i, err := range errs {
		require.Error(t, err, "case %d", i)
		require.True(t, errors.Is(err, ErrInvalidParams), "case %d: %v", i, err)
	}
}

func TestExtremeButValidParams(t *testing.T) {
	for _, c := range []struct{ eps, sens float64 }{{1e-9, 1}, {1e6, 1}, {1, 1e-200}, {1, 1e200}, {50, 1e-3}} {
		l, err := NewLaplace(LaplaceConfig{Budget: testBudget(), Epsilon: c.eps, Sensitivity: c.sens})
		require.NoError(t, err, "%v", c)
		// Overhead of the grid: at most max(2^-20, 2^-47/eps).
		require.InEpsilon(t, c.sens/c.eps, l.Scale(), math.Max(0x1p-20, 0x1p-47/c.eps)*1.01)
		require.GreaterOrEqual(t, l.Scale(), c.sens/c.eps)
		require.False(t, math.IsNaN(must(l.AddNoise(1))))
	}
	for _, c := range []struct{ eps, delta, sens float64 }{{1e-3, 1e-12, 1}, {50, 0.5, 1}, {1, 1e-5, 1e-200}, {1, 1e-5, 1e200}} {
		g, err := NewGaussian(GaussianConfig{Budget: testBudget(), Epsilon: c.eps, Delta: c.delta, Sensitivity: c.sens})
		require.NoError(t, err, "%v", c)
		s, _ := AnalyticGaussianSigma(GaussianConfig{Budget: testBudget(), Epsilon: c.eps, Delta: c.delta, Sensitivity: c.sens})
		// Overhead of the grid: at most max(2^-20, sigma/sens * 2^-28).
		require.InEpsilon(t, s, g.Sigma(), math.Max(0x1p-20, s/c.sens*0x1p-28)*1.01)
		require.GreaterOrEqual(t, g.Sigma(), s)
		require.False(t, math.IsNaN(must(g.AddNoise(1))))
	}
	for _, c := range []struct {
		eps  float64
		sens int64
	}{{1e-9, 1}, {1e6, 1}, {1, 1 << 52}, {1e-6, 1 << 30}} {
		_, err := NewDiscreteLaplace(DiscreteLaplaceConfig{Budget: testBudget(), Epsilon: c.eps, Sensitivity: c.sens})
		require.NoError(t, err, "%v", c)
	}
}
