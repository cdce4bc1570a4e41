package mpc

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

// runParties runs prog on n in-memory parties with a seeded trusted dealer
// and returns each party's result.
func runParties[T any](t testing.TB, n int, seed uint64, prog func(ctx context.Context, p *Party) (T, error), opts ...Option) []T {
	t.Helper()
	meshes, err := transport.NewMemMesh(n, transport.Options{})
	require.NoError(t, err)
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	dealer, err := NewTrustedDealer(n, WithDealerTestSeed(s))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := make([]T, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		d, err := dealer.Party(i)
		require.NoError(t, err)
		ps := s
		ps[2] = byte(i + 1)
		p, err := NewParty(meshes[i], d, append([]Option{WithTestSeed(ps)}, opts...)...)
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = prog(ctx, p)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "party %d", i)
	}
	return out
}

// share splits clear values into n additive shares (test-side dealer).
func share(r *rand.Rand, v []uint64, n int) [][]uint64 {
	out := make([][]uint64, n)
	last := append([]uint64(nil), v...)
	for i := range n - 1 {
		out[i] = make([]uint64, len(v))
		for k := range v {
			out[i][k] = r.Uint64()
			last[k] -= out[i][k]
		}
	}
	out[n-1] = last
	return out
}

func randSigned(r *rand.Rand, n int, bits uint) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		// uniform signed values of the given width, sign-extended
		out[i] = uint64(int64(r.Uint64()<<(64-bits)) >> (64 - bits))
	}
	return out
}

// runPartiesErr runs prog on n in-memory parties and returns each error.
func runPartiesErr(t testing.TB, n int, prog func(ctx context.Context, p *Party) error) []error {
	t.Helper()
	meshes, err := transport.NewMemMesh(n, transport.Options{})
	require.NoError(t, err)
	dealer, err := NewTrustedDealer(n)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		d, err := dealer.Party(i)
		require.NoError(t, err)
		p, err := NewParty(meshes[i], d)
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = prog(ctx, p)
		}()
	}
	wg.Wait()
	require.NoError(t, ctx.Err(), "a party hung until the deadline")
	return errs
}
