package dp

import (
	"fmt"
	"math"
	"sort"
)

// Aggregations take exact results (computed in the clear, or the output of
// he or mpc on bounded inputs) and release them with noise. Each has a
// Release method for an exact total that came from elsewhere, so that a
// secure computation only needs to produce the exact bounded sum or count.

// ReleaseSum returns exactSum plus discrete Laplace noise: a cfg.Epsilon-DP
// release of an integer sum of L1 sensitivity cfg.Sensitivity, e.g. a sum
// computed under HE or MPC from clamped inputs.
func ReleaseSum(exactSum int64, cfg DiscreteLaplaceConfig) (int64, error) {
	d, err := NewDiscreteLaplace(cfg)
	if err != nil {
		return 0, err
	}
	return d.AddNoise(exactSum), nil
}

// Count releases counts: epsilon-DP with the sensitivity MaxPartitions *
// MaxPerPartition of the [Contribution], so that the counts of all
// partitions together are epsilon-DP. Safe for concurrent use.
type Count struct {
	dl *DiscreteLaplace
	c  Contribution
}

// CountConfig configures a [Count].
type CountConfig struct {
	// Epsilon is the privacy parameter of one release, finite and > 0.
	Epsilon float64
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1.
	Contribution Contribution
}

// NewCount returns a count mechanism.
func NewCount(cfg CountConfig) (*Count, error) {
	dl, c, err := countNoise(cfg.Epsilon, cfg.Contribution)
	if err != nil {
		return nil, err
	}
	return &Count{dl: dl, c: c}, nil
}

// countNoise returns the discrete Laplace noise for counts under c (L1
// sensitivity MaxPartitions * MaxPerPartition) and c normalised.
func countNoise(epsilon float64, c Contribution) (*DiscreteLaplace, Contribution, error) {
	c, err := c.normalize()
	if err != nil {
		return nil, c, err
	}
	dl, err := NewDiscreteLaplace(DiscreteLaplaceConfig{Epsilon: epsilon, Sensitivity: c.perUnit()})
	return dl, c, err
}

// Release returns the exact count (of bounded contributions) plus noise. The
// result is unbiased and may be negative; clamp it if you need to.
func (c *Count) Release(exact int64) int64 { return c.dl.AddNoise(exact) }

// ConfidenceInterval returns an interval around a released count that
// contains the exact count with probability >= confidence.
func (c *Count) ConfidenceInterval(noisy int64, confidence float64) (lo, hi int64, err error) {
	return intCI(c.dl, noisy, confidence)
}

// intCI returns [noisy-k, noisy+k] for the noise of dl at the confidence.
func intCI(dl *DiscreteLaplace, noisy int64, confidence float64) (lo, hi int64, err error) {
	k, err := laplaceCI(dl.Scale(), confidence)
	if err != nil {
		return 0, 0, err
	}
	return satAdd(noisy, -k), satAdd(noisy, k), nil
}

// checkedSum returns the exact sum of enc(v) over values, or an error
// wrapping [ErrOutOfRange].
func checkedSum[T any](values []T, enc func(T) int64) (int64, error) {
	var sum int64
	for _, v := range values {
		var ok bool
		if sum, ok = addChecked(sum, enc(v)); !ok {
			return 0, fmt.Errorf("dp: %w: sum of %d values overflows int64", ErrOutOfRange, len(values))
		}
	}
	return sum, nil
}

// BoundedSumInt releases sums of int64 values clamped to [Lower, Upper]:
// epsilon-DP with L1 sensitivity MaxPartitions * MaxPerPartition *
// max(|Lower|, |Upper|). Safe for concurrent use.
type BoundedSumInt struct {
	dl           *DiscreteLaplace
	lower, upper int64
}

// BoundedSumIntConfig configures a [BoundedSumInt].
type BoundedSumIntConfig struct {
	// Epsilon is the privacy parameter of one release, finite and > 0.
	Epsilon float64
	// Lower and Upper are the public clamping bounds, Lower <= Upper.
	Lower, Upper int64
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1.
	Contribution Contribution
}

// NewBoundedSumInt returns the mechanism configured by cfg.
func NewBoundedSumInt(cfg BoundedSumIntConfig) (*BoundedSumInt, error) {
	epsilon, lower, upper := cfg.Epsilon, cfg.Lower, cfg.Upper
	if lower > upper {
		return nil, invalid("Lower %d > Upper %d", lower, upper)
	}
	c, err := cfg.Contribution.normalize()
	if err != nil {
		return nil, err
	}
	m := max(absU(lower), absU(upper))
	if m == 0 {
		m = 1 // all values are 0; any positive sensitivity is safe
	}
	if m > 1<<62 {
		return nil, invalid("bounds too large")
	}
	sens, err := mulSens(c.perUnit(), int64(m))
	if err != nil {
		return nil, err
	}
	dl, err := NewDiscreteLaplace(DiscreteLaplaceConfig{Epsilon: epsilon, Sensitivity: sens})
	if err != nil {
		return nil, err
	}
	return &BoundedSumInt{dl: dl, lower: lower, upper: upper}, nil
}

func absU(x int64) uint64 {
	if x < 0 {
		return uint64(-(x + 1)) + 1
	}
	return uint64(x)
}

// Clamp returns x clamped to the bounds.
func (s *BoundedSumInt) Clamp(x int64) int64 { return min(max(x, s.lower), s.upper) }

// ExactSum returns the exact sum of the clamped values, without noise: not
// private, it is the input of [BoundedSumInt.Release]. A sum that does not
// fit an int64 is an error wrapping [ErrOutOfRange].
func (s *BoundedSumInt) ExactSum(values []int64) (int64, error) { return checkedSum(values, s.Clamp) }

func addChecked(a, b int64) (int64, bool) {
	s := a + b
	return s, !((a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0))
}

// Release returns an exact sum of clamped values plus noise: the
// epsilon-DP release.
func (s *BoundedSumInt) Release(exactSum int64) int64 { return s.dl.AddNoise(exactSum) }

// ConfidenceInterval returns an interval around a released sum that contains
// the exact sum with probability >= confidence.
func (s *BoundedSumInt) ConfidenceInterval(noisy int64, confidence float64) (lo, hi int64, err error) {
	return intCI(s.dl, noisy, confidence)
}

// fixedPointBits is the precision of the fixed-point encodings: values are
// multiples of a power of two Resolution with |value| <= 2^fixedPointBits
// Resolution, so sums of up to 2^38 values fit an int64.
const fixedPointBits = 24

// BoundedSumFloat releases sums of float64 values clamped to [Lower, Upper]
// through fixed point, so that the sensitivity is exactly what it claims
// (float sums are not: Casacuberta et al., CCS 2022). Each value is clamped
// and rounded to the nearest multiple of [BoundedSumFloat.Resolution], a
// power of two about 2^-24 of max(|Lower|, |Upper|); the integer sum (exact,
// overflow is an error) gets discrete Laplace noise; the result is scaled
// back. Safe for concurrent use.
type BoundedSumFloat struct {
	dl           *DiscreteLaplace
	lower, upper float64
	res          float64
}

// BoundedSumFloatConfig configures a [BoundedSumFloat].
type BoundedSumFloatConfig struct {
	// Epsilon is the privacy parameter of one release, finite and > 0.
	Epsilon float64
	// Lower and Upper are the public clamping bounds, finite, Lower <= Upper.
	Lower, Upper float64
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1.
	Contribution Contribution
}

// NewBoundedSumFloat returns the mechanism configured by cfg.
func NewBoundedSumFloat(cfg BoundedSumFloatConfig) (*BoundedSumFloat, error) {
	epsilon, lower, upper := cfg.Epsilon, cfg.Lower, cfg.Upper
	res, m, err := fixedPoint(lower, upper)
	if err != nil {
		return nil, err
	}
	c, err := cfg.Contribution.normalize()
	if err != nil {
		return nil, err
	}
	sens, err := mulSens(c.perUnit(), m)
	if err != nil {
		return nil, err
	}
	dl, err := NewDiscreteLaplace(DiscreteLaplaceConfig{Epsilon: epsilon, Sensitivity: sens})
	if err != nil {
		return nil, err
	}
	return &BoundedSumFloat{dl: dl, lower: lower, upper: upper, res: res}, nil
}

// fixedPoint returns the resolution for values in [lower, upper] and the
// largest magnitude of an encoded value.
func fixedPoint(lower, upper float64) (res float64, maxUnits int64, err error) {
	if !finite(lower) || !finite(upper) || lower > upper {
		return 0, 0, invalid("bounds must be finite with lower <= upper, got [%v, %v]", lower, upper)
	}
	m := math.Max(math.Abs(lower), math.Abs(upper))
	if m == 0 {
		return 1, 1, nil
	}
	res = math.Ldexp(pow2Floor(m), -fixedPointBits)
	if res < minGrid {
		return 0, 0, invalid("bounds [%v, %v] too small", lower, upper)
	}
	maxUnits = int64(math.Max(math.Abs(math.Round(lower/res)), math.Abs(math.Round(upper/res))))
	return res, max(maxUnits, 1), nil
}

// Resolution returns the fixed-point unit.
func (s *BoundedSumFloat) Resolution() float64 { return s.res }

// Encode returns x clamped and in fixed point (NaN encodes as 0). Parties of
// a secure sum encode their values with it and sum the integers.
func (s *BoundedSumFloat) Encode(x float64) int64 {
	if math.IsNaN(x) {
		return 0
	}
	return int64(math.Round(math.Min(math.Max(x, s.lower), s.upper) / s.res))
}

// ExactSum returns the exact fixed-point sum of the encoded values, without
// noise: not private, it is the input of [BoundedSumFloat.Release]. A sum
// that does not fit an int64 is an error wrapping [ErrOutOfRange].
func (s *BoundedSumFloat) ExactSum(values []float64) (int64, error) {
	return checkedSum(values, s.Encode)
}

// Release returns the epsilon-DP noisy sum from an exact fixed-point sum
// (from [BoundedSumFloat.ExactSum], or a secure sum of
// [BoundedSumFloat.Encode] outputs).
func (s *BoundedSumFloat) Release(exactFixedSum int64) float64 {
	return float64(s.dl.AddNoise(exactFixedSum)) * s.res
}

// ConfidenceInterval returns an interval around a released sum that contains
// the exact (fixed-point) sum with probability >= confidence.
func (s *BoundedSumFloat) ConfidenceInterval(noisy, confidence float64) (lo, hi float64, err error) {
	k, err := laplaceCI(s.dl.Scale(), confidence)
	if err != nil {
		return 0, 0, err
	}
	return noisy - float64(k)*s.res, noisy + float64(k)*s.res, nil
}

// BoundedMean releases the mean of values clamped to [Lower, Upper]:
// epsilon/2 on the count and epsilon/2 on the sum of the values minus the
// midpoint (half the sensitivity of a plain sum), mean = midpoint +
// noisySum/max(noisyCount, 1), clamped to the bounds. Safe for concurrent use.
type BoundedMean struct {
	count        *Count
	sum          *BoundedSumFloat
	lower, upper float64
	mid          float64
}

// BoundedMeanConfig configures a [BoundedMean].
type BoundedMeanConfig struct {
	// Epsilon is the privacy parameter of one release (all its parts
	// together), finite and > 0.
	Epsilon float64
	// Lower and Upper are the public clamping bounds, finite, Lower <= Upper.
	Lower, Upper float64
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1.
	Contribution Contribution
}

// NewBoundedMean returns the mechanism configured by cfg.
func NewBoundedMean(cfg BoundedMeanConfig) (*BoundedMean, error) {
	epsilon, lower, upper, c := cfg.Epsilon, cfg.Lower, cfg.Upper, cfg.Contribution
	if err := checkEpsilon(epsilon); err != nil {
		return nil, err
	}
	if !finite(lower) || !finite(upper) || lower > upper {
		return nil, invalid("bounds must be finite with lower <= upper, got [%v, %v]", lower, upper)
	}
	mid := lower/2 + upper/2
	half := upper/2 - lower/2
	cnt, err := NewCount(CountConfig{Epsilon: epsilon / 2, Contribution: c})
	if err != nil {
		return nil, err
	}
	sum, err := NewBoundedSumFloat(BoundedSumFloatConfig{Epsilon: epsilon / 2, Lower: -half, Upper: half, Contribution: c})
	if err != nil {
		return nil, err
	}
	return &BoundedMean{count: cnt, sum: sum, lower: lower, upper: upper, mid: mid}, nil
}

// EncodeNormalized returns the fixed-point encoding of x - midpoint that a
// secure sum should add up (NaN encodes as 0).
func (m *BoundedMean) EncodeNormalized(x float64) int64 {
	if math.IsNaN(x) {
		return m.sum.Encode(0)
	}
	return m.sum.Encode(math.Min(math.Max(x, m.lower), m.upper) - m.mid)
}

// Release returns the epsilon-DP noisy mean from the exact count and the
// exact sum of [BoundedMean.EncodeNormalized] values.
func (m *BoundedMean) Release(exactCount, exactNormalizedSum int64) float64 {
	n := float64(max(m.count.Release(exactCount), 1))
	s := m.sum.Release(exactNormalizedSum)
	return math.Min(math.Max(m.mid+s/n, m.lower), m.upper)
}

// ReleaseValues computes the exact count and sum of values and releases their
// noisy mean, as [BoundedMean.Release] does.
func (m *BoundedMean) ReleaseValues(values []float64) (float64, error) {
	s, err := checkedSum(values, m.EncodeNormalized)
	if err != nil {
		return 0, err
	}
	return m.Release(int64(len(values)), s), nil
}

// BoundedVariance releases the variance of values clamped to [Lower, Upper]:
// epsilon/3 each on the count, the sum of q and the sum of q^2 - H^2/2, where q
// is the fixed-point x - midpoint (|q| <= H units); all sums are exact
// integers. The result is clamped to [0, ((Upper-Lower)/2)^2]. Safe for
// concurrent use.
type BoundedVariance struct {
	mean      *BoundedMean
	sq        *DiscreteLaplace
	h2half    int64 // H^2/2 in units^2 (H^2 even or rounded down; offset only)
	res, half float64
}

// BoundedVarianceConfig configures a [BoundedVariance].
type BoundedVarianceConfig struct {
	// Epsilon is the privacy parameter of one release (all its parts
	// together), finite and > 0.
	Epsilon float64
	// Lower and Upper are the public clamping bounds, finite, Lower <= Upper.
	Lower, Upper float64
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1.
	Contribution Contribution
}

// NewBoundedVariance returns the mechanism configured by cfg.
func NewBoundedVariance(cfg BoundedVarianceConfig) (*BoundedVariance, error) {
	epsilon, lower, upper, c := cfg.Epsilon, cfg.Lower, cfg.Upper, cfg.Contribution
	if err := checkEpsilon(epsilon); err != nil {
		return nil, err
	}
	m, err := NewBoundedMean(BoundedMeanConfig{Epsilon: 2 * epsilon / 3, Lower: lower, Upper: upper, Contribution: c})
	if err != nil {
		return nil, err
	}
	cc, _ := c.normalize()
	h := max(absU(m.EncodeNormalized(lower)), absU(m.EncodeNormalized(upper)), 1)
	if h > 1<<30 {
		return nil, invalid("bounds too large for the fixed point")
	}
	h2 := int64(h * h)
	// q^2 - h2/2 ranges in [-h2/2, h2 - h2/2]: sensitivity per value <= h2 - h2/2.
	sens, err := mulSens(cc.perUnit(), h2-h2/2)
	if err != nil {
		return nil, err
	}
	sq, err := NewDiscreteLaplace(DiscreteLaplaceConfig{Epsilon: epsilon / 3, Sensitivity: sens})
	if err != nil {
		return nil, err
	}
	return &BoundedVariance{mean: m, sq: sq, h2half: h2 / 2, res: m.sum.res, half: upper/2 - lower/2}, nil
}

// Encode returns the two integers a secure sum should add up for x: q and
// q^2 - H^2/2.
func (v *BoundedVariance) Encode(x float64) (q, sq int64) {
	q = v.mean.EncodeNormalized(x)
	return q, q*q - v.h2half
}

// Release returns the epsilon-DP noisy variance from the exact count and the
// exact sums of the two [BoundedVariance.Encode] outputs.
func (v *BoundedVariance) Release(exactCount, exactSumQ, exactSumSq int64) float64 {
	n := float64(max(v.mean.count.Release(exactCount), 1))
	mq := v.mean.sum.Release(exactSumQ) / n // mean of x - mid
	msq := (float64(v.sq.AddNoise(exactSumSq))/n + float64(v.h2half)) * v.res * v.res
	msq = math.Min(math.Max(msq, 0), v.half*v.half)
	return math.Min(math.Max(msq-mq*mq, 0), v.half*v.half)
}

// ReleaseValues computes the exact count and sums of values and releases
// their noisy variance, as [BoundedVariance.Release] does.
func (v *BoundedVariance) ReleaseValues(values []float64) (float64, error) {
	s1, err := checkedSum(values, v.mean.EncodeNormalized)
	if err != nil {
		return 0, err
	}
	s2, err := checkedSum(values, func(x float64) int64 { _, sq := v.Encode(x); return sq })
	if err != nil {
		return 0, err
	}
	return v.Release(int64(len(values)), s1, s2), nil
}

// Quantiles releases quantiles of values clamped to [Lower, Upper] by
// permute-and-flip (see [ExponentialMechanism]) over the Buckets+1 evenly
// spaced candidates Lower + j (Upper-Lower)/Buckets, with utility
// -|#{x < c} - r n| (sensitivity MaxPartitions * MaxPerPartition). The
// budget is split evenly across the requested ranks. Safe for concurrent
// use.
type Quantiles struct {
	source
	eps, sens    float64
	c            Contribution
	lower, upper float64
	buckets      int
}

// QuantilesConfig configures [Quantiles].
type QuantilesConfig struct {
	// Epsilon is the privacy parameter of one release (all its ranks
	// together), finite and > 0.
	Epsilon float64
	// Lower and Upper are the public clamping bounds, finite, Lower < Upper.
	Lower, Upper float64
	// Buckets is the number of intervals of the candidate grid, in
	// [1, 2^20]; 0 means [DefaultQuantileBuckets].
	Buckets int
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1.
	Contribution Contribution
}

// DefaultQuantileBuckets is the grid of [QuantilesConfig] when Buckets is 0.
const DefaultQuantileBuckets = 100

// NewQuantiles returns the mechanism configured by cfg.
func NewQuantiles(cfg QuantilesConfig) (*Quantiles, error) {
	epsilon, lower, upper, buckets := cfg.Epsilon, cfg.Lower, cfg.Upper, cfg.Buckets
	if buckets == 0 {
		buckets = DefaultQuantileBuckets
	}
	if err := checkEpsilon(epsilon); err != nil {
		return nil, err
	}
	if !finite(lower) || !finite(upper) || lower >= upper || !finite(upper-lower) {
		return nil, invalid("bounds must be finite with lower < upper, got [%v, %v]", lower, upper)
	}
	if buckets < 1 || buckets > 1<<20 {
		return nil, invalid("buckets must be in [1, 2^20], got %d", buckets)
	}
	c, err := cfg.Contribution.normalize()
	if err != nil {
		return nil, err
	}
	qs := &Quantiles{eps: epsilon, sens: float64(c.perUnit()), c: c, lower: lower, upper: upper, buckets: buckets}
	return withSource(qs, &qs.source, 0)
}

func (q *Quantiles) candidate(j int) float64 {
	return q.lower + (q.upper-q.lower)*float64(j)/float64(q.buckets)
}

// Release returns one noisy quantile of values per rank in [0, 1] (0.5 is
// the median), epsilon-DP for all ranks together.
func (q *Quantiles) Release(values []float64, ranks []float64) ([]float64, error) {
	if len(ranks) == 0 {
		return nil, nil
	}
	for _, r := range ranks {
		if !finite(r) || r < 0 || r > 1 {
			return nil, invalid("rank must be in [0, 1], got %v", r)
		}
	}
	xs := make([]float64, 0, len(values))
	for _, v := range values {
		if !math.IsNaN(v) {
			xs = append(xs, math.Min(math.Max(v, q.lower), q.upper))
		}
	}
	sort.Float64s(xs)
	below := make([]float64, q.buckets+1) // #{x < candidate j}
	for j := range below {
		below[j] = float64(sort.SearchFloat64s(xs, q.candidate(j)))
	}
	// Split the budget evenly across the ranks.
	factor := pfFactor(q.eps/float64(len(ranks)), q.sens)
	q.mu.Lock()
	defer q.mu.Unlock()
	n := float64(len(xs))
	out := make([]float64, len(ranks))
	scores := make([]float64, len(below))
	for i, r := range ranks {
		for j, b := range below {
			scores[j] = -math.Abs(b - r*n)
		}
		j, err := permuteAndFlip(q.r, scores, factor)
		if err != nil {
			return nil, err
		}
		out[i] = q.candidate(j)
	}
	return out, nil
}

// Histogram releases counts per partition (key). Contributions must be
// bounded first ([ContributionBounder]); each count gets discrete Laplace
// noise of sensitivity MaxPartitions * MaxPerPartition, so that all counts
// together are epsilon-DP. For keys that are not public,
// [Histogram.Release] also does partition selection: a key is released only
// if its noisy count reaches [Histogram.Threshold], chosen so that a key
// contributed by a single unit is released with probability <=
// delta/MaxPartitions, and the whole release is (epsilon, delta)-DP
// (Korolova et al. 2009). Safe for concurrent use.
type Histogram[K comparable] struct {
	dl        *DiscreteLaplace
	c         Contribution
	delta     float64
	threshold int64
}

// HistogramConfig configures a [Histogram].
type HistogramConfig struct {
	// Epsilon is the privacy parameter of one release, finite and > 0.
	Epsilon float64
	// Delta, in [0, 1), is the probability bound of partition selection; it
	// must be > 0 for [Histogram.Release] (keys that are not public), and
	// may be 0 for [Histogram.ReleaseKnown] only.
	Delta float64
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1.
	Contribution Contribution
}

// NewHistogram returns the mechanism configured by cfg.
func NewHistogram[K comparable](cfg HistogramConfig) (*Histogram[K], error) {
	epsilon, delta, c := cfg.Epsilon, cfg.Delta, cfg.Contribution
	if err := checkDelta(delta); err != nil {
		return nil, err
	}
	dl, c, err := countNoise(epsilon, c)
	if err != nil {
		return nil, err
	}
	h := &Histogram[K]{dl: dl, c: c, delta: delta, threshold: math.MaxInt64}
	if delta > 0 {
		// P(Z >= k) = p^k/(1+p) <= exp(-k/b); need l0 * that <= delta.
		k := math.Ceil(dl.Scale()*math.Log(float64(c.MaxPartitions)/delta)) + 1
		if k > 1<<60 {
			return nil, invalid("threshold too large")
		}
		h.threshold = c.MaxPerPartition + int64(k)
	}
	return h, nil
}

// Threshold returns the partition-selection threshold on noisy counts.
func (h *Histogram[K]) Threshold() int64 { return h.threshold }

// Release returns the noisy counts of the keys whose noisy count reaches the
// threshold. It needs Delta > 0.
func (h *Histogram[K]) Release(counts map[K]int64) (map[K]int64, error) {
	if h.delta == 0 {
		return nil, invalid("partition selection needs Delta > 0; use ReleaseKnown for public keys")
	}
	out := make(map[K]int64)
	for k, c := range counts {
		if n := h.dl.AddNoise(c); n >= h.threshold {
			out[k] = n
		}
	}
	return out, nil
}

// ReleaseKnown returns a noisy count for every key of the public list keys
// (a key absent from counts counts 0); no threshold, epsilon-DP.
func (h *Histogram[K]) ReleaseKnown(keys []K, counts map[K]int64) map[K]int64 {
	out := make(map[K]int64, len(keys))
	for _, k := range keys {
		out[k] = h.dl.AddNoise(counts[k])
	}
	return out
}
