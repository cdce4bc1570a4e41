package dp

import (
	"math"
	"testing"
	"testing/cryptotest"

	"github.com/stretchr/testify/require"
)

func categoricalRef(name string, probs []float64) refDist {
	return discreteRef(name, len(probs), func(k int) float64 {
		if k < 0 || k >= len(probs) {
			return 0
		}
		return probs[k]
	})
}

func TestRandomizedResponse(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1012) // fixed randomness: the checks below are deterministic
	for _, eps := range []float64{0.5, 1, 3} {
		r, err := NewRandomizedResponse(RandomizedResponseConfig{Epsilon: eps, Budget: testBudget()})
		require.NoError(t, err)
		truthful := 0
		for i := 0; i < nSamples; i++ {
			if must(r.Respond(true)) {
				truthful++
			}
		}
		p := math.Exp(eps) / (1 + math.Exp(eps))
		require.InDelta(t, p, r.TruthProbability(), 1e-15)
		phat := float64(truthful) / nSamples
		// Hoeffding at false-failure 1e-7.
		require.InDelta(t, p, phat, ksThreshold(nSamples))
		// A 20% larger epsilon is rejected.
		p2 := math.Exp(1.2*eps) / (1 + math.Exp(1.2*eps))
		require.Greater(t, math.Abs(p2-phat), ksThreshold(nSamples))
	}
	// Debiasing recovers a true proportion of 0.3.
	r, _ := NewRandomizedResponse(RandomizedResponseConfig{Epsilon: 1, Budget: testBudget()})
	yes := 0
	for i := 0; i < nSamples; i++ {
		if must(r.Respond(i%10 < 3)) {
			yes++
		}
	}
	est, err := r.EstimateProportion(yes, nSamples)
	require.NoError(t, err)
	// The estimator's error is the report error / (2p-1).
	require.InDelta(t, 0.3, est, ksThreshold(nSamples)/(2*r.TruthProbability()-1))
	_, err = r.EstimateProportion(5, 3)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewRandomizedResponse(RandomizedResponseConfig{Epsilon: 0, Budget: testBudget()})
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestKRandomizedResponse(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1013) // fixed randomness: the checks below are deterministic
	const k = 5
	for _, eps := range []float64{0.5, 2} {
		r, err := NewKRandomizedResponse(KRandomizedResponseConfig{Epsilon: eps, K: k, Budget: testBudget()})
		require.NoError(t, err)
		xs := make([]float64, nSamples)
		for i := range xs {
			v, err := r.Respond(2)
			require.NoError(t, err)
			xs[i] = float64(v)
		}
		p, q := r.Probabilities()
		require.InDelta(t, 1.0, p+float64(k-1)*q, 1e-12)
		want := []float64{q, q, p, q, q}
		// Power: a 50% larger epsilon must be rejected. (A 20% larger one is
		// not reliably detected at epsilon 0.5: the variances differ by only
		// about 6 standard errors there.)
		r2, _ := NewKRandomizedResponse(KRandomizedResponseConfig{Epsilon: 1.5 * eps, K: k, Budget: testBudget()})
		p2, q2 := r2.Probabilities()
		requireDist(t, xs, categoricalRef("kRR", want), categoricalRef("kRR wrong", []float64{q2, q2, p2, q2, q2}))
	}
	// Debiasing.
	r, _ := NewKRandomizedResponse(KRandomizedResponseConfig{Epsilon: 1, K: 3, Budget: testBudget()})
	counts := make([]int64, 3)
	truth := []int{0, 0, 0, 1, 2, 2} // proportions 1/2, 1/6, 1/3
	for i := 0; i < nSamples; i++ {
		v, _ := r.Respond(truth[i%len(truth)])
		counts[v]++
	}
	est, err := r.EstimateCounts(counts)
	require.NoError(t, err)
	p, q := r.Probabilities()
	tol := ksThreshold(nSamples) * nSamples / (p - q) * 2
	require.InDelta(t, nSamples/2.0, est[0], tol)
	require.InDelta(t, nSamples/6.0, est[1], tol)
	require.InDelta(t, nSamples/3.0, est[2], tol)
	_, err = r.Respond(3)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = r.EstimateCounts([]int64{1})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewKRandomizedResponse(KRandomizedResponseConfig{Epsilon: 1, K: 1, Budget: testBudget()})
	require.ErrorIs(t, err, ErrInvalidParams)
}

// pfProbs returns the exact output distribution of permute-and-flip by
// enumerating all permutations.
func pfProbs(scores []float64, eps, sens float64) []float64 {
	best := math.Inf(-1)
	for _, s := range scores {
		best = math.Max(best, s)
	}
	acc := make([]float64, len(scores))
	for i, s := range scores {
		acc[i] = math.Exp(-eps * (best - s) / (2 * sens))
	}
	out := make([]float64, len(scores))
	var perms func(prefix []int, rest []int)
	count := 0
	perms = func(prefix []int, rest []int) {
		if len(rest) == 0 {
			count++
			reach := 1.0
			for _, c := range prefix {
				out[c] += reach * acc[c]
				reach *= 1 - acc[c]
			}
			return
		}
		for i := range rest {
			next := append(append([]int(nil), rest[:i]...), rest[i+1:]...)
			perms(append(prefix, rest[i]), next)
		}
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	perms(nil, idx)
	for i := range out {
		out[i] /= float64(count)
	}
	return out
}

func TestExponentialMechanism(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1014) // fixed randomness: the checks below are deterministic
	scores := []float64{1, 3.5, 2, 3.5, -1}
	e, err := NewExponentialMechanism(ExponentialMechanismConfig{Budget: testBudget(), Epsilon: 1, Sensitivity: 1})
	require.NoError(t, err)
	xs := make([]float64, nSamples)
	for i := range xs {
		c, err := e.PermuteAndFlip(scores)
		require.NoError(t, err)
		xs[i] = float64(c)
	}
	want := pfProbs(scores, 1, 1)
	sum := 0.0
	for _, p := range want {
		sum += p
	}
	require.InDelta(t, 1, sum, 1e-12)
	requireDist(t, xs, categoricalRef("PF", want), categoricalRef("PF wrong", pfProbs(scores, 1.2, 1)))
	// The classic exponential mechanism: softmax of eps*score/2.
	soft := func(eps float64) []float64 {
		w := make([]float64, len(scores))
		z := 0.0
		for i, s := range scores {
			w[i] = math.Exp(eps * s / 2)
			z += w[i]
		}
		for i := range w {
			w[i] /= z
		}
		return w
	}
	for i := range xs {
		c, err := e.SelectExponential(scores)
		require.NoError(t, err)
		xs[i] = float64(c)
	}
	requireDist(t, xs, categoricalRef("EM", soft(1)), categoricalRef("EM wrong", soft(1.2)))
	_, err = e.SelectExponential(nil)
	require.ErrorIs(t, err, ErrInvalidParams)
	// Validation.
	_, err = e.PermuteAndFlip(nil)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = e.PermuteAndFlip([]float64{1, math.NaN()})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewExponentialMechanism(ExponentialMechanismConfig{Budget: testBudget(), Epsilon: 1, Sensitivity: 0})
	require.ErrorIs(t, err, ErrInvalidParams)
	// Huge score gaps take the big-rational path and pick the best.
	c, err := e.PermuteAndFlip([]float64{-1e300, 0, -1e-300})
	require.NoError(t, err)
	require.Contains(t, []int{1, 2}, c)
}

// F7: k-ary randomized response draws in O(1) whatever k and epsilon, and
// exactly: the truth rate matches 1/(1+(k-1)e^-eps) on the fast path and on
// the big-float path (forced by a NaN float64 probability).
func TestKRandomizedResponseLargeK(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1300) // fixed randomness: deterministic
	for _, c := range []struct {
		eps float64
		k   int
	}{{1e6, 1 << 40}, {1e300, 1 << 40}, {math.MaxFloat64, 1 << 40}, {20, 1000000}, {1, 1 << 40}} {
		r, err := NewKRandomizedResponse(KRandomizedResponseConfig{Epsilon: c.eps, K: c.k, Budget: testBudget()})
		require.NoError(t, err)
		for range 100 {
			v, err := r.Respond(7)
			require.NoError(t, err)
			require.True(t, v >= 0 && v < c.k)
		}
	}
	for _, slow := range []bool{false, true} {
		r, err := NewKRandomizedResponse(KRandomizedResponseConfig{Epsilon: 3, K: 1000, Budget: testBudget()})
		require.NoError(t, err)
		if slow {
			r.pf = math.NaN()
		}
		n := 200000
		if slow {
			n = 20000 // the big-float path costs ~40 us a draw
		}
		truth, low := 0, 0
		for range n {
			v, err := r.Respond(500)
			require.NoError(t, err)
			if v == 500 {
				truth++
			} else if v < 500 {
				low++
			}
		}
		p := 1 / (1 + 999*math.Exp(-3))
		se := math.Sqrt(p * (1 - p) / float64(n))
		require.InDelta(t, p, float64(truth)/float64(n), 6*se, "slow=%v", slow) // false failure < 1e-8
		// Others are uniform: half of them below 500 (500 of 999).
		others := float64(n - truth)
		q := 500.0 / 999
		require.InDelta(t, q, float64(low)/others, 6*math.Sqrt(q*(1-q)/others))
	}
	for _, x := range []float64{0, 0.1, 0.25, 1, 3, 50, 800} {
		v, e := expNegBig(x, 200)
		f, _ := v.Float64()
		require.InEpsilon(t, math.Exp(-x)+1e-300, f+1e-300, 1e-14, "x=%v", x)
		ef, _ := e.Float64()
		require.Less(t, ef, 1e-50)
	}
}
