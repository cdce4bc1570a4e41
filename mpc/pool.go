package mpc

import "sync"

// parallelMin is the vector length below which kernels run on the calling
// goroutine: smaller work does not pay for the goroutines.
const parallelMin = 1 << 14

// parallelFor runs fn over [0, n) split into at most workers contiguous
// chunks, and returns when all have finished.
func parallelFor(n, workers int, fn func(lo, hi int)) {
	if workers <= 1 || n < parallelMin {
		fn(0, n)
		return
	}
	chunks := min(workers, (n+parallelMin-1)/parallelMin)
	size := (n + chunks - 1) / chunks
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += size {
		hi := min(lo+size, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
