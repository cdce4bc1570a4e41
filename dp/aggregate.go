package dp

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
)

// Aggregations take exact results (computed in the clear, or the output of
// he or mpc on bounded inputs) and release them with noise. Each has a
// Release method for an exact total that came from elsewhere, so that a
// secure computation only needs to produce the exact bounded sum or count.
// Every aggregation is one-shot: its first release spends its whole
// (Epsilon, Delta) from the Budget of its Config, atomically, and every later
// release is refused with an error wrapping [ErrAlreadyReleased] and
// [ErrBudgetExceeded]. Sensitivities are for the neighbouring relation of
// the Contribution (add/remove one unit by default).

// ReleaseSum spends cfg.Epsilon from cfg.Budget and returns exactSum plus
// discrete Laplace noise: a cfg.Epsilon-DP release of an integer sum of L1
// sensitivity cfg.Sensitivity, e.g. a sum computed under HE or MPC from
// clamped inputs.
func ReleaseSum(exactSum int64, cfg DiscreteLaplaceConfig) (int64, error) {
	d, err := NewDiscreteLaplace(cfg)
	if err != nil {
		return 0, err
	}
	return d.AddNoise(exactSum)
}

// Noise and neighbours of the aggregations. With [LaplaceNoise] (the zero
// value of every Noise field) an aggregation is Epsilon-DP, its noise
// calibrated for the L1 sensitivity MaxPartitions * MaxPerPartition * m of
// its [Contribution] (m the largest magnitude of one value; doubled under
// [ReplaceOne]), and Delta must be 0. With [GaussianNoise] it is (Epsilon,
// Delta)-DP: the release is rho-zCDP for the largest rho whose [ZCDPToDP]
// at Delta is within Epsilon, and its discrete Gaussian noise is calibrated
// for the L2 sensitivity sqrt(MaxPartitions) * MaxPerPartition * m (doubled
// under [ReplaceOne]): a unit touches at most MaxPartitions partitions, by at
// most MaxPerPartition * m in each. A release in several parts (a mean's
// count and sum, a variance's three sums) splits Epsilon, or rho, evenly
// between them. The release spends rho from a Budget with a SpendRho method
// ([ZCDPFilter]), and (Epsilon, Delta) from any other.

// Count releases a count once: Epsilon-DP with the sensitivity
// MaxPartitions * MaxPerPartition of the [Contribution] (doubled under
// [ReplaceOne]), or with [GaussianNoise] (Epsilon, Delta)-DP with the L2
// sensitivity sqrt(MaxPartitions) * MaxPerPartition. Safe for concurrent
// use.
type Count struct {
	once oneShot
	n    intNoise
	c    Contribution
}

// CountConfig configures a [Count].
type CountConfig struct {
	// Epsilon is the privacy parameter of the release, finite and > 0.
	Epsilon float64
	// Delta is the second privacy parameter for [GaussianNoise], in (0,
	// 1); it must be 0 for [LaplaceNoise].
	Delta float64
	// Noise is [LaplaceNoise] (the zero value) or [GaussianNoise].
	Noise Noise
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1 and add/remove neighbours.
	Contribution Contribution
	// Budget is what the release spends from.
	Budget Budget
}

// NewCount returns a count mechanism.
func NewCount(cfg CountConfig) (*Count, error) {
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	cal, err := newCalib(cfg.Noise, cfg.Epsilon, cfg.Delta)
	if err != nil {
		return nil, err
	}
	c, err := newCount(cal, cfg.Contribution)
	if err != nil {
		return nil, err
	}
	c.once = cal.gate(cfg.Budget)
	return c, nil
}

// newCount returns the count of cal (a release or a share of one), with no
// gate: the aggregation that holds it spends.
func newCount(cal calib, contrib Contribution) (*Count, error) {
	c, err := contrib.normalize()
	if err != nil {
		return nil, err
	}
	n, err := cal.part(c.perUnit(), c.l2PerUnit())
	if err != nil {
		return nil, err
	}
	return &Count{n: n, c: c}, nil
}

// countNoise returns the discrete Laplace noise for counts under c (L1
// sensitivity perUnit) and c normalised.
func countNoise(epsilon float64, c Contribution) (*DiscreteLaplace, Contribution, error) {
	c, err := c.normalize()
	if err != nil {
		return nil, c, err
	}
	dl, err := newDiscreteLaplace(epsilon, c.perUnit(), 0)
	return dl, c, err
}

// Release spends the budget and returns the exact count (of bounded
// contributions) plus noise. The result is unbiased and may be negative;
// clamp it if you need to. A second call is refused.
func (c *Count) Release(exact int64) (int64, error) {
	if err := c.once.spend(); err != nil {
		return 0, err
	}
	return c.noisy(exact), nil
}

func (c *Count) noisy(exact int64) int64 { return satAdd(exact, c.n.sample()) }

// Scale returns the scale of the noise: the discrete Laplace scale (>=
// sensitivity/Epsilon), or the discrete Gaussian's sigma.
func (c *Count) Scale() float64 { return c.n.scale() }

// Rho returns the zCDP parameter of a [GaussianNoise] count (0 for
// Laplace).
func (c *Count) Rho() float64 { return noiseRho(c.n) }

func noiseRho(n intNoise) float64 {
	if g, ok := n.(*gaussNoise); ok {
		return g.rho
	}
	return 0
}

// ConfidenceInterval returns an interval around a released count that
// contains the exact count with probability >= confidence.
func (c *Count) ConfidenceInterval(noisy int64, confidence float64) (lo, hi int64, err error) {
	return intCI(c.n, noisy, confidence)
}

// intCI returns [noisy-k, noisy+k] for the noise n at the confidence.
func intCI(n intNoise, noisy int64, confidence float64) (lo, hi int64, err error) {
	k, err := n.halfWidth(confidence)
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

// BoundedSumInt releases a sum of int64 values clamped to [Lower, Upper]
// once: Epsilon-DP with L1 sensitivity MaxPartitions * MaxPerPartition *
// max(|Lower|, |Upper|), or with [GaussianNoise] (Epsilon, Delta)-DP with
// L2 sensitivity sqrt(MaxPartitions) * MaxPerPartition * max(|Lower|,
// |Upper|) (both doubled under [ReplaceOne]). Safe for concurrent use.
type BoundedSumInt struct {
	once         oneShot
	n            intNoise
	lower, upper int64
}

// BoundedSumIntConfig configures a [BoundedSumInt].
type BoundedSumIntConfig struct {
	// Epsilon is the privacy parameter of the release, finite and > 0.
	Epsilon float64
	// Delta is the second privacy parameter for [GaussianNoise], in (0,
	// 1); it must be 0 for [LaplaceNoise].
	Delta float64
	// Noise is [LaplaceNoise] (the zero value) or [GaussianNoise].
	Noise Noise
	// Lower and Upper are the public clamping bounds, Lower <= Upper.
	Lower, Upper int64
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1 and add/remove neighbours.
	Contribution Contribution
	// Budget is what the release spends from.
	Budget Budget
}

// NewBoundedSumInt returns the mechanism configured by cfg.
func NewBoundedSumInt(cfg BoundedSumIntConfig) (*BoundedSumInt, error) {
	lower, upper := cfg.Lower, cfg.Upper
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	cal, err := newCalib(cfg.Noise, cfg.Epsilon, cfg.Delta)
	if err != nil {
		return nil, err
	}
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
	n, err := cal.part(sens, c.l2PerUnit()*float64(m))
	if err != nil {
		return nil, err
	}
	return &BoundedSumInt{once: cal.gate(cfg.Budget), n: n, lower: lower, upper: upper}, nil
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

// Release spends the budget and returns an exact sum of clamped values plus
// noise: the DP release. A second call is refused.
func (s *BoundedSumInt) Release(exactSum int64) (int64, error) {
	if err := s.once.spend(); err != nil {
		return 0, err
	}
	return satAdd(exactSum, s.n.sample()), nil
}

// Scale returns the scale of the noise (>= sensitivity/Epsilon), or its
// sigma with [GaussianNoise].
func (s *BoundedSumInt) Scale() float64 { return s.n.scale() }

// ConfidenceInterval returns an interval around a released sum that contains
// the exact sum with probability >= confidence.
func (s *BoundedSumInt) ConfidenceInterval(noisy int64, confidence float64) (lo, hi int64, err error) {
	return intCI(s.n, noisy, confidence)
}

// fixedPointBits is the precision of the fixed-point encodings: values are
// multiples of a power of two Resolution with |value| <= 2^(fixedPointBits+1)
// Resolution, so a sum of up to 2^36 encoded values fits an int64 whatever
// the values.
const fixedPointBits = 24

// BoundedSumFloat releases a sum of float64 values clamped to [Lower, Upper]
// once, through fixed point, so that the sensitivity is exactly what it
// claims (float sums are not: Casacuberta et al., CCS 2022). Each value is
// clamped and rounded to the nearest multiple of
// [BoundedSumFloat.Resolution], a power of two about 2^-24 of max(|Lower|,
// |Upper|), so that |Encode(x)| <= 2^25; the integer sum (exact, overflow is
// an error; at least 2^36 values always fit) gets discrete Laplace noise, or
// discrete Gaussian noise with [GaussianNoise] (on a coarser Resolution when
// sigma would exceed 2^26 units, so that the rounding stays below 2^-26 of
// the noise); the result is scaled back. Safe for concurrent use.
type BoundedSumFloat struct {
	once         oneShot
	n            intNoise
	lower, upper float64
	res          float64
	maxUnits     int64
}

// BoundedSumFloatConfig configures a [BoundedSumFloat].
type BoundedSumFloatConfig struct {
	// Epsilon is the privacy parameter of the release, finite and > 0.
	Epsilon float64
	// Delta is the second privacy parameter for [GaussianNoise], in (0,
	// 1); it must be 0 for [LaplaceNoise].
	Delta float64
	// Noise is [LaplaceNoise] (the zero value) or [GaussianNoise].
	Noise Noise
	// Lower and Upper are the public clamping bounds, finite, Lower <= Upper.
	Lower, Upper float64
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1 and add/remove neighbours.
	Contribution Contribution
	// Budget is what the release spends from.
	Budget Budget
}

// NewBoundedSumFloat returns the mechanism configured by cfg.
func NewBoundedSumFloat(cfg BoundedSumFloatConfig) (*BoundedSumFloat, error) {
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	cal, err := newCalib(cfg.Noise, cfg.Epsilon, cfg.Delta)
	if err != nil {
		return nil, err
	}
	s, err := newBoundedSumFloat(cal, cfg.Lower, cfg.Upper, cfg.Contribution)
	if err != nil {
		return nil, err
	}
	s.once = cal.gate(cfg.Budget)
	return s, nil
}

// newBoundedSumFloat returns the sum of cal (a release or a share of one),
// with no gate.
func newBoundedSumFloat(cal calib, lower, upper float64, contrib Contribution) (*BoundedSumFloat, error) {
	res, m, err := fixedPoint(lower, upper)
	if err != nil {
		return nil, err
	}
	c, err := contrib.normalize()
	if err != nil {
		return nil, err
	}
	if cal.noise == GaussianNoise {
		// A coarser grid while sigma exceeds maxGridSigma units (sigma
		// halves with each doubling of the unit).
		for m > 1 && cal.sigma(c.l2PerUnit()*float64(m)) > maxGridSigma {
			res *= 2
			m = unitsAt(lower, upper, res)
		}
	}
	sens, err := mulSens(c.perUnit(), m)
	if err != nil {
		return nil, err
	}
	n, err := cal.part(sens, c.l2PerUnit()*float64(m))
	if err != nil {
		return nil, err
	}
	return &BoundedSumFloat{n: n, lower: lower, upper: upper, res: res, maxUnits: m}, nil
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
	if m < 0x1p-1000 {
		return 0, 0, invalid("bounds [%v, %v] too small (below 2^-1000)", lower, upper)
	}
	res = math.Ldexp(pow2Floor(m), -fixedPointBits)
	if res < minGrid {
		return 0, 0, invalid("bounds [%v, %v] too small", lower, upper)
	}
	return res, unitsAt(lower, upper, res), nil
}

// unitsAt returns the largest magnitude of a value of [lower, upper] rounded
// to a multiple of res, in units of res (at least 1).
func unitsAt(lower, upper, res float64) int64 {
	return max(int64(math.Max(math.Abs(math.Round(lower/res)), math.Abs(math.Round(upper/res)))), 1)
}

// Resolution returns the fixed-point unit.
func (s *BoundedSumFloat) Resolution() float64 { return s.res }

// EncodingRange returns the largest magnitude of an output of
// [BoundedSumFloat.Encode]: a sum of n values lies in [-n*maxUnits,
// n*maxUnits], which a secure sum must hold without wrapping.
func (s *BoundedSumFloat) EncodingRange() (maxUnits int64) { return s.maxUnits }

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

// Release spends the budget and returns the DP noisy sum from an exact
// fixed-point sum (from [BoundedSumFloat.ExactSum], or a secure sum of
// [BoundedSumFloat.Encode] outputs). A second call is refused.
func (s *BoundedSumFloat) Release(exactFixedSum int64) (float64, error) {
	if err := s.once.spend(); err != nil {
		return 0, err
	}
	return s.noisy(exactFixedSum), nil
}

func (s *BoundedSumFloat) noisy(exactFixedSum int64) float64 {
	return float64(satAdd(exactFixedSum, s.n.sample())) * s.res
}

// Scale returns the scale (or, with [GaussianNoise], the sigma) of the
// noise in the values' units.
func (s *BoundedSumFloat) Scale() float64 { return s.n.scale() * s.res }

// ConfidenceInterval returns an interval around a released sum that contains
// the exact (fixed-point) sum with probability >= confidence.
func (s *BoundedSumFloat) ConfidenceInterval(noisy, confidence float64) (lo, hi float64, err error) {
	k, err := s.n.halfWidth(confidence)
	if err != nil {
		return 0, 0, err
	}
	return noisy - float64(k)*s.res, noisy + float64(k)*s.res, nil
}

// BoundedMean releases the mean of values clamped to [Lower, Upper] once:
// half the budget on the count and half on the sum of the values minus the
// midpoint (half the sensitivity of a plain sum), mean = midpoint +
// noisySum/max(noisyCount, 1), clamped to the bounds. Safe for concurrent use.
type BoundedMean struct {
	once         oneShot
	count        *Count
	sum          *BoundedSumFloat
	lower, upper float64
	mid          float64
}

// BoundedMeanConfig configures a [BoundedMean].
type BoundedMeanConfig struct {
	// Epsilon is the privacy parameter of the release (all its parts
	// together), finite and > 0.
	Epsilon float64
	// Delta is the second privacy parameter for [GaussianNoise], in (0,
	// 1); it must be 0 for [LaplaceNoise].
	Delta float64
	// Noise is [LaplaceNoise] (the zero value) or [GaussianNoise].
	Noise Noise
	// Lower and Upper are the public clamping bounds, finite, Lower <= Upper.
	Lower, Upper float64
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1 and add/remove neighbours.
	Contribution Contribution
	// Budget is what the release spends from.
	Budget Budget
}

// NewBoundedMean returns the mechanism configured by cfg.
func NewBoundedMean(cfg BoundedMeanConfig) (*BoundedMean, error) {
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	cal, err := newCalib(cfg.Noise, cfg.Epsilon, cfg.Delta)
	if err != nil {
		return nil, err
	}
	m, err := newBoundedMean(cal, cfg.Lower, cfg.Upper, cfg.Contribution)
	if err != nil {
		return nil, err
	}
	m.once = cal.gate(cfg.Budget)
	return m, nil
}

// newBoundedMean returns the mean of cal (a release or a share of one), with
// no gate: half of cal on the count, half on the sum.
func newBoundedMean(cal calib, lower, upper float64, c Contribution) (*BoundedMean, error) {
	if !finite(lower) || !finite(upper) || lower > upper {
		return nil, invalid("bounds must be finite with lower <= upper, got [%v, %v]", lower, upper)
	}
	mid := lower/2 + upper/2
	half := upper/2 - lower/2
	cnt, err := newCount(cal.share(0.5), c)
	if err != nil {
		return nil, err
	}
	sum, err := newBoundedSumFloat(cal.share(0.5), -half, half, c)
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

// Resolution returns the fixed-point unit of [BoundedMean.EncodeNormalized].
func (m *BoundedMean) Resolution() float64 { return m.sum.res }

// EncodingRange returns the largest magnitude of an output of
// [BoundedMean.EncodeNormalized]: a sum of n values lies in [-n*maxUnits,
// n*maxUnits], which a secure sum must hold without wrapping.
func (m *BoundedMean) EncodingRange() (maxUnits int64) { return m.sum.maxUnits }

// Release spends the budget and returns the noisy mean from the exact count
// and the exact sum of [BoundedMean.EncodeNormalized] values. A second call
// is refused.
func (m *BoundedMean) Release(exactCount, exactNormalizedSum int64) (float64, error) {
	if err := m.once.spend(); err != nil {
		return 0, err
	}
	n := float64(max(m.count.noisy(exactCount), 1))
	s := m.sum.noisy(exactNormalizedSum)
	return math.Min(math.Max(m.mid+s/n, m.lower), m.upper), nil
}

// ReleaseValues computes the exact count and sum of values and releases their
// noisy mean, as [BoundedMean.Release] does.
func (m *BoundedMean) ReleaseValues(values []float64) (float64, error) {
	s, err := checkedSum(values, m.EncodeNormalized)
	if err != nil {
		return 0, err
	}
	return m.Release(int64(len(values)), s)
}

// Scales returns the scales (sigmas with [GaussianNoise]) of the two
// noises: the count's, and the normalized sum's in the values' units.
func (m *BoundedMean) Scales() (count, sum float64) { return m.count.Scale(), m.sum.Scale() }

// DefaultMaxValues is [BoundedVarianceConfig.MaxValues] when it is 0.
const DefaultMaxValues = 1 << 32

// MaxMaxValues is the largest [BoundedVarianceConfig.MaxValues].
const MaxMaxValues = 1 << 36

// BoundedVariance releases the variance of values clamped to [Lower, Upper]
// once: a third of the budget each on the count, the sum of q and the sum of
// the square term, where q is the fixed-point x - midpoint (|q| <= H units)
// and the square term is q^2 on a coarser grid of 2^s units^2, centred:
// round(q^2 / 2^s) - floor(H2s/2), H2s = round(H^2/2^s). The shift s is the
// smallest that keeps the sums of MaxValues values within int64 (and, with
// [GaussianNoise], the square term's sigma within 2^26 grid units), so that
// all sums are exact integers ([BoundedVariance.EncodingRange] states the
// range a secure sum must hold). The result is clamped to [0,
// ((Upper-Lower)/2)^2]. Safe for concurrent use.
type BoundedVariance struct {
	once      oneShot
	mean      *BoundedMean
	sq        intNoise
	shift     uint  // s
	off       int64 // floor(H2s/2)
	maxQ      int64 // H
	maxSq     int64 // ceil(H2s/2)
	maxValues int64
	res, half float64
}

// BoundedVarianceConfig configures a [BoundedVariance].
type BoundedVarianceConfig struct {
	// Epsilon is the privacy parameter of the release (all its parts
	// together), finite and > 0.
	Epsilon float64
	// Delta is the second privacy parameter for [GaussianNoise], in (0,
	// 1); it must be 0 for [LaplaceNoise].
	Delta float64
	// Noise is [LaplaceNoise] (the zero value) or [GaussianNoise].
	Noise Noise
	// Lower and Upper are the public clamping bounds, finite, Lower <= Upper.
	Lower, Upper float64
	// MaxValues is the public bound on the number of values, in [1,
	// [MaxMaxValues]]; 0 means [DefaultMaxValues] (2^32). The encoding is
	// chosen so that the sums of up to MaxValues values are exact in int64.
	MaxValues int64
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1 and add/remove neighbours.
	Contribution Contribution
	// Budget is what the release spends from.
	Budget Budget
}

// NewBoundedVariance returns the mechanism configured by cfg.
func NewBoundedVariance(cfg BoundedVarianceConfig) (*BoundedVariance, error) {
	lower, upper, c := cfg.Lower, cfg.Upper, cfg.Contribution
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	cal, err := newCalib(cfg.Noise, cfg.Epsilon, cfg.Delta)
	if err != nil {
		return nil, err
	}
	maxN := cfg.MaxValues
	if maxN == 0 {
		maxN = DefaultMaxValues
	}
	if maxN < 1 || maxN > MaxMaxValues {
		return nil, invalid("MaxValues must be in [1, 2^36], got %d", maxN)
	}
	m, err := newBoundedMean(cal.share(2.0/3), lower, upper, c)
	if err != nil {
		return nil, err
	}
	sqCal := cal.share(1.0 / 3)
	cc, _ := c.normalize()
	h := max(absU(m.EncodeNormalized(lower)), absU(m.EncodeNormalized(upper)), 1)
	if h > 1<<26 {
		return nil, invalid("bounds too large for the fixed point")
	}
	h2 := h * h // <= 2^52
	// The smallest shift s with ceil(round(h^2/2^s)/2) * maxN <= 2^62 (and a
	// Gaussian sigma within maxGridSigma units of 2^s).
	var shift uint
	var h2s uint64
	for shift = 0; ; shift++ {
		h2s = roundShift(h2, shift)
		hi, lo := bits.Mul64((h2s+1)/2, uint64(maxN))
		if hi != 0 || lo > 1<<62 {
			continue
		}
		if cal.noise == GaussianNoise && h2s > 1 && sqCal.sigma(cc.l2PerUnit()*float64((h2s+1)/2)) > maxGridSigma {
			continue
		}
		break
	}
	maxSq := int64((h2s + 1) / 2)
	// The square term lies in [-floor(H2s/2), ceil(H2s/2)]: sensitivity per
	// contribution ceil(H2s/2).
	sens, err := mulSens(cc.perUnit(), maxSq)
	if err != nil {
		return nil, err
	}
	sq, err := sqCal.part(sens, cc.l2PerUnit()*float64(maxSq))
	if err != nil {
		return nil, err
	}
	return &BoundedVariance{once: cal.gate(cfg.Budget), mean: m, sq: sq, shift: shift,
		off: int64(h2s / 2), maxQ: int64(h), maxSq: maxSq, maxValues: maxN,
		res: m.sum.res, half: upper/2 - lower/2}, nil
}

// roundShift returns x/2^s rounded to nearest (ties up).
func roundShift(x uint64, s uint) uint64 {
	if s == 0 {
		return x
	}
	return (x >> s) + (x>>(s-1))&1
}

// Encode returns the two integers a secure sum should add up for x: q and
// the centred square term.
func (v *BoundedVariance) Encode(x float64) (q, sq int64) {
	q = v.mean.EncodeNormalized(x)
	a := absU(q)
	return q, int64(roundShift(a*a, v.shift)) - v.off
}

// EncodingRange returns the largest magnitudes of the two outputs of
// [BoundedVariance.Encode]: a sum of n <= MaxValues values lies in
// [-n*maxQ, n*maxQ] and [-n*maxSq, n*maxSq], within int64; a secure sum
// must use a modulus above twice those bounds, or it wraps.
func (v *BoundedVariance) EncodingRange() (maxQ, maxSq int64) { return v.maxQ, v.maxSq }

// MaxValues returns the bound on the number of values.
func (v *BoundedVariance) MaxValues() int64 { return v.maxValues }

// Release spends the budget and returns the noisy variance from
// the exact count and the exact sums of the two [BoundedVariance.Encode]
// outputs. A second call is refused. Sums of more than MaxValues values
// (which a secure sum may have wrapped) void the accuracy, not the privacy.
func (v *BoundedVariance) Release(exactCount, exactSumQ, exactSumSq int64) (float64, error) {
	if err := v.once.spend(); err != nil {
		return 0, err
	}
	n := float64(max(v.mean.count.noisy(exactCount), 1))
	mq := v.mean.sum.noisy(exactSumQ) / n // mean of x - mid
	sqUnit := math.Ldexp(v.res*v.res, int(v.shift))
	msq := (float64(satAdd(exactSumSq, v.sq.sample()))/n + float64(v.off)) * sqUnit
	msq = math.Min(math.Max(msq, 0), v.half*v.half)
	return math.Min(math.Max(msq-mq*mq, 0), v.half*v.half), nil
}

// ReleaseValues computes the exact count and sums of values and releases
// their noisy variance, as [BoundedVariance.Release] does. More than
// MaxValues values is an error wrapping [ErrOutOfRange] (it reveals that the
// count exceeds the public bound).
func (v *BoundedVariance) ReleaseValues(values []float64) (float64, error) {
	if int64(len(values)) > v.maxValues {
		return 0, fmt.Errorf("dp: %w: %d values exceed MaxValues %d", ErrOutOfRange, len(values), v.maxValues)
	}
	var s1, s2 int64
	for _, x := range values {
		q, sq := v.Encode(x)
		s1 += q
		s2 += sq
	}
	return v.Release(int64(len(values)), s1, s2)
}

// Scales returns the scales (sigmas with [GaussianNoise]) of the three
// noises: the count's, the sum's (in the values' units) and the square
// term's (in units^2 of the values).
func (v *BoundedVariance) Scales() (count, sum, sumSq float64) {
	c, s := v.mean.Scales()
	return c, s, v.sq.scale() * math.Ldexp(v.res*v.res, int(v.shift))
}

// Quantiles releases quantiles of values clamped to [Lower, Upper] once, by
// permute-and-flip (see [ExponentialMechanism]) over the Buckets+1 evenly
// spaced candidates Lower + j (Upper-Lower)/Buckets, with utility
// -|#{x < c} - r n| (sensitivity MaxPartitions * MaxPerPartition, doubled
// under [ReplaceOne]). The budget is split evenly across the requested
// ranks. Safe for concurrent use.
type Quantiles struct {
	source
	once         oneShot
	eps, sens    float64
	c            Contribution
	lower, upper float64
	buckets      int
}

// QuantilesConfig configures [Quantiles].
type QuantilesConfig struct {
	// Epsilon is the privacy parameter of the release (all its ranks
	// together), finite and > 0.
	Epsilon float64
	// Lower and Upper are the public clamping bounds, finite, Lower < Upper.
	Lower, Upper float64
	// Buckets is the number of intervals of the candidate grid, in
	// [1, 2^20]; 0 means [DefaultQuantileBuckets].
	Buckets int
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1 and add/remove neighbours.
	Contribution Contribution
	// Budget is what the release spends Epsilon from.
	Budget Budget
}

// DefaultQuantileBuckets is the grid of [QuantilesConfig] when Buckets is 0.
const DefaultQuantileBuckets = 100

// NewQuantiles returns the mechanism configured by cfg.
func NewQuantiles(cfg QuantilesConfig) (*Quantiles, error) {
	epsilon, lower, upper, buckets := cfg.Epsilon, cfg.Lower, cfg.Upper, cfg.Buckets
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
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
	qs := &Quantiles{once: oneShot{budget: cfg.Budget, eps: epsilon}, eps: epsilon, sens: float64(c.perUnit()),
		c: c, lower: lower, upper: upper, buckets: buckets}
	return withSource(qs, &qs.source, 0)
}

func (q *Quantiles) candidate(j int) float64 {
	return q.lower + (q.upper-q.lower)*float64(j)/float64(q.buckets)
}

// Release spends the budget and returns one noisy quantile of values per
// rank in [0, 1] (0.5 is the median), Epsilon-DP for all ranks together. No
// ranks, or a rank outside [0, 1], is an error checked before spending. A
// second call is refused.
func (q *Quantiles) Release(values []float64, ranks []float64) ([]float64, error) {
	if len(ranks) == 0 {
		return nil, invalid("no ranks")
	}
	for _, r := range ranks {
		if !finite(r) || r < 0 || r > 1 {
			return nil, invalid("rank must be in [0, 1], got %v", r)
		}
	}
	if err := q.once.spend(); err != nil {
		return nil, err
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

// Histogram releases counts per partition (key) once. Contributions must be
// bounded first ([ContributionBounder]); each count gets discrete Laplace
// noise of sensitivity MaxPartitions * MaxPerPartition (doubled under
// [ReplaceOne]), so that all counts together are Epsilon-DP. For keys that
// are not public, [Histogram.Release] also does partition selection: a key
// is released only if its noisy count reaches [Histogram.Threshold], chosen
// so that a key contributed by a single unit is released with probability
// <= Delta/MaxPartitions, and the whole release is (Epsilon, Delta)-DP
// (Korolova et al. 2009). Safe for concurrent use.
type Histogram[K comparable] struct {
	once      oneShot
	dl        *DiscreteLaplace
	gn        *gaussNoise // GaussianNoise: public keys only
	c         Contribution
	delta     float64
	threshold int64
}

// HistogramConfig configures a [Histogram].
type HistogramConfig struct {
	// Epsilon is the privacy parameter of the release, finite and > 0.
	Epsilon float64
	// Delta, in [0, 1), is the probability bound of partition selection; it
	// must be > 0 for [Histogram.Release] (keys that are not public), and
	// may be 0 for [Histogram.ReleaseKnown] only.
	Delta float64
	// Noise is [LaplaceNoise] (the zero value) or [GaussianNoise]: discrete
	// Gaussian counts of L2 sensitivity sqrt(MaxPartitions) *
	// MaxPerPartition, (Epsilon, Delta)-DP, for [Histogram.ReleaseKnown]
	// only (partition selection is Laplace thresholding).
	Noise Noise
	// Contribution bounds what one privacy unit contributes; zero fields
	// mean 1 and add/remove neighbours.
	Contribution Contribution
	// Budget is what the release spends from: (Epsilon, Delta) for
	// [Histogram.Release], (Epsilon, 0) for [Histogram.ReleaseKnown]
	// ((Epsilon, Delta), or rho, with [GaussianNoise]).
	Budget Budget
}

// NewHistogram returns the mechanism configured by cfg.
func NewHistogram[K comparable](cfg HistogramConfig) (*Histogram[K], error) {
	epsilon, delta, c := cfg.Epsilon, cfg.Delta, cfg.Contribution
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	if err := checkDelta(delta); err != nil {
		return nil, err
	}
	if err := checkNoise(cfg.Noise); err != nil {
		return nil, err
	}
	if cfg.Noise == GaussianNoise {
		c, err := c.normalize()
		if err != nil {
			return nil, err
		}
		gn, err := newGaussNoise(epsilon, delta, c.l2PerUnit())
		if err != nil {
			return nil, err
		}
		return &Histogram[K]{once: oneShot{budget: cfg.Budget, eps: epsilon, rho: gn.rho}, gn: gn, c: c,
			delta: delta, threshold: math.MaxInt64}, nil
	}
	dl, c, err := countNoise(epsilon, c)
	if err != nil {
		return nil, err
	}
	h := &Histogram[K]{once: oneShot{budget: cfg.Budget, eps: epsilon}, dl: dl, c: c, delta: delta, threshold: math.MaxInt64}
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

// Scale returns the scale of the noise on each count (sigma for
// [GaussianNoise]).
func (h *Histogram[K]) Scale() float64 {
	if h.gn != nil {
		return h.gn.sigma
	}
	return h.dl.Scale()
}

func (h *Histogram[K]) noisy(c int64) int64 {
	if h.gn != nil {
		return satAdd(c, h.gn.sample())
	}
	return satAdd(c, h.dl.Sample())
}

// Release spends (Epsilon, Delta) and returns the noisy counts of the keys
// whose noisy count reaches the threshold. It needs Delta > 0. A second
// release (by either method) is refused.
func (h *Histogram[K]) Release(counts map[K]int64) (map[K]int64, error) {
	if h.gn != nil {
		return nil, fmt.Errorf("dp: %w: partition selection with GaussianNoise; use ReleaseKnown for public keys", ErrUnsupported)
	}
	if h.delta == 0 {
		return nil, invalid("partition selection needs Delta > 0; use ReleaseKnown for public keys")
	}
	if err := h.spend(h.delta); err != nil {
		return nil, err
	}
	out := make(map[K]int64)
	for k, c := range counts {
		if n := satAdd(c, h.dl.Sample()); n >= h.threshold {
			out[k] = n
		}
	}
	return out, nil
}

func (h *Histogram[K]) spend(delta float64) error { return h.once.spendDelta(delta) }

// ReleaseKnown spends (Epsilon, 0) and returns a noisy count for every key of
// the public list keys (a key absent from counts counts 0); no threshold,
// Epsilon-DP. A second release (by either method) is refused.
func (h *Histogram[K]) ReleaseKnown(keys []K, counts map[K]int64) (map[K]int64, error) {
	d := 0.0
	if h.gn != nil {
		d = h.delta
	}
	if err := h.spend(d); err != nil {
		return nil, err
	}
	out := make(map[K]int64, len(keys))
	for _, k := range keys {
		out[k] = h.noisy(counts[k])
	}
	return out, nil
}
