// Package parallel is Veil's one bounded parallel-for: work over a range or
// a list of tasks on at most a given number of goroutines, stopping at the
// first error or when the context ends.
//
// Every package that splits work across cores uses it, with the degree of
// parallelism taken from a Config field (0 means GOMAXPROCS, see
// [Workers]). Results never depend on the degree: work is split by index,
// and what a chunk computes depends only on its indices.
package parallel

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers returns n when it is positive and GOMAXPROCS otherwise: the
// meaning of a zero Workers field in every Config of Veil.
func Workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// For runs fn over [0, n) split into contiguous ranges of at least grain
// indices (grain <= 0 means 1), at most one range per worker, on at most
// workers goroutines (see [Workers] for 0). Work too small for two ranges
// runs on the calling goroutine. For returns the first error fn returns, or
// ctx's error if ctx ends before every range has started; ranges not yet
// started are then skipped, and ranges already running are not interrupted
// (fn watches ctx itself where a range is long).
func For(ctx context.Context, n, workers, grain int, fn func(lo, hi int) error) error {
	if n <= 0 {
		return ctx.Err()
	}
	grain = max(grain, 1)
	chunks := min(Workers(workers), max(n/grain, 1))
	if chunks <= 1 {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(0, n)
	}
	return Each(ctx, chunks, chunks, func(c int) error {
		return fn(c*n/chunks, (c+1)*n/chunks)
	})
}

// Each runs fn(i) for every i in [0, tasks) on at most workers goroutines
// (see [Workers] for 0), each goroutine taking the next task as it becomes
// free, so uneven tasks balance. It returns the first error fn returns, or
// ctx's error if ctx ends first; tasks not yet started are then skipped.
func Each(ctx context.Context, tasks, workers int, fn func(i int) error) error {
	if tasks <= 0 {
		return ctx.Err()
	}
	workers = min(Workers(workers), tasks)
	var (
		next     atomic.Int64
		stop     atomic.Bool
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		stop.Store(true)
	}
	work := func() {
		for !stop.Load() {
			i := int(next.Add(1) - 1)
			if i >= tasks {
				return
			}
			if err := ctx.Err(); err != nil {
				fail(err)
				return
			}
			if err := fn(i); err != nil {
				fail(err)
				return
			}
		}
	}
	if workers == 1 {
		work()
		return firstErr
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work() // the calling goroutine is one of the workers
	wg.Wait()
	return firstErr
}
