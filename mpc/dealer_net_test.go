package mpc

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

// dealerLinks returns the dealer's ends and the parties' ends of n links.
func dealerLinks(n int) (dealerSide, partySide []transport.Conn) {
	dealerSide, partySide = make([]transport.Conn, n), make([]transport.Conn, n)
	for i := range n {
		dealerSide[i], partySide[i] = transport.Pipe("dealer", transport.PartyName(i), transport.Options{})
	}
	return dealerSide, partySide
}

func TestRemoteDealer(t *testing.T) {
	for _, n := range []int{2, 4} {
		r := rand.New(rand.NewPCG(uint64(n), 1))
		size := 300
		if n == 2 {
			size = dealerChunk + 300 // two chunks, the last partial
		}
		x, y := randSigned(r, size, 30), randSigned(r, size, 30)
		xs, ys := share(r, x, n), share(r, y, n)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		td, err := NewTrustedDealer(n, DealerConfig{})
		require.NoError(t, err)
		dSide, pSide := dealerLinks(n)
		served := make(chan error, 1)
		go func() {
			if n == 4 { // the public runner, with its own dealer
				served <- RunDealer(ctx, dSide, DealerConfig{Workers: 2})
				return
			}
			served <- td.serve(ctx, dSide)
		}()
		meshes, err := transport.NewMemMesh(n, transport.Options{})
		require.NoError(t, err)
		out := make([][][]uint64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = func() error {
					defer pSide[i].Close() // the last party's close ends Serve
					d, err := NewRemoteDealer(ctx, pSide[i], i, n)
					if err != nil {
						return err
					}
					p, err := NewParty(meshes[i], d, Config{})
					if err != nil {
						return err
					}
					z, err := p.Mul(ctx, xs[i], ys[i])
					if err != nil {
						return err
					}
					tz, err := p.Trunc(ctx, z, 8)
					if err != nil {
						return err
					}
					lt, err := p.LessThan(ctx, xs[i], ys[i])
					if err != nil {
						return err
					}
					for _, s := range []Share{z, tz, lt} {
						o, err := p.Open(ctx, s)
						if err != nil {
							return err
						}
						out[i] = append(out[i], o)
					}
					return nil
				}()
			}()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		require.NoError(t, <-served)
		for k := range x {
			prod := x[k] * y[k]
			require.Equal(t, prod, out[0][0][k])
			d := int64(out[0][1][k]) - int64(prod)>>8
			require.True(t, d == 0 || d == 1)
			want := uint64(0)
			if int64(x[k]) < int64(y[k]) {
				want = 1
			}
			require.Equal(t, want, out[n-1][2][k])
		}
		if n == 2 {
			_, err = td.Party(0)
			require.ErrorIs(t, err, ErrInvalidParams, "a served dealer issues no more views")
		}
	}
}

func TestServeRejectsMalformedRequest(t *testing.T) {
	td, err := NewTrustedDealer(2, DealerConfig{})
	require.NoError(t, err)
	dSide, pSide := dealerLinks(2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- td.serve(ctx, dSide) }()
	_, err = NewRemoteDealer(ctx, pSide[1], 1, 2)
	require.NoError(t, err)
	require.NoError(t, pSide[1].Send(ctx, appendMessage(nil, kindDealerRequest, 1, []uint64{99, 1, 0})))
	err = <-served
	require.ErrorIs(t, err, ErrMalformed)
	_, err = pSide[1].Recv(ctx) // the dealer closed the link
	require.True(t, errors.Is(err, transport.ErrClosed), "%v", err)
	require.ErrorIs(t, td.serve(ctx, dSide[:1]), ErrInvalidParams)
	require.ErrorIs(t, RunDealer(ctx, dSide[:1], DealerConfig{}), ErrInvalidParams)
}

// FuzzDealerRequest feeds arbitrary bytes to the dealer as the last
// party's request: an error or a reply, never a panic.
func FuzzDealerRequest(f *testing.F) {
	f.Add(appendMessage(nil, kindDealerRequest, 1, []uint64{reqTriples, 3, 0}))
	f.Add(appendMessage(nil, kindDealerRequest, 1, []uint64{reqDivPairs, 3, 0}))
	f.Add(appendMessage(nil, kindDealerRequest, 1, []uint64{reqDaBits, 1 << 40, 0}))
	f.Add([]byte{7, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		td, err := NewTrustedDealer(2, DealerConfig{})
		require.NoError(t, err)
		dSide, pSide := transport.Pipe("dealer", "party 1", transport.Options{})
		defer dSide.Close()
		defer pSide.Close()
		if len(data) > headerSize+3*8 { // keep requests small in the fuzzer
			return
		}
		var m message
		if m.UnmarshalBinary(data) == nil && len(m.Words) == 3 && m.Words[1] > 1<<12 {
			return
		}
		if err := td.serveRequest(context.Background(), dSide, data, 1); err != nil {
			require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrInvalidParams), "%v", err)
		}
	})
}

// TestRemoteDealerCorrelations reconstructs every kind of correlation from
// networked views (3 parties), for an empty request, a short one and one
// of two chunks, in one session.
func TestRemoteDealerCorrelations(t *testing.T) {
	const parties = 3
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dSide, pSide := dealerLinks(parties)
	served := make(chan error, 1)
	go func() { served <- RunDealer(ctx, dSide, DealerConfig{Workers: 3}) }()
	views := make([]Dealer, parties)
	for i := range views {
		var err error
		views[i], err = NewRemoteDealer(ctx, pSide[i], i, parties)
		require.NoError(t, err)
	}
	for _, size := range []int{0, 5, dealerChunk + 1} {
		var tr, at [parties]Triples
		var dp [parties]DivPairs
		var eb [parties]EdaBits
		var db [parties]DaBits
		for i, v := range views {
			var err error
			tr[i], err = v.Triples(ctx, size)
			require.NoError(t, err)
			at[i], err = v.ANDTriples(ctx, size)
			require.NoError(t, err)
			dp[i], err = v.DivPairs(ctx, size, 7)
			require.NoError(t, err)
			eb[i], err = v.EdaBits(ctx, size)
			require.NoError(t, err)
			db[i], err = v.DaBits(ctx, size)
			require.NoError(t, err)
		}
		for k := range size {
			var a, b, c, ba, bb, bc, r, q, m, ea, ex, da, dx uint64
			for i := range parties {
				a, b, c = a+tr[i].A[k], b+tr[i].B[k], c+tr[i].C[k]
				ba, bb, bc = ba^at[i].A[k], bb^at[i].B[k], bc^at[i].C[k]
				r, q, m = r+dp[i].R[k], q+dp[i].Q[k], m+dp[i].M[k]
				ea, ex = ea+eb[i].Arith[k], ex^eb[i].Bool[k]
				da, dx = da+db[i].Arith[k], dx^db[i].Bool[k]
			}
			require.Equal(t, a*b, c)
			require.Equal(t, ba&bb, bc)
			require.Equal(t, r/7, q)
			require.Equal(t, r>>63, m)
			require.Equal(t, ea, ex)
			require.Equal(t, dx, da)
			require.LessOrEqual(t, dx, uint64(1))
		}
	}
	require.NoError(t, pSide[parties-1].Close())
	require.NoError(t, <-served)
}
