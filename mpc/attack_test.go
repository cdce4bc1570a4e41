package mpc

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

// The review's F1 attack: party 0 holds a secret x and party 1 (the last
// party, the one the dealer computes corrections for) holds y; the program
// multiplies them. Party 1 asks its view of the dealer for division pairs
// (n, d = 1) where Mul draws Beaver triples, then sends its shares of
// e = x - a and f = y - b as usual. Had the dealer replayed party 0's
// triple words as the pair's words, party 1's Q would be a - b (up to its
// own words) and e - f + y + Q would be x exactly. The dealer draws every
// request from streams of its own kind, length, divisor and position, so
// the pair is unrelated to party 0's triple and the guess is noise.
func mulAttack(t *testing.T, views [2]Dealer) {
	t.Helper()
	x := []uint64{123456789, 1 << 40, 3735928559, 1<<64 - 42, 0, 7}
	y := []uint64{5, 6, 7, 8, 9, 10}
	n := len(x)
	meshes, err := transport.NewMemMesh(2, transport.Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var guess []uint64
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		p, err := NewParty(meshes[i], views[i], Config{})
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = func() error {
				xs, err := p.Input(ctx, 0, x)
				if err != nil {
					return err
				}
				ys, err := p.Input(ctx, 1, y)
				if err != nil {
					return err
				}
				if i == 0 { // honest: an ordinary product
					_, err = p.Mul(ctx, xs, ys)
					return err
				}
				pair, err := views[1].DivPairs(ctx, n, 1) // where Mul takes Triples(n)
				if err != nil {
					return err
				}
				e, f := make(Share, n), make(Share, n) // a = R, b = 0: Mul's own message
				for k := range n {
					e[k], f[k] = xs[k]-pair.R[k], ys[k]
				}
				ef, err := p.Open(ctx, Concat(e, f))
				if err != nil {
					return err
				}
				guess = make([]uint64, n)
				for k := range n {
					guess[k] = ef[k] - ef[n+k] + y[k] + pair.Q[k]
				}
				return nil
			}()
		}()
	}
	wg.Wait()
	require.NoError(t, errs[0], "the honest party sees nothing unusual")
	require.NoError(t, errs[1])
	for k := range n {
		require.NotEqual(t, x[k], guess[k], "party 1 recovered party 0's x[%d]", k)
	}
}

func TestMismatchedRequestLearnsNothing(t *testing.T) {
	t.Run("in-process", func(t *testing.T) {
		td, err := NewTrustedDealer(2, DealerConfig{})
		require.NoError(t, err)
		var views [2]Dealer
		for i := range views {
			views[i], err = td.Party(i)
			require.NoError(t, err)
		}
		mulAttack(t, views)
	})
	t.Run("networked", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		dSide, pSide := dealerLinks(2)
		served := make(chan error, 1)
		go func() { served <- RunDealer(ctx, dSide, DealerConfig{}) }()
		var views [2]Dealer
		for i := range views {
			var err error
			views[i], err = NewRemoteDealer(ctx, pSide[i], i, 2)
			require.NoError(t, err)
		}
		mulAttack(t, views)
		require.NoError(t, pSide[1].Close())
		require.NoError(t, <-served)
	})
}

// TestReorderedRequestsUnrelated: the last party asks for the program's
// two correlations in swapped order (a pair where the others draw a
// triple, then a triple where they draw a pair). Neither answer combines
// with the honest parties' shares into a valid tuple, at either position:
// what it gets is unrelated to what they consume.
func TestReorderedRequestsUnrelated(t *testing.T) {
	ctx := context.Background()
	const n, parties = 64, 3
	td, err := NewTrustedDealer(parties, DealerConfig{})
	require.NoError(t, err)
	var tr [parties]Triples
	var dp [parties]DivPairs
	for i := range parties - 1 {
		v, err := td.Party(i)
		require.NoError(t, err)
		tr[i], err = v.Triples(ctx, n)
		require.NoError(t, err)
		dp[i], err = v.DivPairs(ctx, n, 1<<16)
		require.NoError(t, err)
	}
	last, err := td.Party(parties - 1)
	require.NoError(t, err)
	dp[parties-1], err = last.DivPairs(ctx, n, 1<<16)
	require.NoError(t, err)
	tr[parties-1], err = last.Triples(ctx, n)
	require.NoError(t, err)
	validTriples, validPairs := 0, 0
	for k := range n {
		var a, b, c, r, q uint64
		for i := range parties {
			a, b, c = a+tr[i].A[k], b+tr[i].B[k], c+tr[i].C[k]
			r, q = r+dp[i].R[k], q+dp[i].Q[k]
		}
		if a*b == c {
			validTriples++
		}
		if r>>16 == q {
			validPairs++
		}
	}
	require.Zero(t, validTriples)
	require.Zero(t, validPairs)
}
