package dp

import (
	"fmt"
	"math"
	"math/big"
)

// Laplace adds Laplace noise to float64 values, secure against the
// floating-point attacks of Mironov (CCS 2012) by the snapping/grid method:
// x is rounded to the nearest multiple of a power of two Lambda (about
// 2^-20 of the sensitivity and 2^-30 of the scale), and Lambda times an exact
// discrete Laplace integer is added (see "How the noise is sampled" in the
// package documentation).
//
// A Laplace is safe for concurrent use.
type Laplace struct {
	source
	meter
	eps, sens float64
	grid      float64 // Lambda
	t         uint64  // discrete scale in grid units: t / 2^shift
	shift     uint
}

// LaplaceConfig configures a [Laplace] mechanism. All fields must be set.
type LaplaceConfig struct {
	// Epsilon is the privacy parameter of one release, finite and > 0.
	Epsilon float64
	// Sensitivity is the L1 sensitivity of the value: the most its true
	// value can change between neighbouring datasets. Finite and > 0.
	Sensitivity float64
	// Budget is what every [Laplace.AddNoise] spends Epsilon from.
	Budget Budget
}

// NewLaplace returns a Laplace mechanism that is cfg.Epsilon-DP for values of
// L1 sensitivity cfg.Sensitivity, each release spending from cfg.Budget.
// Invalid or unsupported parameters are errors wrapping [ErrInvalidParams].
func NewLaplace(cfg LaplaceConfig) (*Laplace, error) {
	epsilon, sensitivity := cfg.Epsilon, cfg.Sensitivity
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	if err := checkEpsilon(epsilon); err != nil {
		return nil, err
	}
	if err := checkSensitivity("l1", sensitivity); err != nil {
		return nil, err
	}
	if sensitivity < minSensitivity {
		return nil, invalid("sensitivity %v below the supported 2^-980", sensitivity)
	}
	b := sensitivity / epsilon
	if !finite(b) || b == 0 {
		return nil, invalid("scale sensitivity/epsilon = %v is out of range", b)
	}
	grid := pow2Floor(math.Min(sensitivity*0x1p-20, b*0x1p-30))
	if b/grid > 0x1p48 {
		grid = pow2Ceil(b * 0x1p-48)
	}
	if grid < minGrid || grid > maxGrid {
		return nil, invalid("sensitivity %v / epsilon %v out of the supported range", sensitivity, epsilon)
	}
	// Scale in grid units: sensInt / epsilon, exactly, rounded up by laplaceScale.
	sensInt := gridSensitivity(sensitivity, grid)
	epsRat := new(big.Rat).SetFloat64(epsilon)
	scale := new(big.Rat).SetInt(sensInt)
	scale.Quo(scale, epsRat)
	t, shift, err := laplaceScale(scale)
	if err != nil {
		return nil, err
	}
	l := &Laplace{meter: meter{budget: cfg.Budget, eps: epsilon}, eps: epsilon, sens: sensitivity, grid: grid, t: t, shift: shift}
	return withSource(l, &l.source, 0)
}

// AddNoise spends Epsilon from the Budget and returns x plus Laplace noise of
// scale [Laplace.Scale] (about sensitivity/epsilon), on the grid of
// [Laplace.Granularity]: one epsilon-DP release. A refused spend releases
// nothing (the error wraps [ErrBudgetExceeded]). NaN and ±Inf are errors
// wrapping [ErrOutOfRange], checked before anything is spent: a statistic
// that overflowed on one dataset and not on its neighbour must not show it.
func (l *Laplace) AddNoise(x float64) (float64, error) {
	if !finite(x) {
		return 0, fmt.Errorf("dp: %w: Laplace input %v is not finite", ErrOutOfRange, x)
	}
	if err := l.spend(); err != nil {
		return 0, err
	}
	l.mu.Lock()
	z := l.r.discreteLaplace(l.t, l.shift)
	l.mu.Unlock()
	return snapAdd(x, l.grid, z), nil
}

// Scale returns the scale b of the noise actually added (its standard
// deviation is b*sqrt(2)); b >= sensitivity/epsilon, larger by a relative
// 2^-20 or less.
func (l *Laplace) Scale() float64 {
	return l.grid * float64(l.t) / math.Ldexp(1, int(l.shift))
}

// Granularity returns Lambda, the power of two all outputs are multiples of
// (when they are below 2^52 Lambda).
func (l *Laplace) Granularity() float64 { return l.grid }

// Epsilon returns the privacy parameter.
func (l *Laplace) Epsilon() float64 { return l.eps }

// DiscreteLaplace adds discrete Laplace (two-sided geometric) noise to
// integers: P(Z = z) is proportional to exp(-epsilon*|z|/sensitivity), with the
// scale sensitivity/epsilon rounded up by a relative 2^-40 at most to a
// rational t/2^k. Sampling is exact (Canonne, Kamath & Steinke 2020,
// Algorithm 2).
//
// A [DiscreteLaplace] is safe for concurrent use.
type DiscreteLaplace struct {
	source
	meter
	eps   float64
	sens  int64
	t     uint64
	shift uint
}

// DiscreteLaplaceConfig configures a [DiscreteLaplace] mechanism.
type DiscreteLaplaceConfig struct {
	// Epsilon is the privacy parameter, finite and > 0.
	Epsilon float64
	// Sensitivity is the L1 sensitivity of the integer value (or vector)
	// between neighbouring datasets, > 0.
	Sensitivity int64
	// Workers is how many goroutines draw a vector longer than 4096
	// coordinates ([DiscreteLaplace.Noise]); 0 means GOMAXPROCS. The noise
	// drawn does not depend on it.
	Workers int
	// Budget is what every [DiscreteLaplace.AddNoise] spends Epsilon from.
	Budget Budget
}

// NewDiscreteLaplace returns a discrete Laplace mechanism that is
// cfg.Epsilon-DP for integer values of L1 sensitivity cfg.Sensitivity, each
// release spending from cfg.Budget.
func NewDiscreteLaplace(cfg DiscreteLaplaceConfig) (*DiscreteLaplace, error) {
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	d, err := newDiscreteLaplace(cfg.Epsilon, cfg.Sensitivity, cfg.Workers)
	if err != nil {
		return nil, err
	}
	d.meter = meter{budget: cfg.Budget, eps: cfg.Epsilon}
	return d, nil
}

// newDiscreteLaplace is the noise of the aggregations, which spend for it
// themselves.
func newDiscreteLaplace(epsilon float64, sensitivity int64, workers int) (*DiscreteLaplace, error) {
	if err := checkEpsilon(epsilon); err != nil {
		return nil, err
	}
	if sensitivity <= 0 {
		return nil, invalid("sensitivity must be > 0, got %d", sensitivity)
	}
	scale := new(big.Rat).SetInt64(sensitivity)
	scale.Quo(scale, new(big.Rat).SetFloat64(epsilon))
	t, shift, err := laplaceScale(scale)
	if err != nil {
		return nil, err
	}
	d := &DiscreteLaplace{eps: epsilon, sens: sensitivity, t: t, shift: shift}
	return withSource(d, &d.source, workers)
}

// Sample returns one draw of the noise and spends nothing: it is for noise
// that the caller adds to a release it accounts for itself (one party's
// share of a distributed release, say). [DiscreteLaplace.AddNoise] is the
// release.
func (d *DiscreteLaplace) Sample() int64 {
	d.mu.Lock()
	z := d.r.discreteLaplace(d.t, d.shift)
	d.mu.Unlock()
	return z
}

// Noise returns dim independent draws (nil for dim <= 0): epsilon-DP for an
// integer vector of L1 sensitivity Sensitivity when added to it. Like
// [DiscreteLaplace.Sample] it spends nothing; [DiscreteLaplace.AddNoiseVector]
// is the release.
func (d *DiscreteLaplace) Noise(dim int) []int64 { return d.vec(dim, d.draw) }

func (d *DiscreteLaplace) draw(r *rng) int64 { return r.discreteLaplace(d.t, d.shift) }

// AddNoise spends Epsilon from the Budget and returns x plus discrete
// Laplace noise: one epsilon-DP release. A refused spend releases nothing
// (the error wraps [ErrBudgetExceeded]). The sum saturates at the int64 range
// instead of wrapping (a post-processing, so privacy is kept).
func (d *DiscreteLaplace) AddNoise(x int64) (int64, error) {
	if err := d.spend(); err != nil {
		return 0, err
	}
	return satAdd(x, d.Sample()), nil
}

// AddNoiseVector spends Epsilon once and adds noise to every coordinate of v
// in place: one epsilon-DP release of an integer vector of L1 sensitivity
// Sensitivity. A refused spend leaves v unchanged.
func (d *DiscreteLaplace) AddNoiseVector(v []int64) error {
	if err := d.spend(); err != nil {
		return err
	}
	d.addTo(v, d.draw)
	return nil
}

// Scale returns the scale of the noise, t/2^k >= sensitivity/epsilon, larger
// by a relative 2^-40 at most.
func (d *DiscreteLaplace) Scale() float64 {
	return float64(d.t) / math.Ldexp(1, int(d.shift))
}

// satAdd returns a+b clamped to the int64 range.
func satAdd(a, b int64) int64 {
	s := a + b
	if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
		if a > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return s
}
