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

// otDealers sets up an OTDealer for each party of meshes, concurrently.
func otDealers(t testing.TB, ctx context.Context, meshes []transport.Mesh) []*OTDealer {
	t.Helper()
	ds := make([]*OTDealer, len(meshes))
	errs := make([]error, len(meshes))
	var wg sync.WaitGroup
	for i := range meshes {
		wg.Go(func() { ds[i], errs[i] = NewOTDealer(ctx, meshes[i], OTDealerConfig{}) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "party %d", i)
	}
	return ds
}

// runPartiesOT is runParties with the parties' triples from OTDealers
// over the computation's own mesh.
func runPartiesOT[T any](t testing.TB, n int, seed uint64, prog func(ctx context.Context, p *Party) (T, error)) []T {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		cryptotest.SetGlobalRandom(tt, seed)
	}
	meshes, err := transport.NewMemMesh(n, transport.Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ds := otDealers(t, ctx, meshes)
	out := make([]T, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		p, err := NewParty(meshes[i], ds[i], Config{})
		require.NoError(t, err)
		wg.Go(func() { out[i], errs[i] = prog(ctx, p) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "party %d", i)
	}
	return out
}

// TestOTDealerTriples checks the definition on the opened shares: with
// every party's shares summed, c = a*b for every triple, for many sizes
// (one word, a batch boundary, several batches of a batch shrunk to 100
// triples) and party counts, and a
// second request is fresh.
func TestOTDealerTriples(t *testing.T) {
	for _, parties := range []int{2, 3} {
		ds, ctx := otSession(t, parties, 100) // requests of several batches stay small
		sizes := []int{1, 0, 7, 64, 100, 1000, 2017}
		if parties == 3 {
			sizes = []int{1, 5, 300}
		}
		var prevA []uint64
		for _, n := range sizes {
			ts := onAll(t, ds, func(d *OTDealer) (Triples, error) { return d.Triples(ctx, n) })
			for i := range parties {
				require.Len(t, ts[i].C, n)
			}
			a, b, c := make([]uint64, n), make([]uint64, n), make([]uint64, n)
			for i := range parties {
				for k := range n {
					a[k] += ts[i].A[k]
					b[k] += ts[i].B[k]
					c[k] += ts[i].C[k]
				}
			}
			for k := range n {
				require.Equal(t, a[k]*b[k], c[k], "%d parties, n=%d, triple %d", parties, n, k)
			}
			requireMasksUnowned(t, ts, a, b)
			// AND triples: XOR shares with c = a AND b.
			ts = onAll(t, ds, func(d *OTDealer) (Triples, error) { return d.ANDTriples(ctx, n) })
			clear(a)
			clear(b)
			clear(c)
			for i := range parties {
				require.Len(t, ts[i].C, n)
				for k := range n {
					a[k] ^= ts[i].A[k]
					b[k] ^= ts[i].B[k]
					c[k] ^= ts[i].C[k]
				}
			}
			for k := range n {
				require.Equal(t, a[k]&b[k], c[k], "%d parties, n=%d, AND triple %d", parties, n, k)
			}
			requireMasksUnowned(t, ts, a, b)
			if n > 0 && prevA != nil {
				require.NotEqual(t, prevA[0], a[0], "a request repeats randomness")
			}
			if n > 0 {
				prevA = a
			}
		}
	}
}

// requireMasksUnowned checks that no party's share of a triple is the
// whole of a or b (they differ with probability 1 - 2^-64 each when every
// share is uniform): a party that held b would learn the other operand
// when Beaver's e = y - b is opened, and the product would still be right.
func requireMasksUnowned(t *testing.T, ts []Triples, a, b []uint64) {
	t.Helper()
	for i := range ts {
		for k := range a {
			require.NotEqual(t, a[k], ts[i].A[k], "party %d holds a of triple %d", i, k)
			require.NotEqual(t, b[k], ts[i].B[k], "party %d holds b of triple %d", i, k)
		}
	}
}

// TestOTDealerMulDotProperty is TestMulDotOpenProperty's check on the
// dealer-free path: Mul and Dot of random vectors (with wrap-around) over
// OT triples, and And over OT AND triples, match the plaintext, for 2 and
// 3 parties, several calls in a row.
func TestOTDealerMulDotProperty(t *testing.T) {
	for _, parties := range []int{2, 3} {
		for _, n := range []int{1, 33, 600} {
			rng := rand.New(rand.NewPCG(uint64(parties), uint64(n)))
			x, y := make([]uint64, n), make([]uint64, n)
			for i := range x {
				x[i], y[i] = rng.Uint64(), rng.Uint64()
			}
			type out struct{ prod, dot, sq, and []uint64 }
			res := runPartiesOT(t, parties, uint64(n), func(ctx context.Context, p *Party) (out, error) {
				sx, err := p.Input(ctx, 0, x)
				if err != nil {
					return out{}, err
				}
				sy, err := p.Input(ctx, p.Parties()-1, y)
				if err != nil {
					return out{}, err
				}
				z, err := p.Mul(ctx, sx, sy)
				if err != nil {
					return out{}, err
				}
				d, err := p.Dot(ctx, sx, sy)
				if err != nil {
					return out{}, err
				}
				z2, err := p.Mul(ctx, z, sx)
				if err != nil {
					return out{}, err
				}
				var o out
				if o.prod, err = p.Open(ctx, z); err != nil {
					return out{}, err
				}
				if o.dot, err = p.Open(ctx, d); err != nil {
					return out{}, err
				}
				if o.sq, err = p.Open(ctx, z2); err != nil {
					return out{}, err
				}
				// x and y as XOR shares: one party holds the value, the others 0.
				bx, by := make(BoolShare, n), make(BoolShare, n)
				if p.Self() == 0 {
					copy(bx, x)
				}
				if p.Self() == p.Parties()-1 {
					copy(by, y)
				}
				w, err := p.And(ctx, bx, by)
				if err != nil {
					return out{}, err
				}
				o.and, err = p.OpenBool(ctx, w)
				return o, err
			})
			var dot uint64
			for i := range x {
				dot += x[i] * y[i]
			}
			for _, r := range res {
				for i := range x {
					require.Equal(t, x[i]*y[i], r.prod[i])
					require.Equal(t, x[i]*y[i]*x[i], r.sq[i])
					require.Equal(t, x[i]&y[i], r.and[i])
				}
				require.Equal(t, []uint64{dot}, r.dot)
			}
		}
	}
}

// TestOTDealerPeerGone: a peer that disappears mid-request fails the
// request with an error naming the step and the peer, and the dealer then
// refuses further work.
func TestOTDealerPeerGone(t *testing.T) {
	meshes, err := transport.NewMemMesh(2, transport.Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ds := otDealers(t, ctx, meshes)
	require.NoError(t, meshes[1].Close())
	_, err = ds[0].Triples(ctx, 100)
	require.Error(t, err)
	require.Contains(t, err.Error(), "step ot triples")
	_, err = ds[0].Triples(ctx, 1)
	require.ErrorIs(t, err, ErrAborted)
}
