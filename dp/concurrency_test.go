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
