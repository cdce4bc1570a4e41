package secagg

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/transport"
)

// runStar runs a round over meshes; drop[i] is the stage before which
// client i vanishes.
func runStar(t *testing.T, ctx context.Context, meshes []transport.Mesh, cfg *Config, in [][]uint64, drop map[int]Stage) (*Result, error, []error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(meshes))
	for i := 1; i < len(meshes); i++ {
		wg.Go(func() {
			var opts []ClientOption
			if s, ok := drop[i]; ok {
				opts = append(opts, WithDropBefore(s))
			}
			errs[i] = RunClient(ctx, meshes[i], cfg, in[i-1], opts...)
		})
	}
	res, err := RunServer(ctx, meshes[0], cfg)
	wg.Wait()
	return res, err, errs
}

func TestRunnerMemStar(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, g := range []Graph{CompleteGraph, SparseGraph} {
		t.Run(g.String(), func(t *testing.T) {
			const n, dim = 12, 20
			cfg, err := NewConfig(n, dim, WithGraph(g), WithDegree(6), WithThreshold(3), WithRoundTimeout(5*time.Second))
			require.NoError(t, err)
			meshes := memStar(t, n+1)
			in := randomInputs(r, n, dim, 1000)
			drop := map[int]Stage{2: StageShareKeys, 5: StageMaskedInput, 9: StageUnmask}
			res, err, errs := runStar(t, context.Background(), meshes, cfg, in, drop)
			require.NoError(t, err)
			for i, e := range errs[1:] {
				assert.NoError(t, e, "client %d", i+1)
			}
			counted := []int{1, 3, 4, 6, 7, 8, 9, 10, 11, 12}
			assert.Equal(t, counted, res.Counted)
			assert.Equal(t, plainSum(in, counted, dim), res.Sum)
			assert.Contains(t, res.Excluded, 2)
			assert.Contains(t, res.Excluded, 5)
			assert.Positive(t, res.Traffic.BytesReceived)
		})
	}
}

func TestRunnerAbortTellsClients(t *testing.T) {
	const n, dim = 5, 3
	cfg, err := NewConfig(n, dim, WithThreshold(3), WithRoundTimeout(5*time.Second))
	require.NoError(t, err)
	meshes := memStar(t, n+1)
	in := randomInputs(rand.New(rand.NewPCG(1, 1)), n, dim, 10)
	drop := map[int]Stage{1: StageMaskedInput, 2: StageMaskedInput}
	res, err, errs := runStar(t, context.Background(), meshes, cfg, in, drop)
	require.ErrorIs(t, err, ErrTooManyDropouts)
	assert.Nil(t, res)
	for i := 3; i <= n; i++ {
		assert.ErrorIs(t, errs[i], ErrAborted, "client %d", i)
	}
}

// A client that never answers is dropped when the round times out.
func TestRunnerSilentClientTimesOut(t *testing.T) {
	const n, dim = 4, 2
	cfg, err := NewConfig(n, dim, WithThreshold(2), WithRoundTimeout(2*time.Second)) // wide enough for -race under load
	require.NoError(t, err)
	meshes := memStar(t, n+1)
	in := [][]uint64{{1, 2}, {3, 4}, {5, 6}, {7, 8}}
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	for i := 1; i < n; i++ { // client n stays silent
		wg.Go(func() { errs[i] = RunClient(context.Background(), meshes[i], cfg, in[i-1]) })
	}
	res, err := RunServer(context.Background(), meshes[0], cfg)
	wg.Wait()
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3}, res.Counted)
	assert.Equal(t, []uint64{9, 12}, res.Sum)
	assert.ErrorIs(t, res.Excluded[n], context.DeadlineExceeded)
}

func TestRunnerTLSLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("TLS setup")
	}
	const n, dim = 6, 10
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := NewConfig(n, dim, WithThreshold(2))
	require.NoError(t, err)
	meshes, err := transport.NewTLSLoopbackStar(ctx, n+1, transport.Options{})
	require.NoError(t, err)
	defer func() {
		for _, m := range meshes {
			_ = m.Close()
		}
	}()
	in := randomInputs(rand.New(rand.NewPCG(7, 7)), n, dim, 1<<20)
	res, err, errs := runStar(t, ctx, meshes, cfg, in, map[int]Stage{3: StageUnmask, 4: StageMaskedInput})
	require.NoError(t, err)
	for i, e := range errs[1:] {
		assert.NoError(t, e, "client %d", i+1)
	}
	counted := []int{1, 2, 3, 5, 6}
	assert.Equal(t, counted, res.Counted)
	assert.Equal(t, plainSum(in, counted, dim), res.Sum)
}

// When the server goes away mid-round, every client returns promptly with a
// transport error, and no goroutine is left behind.
func TestRunnerServerVanishes(t *testing.T) {
	before := runtime.NumGoroutine()
	const n = 4
	cfg, err := NewConfig(n, 2, WithThreshold(2))
	require.NoError(t, err)
	meshes, err := transport.NewMemStar(n+1, transport.Options{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	for i := 1; i <= n; i++ {
		wg.Go(func() { errs[i] = RunClient(context.Background(), meshes[i], cfg, []uint64{1, 2}) })
	}
	// The server reads the advertised keys, then disappears.
	for i := 1; i <= n; i++ {
		c, err := meshes[0].Conn(i)
		require.NoError(t, err)
		_, err = c.Recv(context.Background())
		require.NoError(t, err)
	}
	start := time.Now()
	require.NoError(t, meshes[0].Close())
	wg.Wait()
	assert.Less(t, time.Since(start), 2*time.Second)
	for i := 1; i <= n; i++ {
		assert.ErrorIs(t, errs[i], transport.ErrClosed, "client %d", i)
		_ = meshes[i].Close()
	}
	// (A polling loop: assert.Eventually runs its condition on a goroutine.)
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if runtime.NumGoroutine() > before {
		t.Errorf("goroutines leaked")
		buf := make([]byte, 1<<16)
		t.Logf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
	}
}

// Cancelling the server's context ends RunServer promptly with the context
// error.
func TestRunnerServerCancel(t *testing.T) {
	const n = 3
	cfg, err := NewConfig(n, 2, WithThreshold(1))
	require.NoError(t, err)
	meshes := memStar(t, n+1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = RunServer(ctx, meshes[0], cfg) // no client ever speaks
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// memStar is an in-memory star of n parties (server 0), closed when the
// test ends.
func memStar(t *testing.T, n int) []transport.Mesh {
	t.Helper()
	meshes, err := transport.NewMemStar(n, transport.Options{})
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, m := range meshes {
			_ = m.Close()
		}
	})
	return meshes
}
