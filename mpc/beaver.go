package mpc

import (
	"context"
)

// Mul returns shares of the element-wise product x*y over Z_2^64 with
// Beaver triples: one round in which each party sends 2 words per element
// to each peer (2*(N-1)*8 bytes per multiplication per party). For fixed
// point use [FixedParty.Mul], which also truncates.
func (p *Party) Mul(ctx context.Context, x, y Share) (Share, error) {
	if err := p.check("mul", len(x)); err != nil {
		return nil, err
	}
	if len(x) != len(y) {
		return nil, p.argErr("mul", ErrMismatch, "lengths %d and %d", len(x), len(y))
	}
	n := len(x)
	t, err := p.dealer.Triples(ctx, n)
	if err != nil {
		return nil, p.dealerErr("mul", err)
	}
	e, f, err := p.openEF(ctx, "mul", x, y, t)
	if err != nil {
		return nil, err
	}
	out := Share(t.C) // the triple is ours and used once: write in place
	first := p.self == 0
	p.parFor(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			z := out[i] + e[i]*t.B[i] + f[i]*t.A[i]
			if first {
				z += e[i] * f[i]
			}
			out[i] = z
		}
	})
	return out, nil
}

// openEF opens e = x - a and f = y - b in one message.
func (p *Party) openEF(ctx context.Context, op string, x, y Share, t Triples) (e, f []uint64, err error) {
	n := len(x)
	if cap(p.efBuf) < 2*n {
		p.efBuf = make([]uint64, 2*n)
	}
	ef := p.efBuf[:2*n] // e and f are used only before Mul/Dot return
	p.parFor(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ef[i] = x[i] - t.A[i]
			ef[n+i] = y[i] - t.B[i]
		}
	})
	ef, err = p.exchange(ctx, op, kindArith, ef)
	if err != nil {
		return nil, nil, err
	}
	return ef[:n:n], ef[n:], nil
}

// Dot returns shares of the inner product sum x[i]*y[i] (a Share of
// length 1): one round, the same traffic as Mul, and for fixed point one
// truncation for the whole sum instead of one per product (see
// [FixedParty.Dot]).
func (p *Party) Dot(ctx context.Context, x, y Share) (Share, error) {
	if err := p.check("dot", len(x)); err != nil {
		return nil, err
	}
	if len(x) != len(y) {
		return nil, p.argErr("dot", ErrMismatch, "lengths %d and %d", len(x), len(y))
	}
	t, err := p.dealer.Triples(ctx, len(x))
	if err != nil {
		return nil, p.dealerErr("dot", err)
	}
	e, f, err := p.openEF(ctx, "dot", x, y, t)
	if err != nil {
		return nil, err
	}
	var z uint64
	for i := range x {
		z += t.C[i] + e[i]*t.B[i] + f[i]*t.A[i]
		if p.self == 0 {
			z += e[i] * f[i]
		}
	}
	return Share{z}, nil
}

// And returns XOR shares of x AND y, word by word, with AND triples: one
// round, 2 words per element to each peer.
func (p *Party) And(ctx context.Context, x, y BoolShare) (BoolShare, error) {
	if err := p.check("and", len(x)); err != nil {
		return nil, err
	}
	if len(x) != len(y) {
		return nil, p.argErr("and", ErrMismatch, "lengths %d and %d", len(x), len(y))
	}
	return p.and(ctx, x, y)
}

// and is And without the length checks, for internal batches that may be
// longer than the caller's vectors.
func (p *Party) and(ctx context.Context, x, y BoolShare) (BoolShare, error) {
	n := len(x)
	t, err := p.dealer.ANDTriples(ctx, n)
	if err != nil {
		return nil, p.dealerErr("and", err)
	}
	ef := make([]uint64, 2*n)
	for i := range n {
		ef[i] = x[i] ^ t.A[i]
		ef[n+i] = y[i] ^ t.B[i]
	}
	ef, err = p.exchange(ctx, "and", kindBool, ef)
	if err != nil {
		return nil, err
	}
	e, f := ef[:n], ef[n:]
	out := make(BoolShare, n)
	for i := range n {
		z := t.C[i] ^ (e[i] & t.B[i]) ^ (f[i] & t.A[i])
		if p.self == 0 {
			z ^= e[i] & f[i]
		}
		out[i] = z
	}
	return out, nil
}
