package dp

import (
	"fmt"
	"math"
	"math/big"
)

// Gaussian adds Gaussian noise to float64 values, calibrated by the analytic
// Gaussian mechanism and secure against floating-point attacks by the
// snapping/grid method: x is rounded to the nearest multiple of a power of two
// Lambda (about 2^-20 of the sensitivity and of sigma) and Lambda times an
// exact discrete Gaussian integer (Canonne, Kamath & Steinke 2020) is added
// (see "How the noise is sampled" in the package documentation).
//
// A Gaussian is safe for concurrent use.
type Gaussian struct {
	source
	meter
	eps, delta, sens float64
	grid             float64
	g                *dgauss
}

// GaussianConfig configures a [Gaussian] mechanism, and is the input of the
// calibrations [AnalyticGaussianSigma] and [ClassicGaussianSigma] (which
// ignore Budget). All fields must be set.
type GaussianConfig struct {
	// Epsilon and Delta are the privacy parameters: Epsilon finite and > 0,
	// Delta in (0, 1).
	Epsilon, Delta float64
	// Sensitivity is the L2 sensitivity of the value between neighbouring
	// datasets, finite and > 0.
	Sensitivity float64
	// Budget is what every [Gaussian.AddNoise] spends (Epsilon, Delta)
	// from, or rho = (sensitivity/sigma)^2/2 on the grid from a budget with
	// a SpendRho method ([ZCDPFilter]).
	Budget Budget
}

// NewGaussian returns a Gaussian mechanism that is (cfg.Epsilon,
// cfg.Delta)-DP for values of L2 sensitivity cfg.Sensitivity. Invalid or
// unsupported parameters are errors wrapping [ErrInvalidParams].
func NewGaussian(cfg GaussianConfig) (*Gaussian, error) {
	epsilon, delta, l2Sensitivity := cfg.Epsilon, cfg.Delta, cfg.Sensitivity
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	sigma0, err := AnalyticGaussianSigma(cfg)
	if err != nil {
		return nil, err
	}
	if l2Sensitivity < minSensitivity {
		return nil, invalid("sensitivity %v below the supported 2^-980", l2Sensitivity)
	}
	grid := pow2Floor(math.Min(l2Sensitivity, sigma0) * 0x1p-20)
	if sigma0/grid > 0x1p29 {
		grid = pow2Ceil(sigma0 * 0x1p-29)
	}
	if grid < minGrid || grid > maxGrid {
		return nil, invalid("sensitivity %v, epsilon %v, delta %v out of the supported range", l2Sensitivity, epsilon, delta)
	}
	// Calibrate for the sensitivity of the snapped value, in grid units.
	sensInt := gridSensitivity(l2Sensitivity, grid)
	sensGrid, _ := new(big.Float).SetInt(sensInt).Float64()
	sigmaGrid, err := AnalyticGaussianSigma(GaussianConfig{Epsilon: epsilon, Delta: delta, Sensitivity: sensGrid})
	if err != nil {
		return nil, err
	}
	// n = ceil(sigmaGrid^2), exactly.
	sq := new(big.Float).SetPrec(256).SetFloat64(sigmaGrid)
	sq.Mul(sq, sq)
	n, acc := sq.Int(nil)
	if acc == big.Below {
		n.Add(n, big.NewInt(1))
	}
	if !n.IsUint64() {
		return nil, invalid("sigma out of the supported range")
	}
	// The analytic calibration is for the continuous Gaussian; check the
	// exact delta of the discrete Gaussian (CKS20 Theorem 7) at this
	// sigma^2 = n and raise n by 2^-24 steps until it meets delta.
	nn := n.Uint64()
	for i := 0; dgDelta(epsilon, sensGrid, nextDown(math.Sqrt(float64(nn)))) > delta*(1-1e-9); i++ {
		if i > 1<<12 {
			return nil, invalid("cannot calibrate the discrete Gaussian for epsilon %v, delta %v", epsilon, delta)
		}
		nn += max(1, nn>>24)
	}
	g, ok := newDGauss(nn, 1)
	if !ok {
		return nil, invalid("sigma out of the supported range")
	}
	// The discrete Gaussian of variance nn on the grid is (K^2/(2 nn))-zCDP
	// for the grid sensitivity K (CKS20): charged to a zCDP budget.
	rho := math.Nextafter(sensGrid*sensGrid/(2*float64(nn)), math.Inf(1))
	m := &Gaussian{meter: meter{budget: cfg.Budget, eps: epsilon, delta: delta, rho: rho}, eps: epsilon, delta: delta, sens: l2Sensitivity, grid: grid, g: g}
	return withSource(m, &m.source, 0)
}

// AddNoise spends (Epsilon, Delta) from the Budget and returns x plus
// Gaussian noise of standard deviation [Gaussian.Sigma], on the grid of
// [Gaussian.Granularity]: one (epsilon, delta)-DP release of a scalar. A
// refused spend releases nothing (the error wraps [ErrBudgetExceeded]). NaN
// and ±Inf are errors wrapping [ErrOutOfRange], checked before anything is
// spent.
//
// The calibration is for one scalar: applied to each coordinate of a
// d-vector of L2 sensitivity Sensitivity, the snapped vector's sensitivity
// is up to Sensitivity/Lambda + sqrt(d) grid units, not + 1, so
// coordinatewise use of one Gaussian is not the vector release:
// [GaussianVector] is.
func (m *Gaussian) AddNoise(x float64) (float64, error) {
	if !finite(x) {
		return 0, fmt.Errorf("dp: %w: Gaussian input %v is not finite", ErrOutOfRange, x)
	}
	if err := m.spend(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	z := m.g.sample(m.r)
	m.mu.Unlock()
	return snapAdd(x, m.grid, z), nil
}

// Sigma returns the standard deviation parameter of the noise actually added:
// Lambda*sqrt(n) >= the analytic-Gaussian sigma for the snapped sensitivity,
// itself within a relative 2^-20 of the sigma for the exact sensitivity.
func (m *Gaussian) Sigma() float64 {
	return m.grid * math.Sqrt(float64(m.g.n))
}

// Granularity returns Lambda, the power of two all outputs are multiples of
// (when they are below 2^52 Lambda).
func (m *Gaussian) Granularity() float64 { return m.grid }

// DiscreteGaussian samples the discrete Gaussian N_Z(0, sigma^2),
// P(Z = z) proportional to exp(-z^2/(2 sigma^2)), exactly (Canonne, Kamath &
// Steinke 2020, Algorithm 3), with sigma^2 rounded up to a rational n/d by a
// relative 2^-40 at most. [CalibrateDiscreteGaussian] gives the sigma of an
// (epsilon, delta)-DP release.
//
// A [DiscreteGaussian] is safe for concurrent use.
type DiscreteGaussian struct {
	source
	sigma float64
	g     *dgauss
}

// Supported range of sigma for [NewDiscreteGaussian] and
// [NewDiscreteGaussianShare].
const (
	MinDiscreteGaussianSigma = 0x1p-10
	MaxDiscreteGaussianSigma = 0x1p+28
)

// DiscreteGaussianConfig configures a [DiscreteGaussian] sampler.
type DiscreteGaussianConfig struct {
	// Sigma is the parameter of the distribution, in
	// [[MinDiscreteGaussianSigma], [MaxDiscreteGaussianSigma]].
	Sigma float64
	// Workers is how many goroutines draw a vector longer than 4096
	// coordinates ([DiscreteGaussian.Noise]); 0 means GOMAXPROCS. The noise
	// drawn does not depend on it.
	Workers int
}

// NewDiscreteGaussian returns a sampler of the discrete Gaussian of
// parameter cfg.Sigma.
func NewDiscreteGaussian(cfg DiscreteGaussianConfig) (*DiscreteGaussian, error) {
	g, err := dgaussFor(cfg.Sigma)
	if err != nil {
		return nil, err
	}
	d := &DiscreteGaussian{sigma: cfg.Sigma, g: g}
	return withSource(d, &d.source, cfg.Workers)
}

// dgaussFor represents sigma^2 as n/d >= sigma^2, d a power of two, with
// n >= 2^40 (relative error <= 2^-40) or d = 1 and n = ceil(sigma^2).
func dgaussFor(sigma float64) (*dgauss, error) {
	if !finite(sigma) || sigma < MinDiscreteGaussianSigma || sigma > MaxDiscreteGaussianSigma {
		return nil, invalid("discrete Gaussian sigma must be in [2^-10, 2^28], got %v", sigma)
	}
	sq := new(big.Rat).SetFloat64(sigma)
	sq.Mul(sq, sq)
	lo := new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), 40))
	d := uint64(1)
	v := new(big.Rat).Set(sq)
	for v.Cmp(lo) < 0 {
		v.Mul(v, big.NewRat(2, 1))
		d <<= 1
	}
	q, r := new(big.Int).QuoRem(v.Num(), v.Denom(), new(big.Int))
	if r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsUint64() {
		return nil, invalid("sigma out of range")
	}
	g, ok := newDGauss(q.Uint64(), d)
	if !ok {
		return nil, invalid("sigma %v out of the supported range", sigma)
	}
	return g, nil
}

// Sample returns one draw. A DiscreteGaussian is a sampler with no privacy
// parameter of its own: the caller calibrates sigma
// ([CalibrateDiscreteGaussian]) and spends for the release it makes
// ([ZCDPFilter.SpendGaussian], [Budget]).
func (d *DiscreteGaussian) Sample() int64 {
	d.mu.Lock()
	z := d.g.sample(d.r)
	d.mu.Unlock()
	return z
}

// Noise returns dim independent draws (nil for dim <= 0).
func (d *DiscreteGaussian) Noise(dim int) []int64 { return d.vec(dim, d.g.sample) }

// Sigma returns the parameter sigma given to the constructor.
func (d *DiscreteGaussian) Sigma() float64 { return d.sigma }
