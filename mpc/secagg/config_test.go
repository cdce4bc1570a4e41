package secagg

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewConfigRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		n, dim int
		opts   []Option
	}{
		"one client":       {1, 1, nil},
		"too many clients": {MaxClients + 1, 1, nil},
		"negative dim":     {3, -1, nil},
		"huge dim":         {3, MaxDim + 1, nil},
		"threshold 0":      {3, 1, []Option{WithThreshold(0)}},
		"threshold above":  {3, 1, []Option{WithThreshold(3)}},
		"sparse t above k": {50, 1, []Option{WithGraph(SparseGraph), WithDegree(4), WithThreshold(5)}},
		"degree 1":         {50, 1, []Option{WithDegree(1)}},
		"graph":            {3, 1, []Option{WithGraph(Graph(7))}},
		"dropout rate":     {3, 1, []Option{WithDropoutRate(1)}},
		"dropout NaN":      {3, 1, []Option{WithDropoutRate(math.NaN())}},
		"corrupt rate":     {3, 1, []Option{WithCorruptRate(-0.1)}},
		"security bits":    {3, 1, []Option{WithSecurityBits(0)}},
		"workers":          {3, 1, []Option{WithWorkers(0)}},
		"round timeout":    {3, 1, []Option{WithRoundTimeout(0)}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewConfig(tc.n, tc.dim, tc.opts...)
			assert.ErrorIs(t, err, ErrInvalidParams)
		})
	}
}

func TestCompleteGraphDefaults(t *testing.T) {
	cfg, err := NewConfig(7, 3)
	require.NoError(t, err)
	assert.Equal(t, CompleteGraph, cfg.Graph())
	assert.Equal(t, 6, cfg.Degree())
	assert.Equal(t, 4, cfg.Threshold())
	assert.Equal(t, []int{1, 2, 3, 5, 6, 7}, cfg.Neighbours(4))
	assert.Nil(t, cfg.Neighbours(8))
}

func TestSparseGraph(t *testing.T) {
	for _, n := range []int{100, 500, 1000} {
		cfg, err := NewConfig(n, 1, WithGraph(SparseGraph))
		require.NoError(t, err)
		require.Equal(t, SparseGraph, cfg.Graph())
		k := cfg.Degree()
		assert.Less(t, k, 16*int(math.Log2(float64(n))), "degree O(log n)")
		assert.LessOrEqual(t, cfg.FailureLog2(), -DefaultSecurityBits)
		// Regular, symmetric, no self loops.
		for i := 1; i <= n; i++ {
			nb := cfg.Neighbours(i)
			require.Len(t, nb, k)
			for _, j := range nb {
				require.NotEqual(t, i, j)
				require.True(t, cfg.isNeighbour(j, i), "%d-%d not symmetric", i, j)
			}
		}
		// The graph is a function of the session seed.
		again, err := NewConfig(n, 1, WithGraph(SparseGraph), WithSession(cfg.Session()))
		require.NoError(t, err)
		assert.Equal(t, cfg.neighbours, again.neighbours)
		other, err := NewConfig(n, 1, WithGraph(SparseGraph))
		require.NoError(t, err)
		assert.NotEqual(t, cfg.neighbours, other.neighbours)
	}
}

// Higher dropout or corruption rates need larger degrees; small rounds fall
// back to the complete graph.
func TestSparseParamsMonotone(t *testing.T) {
	k1, _, ok1 := sparseParams(1000, 0.1, 0.1, 40, 0)
	k2, _, ok2 := sparseParams(1000, 0.3, 0.1, 40, 0)
	k3, _, ok3 := sparseParams(1000, 0.1, 0.3, 40, 0)
	require.True(t, ok1 && ok2 && ok3)
	assert.Less(t, k1, k2)
	assert.Less(t, k1, k3)
	cfg, err := NewConfig(30, 1, WithGraph(SparseGraph))
	require.NoError(t, err)
	assert.Equal(t, CompleteGraph, cfg.Graph())
	// The bound reported matches the stated target at the chosen k, t.
	a, b, c := sparseFailure(1000, k1, sparseThreshold(k1, 0.1, 40, 1000), 0.1, 0.1)
	assert.LessOrEqual(t, a+b+c, math.Exp2(-40))
}
