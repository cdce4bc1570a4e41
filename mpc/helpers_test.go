package mpc

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

// dealerFree makes runParties draw the parties' correlations from
// OTDealers over the computation's mesh instead of a trusted dealer (set by
// TestDealerFreeOperations, which reruns the operations' property tests).
var dealerFree bool

// raceEnabled is set under the race detector (race_test.go).
var raceEnabled bool

// partyCounts returns the party counts a property test runs: all of ns,
// or on the dealer-free path those up to 3 (OT setup is pairwise; up to 2
// under the race detector).
func partyCounts(ns ...int) []int {
	if !dealerFree {
		return ns
	}
	limit := 3
	if raceEnabled {
		limit = 2
	}
	var out []int
	for _, n := range ns {
		if n <= limit {
			out = append(out, n)
		}
	}
	return out
}

// testSize is the vector length of a property test whose operations need
// many correlations (comparisons): n, or on the dealer-free path n/8 (at
// least 16).
func testSize(n int) int {
	if dealerFree {
		return max(16, n/8)
	}
	return n
}

// runParties runs prog on n in-memory parties with a trusted dealer (or
// OTDealers, see dealerFree) and returns each party's result. With a *testing.T, crypto/rand is seeded
// from seed for the test (testing/cryptotest), so that a failure
// reproduces: the dealer and the parties draw their seeds here, in order.
// tweaks adjust each party before it runs.
func runParties[T any](t testing.TB, n int, seed uint64, prog func(ctx context.Context, p *Party) (T, error), tweaks ...func(*Party)) []T {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		cryptotest.SetGlobalRandom(tt, seed)
	}
	meshes, err := transport.NewMemMesh(n, transport.Options{})
	require.NoError(t, err)
	dealer, err := NewTrustedDealer(n, DealerConfig{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var ots []*OTDealer
	if dealerFree {
		ots = otDealers(t, ctx, meshes)
	}
	out := make([]T, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		var d Dealer
		if dealerFree {
			d = ots[i]
		} else if d, err = dealer.Party(i); err != nil {
			require.NoError(t, err)
		}
		p, err := NewParty(meshes[i], d, Config{})
		require.NoError(t, err)
		for _, tw := range tweaks {
			tw(p)
		}
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

// withChunkWords makes parties send messages of at most n words.
func withChunkWords(n int) func(*Party) { return func(p *Party) { p.chunk = n } }

// share splits clear values into n additive shares (test-side dealer).
func share(r *rand.Rand, v []uint64, n int) []Share {
	out := make([]Share, n)
	last := append([]uint64(nil), v...)
	for i := range n - 1 {
		out[i] = make(Share, len(v))
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
	dealer, err := NewTrustedDealer(n, DealerConfig{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		d, err := dealer.Party(i)
		require.NoError(t, err)
		p, err := NewParty(meshes[i], d, Config{})
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
