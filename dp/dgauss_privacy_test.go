package dp

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDiscreteGaussianDeltaKnown(t *testing.T) {
	// Reference: CKS20 Theorem 7 evaluated by mpmath with exact sums (40 digits).
	kat := []struct {
		eps   float64
		k     int64
		sigma float64
		want  float64
	}{
		{1, 1, 2, 0.0072487768459525779},
		{0.5, 3, 10, 0.0075672552384283182},
		{1, 1, 3.7306316348159418, 1.034567200333188e-5},
		{2, 5, 7, 0.0013869522617619871},
	}
	for _, c := range kat {
		d, err := DiscreteGaussianDelta(c.eps, c.k, c.sigma)
		require.NoError(t, err)
		require.InEpsilon(t, c.want, d, 1e-9, "%+v", c)
	}
	// At the continuous analytic sigma (eps 1, delta 1e-5) the discrete
	// Gaussian is slightly worse: 1.035e-5 > 1e-5. Calibration must use it.
	s, err := CalibrateDiscreteGaussian(1, 1e-5, 1)
	require.NoError(t, err)
	require.Greater(t, s, 3.7306316348159418)
	d, _ := DiscreteGaussianDelta(1, 1, s)
	require.LessOrEqual(t, d, 1e-5)
	d2, _ := DiscreteGaussianDelta(1, 1, s*0.999)
	require.Greater(t, d2, 1e-5)
}

func TestDiscreteGaussianTailEulerMaclaurin(t *testing.T) {
	// The Euler-Maclaurin branch agrees with direct summation.
	for _, sigma := range []float64{1024, 1500.5} {
		for _, m := range []float64{-3000, -1, 0, 1, 7, 1000, 3000, 6000} {
			em := dgLogTailGE(m, sigma)
			direct := math.Log(dgTailDirect(m, sigma))
			require.InDelta(t, direct, em, 1e-9*math.Max(1, math.Abs(direct)), "sigma %v m %v", sigma, m)
		}
	}
	for _, bad := range []struct {
		eps   float64
		k     int64
		sigma float64
	}{{0, 1, 1}, {1, 0, 1}, {1, 1, 0}, {1, 1, math.NaN()}} {
		_, err := DiscreteGaussianDelta(bad.eps, bad.k, bad.sigma)
		require.ErrorIs(t, err, ErrInvalidParams)
	}
	_, err := CalibrateDiscreteGaussian(1, 0, 1)
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestGaussianMeetsDiscreteDelta(t *testing.T) {
	// The float Gaussian's discrete noise meets delta exactly (CKS20 Thm 7)
	// for the integer sensitivity of the snapped values.
	for _, c := range []struct{ eps, delta, sens float64 }{{1, 1e-5, 1}, {0.3, 1e-8, 2}, {5, 1e-3, 0.1}} {
		g, err := NewGaussian(GaussianConfig{Budget: testBudget(), Epsilon: c.eps, Delta: c.delta, Sensitivity: c.sens})
		require.NoError(t, err)
		k := gridSensitivity(c.sens, g.grid)
		d, err := DiscreteGaussianDelta(c.eps, k.Int64(), math.Sqrt(float64(g.g.n)))
		require.NoError(t, err)
		require.LessOrEqual(t, d, c.delta)
	}
}
