package mpc

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/internal/field61"
	"github.com/veil-go/veil/transport"
)

// TestShamirMulProperty checks ShamirMul, a product of products and
// ShamirDot against the plaintext over the field, for several party counts
// and thresholds with N >= 2T-1 and several sizes. The outputs are
// reconstructed from all N shares with the threshold T, so every share
// beyond T is checked to lie on one polynomial of degree T-1: the degree
// was reduced.
func TestShamirMulProperty(t *testing.T) {
	for _, c := range []struct{ n, th int }{{3, 2}, {4, 2}, {5, 3}, {7, 4}} {
		for _, size := range []int{1, 7, 1000} {
			t.Run(fmt.Sprintf("n%d/t%d/size%d", c.n, c.th, size), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(c.n), uint64(size)))
				x, y := make([]uint64, size), make([]uint64, size)
				for i := range x {
					x[i], y[i] = r.Uint64N(ShamirPrime), r.Uint64N(ShamirPrime)
				}
				x[0] = FieldFromInt64(-3)
				xs, err := ShamirSplit(x, c.th, c.n)
				require.NoError(t, err)
				ys, err := ShamirSplit(y, c.th, c.n)
				require.NoError(t, err)
				type out struct{ prod, cube, dot ShamirShare }
				res := runParties(t, c.n, uint64(size), func(ctx context.Context, p *Party) (out, error) {
					var o out
					var err error
					me := p.Self()
					if o.prod, err = p.ShamirMul(ctx, xs[me], ys[me], c.th); err != nil {
						return o, err
					}
					if o.cube, err = p.ShamirMul(ctx, o.prod, xs[me], c.th); err != nil {
						return o, err
					}
					o.dot, err = p.ShamirDot(ctx, xs[me], ys[me], c.th)
					return o, err
				})
				collect := func(f func(out) ShamirShare) []uint64 {
					sh := make([]ShamirShare, c.n)
					for i, o := range res {
						sh[i] = f(o)
					}
					v, err := ShamirReconstruct(sh, c.th)
					require.NoError(t, err)
					return v
				}
				prod := collect(func(o out) ShamirShare { return o.prod })
				cube := collect(func(o out) ShamirShare { return o.cube })
				dot := collect(func(o out) ShamirShare { return o.dot })
				var want uint64
				for i := range x {
					xy := field61.Mul(x[i], y[i])
					require.Equal(t, xy, prod[i], "product %d", i)
					require.Equal(t, field61.Mul(xy, x[i]), cube[i], "product of products %d", i)
					want = field61.Add(want, xy)
				}
				require.Equal(t, []uint64{want}, dot)
			})
		}
	}
}

// TestShamirDoubleRandom checks the double sharings against their
// definition: the degree-(T-1) and degree-(2T-2) shares open to the same
// values (the former checked against every share beyond T), and the
// values are distinct (within one batch too: outputs that the extraction
// matrix made equal would reuse a mask).
func TestShamirDoubleRandom(t *testing.T) {
	for _, c := range []struct{ n, th int }{{3, 2}, {5, 2}, {5, 3}} {
		const size = 500
		type out struct{ rt, r2t []uint64 }
		res := runParties(t, c.n, 7, func(ctx context.Context, p *Party) (out, error) {
			rt, r2t, err := p.doubleRandom(ctx, "test", size, c.th)
			return out{rt, r2t}, err
		})
		sht, sh2t := make([]ShamirShare, c.n), make([]ShamirShare, c.n)
		for i, o := range res {
			sht[i] = ShamirShare{X: uint64(i + 1), Y: o.rt}
			sh2t[i] = ShamirShare{X: uint64(i + 1), Y: o.r2t}
		}
		vt, err := ShamirReconstruct(sht, c.th)
		require.NoError(t, err)
		v2t, err := ShamirReconstruct(sh2t, 2*c.th-1)
		require.NoError(t, err)
		require.Equal(t, vt, v2t)
		seen := map[uint64]bool{}
		for _, v := range vt {
			require.False(t, seen[v], "a random value repeats")
			seen[v] = true
		}
	}
}

// TestHyperInvertible: every square submatrix of the N x N extraction
// matrix is invertible (the property DN07's privacy argument uses), for
// N up to 6, exhaustively.
func TestHyperInvertible(t *testing.T) {
	for n := 2; n <= 6; n++ {
		m := himRows(n, n)
		for rows := 1; rows < 1<<n; rows++ {
			for cols := 1; cols < 1<<n; cols++ {
				if popcount(rows) != popcount(cols) {
					continue
				}
				require.NotZero(t, det(submatrix(m, rows, cols)), "n=%d rows %b cols %b", n, rows, cols)
			}
		}
	}
}

func TestShamirMulParams(t *testing.T) {
	res := runParties(t, 4, 1, func(ctx context.Context, p *Party) (error, error) {
		s := ShamirShare{X: uint64(p.Self() + 1), Y: []uint64{1}}
		_, err := p.ShamirMul(ctx, s, s, 3) // 2T-1 = 5 > 4 parties
		return err, nil
	})
	for _, err := range res {
		require.ErrorIs(t, err, ErrInvalidParams)
	}
}

func popcount(v int) int {
	c := 0
	for ; v != 0; v &= v - 1 {
		c++
	}
	return c
}

func submatrix(m [][]uint64, rows, cols int) [][]uint64 {
	var out [][]uint64
	for i := range m {
		if rows>>i&1 == 0 {
			continue
		}
		var r []uint64
		for j := range m[i] {
			if cols>>j&1 == 1 {
				r = append(r, m[i][j])
			}
		}
		out = append(out, r)
	}
	return out
}

// det is the determinant over the field by Gaussian elimination.
func det(a [][]uint64) uint64 {
	n := len(a)
	d := uint64(1)
	for c := range n {
		p := -1
		for r := c; r < n; r++ {
			if a[r][c] != 0 {
				p = r
				break
			}
		}
		if p < 0 {
			return 0
		}
		if p != c {
			a[p], a[c] = a[c], a[p]
			d = field61.Sub(0, d)
		}
		d = field61.Mul(d, a[c][c])
		inv := field61.Inv(a[c][c])
		for r := c + 1; r < n; r++ {
			f := field61.Mul(a[r][c], inv)
			for k := c; k < n; k++ {
				a[r][k] = field61.Sub(a[r][k], field61.Mul(f, a[c][k]))
			}
		}
	}
	return d
}

// recvRecorder keeps a copy of every message its connection receives.
type recvRecorder struct {
	transport.Conn
	mu  sync.Mutex
	got [][]byte
}

func (c *recvRecorder) Recv(ctx context.Context) ([]byte, error) {
	m, err := c.Conn.Recv(ctx)
	if err == nil {
		c.mu.Lock()
		c.got = append(c.got, append([]byte(nil), m...))
		c.mu.Unlock()
	}
	return m, err
}

// TestShamirMulOpeningMasked: what party 0 receives in the opening of the
// degree reduction is masked by fresh double sharings: the same input
// shares (of x = 0) multiplied in two runs give different opening shares,
// element by element, from every peer.
func TestShamirMulOpeningMasked(t *testing.T) {
	const n, th, size = 3, 2, 16
	zero := make([]uint64, size)
	ys := make([]uint64, size)
	for i := range ys {
		ys[i] = uint64(i + 1)
	}
	xsh, err := ShamirSplit(zero, th, n)
	require.NoError(t, err)
	ysh, err := ShamirSplit(ys, th, n)
	require.NoError(t, err)
	run := func(seed uint64) [][]byte {
		recs := make([]*recvRecorder, n)
		runParties(t, n, seed, func(ctx context.Context, p *Party) (ShamirShare, error) {
			return p.ShamirMul(ctx, xsh[p.Self()], ysh[p.Self()], th)
		}, func(p *Party) {
			if p.Self() == 0 {
				for j := 1; j < n; j++ {
					recs[j] = &recvRecorder{Conn: p.conns[j]}
					p.conns[j] = recs[j]
				}
			}
		})
		// The last message from each peer is its opening share.
		var last [][]byte
		for j := 1; j < n; j++ {
			last = append(last, recs[j].got[len(recs[j].got)-1])
		}
		return last
	}
	a, b := run(1), run(2)
	for j := range a {
		for k := range size {
			wa := binary.LittleEndian.Uint64(a[j][headerSize+8*k:])
			wb := binary.LittleEndian.Uint64(b[j][headerSize+8*k:])
			require.NotEqual(t, wa, wb, "peer %d's opening share %d repeats: it is not masked", j+1, k)
		}
	}
}
