package dp

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func poissonRef(lambda float64) refDist {
	kmin := max(0, int(lambda-40*math.Sqrt(lambda)-40))
	kmax := int(lambda + 40*math.Sqrt(lambda) + 40)
	lg := func(k int) float64 { v, _ := math.Lgamma(float64(k) + 1); return v }
	return discreteRefRange(fmt.Sprintf("Poisson(%v)", lambda), kmin, kmax, func(k int) float64 {
		return math.Exp(float64(k)*math.Log(lambda) - lambda - lg(k))
	})
}

func TestPoissonDistribution(t *testing.T) {
	r, err := testRNG(t, "poisson")
	require.NoError(t, err)
	for _, lambda := range []float64{0.05, 0.5, 1, 2.5, 4, 4.25, 5, 8, 16, 16.5, 37.25, 400, 12345.5, 1e6 + 0.25, 3e8} {
		ps, err := newPoisson(lambda)
		require.NoError(t, err)
		require.GreaterOrEqual(t, ps.lambda(), lambda)
		require.InDelta(t, lambda, ps.lambda(), 0x1p-20)
		lambda = ps.lambda()
		xs := make([]float64, nSamples)
		for i := range xs {
			xs[i] = float64(ps.sample(r))
		}
		ref := poissonRef(lambda)
		require.NoError(t, checkSamples(xs, ref), "lambda %v", lambda)
		// A 20% larger mean (for Poisson the scale of the noise) is rejected.
		require.Error(t, checkSamples(xs, poissonRef(1.2*lambda)), "lambda %v", lambda)
	}
}

func TestPoissonFactorsInRange(t *testing.T) {
	// The factors used as probabilities are <= 1 where they are used.
	for _, lambda := range []float64{16.5, 100, 1e6 + 0.3, 1 << 40} {
		ps, err := newPoisson(lambda)
		require.NoError(t, err)
		if ps.jPlus >= 1 {
			n, d := ps.g(ps.jPlus)
			require.False(t, n.less(d), "g_jPlus >= 1")
		}
		n, d := ps.g(ps.jPlus + 1)
		require.True(t, n.less(d), "g_(jPlus+1) < 1")
		if ps.jMinus >= 1 {
			n, d := ps.h(ps.jMinus - 1)
			require.False(t, n.less(d), "h_(jMinus-1) >= 1")
		}
		if ps.jMinus <= ps.m {
			n, d := ps.h(ps.jMinus)
			require.True(t, n.less(d), "h_jMinus < 1")
		}
	}
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1), 1 << 41} {
		_, err := newPoisson(bad)
		require.ErrorIs(t, err, ErrInvalidParams)
	}
}
