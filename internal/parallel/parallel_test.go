package parallel

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestForCoversEachIndexOnce(t *testing.T) {
	for _, tc := range []struct{ n, workers, grain int }{
		{0, 4, 1}, {1, 4, 1}, {7, 3, 1}, {100, 4, 1}, {100, 4, 60}, {1000, 0, 16}, {1 << 16, 8, 1 << 14}, {5, 100, 1},
	} {
		seen := make([]atomic.Int32, tc.n)
		var ranges, smallest atomic.Int32
		smallest.Store(int32(tc.n))
		err := For(context.Background(), tc.n, tc.workers, tc.grain, func(lo, hi int) error {
			ranges.Add(1)
			for {
				s := smallest.Load()
				if int32(hi-lo) >= s || smallest.CompareAndSwap(s, int32(hi-lo)) {
					break
				}
			}
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
			return nil
		})
		require.NoError(t, err)
		for i := range seen {
			require.EqualValues(t, 1, seen[i].Load(), "n=%d index %d", tc.n, i)
		}
		require.LessOrEqual(t, int(ranges.Load()), max(Workers(tc.workers), 1))
		require.GreaterOrEqual(t, int(smallest.Load()), min(tc.grain, tc.n), "a range below the grain")
	}
}

func TestEachFirstError(t *testing.T) {
	boom := errors.New("boom")
	var ran atomic.Int32
	err := Each(context.Background(), 1000, 4, func(i int) error {
		ran.Add(1)
		if i == 10 {
			return boom
		}
		return nil
	})
	require.ErrorIs(t, err, boom)
	require.Less(t, int(ran.Load()), 1000, "tasks after the error should be skipped")
}

func TestContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := For(ctx, 10, 1, 1, func(lo, hi int) error { called = true; return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, called)
	err = Each(ctx, 10, 4, func(int) error { called = true; return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, called)
}

func TestWorkers(t *testing.T) {
	require.Equal(t, 3, Workers(3))
	require.Equal(t, runtime.GOMAXPROCS(0), Workers(0))
	require.Equal(t, runtime.GOMAXPROCS(0), Workers(-1))
}

func BenchmarkFor(b *testing.B) {
	xs := make([]uint64, 1<<16)
	for b.Loop() {
		_ = For(context.Background(), len(xs), 0, 1<<12, func(lo, hi int) error {
			for i := lo; i < hi; i++ {
				xs[i] += uint64(i)
			}
			return nil
		})
	}
}
