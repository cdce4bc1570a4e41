package mpc

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/veil-go/veil/internal/field61"
	"github.com/veil-go/veil/internal/shamir"
)

// Honest-majority multiplication of Shamir shares with no dealer and no
// OT (Damgard-Nielsen 2007, semi-honest): with threshold T (degree
// t = T-1) and N >= 2t+1 parties, the local products x_i*y_i are shares
// of degree 2t of x*y; the parties open d = x*y - r from a random double
// sharing ([r] of degree t, [r] of degree 2t) and take [r]_t + d. The
// double sharings come from the parties themselves: each deals one random
// value twice (degrees t and 2t), and N-t outputs are extracted with the
// first N-t rows of DN07's hyper-invertible matrix (the map from a
// polynomial's values at 1..N to its values at N+1..2N), every square
// submatrix of which is invertible: so whatever the t values of a
// coalition, the outputs are uniform, given the coalition's view, as long
// as the other N-t parties' values are.

// himRows returns the first rows of the N x N hyper-invertible matrix: row
// k, column i is the Lagrange coefficient of point i+1 at N+1+k over the
// points 1..N, so M maps the values at 1..N of a polynomial of degree below
// N to its values at N+1..2N.
func himRows(n, rows int) [][]uint64 {
	xs := make([]uint64, n)
	for i := range xs {
		xs[i] = uint64(i + 1)
	}
	m := make([][]uint64, rows)
	for k := range m {
		m[k] = shamir.Lagrange(xs, uint64(n+1+k))
	}
	return m
}

// checkShamirMul checks the operands and the honest-majority bound of a
// Shamir multiplication with the given threshold.
func (p *Party) checkShamirMul(op string, x, y ShamirShare, threshold int) error {
	if err := p.check(op, len(x.Y)); err != nil {
		return err
	}
	if len(x.Y) != len(y.Y) {
		return p.argErr(op, ErrMismatch, "lengths %d and %d", len(x.Y), len(y.Y))
	}
	me := uint64(p.self + 1)
	if x.X != me || y.X != me {
		return p.argErr(op, ErrInvalidParams, "shares at X=%d and X=%d for party %d (need X=%d)", x.X, y.X, p.self, me)
	}
	if err := checkThreshold(threshold, p.n); err != nil {
		return p.argErr(op, ErrInvalidParams, "threshold %d of %d parties", threshold, p.n)
	}
	if 2*threshold-1 > p.n {
		return p.argErr(op, ErrInvalidParams, "threshold %d needs at least %d parties for dealer-free multiplication (N >= 2T-1, an honest majority), have %d", threshold, 2*threshold-1, p.n)
	}
	return nil
}

// ShamirMul returns shares of threshold T of the element-wise product of x
// and y (shares of threshold T, at X = Self()+1), with no dealer: degree
// reduction with random double sharings (Damgard-Nielsen 2007). It needs an
// honest majority, N >= 2T-1 parties, and takes two rounds: each party
// deals 2 shares per N-T+1 products to each peer, then the first 2T-1
// parties send one word per product to every peer.
func (p *Party) ShamirMul(ctx context.Context, x, y ShamirShare, threshold int) (ShamirShare, error) {
	const op = "shamir mul"
	if err := p.checkShamirMul(op, x, y, threshold); err != nil {
		return ShamirShare{}, err
	}
	z := make([]uint64, len(x.Y))
	p.parFor(len(z), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			z[i] = field61.Mul(x.Y[i], y.Y[i])
		}
	})
	out, err := p.reduceDegree(ctx, op, z, threshold)
	if err != nil {
		return ShamirShare{}, err
	}
	return ShamirShare{X: x.X, Y: out}, nil
}

// ShamirDot returns shares of threshold T of the inner product
// sum x[i]*y[i] (one element), with one degree reduction for the whole sum:
// the same rounds as [Party.ShamirMul] and the traffic of one product.
func (p *Party) ShamirDot(ctx context.Context, x, y ShamirShare, threshold int) (ShamirShare, error) {
	const op = "shamir dot"
	if err := p.checkShamirMul(op, x, y, threshold); err != nil {
		return ShamirShare{}, err
	}
	var s uint64
	for i := range x.Y {
		s = field61.Add(s, field61.Mul(x.Y[i], y.Y[i]))
	}
	out, err := p.reduceDegree(ctx, op, []uint64{s}, threshold)
	if err != nil {
		return ShamirShare{}, err
	}
	return ShamirShare{X: x.X, Y: out}, nil
}

// reduceDegree turns this party's shares z of degree 2(T-1) into shares of
// the same secrets of degree T-1: z is overwritten.
func (p *Party) reduceDegree(ctx context.Context, op string, z []uint64, threshold int) ([]uint64, error) {
	rt, r2t, err := p.doubleRandom(ctx, op, len(z), threshold)
	if err != nil {
		return nil, err
	}
	p.parFor(len(z), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			z[i] = field61.Sub(z[i], r2t[i])
		}
	})
	// The first 2T-1 parties' shares determine d = z - r (degree 2T-2):
	// they send them to everyone.
	senders := 2*threshold - 1
	if p.self < senders {
		if j, err := p.sendAll(ctx, kindShamir, z, -1); err != nil {
			return nil, p.fail(op, j, err)
		}
	}
	xs := make([]uint64, senders)
	for i := range xs {
		xs[i] = uint64(i + 1)
	}
	lag := shamir.Lagrange(xs, 0)
	d := make([]uint64, len(z))
	if p.self < senders {
		l := lag[p.self]
		p.parFor(len(z), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				d[i] = field61.Mul(l, z[i])
			}
		})
	}
	for j := range senders {
		if j == p.self {
			continue
		}
		l := lag[j]
		var bad atomic.Bool
		err := p.recvChunks(ctx, j, kindShamir, len(z), func(lo int, body []byte) {
			part := d[lo : lo+len(body)/8]
			p.parFor(len(part), func(a, b int) {
				for i := a; i < b; i++ {
					v := binary.LittleEndian.Uint64(body[8*i:])
					if v >= ShamirPrime {
						bad.Store(true)
						return
					}
					part[i] = field61.Add(part[i], field61.Mul(l, v))
				}
			})
		})
		if err == nil && bad.Load() {
			err = fmt.Errorf("%w: a value outside the field", ErrMalformed)
		}
		if err != nil {
			return nil, p.fail(op, j, err)
		}
	}
	p.step++
	p.parFor(len(z), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			rt[i] = field61.Add(rt[i], d[i])
		}
	})
	return rt, nil
}

// doubleRandom returns this party's shares of n random values r, of degree
// T-1 and of degree 2T-2: one round in which each party deals
// ceil(n/(N-T+1)) random values twice to every peer.
func (p *Party) doubleRandom(ctx context.Context, op string, n, threshold int) (rt, r2t []uint64, err error) {
	t := threshold - 1
	per := p.n - t // outputs per batch of N dealt values
	batches := (n + per - 1) / per
	smp, err := shamir.NewSampler()
	if err != nil {
		return nil, nil, p.fail(op, -1, err)
	}
	xs := make([]uint64, p.n)
	for i := range xs {
		xs[i] = uint64(i + 1)
	}
	s := make([]uint64, batches)
	smp.Fill(s)
	sht, err := shamir.SplitWith(smp, s, t+1, xs)
	if err == nil {
		var sh2t []shamir.Share
		if sh2t, err = shamir.SplitWith(smp, s, 2*t+1, xs); err == nil {
			for j := range sht {
				sht[j].Y = append(sht[j].Y, sh2t[j].Y...)
			}
		}
	}
	clear(s)
	if err != nil {
		return nil, nil, p.fail(op, -1, err)
	}
	// in[i] holds party i's dealt shares for us: degree t, then degree 2t.
	in := make([][]uint64, p.n)
	in[p.self] = sht[p.self].Y
	for j, conn := range p.conns {
		if conn == nil {
			continue
		}
		for c := range p.chunkCount(len(sht[j].Y)) {
			lo := c * p.chunk
			if err := conn.Send(ctx, p.encode(kindShamir, sht[j].Y[lo:min(lo+p.chunk, len(sht[j].Y))])); err != nil {
				return nil, nil, p.fail(op, j, err)
			}
		}
	}
	for j := range p.conns {
		if j == p.self {
			continue
		}
		y := make([]uint64, 2*batches)
		err := p.recvChunks(ctx, j, kindShamir, len(y), func(lo int, body []byte) {
			combineRange(y[lo:], body, false, 0, len(body)/8)
		})
		if err == nil {
			for _, v := range y {
				if v >= ShamirPrime {
					err = fmt.Errorf("%w: a value outside the field", ErrMalformed)
					break
				}
			}
		}
		if err != nil {
			return nil, nil, p.fail(op, j, err)
		}
		in[j] = y
	}
	p.step++
	m := himRows(p.n, per)
	rt, r2t = make([]uint64, n), make([]uint64, n)
	p.parFor(batches, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			for k := range per {
				idx := b*per + k
				if idx >= n {
					break
				}
				var at, a2t uint64
				for i, row := range in {
					at = field61.Add(at, field61.Mul(m[k][i], row[b]))
					a2t = field61.Add(a2t, field61.Mul(m[k][i], row[batches+b]))
				}
				rt[idx], r2t[idx] = at, a2t
			}
		}
	})
	return rt, r2t, nil
}
