package dp

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// The review's DP-SGD figures (its pessimistic PLD, delta 1e-5), and
// Veil's RDP for the same runs.
var pldReview = []struct {
	q, z        float64
	steps       int
	pld, rdp    float64
	reviewSlack float64
}{
	{0.01, 1.1, 1000, 1.526, 1.725, 0.02},
	{0.01, 4, 1000, 0.282, 0.301, 0.02},
	{0.1, 2, 100, 2.339, 2.587, 0.02},
	{0.02, 5, 50, 0.0914, 0.1030, 0.01},
}

// optimisticEpsilon is the epsilon of the same composition discretized
// optimistically (losses rounded down): a lower bound on the true epsilon
// (up to the 1e-14 tail), which the accountant's must never be below.
func optimisticEpsilon(t *testing.T, c [2]lossCDF, count int, h, delta float64) float64 {
	best := 0.0
	for dir := 0; dir < 2; dir++ {
		d, err := c[dir].discretizeRound(h, false)
		require.NoError(t, err)
		comp, err := composeDir([]pldEvent{{dirs: [2]pmfDir{d, d}, count: count}}, 0, h, 1e-14)
		require.NoError(t, err)
		comp.lost = 0
		e, err := comp.epsilon(delta, h)
		require.NoError(t, err)
		best = math.Max(best, e)
	}
	return best
}

// The review's four reference values (its pessimistic PLD, slack <= T h'
// with its own h'), at a slack here of steps*h = 0.01: each is matched
// within the two slacks, stays below Veil's RDP, and is never below the
// optimistic discretization (a lower bound of the true epsilon), from which
// it differs by at most steps*h.
func TestPLDMatchesReview(t *testing.T) {
	for _, c := range pldReview {
		h := 0.01 / float64(c.steps)
		a, err := NewPLDAccountant(PLDConfig{Interval: h})
		require.NoError(t, err)
		require.NoError(t, a.AddSubsampledGaussian(c.q, c.z, c.steps))
		e, err := a.Epsilon(1e-5)
		require.NoError(t, err)
		require.InDelta(t, c.pld, e, c.reviewSlack+0.01, "%+v", c)
		require.Less(t, e, c.rdp)
		r := NewRDPAccountant()
		require.NoError(t, r.AddSubsampledGaussian(c.q, c.z, c.steps))
		re, _ := r.Epsilon(1e-5)
		require.InDelta(t, c.rdp, re, 1e-3)
		lower := optimisticEpsilon(t, subsampledGaussianLoss(c.q, c.z), c.steps, h, 1e-5)
		require.GreaterOrEqual(t, e, lower, "%+v", c)
		require.LessOrEqual(t, e-lower, float64(c.steps)*h*2, "%+v", c)
	}
}

// gaussDelta is the exact delta(epsilon) of the Gaussian mechanism of noise
// multiplier z (Balle & Wang 2018).
func gaussDelta(eps, z float64) float64 {
	return phi(-eps*z+1/(2*z)) - math.Exp(eps)*phi(-eps*z-1/(2*z))
}

// Composed Gaussians are one Gaussian of multiplier z/sqrt(k): exact, and
// the accountant is above it by at most k*h. The review: z 1, k 1 gives
// 4.3772; z 10, k 1000 gives 17.86.
func TestPLDGaussianExact(t *testing.T) {
	for _, c := range []struct {
		z     float64
		k     int
		exact float64
		slack float64 // k*h
	}{{1, 1, 4.3772, 0.005}, {10, 1000, 17.86, 0.05}, {2, 10, 0, 0.005}} {
		h := c.slack / float64(c.k)
		a, err := NewPLDAccountant(PLDConfig{Interval: h})
		require.NoError(t, err)
		require.NoError(t, a.AddGaussian(c.z, c.k))
		e, err := a.Epsilon(1e-5)
		require.NoError(t, err)
		zz := c.z / math.Sqrt(float64(c.k))
		// The exact epsilon: delta(eps) = 1e-5 by bisection.
		lo, hi := 0.0, 100.0
		for range 200 {
			mid := (lo + hi) / 2
			if gaussDelta(mid, zz) > 1e-5 {
				lo = mid
			} else {
				hi = mid
			}
		}
		if c.exact != 0 {
			require.InDelta(t, c.exact, hi, 0.01)
		}
		require.GreaterOrEqual(t, e, hi-1e-9, "%+v", c)
		require.LessOrEqual(t, e, hi+float64(c.k)*h+1e-6, "%+v", c)
		d, err := a.Delta(hi)
		require.NoError(t, err)
		require.GreaterOrEqual(t, d, 1e-5*(1-1e-6))
	}
}

// Laplace: delta(eps) = 1 - exp((eps - 1/ratio)/2) exactly, so
// eps(delta) = 1/ratio + 2 log(1 - delta); composed with a Gaussian too.
func TestPLDLaplaceExact(t *testing.T) {
	for _, ratio := range []float64{1, 0.5, 4} {
		h := 1e-4
		a, err := NewPLDAccountant(PLDConfig{Interval: h})
		require.NoError(t, err)
		require.NoError(t, a.AddLaplace(ratio, 1))
		for _, delta := range []float64{1e-5, 1e-2, 0.1} {
			e, err := a.Epsilon(delta)
			require.NoError(t, err)
			want := 1/ratio + 2*math.Log1p(-delta)
			require.GreaterOrEqual(t, e, want-1e-9)
			require.LessOrEqual(t, e, want+h+1e-9)
		}
	}
	// Ten Laplace(ratio 10) and a Gaussian: below basic composition (1 +
	// the Gaussian's epsilon) and above the optimistic discretization.
	a, _ := NewPLDAccountant(PLDConfig{Interval: 1e-4})
	require.NoError(t, a.AddLaplace(10, 10))
	require.NoError(t, a.AddGaussian(5, 1))
	e, err := a.Epsilon(1e-5)
	require.NoError(t, err)
	require.Less(t, e, 1+0.95)
	require.Greater(t, e, 0.5)
	_, err = NewPLDAccountant(PLDConfig{Interval: 1})
	require.ErrorIs(t, err, ErrInvalidParams)
	require.ErrorIs(t, a.AddSubsampledGaussian(0, 1, 1), ErrInvalidParams)
	require.NoError(t, a.AddGaussian(1, 0))
}

// Calibration: the noise multiplier for the review's fourth run's epsilon
// is that run's multiplier, within the calibration's 1e-3.
func TestCalibrateSubsampledGaussian(t *testing.T) {
	cfg := PLDConfig{Interval: 2e-4}
	a, _ := NewPLDAccountant(cfg)
	require.NoError(t, a.AddSubsampledGaussian(0.02, 5, 50))
	e, err := a.Epsilon(1e-5)
	require.NoError(t, err)
	z, err := CalibrateSubsampledGaussian(SGDTarget{Epsilon: e, Delta: 1e-5, SamplingRate: 0.02, Steps: 50}, cfg)
	require.NoError(t, err)
	require.InEpsilon(t, 5, z, 2e-3)
	require.GreaterOrEqual(t, z, 5*(1-1e-9)*0.999)
	b, _ := NewPLDAccountant(cfg)
	require.NoError(t, b.AddSubsampledGaussian(0.02, z, 50))
	got, err := b.Epsilon(1e-5)
	require.NoError(t, err)
	require.LessOrEqual(t, got, e)
	_, err = CalibrateSubsampledGaussian(SGDTarget{Epsilon: 1, Delta: 0, SamplingRate: 0.02, Steps: 50}, cfg)
	require.ErrorIs(t, err, ErrInvalidParams)
}
