package dp

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Samplers are safe for concurrent use (run with -race).
func TestSamplersConcurrent(t *testing.T) {
	lap, err := NewLaplace(1, 1)
	require.NoError(t, err)
	g, err := NewGaussian(1, 1e-6, 1)
	require.NoError(t, err)
	dl, err := NewDiscreteLaplace(1, 1)
	require.NoError(t, err)
	sk, err := NewSkellamShare(100, 2)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				lap.AddNoise(1)
				g.AddNoise(1)
				dl.AddNoise(1)
			}
			require.Len(t, sk.Noise(50), 50)
			require.Len(t, dl.Noise(50), 50)
		}()
	}
	wg.Wait()
}

// Long vectors are drawn by a worker pool from per-chunk streams: the result
// does not depend on the number of workers, and chunks are independent.
func TestParallelNoiseDeterministic(t *testing.T) {
	mk := func(workers int) []int64 {
		s, err := NewSkellamShare(50, 1)
		require.NoError(t, err)
		s.SetTestSeed(seed("par"))
		s.SetWorkers(workers)
		return s.Noise(3*parallelChunk + 17)
	}
	a, b, c := mk(1), mk(3), mk(0)
	require.Equal(t, a, b)
	require.Equal(t, a, c)
	// Chunks differ from each other (derived keys).
	require.NotEqual(t, a[:parallelChunk], a[parallelChunk:2*parallelChunk])
	// AddNoise matches Noise for the same stream.
	s, _ := NewSkellamShare(50, 1)
	s.SetTestSeed(seed("par"))
	v := make([]int64, len(a))
	s.AddNoise(v)
	require.Equal(t, a, v)
}
