package mpc

import (
	"context"

	"github.com/veil-go/veil/internal/parallel"
)

// parallelMin is the grain of local kernels: vectors shorter than twice
// this run on the calling goroutine, since smaller work does not pay for
// the goroutines.
const parallelMin = 1 << 14

// parFor runs fn over [0, n) split by internal/parallel on p's workers.
func (p *Party) parFor(n int, fn func(lo, hi int)) {
	parFor(n, p.workers, fn)
}

func parFor(n, workers int, fn func(lo, hi int)) {
	if workers <= 1 || n < 2*parallelMin {
		fn(0, n)
		return
	}
	_ = parallel.For(context.Background(), n, workers, parallelMin, func(lo, hi int) error {
		fn(lo, hi)
		return nil
	})
}
