package dp

import (
	"sync"
	"testing"
	"testing/cryptotest"

	"github.com/stretchr/testify/require"
)

// Samplers are safe for concurrent use (run with -race).
func TestSamplersConcurrent(t *testing.T) {
	lap, err := NewLaplace(LaplaceConfig{Budget: testBudget(), Epsilon: 1, Sensitivity: 1})
	require.NoError(t, err)
	g, err := NewGaussian(GaussianConfig{Budget: testBudget(), Epsilon: 1, Delta: 1e-6, Sensitivity: 1})
	require.NoError(t, err)
	dl, err := NewDiscreteLaplace(DiscreteLaplaceConfig{Budget: testBudget(), Epsilon: 1, Sensitivity: 1})
	require.NoError(t, err)
	sk, err := NewSkellamShare(SkellamShareConfig{Mu: 100, Parties: 2})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				must(lap.AddNoise(1))
				must(g.AddNoise(1))
				must(dl.AddNoise(1))
			}
			require.Len(t, sk.Noise(50), 50)
			require.Len(t, dl.Noise(50), 50)
		}()
	}
	wg.Wait()
}

// Long vectors are drawn by a worker pool from per-chunk streams: the result
// does not depend on the number of workers, and chunks are independent.
// Each sampler is keyed after the same SetGlobalRandom, so all draw the same
// stream.
func TestParallelNoiseDeterministic(t *testing.T) {
	mk := func(workers int) []int64 {
		cryptotest.SetGlobalRandom(t, 1008)
		s, err := NewSkellamShare(SkellamShareConfig{Mu: 50, Parties: 1, Workers: workers})
		require.NoError(t, err)
		return s.Noise(3*parallelChunk + 17)
	}
	a, b, c := mk(1), mk(3), mk(0)
	require.Equal(t, a, b)
	require.Equal(t, a, c)
	// Chunks differ from each other (derived keys).
	require.NotEqual(t, a[:parallelChunk], a[parallelChunk:2*parallelChunk])
	// AddNoise matches Noise for the same stream.
	cryptotest.SetGlobalRandom(t, 1008)
	s, _ := NewSkellamShare(SkellamShareConfig{Mu: 50, Parties: 1, Workers: 2})
	v := make([]int64, len(a))
	s.AddNoise(v)
	require.Equal(t, a, v)
	// A sampler keyed from another seed draws differently (two independent
	// Skellam vectors of 12305 coordinates agree with probability far below
	// 1e-100).
	cryptotest.SetGlobalRandom(t, 1009)
	d, _ := NewSkellamShare(SkellamShareConfig{Mu: 50, Parties: 1})
	require.NotEqual(t, a, d.Noise(len(a)), "the noise comes from crypto/rand")
}
