package dp

import (
	"fmt"
	"math"
)

// GaussianVector adds Gaussian noise to float64 vectors of a fixed
// dimension, one release per vector, on the snapping grid of [Gaussian]. It
// is calibrated for the L2 sensitivity of the snapped vector,
// Sensitivity/Lambda + sqrt(Dim) grid units (each coordinate's rounding
// moves it by up to one unit, so a coordinatewise scalar [Gaussian] would
// under-count by sqrt(Dim) - 1), through zCDP: the multivariate discrete
// Gaussian of parameter sigma is (l2^2/(2 sigma^2))-zCDP (Canonne, Kamath &
// Steinke 2020), with rho the largest whose [ZCDPToDP] at Delta is within
// Epsilon. Safe for concurrent use.
type GaussianVector struct {
	budget     Budget
	eps, delta float64
	dim        int
	grid       float64
	gn         *gaussNoise // sigma in grid units
}

// GaussianVectorConfig configures a [GaussianVector]. All fields must be
// set.
type GaussianVectorConfig struct {
	// Epsilon and Delta are the privacy parameters of one vector release:
	// Epsilon finite and > 0, Delta in (0, 1).
	Epsilon, Delta float64
	// Sensitivity is the L2 sensitivity of the whole vector, finite, >=
	// 2^-980.
	Sensitivity float64
	// Dim is the dimension, in [1, 2^30].
	Dim int
	// Budget is what every release spends from: (Epsilon, Delta), or rho
	// from a budget with a SpendRho method ([ZCDPFilter]).
	Budget Budget
}

// NewGaussianVector returns the mechanism configured by cfg.
func NewGaussianVector(cfg GaussianVectorConfig) (*GaussianVector, error) {
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	if err := checkSensitivity("l2", cfg.Sensitivity); err != nil {
		return nil, err
	}
	if cfg.Sensitivity < minSensitivity {
		return nil, invalid("sensitivity %v below the supported 2^-980", cfg.Sensitivity)
	}
	if cfg.Dim < 1 || cfg.Dim > 1<<30 {
		return nil, invalid("Dim must be in [1, 2^30], got %d", cfg.Dim)
	}
	grid := pow2Floor(cfg.Sensitivity * 0x1p-20)
	if grid < minGrid || grid > maxGrid {
		return nil, invalid("sensitivity %v out of the supported range", cfg.Sensitivity)
	}
	// ||round(a/L) - round(b/L)||_2 <= ||a-b||_2/L + sqrt(dim).
	sensGrid := cfg.Sensitivity/grid + math.Sqrt(float64(cfg.Dim))
	sensGrid = math.Nextafter(sensGrid, math.Inf(1))
	gn, err := newGaussNoise(cfg.Epsilon, cfg.Delta, sensGrid)
	if err != nil {
		return nil, err
	}
	return &GaussianVector{budget: cfg.Budget, eps: cfg.Epsilon, delta: cfg.Delta, dim: cfg.Dim, grid: grid, gn: gn}, nil
}

// AddNoise spends one release and returns x plus noise in every coordinate,
// snapped to the grid. x must have Dim finite coordinates (checked before
// anything is spent).
func (m *GaussianVector) AddNoise(x []float64) ([]float64, error) {
	if len(x) != m.dim {
		return nil, invalid("vector of %d coordinates, want %d", len(x), m.dim)
	}
	for i, v := range x {
		if !finite(v) {
			return nil, fmt.Errorf("dp: %w: coordinate %d is %v", ErrOutOfRange, i, v)
		}
	}
	var err error
	if rs, ok := m.budget.(rhoSpender); ok {
		err = rs.SpendRho(m.gn.rho)
	} else {
		err = m.budget.Spend(m.eps, m.delta)
	}
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(x))
	m.gn.mu.Lock()
	defer m.gn.mu.Unlock()
	for i, v := range x {
		out[i] = snapAdd(v, m.grid, m.gn.g.sample(m.gn.r))
	}
	return out, nil
}

// Sigma returns the standard deviation parameter of each coordinate's
// noise, in the values' units.
func (m *GaussianVector) Sigma() float64 { return m.gn.sigma * m.grid }

// Granularity returns Lambda, the grid of the outputs.
func (m *GaussianVector) Granularity() float64 { return m.grid }

// Rho returns the zCDP parameter of one release.
func (m *GaussianVector) Rho() float64 { return m.gn.rho }
