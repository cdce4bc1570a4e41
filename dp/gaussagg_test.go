package dp

import (
	"math"
	"testing"
	"testing/cryptotest"

	"github.com/stretchr/testify/require"
)

// Gaussian noise in the bounded aggregations. The references here are
// computed from the definitions, not from the package's calibration code:
// the L2 sensitivity of each part from the bounds (one unit moves at most
// MaxPartitions coordinates, each by at most MaxPerPartition * m), the exact
// hockey-stick divergence of the discrete Gaussian noise actually used
// (pmfs summed here), and the zCDP of each part, l2^2 / (2 sigma^2)
// (Canonne, Kamath & Steinke 2020, Theorem 14), added up over the parts.

// productDGDelta returns the exact delta(eps) of the d-dimensional discrete
// Gaussian of parameter sigma between the means 0 and (s, ..., s): the
// privacy loss depends on the sum S of the coordinates only, log Q(x)/P(x)
// = (2 s S - d s^2) / (2 sigma^2), so delta = sum_w P(S = w) max(0, 1 -
// exp(eps + (2 s w - d s^2) / (2 sigma^2))), with the law of S by
// convolution.
func productDGDelta(eps, sigma float64, s, d int) float64 {
	k := int(14*sigma) + 14 // tails below exp(-98)
	one := make([]float64, 2*k+1)
	z := 0.0
	for x := -k; x <= k; x++ {
		one[x+k] = math.Exp(-float64(x*x) / (2 * sigma * sigma))
		z += one[x+k]
	}
	for i := range one {
		one[i] /= z
	}
	pS, kS := one, k
	for range d - 1 {
		kN := kS + k
		next := make([]float64, 2*kN+1)
		for i, a := range pS {
			if a < 1e-300 {
				continue
			}
			for j, b := range one {
				next[i+j] += a * b
			}
		}
		pS, kS = next, kN
	}
	delta := 0.0
	ss := float64(s)
	for i, p := range pS {
		w := float64(i - kS)
		if v := 1 - math.Exp(eps+(2*ss*w-float64(d)*ss*ss)/(2*sigma*sigma)); v > 0 {
			delta += p * v
		}
	}
	return delta
}

func TestProductDGDeltaSelfCheck(t *testing.T) {
	// d = 1 is the scalar hockey-stick sum of reference_test.go.
	require.InEpsilon(t, hockeyStickDG(1, 3.7306316385, 1), productDGDelta(1, 3.7306316385, 1, 1), 1e-6)
	// d = 4 at shift s behaves like d = 1 at shift 2s (L2 norm 2s) for a
	// large sigma, where the discrete Gaussian is nearly continuous.
	require.InEpsilon(t, productDGDelta(1, 40, 20, 1), productDGDelta(1, 40, 10, 4), 1e-3)
}

// zcdpOf returns the zCDP of discrete Gaussian noise sigma on a statistic of
// L2 sensitivity l2.
func zcdpOf(l2, sigma float64) float64 { return l2 * l2 / (2 * sigma * sigma) }

// requireRhoFor checks that rho is the (tight) zCDP parameter of an (eps,
// delta) release: ZCDPToDP within eps, and 1e-6 more is not.
func requireRhoFor(t *testing.T, rho, eps, delta float64) {
	t.Helper()
	e, err := ZCDPToDP(rho, delta)
	require.NoError(t, err)
	require.LessOrEqual(t, e, eps)
	e, err = ZCDPToDP(rho*(1+1e-6), delta)
	require.NoError(t, err)
	require.Greater(t, e, eps)
}

func TestGaussianBoundedSumInt(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1700) // fixed randomness: deterministic
	const eps, delta = 1.0, 1e-5
	for _, c := range []struct {
		l0, linf int64
		nb       Neighbours
	}{{1, 1, AddRemove}, {4, 2, AddRemove}, {1, 3, ReplaceOne}, {3, 1, ReplaceOne}} {
		contrib := Contribution{MaxPartitions: c.l0, MaxPerPartition: c.linf, Neighbours: c.nb}
		s, err := NewBoundedSumInt(BoundedSumIntConfig{Epsilon: eps, Delta: delta, Noise: GaussianNoise,
			Lower: -3, Upper: 5, Contribution: contrib, Budget: testBudget()})
		require.NoError(t, err)
		// One unit moves each of l0 coordinates by at most linf*5 (both ways
		// under replace-one: a removal and an addition).
		shift := int(c.linf * 5)
		if c.nb == ReplaceOne {
			shift *= 2
		}
		l2 := math.Sqrt(float64(c.l0)) * float64(shift)
		sigma := s.Scale()
		// The exact delta of the noise at the worst neighbour is within Delta.
		require.LessOrEqual(t, productDGDelta(eps, sigma, shift, int(c.l0)), delta, "%+v", c)
		// Tight: sigma is l2 / sqrt(2 rho) for the rho of (eps, delta).
		rho := s.once.rho
		requireRhoFor(t, rho, eps, delta)
		require.InEpsilon(t, rho, zcdpOf(l2, sigma), 1e-9, "%+v", c)
	}
}

// A Gaussian aggregation charges rho once to a zCDP budget, (Epsilon,
// Delta) once to any other, and refuses a second release.
func TestGaussianAggregationsSpendOnce(t *testing.T) {
	const eps, delta = 1.0, 1e-6
	rho, err := rhoFor(eps, delta)
	require.NoError(t, err)
	mk := map[string]func(b Budget) (func() error, error){
		"sumInt": func(b Budget) (func() error, error) {
			s, err := NewBoundedSumInt(BoundedSumIntConfig{Epsilon: eps, Delta: delta, Noise: GaussianNoise, Lower: 0, Upper: 9, Budget: b})
			return func() error { _, err := s.Release(3); return err }, err
		},
		"sumFloat": func(b Budget) (func() error, error) {
			s, err := NewBoundedSumFloat(BoundedSumFloatConfig{Epsilon: eps, Delta: delta, Noise: GaussianNoise, Lower: 0, Upper: 9, Budget: b})
			return func() error { _, err := s.Release(3); return err }, err
		},
		"mean": func(b Budget) (func() error, error) {
			m, err := NewBoundedMean(BoundedMeanConfig{Epsilon: eps, Delta: delta, Noise: GaussianNoise, Lower: 0, Upper: 9, Budget: b})
			return func() error { _, err := m.ReleaseValues([]float64{1, 2}); return err }, err
		},
		"variance": func(b Budget) (func() error, error) {
			v, err := NewBoundedVariance(BoundedVarianceConfig{Epsilon: eps, Delta: delta, Noise: GaussianNoise, Lower: 0, Upper: 9, Budget: b})
			return func() error { _, err := v.ReleaseValues([]float64{1, 2}); return err }, err
		},
	}
	for name, f := range mk {
		z, _ := NewZCDPFilter(10 * rho)
		rel, err := f(z)
		require.NoError(t, err, name)
		require.NoError(t, rel(), name)
		require.InEpsilon(t, rho, z.Spent(), 1e-12, name)
		require.ErrorIs(t, rel(), ErrAlreadyReleased, name)
		require.InEpsilon(t, rho, z.Spent(), 1e-12, name)
		acct, _ := NewAccountant(1.5, 1e-5)
		rel, err = f(acct)
		require.NoError(t, err, name)
		require.NoError(t, rel(), name)
		se, sd := acct.Spent()
		require.Equal(t, [2]float64{eps, delta}, [2]float64{se, sd}, name)
		// A budget too small refuses, and nothing is spent.
		small, _ := NewZCDPFilter(rho / 2)
		rel, err = f(small)
		require.NoError(t, err, name)
		require.ErrorIs(t, rel(), ErrBudgetExceeded, name)
		require.Zero(t, small.Spent(), name)
	}
	// Laplace aggregations are pure DP: a Delta is an error; Gaussian ones
	// need one.
	_, err = NewBoundedMean(BoundedMeanConfig{Epsilon: 1, Delta: 1e-6, Lower: 0, Upper: 1, Budget: testBudget()})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewBoundedVariance(BoundedVarianceConfig{Epsilon: 1, Noise: GaussianNoise, Lower: 0, Upper: 1, Budget: testBudget()})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewBoundedSumFloat(BoundedSumFloatConfig{Epsilon: 1, Noise: 5, Lower: 0, Upper: 1, Budget: testBudget()})
	require.ErrorIs(t, err, ErrInvalidParams)
}

// The float sum, the mean and the variance: each part's sigma against its
// L2 sensitivity computed here from the bounds and the encoding, the parts'
// zCDP adding up to the rho charged (an even split), and the float sum's
// noise checked by the exact divergence, rescaled to a coarse grid.
func TestGaussianBoundedFloatAggregations(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1701) // fixed randomness: deterministic
	const eps, delta = 0.5, 1e-6
	contrib := Contribution{MaxPartitions: 3, MaxPerPartition: 2}
	l2Unit := math.Sqrt(3) * 2 // sqrt(L0) * Linf

	s, err := NewBoundedSumFloat(BoundedSumFloatConfig{Epsilon: eps, Delta: delta, Noise: GaussianNoise,
		Lower: -2, Upper: 6, Contribution: contrib, Budget: testBudget()})
	require.NoError(t, err)
	rho := s.once.rho
	requireRhoFor(t, rho, eps, delta)
	// In the values' units the sensitivity is l2Unit * 6 whatever the grid.
	require.InEpsilon(t, l2Unit*6/math.Sqrt(2*rho), s.Scale(), 1e-9)
	require.Equal(t, s.EncodingRange(), s.Encode(6))
	require.LessOrEqual(t, s.Scale()/s.Resolution(), float64(maxGridSigma), "sigma within 2^26 grid units")
	// Exact delta of the noise (sigma/shift kept; shift 12 per coordinate).
	const shift = 12
	require.LessOrEqual(t, productDGDelta(eps, s.Scale()/(2*6)*shift, shift, 3), delta)

	m, err := NewBoundedMean(BoundedMeanConfig{Epsilon: eps, Delta: delta, Noise: GaussianNoise,
		Lower: -2, Upper: 6, Contribution: contrib, Budget: testBudget()})
	require.NoError(t, err)
	require.Equal(t, rho, m.once.rho)
	cs, ss := m.Scales()
	rc := zcdpOf(l2Unit, cs)   // count: sensitivity linf per partition
	rs := zcdpOf(l2Unit*4, ss) // normalized sum: |x - 2| <= 4
	require.LessOrEqual(t, rc+rs, rho*(1+1e-12), "the parts together within rho")
	require.InEpsilon(t, rho/2, rc, 1e-9, "half on the count")
	require.InEpsilon(t, rho/2, rs, 1e-9, "half on the sum")
	require.Equal(t, m.EncodingRange(), m.EncodeNormalized(6))
	require.InEpsilon(t, 4.0, float64(m.EncodingRange())*m.Resolution(), 1e-12)

	v, err := NewBoundedVariance(BoundedVarianceConfig{Epsilon: eps, Delta: delta, Noise: GaussianNoise,
		Lower: -2, Upper: 6, Contribution: contrib, Budget: testBudget()})
	require.NoError(t, err)
	require.Equal(t, rho, v.once.rho)
	maxQ, maxSq := v.EncodingRange()
	// The square term of one value lies in [-floor(H2s/2), ceil(H2s/2)],
	// H2s = round(H^2 / 2^s): its sensitivity, from Encode's extremes.
	q0, sqLo := v.Encode(2) // q = 0: the lowest square term
	_, sqHi := v.Encode(6)  // |q| = H: the highest
	require.Zero(t, q0)
	require.Equal(t, maxSq, sqHi)
	require.LessOrEqual(t, -sqLo, maxSq)
	cs, ss, _ = v.Scales()
	rc = zcdpOf(l2Unit, cs)
	rs = zcdpOf(l2Unit*float64(maxQ), v.mean.sum.n.scale())
	rq := zcdpOf(l2Unit*float64(maxSq), v.sq.scale())
	require.LessOrEqual(t, rc+rs+rq, rho*(1+1e-12), "the three parts together within rho")
	for _, r := range []float64{rc, rs, rq} {
		require.InEpsilon(t, rho/3, r, 1e-9, "a third on each part")
	}
	require.InEpsilon(t, ss, v.mean.sum.n.scale()*v.res, 1e-12)
	require.LessOrEqual(t, v.sq.scale(), float64(maxGridSigma))
	require.LessOrEqual(t, float64(maxSq)*float64(v.MaxValues()), 0x1p62, "square sums exact in int64")
	// Releases are finite and within the clamps.
	got, err := v.ReleaseValues([]float64{-2, 0, 6, 3})
	require.NoError(t, err)
	require.GreaterOrEqual(t, got, 0.0)
	require.LessOrEqual(t, got, 16.0)
}

// The noise of the Gaussian aggregations has the stated sigma, and a 5%
// wrong sigma is rejected. Each check (stat_test.go) has a false-failure
// rate below 1.1e-7; with 100,000 draws the variance's standard error is
// 0.45% of sigma^2, so a 5% wrong sigma (a 9.3% to 10.25% wrong variance)
// sits more than 14 standard errors from the 6-standard-error threshold:
// power above 1 - 1e-40.
func TestGaussianAggregationsNoiseDetect5Percent(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1702) // fixed randomness: deterministic
	const n = 100000
	ref := func(sigma float64) refDist {
		if sigma > 50 {
			return gaussRef(sigma) // the discrete Gaussian's variance is sigma^2 to 1e-9000 here
		}
		return discreteGaussRef(sigma)
	}
	check := func(name string, noise intNoise) {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(noise.sample())
		}
		sigma := noise.scale()
		require.NoError(t, checkSamples(xs, ref(sigma)), name)
		require.Error(t, checkSamples(xs, ref(1.05*sigma)), name)
		require.Error(t, checkSamples(xs, ref(sigma/1.05)), name)
	}
	si, err := NewBoundedSumInt(BoundedSumIntConfig{Epsilon: 2, Delta: 1e-5, Noise: GaussianNoise, Lower: -1, Upper: 2,
		Contribution: Contribution{MaxPartitions: 2}, Budget: testBudget()})
	require.NoError(t, err)
	check("sumInt", si.n)
	v, err := NewBoundedVariance(BoundedVarianceConfig{Epsilon: 1, Delta: 1e-5, Noise: GaussianNoise, Lower: 0, Upper: 1,
		Budget: testBudget()})
	require.NoError(t, err)
	check("variance count", v.mean.count.n)
	check("variance sum", v.mean.sum.n)
	check("variance square term", v.sq)
}
