package dp

import (
	"errors"
	"fmt"
	"sync"
)

// ErrPoolEmpty reports a release from a [NoisePool] with no noise left.
var ErrPoolEmpty = errors.New("noise pool empty")

// NoisePool releases with noise drawn ahead of time, for callers whose
// releases can be timed: the samplers' running time grows with |noise|
// (Jin et al., IEEE S&P 2022; see "Timing" in the package documentation),
// while a release from a pool takes a stored draw, so its time does not
// depend on its noise. The time to fill a pool depends on the total work of
// all its draws, so fill it off the request path (at start-up, or in bulk
// between requests). Each release spends from the mechanism's Budget as
// [Laplace.AddNoise] does; the pool itself spends nothing. A NoisePool is
// safe for concurrent use.
type NoisePool struct {
	mu   sync.Mutex
	l    *Laplace
	z    []int64
	used int
}

// NewPool draws n >= 1 noise values of l now and returns the pool that
// releases with them. l keeps working as before.
func (l *Laplace) NewPool(n int) (*NoisePool, error) {
	if n < 1 || n > 1<<26 {
		return nil, invalid("pool size must be in [1, 2^26], got %d", n)
	}
	z := make([]int64, n)
	l.mu.Lock()
	for i := range z {
		z[i] = l.r.discreteLaplace(l.t, l.shift)
	}
	l.mu.Unlock()
	return &NoisePool{l: l, z: z}, nil
}

// AddNoise is [Laplace.AddNoise] with the next stored draw: it spends
// Epsilon from the Budget, then returns x plus that noise on the grid. An
// empty pool is an error wrapping [ErrPoolEmpty], checked before spending.
func (p *NoisePool) AddNoise(x float64) (float64, error) {
	if !finite(x) {
		return 0, fmt.Errorf("dp: %w: Laplace input %v is not finite", ErrOutOfRange, x)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.used == len(p.z) {
		return 0, fmt.Errorf("dp: %w: all %d draws used", ErrPoolEmpty, len(p.z))
	}
	if err := p.l.spend(); err != nil {
		return 0, err
	}
	z := p.z[p.used]
	p.z[p.used] = 0
	p.used++
	return snapAdd(x, p.l.grid, z), nil
}

// Remaining returns the number of draws left.
func (p *NoisePool) Remaining() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.z) - p.used
}
