package dp

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"testing"
	"testing/cryptotest"

	"github.com/stretchr/testify/require"
)

func TestCountAndConfidenceInterval(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1001) // fixed randomness: the checks below are deterministic
	c, err := NewCount(CountConfig{Budget: testBudget(), Epsilon: 0.5, Contribution: Contribution{MaxPartitions: 2, MaxPerPartition: 3}})
	require.NoError(t, err)
	require.InEpsilon(t, 12.0, c.Scale(), 1e-11) // 2*3/0.5
	xs := make([]float64, nSamples)
	const conf = 0.9
	covered := 0
	for i := range xs {
		n := c.noisy(1000) // the noise of a release, drawn many times (Release is one-shot)
		xs[i] = float64(n - 1000)
		lo, hi, err := c.ConfidenceInterval(n, conf)
		require.NoError(t, err)
		if lo <= 1000 && 1000 <= hi {
			covered++
		}
	}
	requireDist(t, xs, discreteLaplaceRef(12), discreteLaplaceRef(14.4))
	// Coverage >= 90% (Hoeffding margin at 1e-7).
	require.GreaterOrEqual(t, float64(covered)/nSamples, conf-ksThreshold(nSamples))
	// The interval is the shortest with that guarantee.
	k, err := laplaceCI(12, conf)
	require.NoError(t, err)
	p := math.Exp(-1.0 / 12)
	require.LessOrEqual(t, 2*math.Pow(p, float64(k+1))/(1+p), 1-conf)
	require.Greater(t, 2*math.Pow(p, float64(k))/(1+p), 1-conf)
	_, _, err = c.ConfidenceInterval(0, 1)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewCount(CountConfig{Budget: testBudget(), Epsilon: 1, Contribution: Contribution{MaxPartitions: -1}})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewCount(CountConfig{Budget: testBudget(), Epsilon: 1, Contribution: Contribution{MaxPartitions: 1 << 40, MaxPerPartition: 1 << 40}})
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestReleaseSum(t *testing.T) {
	v, err := ReleaseSum(100, DiscreteLaplaceConfig{Budget: testBudget(), Epsilon: 1e9, Sensitivity: 1}) // tiny noise
	require.NoError(t, err)
	require.InDelta(t, 100, v, 1)
	_, err = ReleaseSum(100, DiscreteLaplaceConfig{Budget: testBudget(), Epsilon: 0, Sensitivity: 1})
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestBoundedSumIntProperty(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1002) // fixed randomness: the checks below are deterministic
	rng := rand.New(rand.NewPCG(1, 2))
	s, err := NewBoundedSumInt(BoundedSumIntConfig{Budget: testBudget(), Epsilon: 1, Lower: -5, Upper: 10})
	require.NoError(t, err)
	require.InEpsilon(t, 10.0, s.Scale(), 1e-11)
	for _, n := range []int{0, 1, 2, 17, 1000} {
		vals := make([]int64, n)
		var want int64
		for i := range vals {
			vals[i] = rng.Int64N(41) - 20
			want += min(max(vals[i], -5), 10)
		}
		got, err := s.ExactSum(vals)
		require.NoError(t, err)
		require.Equal(t, want, got)
		noisy := satAdd(got, s.n.sample())
		lo, hi, err := s.ConfidenceInterval(noisy, 1-1e-9)
		require.NoError(t, err)
		require.True(t, lo <= got && got <= hi)
	}
	big, err := NewBoundedSumInt(BoundedSumIntConfig{Budget: testBudget(), Epsilon: 1, Lower: 0, Upper: 1 << 50})
	require.NoError(t, err)
	huge := make([]int64, 9000)
	for i := range huge {
		huge[i] = math.MaxInt64
	}
	_, err = big.ExactSum(huge)
	require.ErrorIs(t, err, ErrOutOfRange)
	_, err = NewBoundedSumInt(BoundedSumIntConfig{Budget: testBudget(), Epsilon: 1, Lower: 0, Upper: math.MaxInt64 / 2})
	require.ErrorIs(t, err, ErrInvalidParams, "scale beyond the supported range")
	_, err = NewBoundedSumInt(BoundedSumIntConfig{Budget: testBudget(), Epsilon: 1, Lower: 3, Upper: 2})
	require.ErrorIs(t, err, ErrInvalidParams)
	z, err := NewBoundedSumInt(BoundedSumIntConfig{Budget: testBudget(), Epsilon: 1, Lower: 0, Upper: 0})
	require.NoError(t, err)
	sz, _ := z.ExactSum([]int64{5, 6})
	require.Zero(t, sz)
	_, err = NewBoundedSumInt(BoundedSumIntConfig{Budget: testBudget(), Epsilon: 1, Lower: math.MinInt64, Upper: 0})
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestBoundedSumFloat(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1003) // fixed randomness: the checks below are deterministic
	rng := rand.New(rand.NewPCG(3, 4))
	s, err := NewBoundedSumFloat(BoundedSumFloatConfig{Budget: testBudget(), Epsilon: 1, Lower: -2.5, Upper: 7, Contribution: Contribution{MaxPerPartition: 2}})
	require.NoError(t, err)
	res := s.Resolution()
	require.Equal(t, math.Ldexp(4, -24), res)
	for _, n := range []int{0, 1, 5, 333, 5000} {
		vals := make([]float64, n)
		want := 0.0
		for i := range vals {
			vals[i] = rng.Float64()*20 - 10
			want += math.Min(math.Max(vals[i], -2.5), 7)
		}
		got, err := s.ExactSum(vals)
		require.NoError(t, err)
		require.InDelta(t, want, float64(got)*res, float64(n)*res/2+1e-9)
	}
	// Noise in fixed-point units is discrete Laplace of scale 2*7/res / eps.
	xs := make([]float64, nSamples)
	for i := range xs {
		xs[i] = s.noisy(0) / res
	}
	b := 2 * 7 / res
	requireDist(t, xs, laplaceRef(b), laplaceRef(1.2*b)) // b ~ 2^22: continuous reference
	lo, hi, err := s.ConfidenceInterval(3, 0.95)
	require.NoError(t, err)
	require.InDelta(t, 3*14*0.0+3, (lo+hi)/2, 1e-9)
	require.InDelta(t, 14*math.Log(1/0.05), hi-3, 0.1) // ~ b ln(1/alpha) in value units
	require.Zero(t, s.Encode(math.NaN()))
	_, err = NewBoundedSumFloat(BoundedSumFloatConfig{Budget: testBudget(), Epsilon: 1, Lower: math.Inf(-1), Upper: 0})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewBoundedSumFloat(BoundedSumFloatConfig{Budget: testBudget(), Epsilon: 1, Lower: 2, Upper: 1})
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestBoundedMeanAndVariance(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1004) // fixed randomness: the checks below are deterministic
	rng := rand.New(rand.NewPCG(5, 6))
	vals := make([]float64, 20000)
	for i := range vals {
		vals[i] = rng.NormFloat64()*2 + 3
	}
	var m1, m2 float64
	for _, v := range vals {
		c := math.Min(math.Max(v, -5), 10)
		m1 += c
		m2 += c * c
	}
	n := float64(len(vals))
	mean := m1 / n
	variance := m2/n - mean*mean
	m, err := NewBoundedMean(BoundedMeanConfig{Budget: testBudget(), Epsilon: 1, Lower: -5, Upper: 10})
	require.NoError(t, err)
	got, err := m.ReleaseValues(vals)
	require.NoError(t, err)
	// Noise on the sum has scale 7.5/0.5 = 15 and the count 2: error << 0.05.
	require.InDelta(t, mean, got, 0.05)
	v, err := NewBoundedVariance(BoundedVarianceConfig{Budget: testBudget(), Epsilon: 1, Lower: -5, Upper: 10})
	require.NoError(t, err)
	gv, err := v.ReleaseValues(vals)
	require.NoError(t, err)
	require.InDelta(t, variance, gv, 0.1)
	// Empty input stays within bounds.
	m, err = NewBoundedMean(BoundedMeanConfig{Budget: testBudget(), Epsilon: 1, Lower: -5, Upper: 10})
	require.NoError(t, err)
	e, err := m.ReleaseValues(nil)
	require.NoError(t, err)
	require.True(t, e >= -5 && e <= 10)
	v, err = NewBoundedVariance(BoundedVarianceConfig{Budget: testBudget(), Epsilon: 1, Lower: -5, Upper: 10})
	require.NoError(t, err)
	ev, err := v.ReleaseValues(nil)
	require.NoError(t, err)
	require.True(t, ev >= 0 && ev <= 7.5*7.5)
	_, err = NewBoundedMean(BoundedMeanConfig{Budget: testBudget(), Epsilon: 0, Lower: 0, Upper: 1})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewBoundedVariance(BoundedVarianceConfig{Budget: testBudget(), Epsilon: 1, Lower: 1, Upper: 0})
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestQuantiles(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1005) // fixed randomness: the checks below are deterministic
	vals := make([]float64, 1001)
	for i := range vals {
		vals[i] = float64(i)
	}
	q, err := NewQuantiles(QuantilesConfig{Budget: testBudget(), Epsilon: 2, Lower: 0, Upper: 1000, Buckets: 100})
	require.NoError(t, err)
	got, err := q.Release(vals, []float64{0.1, 0.5, 0.9})
	require.NoError(t, err)
	// Utility gap between buckets is 10 ranks; with eps 2/3 per rank the
	// chosen bucket is within a few buckets of the truth.
	require.InDelta(t, 100, got[0], 50)
	require.InDelta(t, 500, got[1], 50)
	require.InDelta(t, 900, got[2], 50)
	_, err = q.Release(vals, nil)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = q.Release(vals, []float64{1.5})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewQuantiles(QuantilesConfig{Budget: testBudget(), Epsilon: 1, Lower: 1, Upper: 1, Buckets: 10})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewQuantiles(QuantilesConfig{Budget: testBudget(), Epsilon: 1, Lower: 0, Upper: 1, Buckets: -1})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewQuantiles(QuantilesConfig{Budget: testBudget(), Epsilon: 1, Lower: 0, Upper: 1, Buckets: 1<<20 + 1})
	require.ErrorIs(t, err, ErrInvalidParams)
	// Zero Buckets means the default grid.
	qd, err := NewQuantiles(QuantilesConfig{Budget: testBudget(), Epsilon: 1, Lower: 0, Upper: 1})
	require.NoError(t, err)
	require.Equal(t, DefaultQuantileBuckets, qd.buckets)
	// Every field is validated, Epsilon included.
	_, err = NewQuantiles(QuantilesConfig{Budget: testBudget(), Lower: 0, Upper: 1})
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestHistogramPartitionSelection(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1006) // fixed randomness: the checks below are deterministic
	c := Contribution{MaxPartitions: 2, MaxPerPartition: 1}
	h, err := NewHistogram[string](HistogramConfig{Budget: testBudget(), Epsilon: 1, Delta: 1e-3, Contribution: c})
	require.NoError(t, err)
	b := h.dl.Scale()
	p := math.Exp(-1 / b)
	// Single-unit partitions are released with probability <= delta/l0.
	k := h.Threshold() - c.MaxPerPartition
	require.LessOrEqual(t, math.Pow(p, float64(k))/(1+p)*float64(c.MaxPartitions), 1e-3)
	released := 0
	const trials = 20000
	for i := 0; i < trials; i++ {
		hi, err := NewHistogram[string](HistogramConfig{Budget: testBudget(), Epsilon: 1, Delta: 1e-3, Contribution: c})
		require.NoError(t, err)
		out, err := hi.Release(map[string]int64{"rare": 1})
		require.NoError(t, err)
		released += len(out)
	}
	// The exact rate is p^k/(1+p) <= delta/l0 = 5e-4 (TestHistogram
	// ThresholdExactTail); at 6 binomial standard errors above it the
	// false-failure rate is below 1e-8 (review T2: the old bound, 0.021,
	// was 40 times too loose).
	rate := math.Pow(p, float64(k)) / (1 + p)
	require.LessOrEqual(t, float64(released)/trials, rate+6*math.Sqrt(rate/trials))
	// Popular keys come out.
	out, err := h.Release(map[string]int64{"a": 1000, "b": 500, "c": 1})
	require.NoError(t, err)
	require.Contains(t, out, "a")
	require.Contains(t, out, "b")
	require.InDelta(t, 1000, out["a"], 200)
	// Known keys: all released, missing ones count 0.
	hk, err := NewHistogram[string](HistogramConfig{Budget: testBudget(), Epsilon: 1, Delta: 1e-3, Contribution: c})
	require.NoError(t, err)
	known, err := hk.ReleaseKnown([]string{"a", "zzz"}, map[string]int64{"a": 10})
	require.NoError(t, err)
	require.Len(t, known, 2)
	h0, err := NewHistogram[int](HistogramConfig{Budget: testBudget(), Epsilon: 1, Delta: 0, Contribution: c})
	require.NoError(t, err)
	_, err = h0.Release(map[int]int64{1: 5})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewHistogram[int](HistogramConfig{Budget: testBudget(), Epsilon: 1, Delta: 1, Contribution: c})
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestContributionBounder(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1007) // fixed randomness: the checks below are deterministic
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []Contribution{{}, {MaxPartitions: 2, MaxPerPartition: 3}, {MaxPartitions: 100, MaxPerPartition: 100}} {
		b, err := NewContributionBounder(c)
		require.NoError(t, err)
		for _, n := range []int{0, 1, 50, 2000} {
			units := make([]int, n)
			parts := make([]string, n)
			for i := range units {
				units[i] = rng.IntN(20)
				parts[i] = fmt.Sprint("p", rng.IntN(8))
			}
			keep, err := BoundContributions(b, units, parts)
			require.NoError(t, err)
			require.True(t, sort.IntsAreSorted(keep))
			cc, _ := c.normalize()
			perUnit := map[int]map[string]int64{}
			for _, i := range keep {
				if perUnit[units[i]] == nil {
					perUnit[units[i]] = map[string]int64{}
				}
				perUnit[units[i]][parts[i]]++
			}
			for _, m := range perUnit {
				require.LessOrEqual(t, int64(len(m)), cc.MaxPartitions)
				for _, k := range m {
					require.LessOrEqual(t, k, cc.MaxPerPartition)
				}
			}
			if c.MaxPartitions == 100 {
				require.Len(t, keep, n, "non-binding bounds keep everything")
			}
		}
	}
	b, _ := NewContributionBounder(Contribution{})
	_, err := BoundContributions(b, []int{1}, []int{})
	require.ErrorIs(t, err, ErrInvalidParams)
}

// F1: BoundedVariance is exact for up to MaxValues values (2^32 by
// default): the review's 70,000 values at 0.5 in [0, 1] overflowed int64.
func TestBoundedVarianceLargeN(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1008) // fixed randomness: deterministic
	mk := func(maxN int64) *BoundedVariance {
		v, err := NewBoundedVariance(BoundedVarianceConfig{Epsilon: 1, Lower: 0, Upper: 1, MaxValues: maxN, Budget: testBudget()})
		require.NoError(t, err)
		return v
	}
	for _, x := range []float64{0.5, 1, 0} {
		vals := make([]float64, 70000)
		for i := range vals {
			vals[i] = x
		}
		got, err := mk(0).ReleaseValues(vals)
		require.NoError(t, err, "x=%v", x)
		require.InDelta(t, 0, got, 0.01)
	}
	// n = 2^32 (the default MaxValues), through Release with the sums a
	// secure sum would produce: all within int64, and the result right.
	v := mk(0)
	require.Equal(t, int64(1<<32), v.MaxValues())
	maxQ, maxSq := v.EncodingRange()
	const n = int64(1) << 32
	hi, lo := bits.Mul64(uint64(maxSq), uint64(n))
	require.True(t, hi == 0 && lo <= 1<<62, "n * maxSq fits int64")
	hi, lo = bits.Mul64(uint64(maxQ), uint64(n))
	require.True(t, hi == 0 && lo <= 1<<62)
	q0, s0 := v.Encode(0)
	q1, s1 := v.Encode(1)
	require.Equal(t, maxQ, max(-q0, q1))
	require.LessOrEqual(t, max(-s0, s1, -s1, s0), maxSq)
	// Half the values at 0 and half at 1: variance 1/4.
	got, err := v.Release(n, n/2*q0+n/2*q1, n/2*s0+n/2*s1)
	require.NoError(t, err)
	require.InDelta(t, 0.25, got, 1e-4)
	// All at 1: variance 0.
	got, err = mk(0).Release(n, n*q1, n*s1)
	require.NoError(t, err)
	require.InDelta(t, 0, got, 1e-4)
	// The largest MaxValues, and the limits.
	w := mk(MaxMaxValues)
	_, maxSq = w.EncodingRange()
	hi, lo = bits.Mul64(uint64(maxSq), uint64(MaxMaxValues))
	require.True(t, hi == 0 && lo <= 1<<62)
	for _, bad := range []int64{-1, MaxMaxValues + 1} {
		_, err := NewBoundedVariance(BoundedVarianceConfig{Epsilon: 1, Lower: 0, Upper: 1, MaxValues: bad, Budget: testBudget()})
		require.ErrorIs(t, err, ErrInvalidParams)
	}
	_, err = mk(10).ReleaseValues(make([]float64, 11))
	require.ErrorIs(t, err, ErrOutOfRange)
	// Wide bounds too: [0, 1.99] failed at 40,000 values.
	wide, err := NewBoundedVariance(BoundedVarianceConfig{Epsilon: 1, Lower: 0, Upper: 1.99, Budget: testBudget()})
	require.NoError(t, err)
	vals := make([]float64, 40000)
	for i := range vals {
		vals[i] = 1.99 * float64(i%2)
	}
	got, err = wide.ReleaseValues(vals)
	require.NoError(t, err)
	require.InDelta(t, 1.99*1.99/4, got, 0.01)
}
