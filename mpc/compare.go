package mpc

import (
	"context"
)

// LTZ returns additive shares of the bit [x < 0] (x read as a signed
// 64-bit ring element, so the answer is exact for every x: it is x's top
// bit). Protocol: the parties open c = x + r for a dealer-made random r
// held both additively and as XOR-shared bits (an edaBit); x = c - r is
// then a boolean subtraction of shared bits from public ones, whose top
// bit needs the carry into bit 63, computed by a Kogge-Stone prefix of
// 6 levels of AND gates on bit-sliced 64-bit words (11 word ANDs with AND
// triples); a dealer random bit converts the result to an additive share.
// Rounds: 1 + 6 + 1 = 8; bytes per element to each peer: 8 + 11*16 + 1/8.
func (p *Party) LTZ(ctx context.Context, x Share) (Share, error) {
	msb, err := p.msb(ctx, x)
	if err != nil {
		return nil, err
	}
	return p.b2a(ctx, msb)
}

// msb returns XOR shares (in bit 0) of the top bit of x.
func (p *Party) msb(ctx context.Context, x Share) (BoolShare, error) {
	if err := p.check("compare", len(x)); err != nil {
		return nil, err
	}
	n := len(x)
	eda, err := p.dealer.EdaBits(ctx, n)
	if err != nil {
		return nil, p.dealerErr("compare", err)
	}
	masked := make([]uint64, n)
	for i := range masked {
		masked[i] = x[i] + eda.Arith[i]
	}
	c, err := p.exchange(ctx, "compare", kindArith, masked)
	if err != nil {
		return nil, err
	}
	// x = c + NOT(r) + 1. a = c public, b = NOT(r) shared (party 0 flips).
	first := p.self == 0
	g := make(BoolShare, n)
	prop := make(BoolShare, n)
	for i := range n {
		b := eda.Bool[i]
		if first {
			b = ^b
		}
		g[i] = c[i] & b // public AND shared: local
		prop[i] = b
		if first {
			prop[i] ^= c[i]
		}
		g[i] ^= prop[i] & 1 // carry-in 1: carry out of bit 0 is g0 XOR p0
	}
	top := make([]uint64, n)
	for i := range top {
		top[i] = prop[i] >> 63
	}
	pp := prop
	gg := g
	both := make(BoolShare, 2*n)
	shifted := make(BoolShare, 2*n)
	for d := uint(1); d < 64; d <<= 1 {
		if d < 32 {
			copy(both[:n], pp)
			copy(both[n:], pp)
			for i := range n {
				shifted[i] = gg[i] << d
				shifted[n+i] = pp[i] << d
			}
			z, err := p.and(ctx, both, shifted)
			if err != nil {
				return nil, err
			}
			for i := range n {
				gg[i] ^= z[i]
			}
			pp = append(BoolShare(nil), z[n:]...)
		} else {
			s := make(BoolShare, n)
			for i := range n {
				s[i] = gg[i] << d
			}
			z, err := p.and(ctx, pp, s)
			if err != nil {
				return nil, err
			}
			for i := range n {
				gg[i] ^= z[i]
			}
		}
	}
	out := make(BoolShare, n)
	for i := range n {
		out[i] = (top[i] ^ gg[i]>>62) & 1
	}
	return out, nil
}

// b2a converts XOR-shared bits (bit 0) to additive shares with dealer
// random bits: open e = b XOR s (packed 64 to a word), then
// b = e + s - 2es.
func (p *Party) b2a(ctx context.Context, b BoolShare) (Share, error) {
	n := len(b)
	da, err := p.dealer.DaBits(ctx, n)
	if err != nil {
		return nil, p.dealerErr("b2a", err)
	}
	packed := make(BoolShare, (n+63)/64)
	for i := range n {
		packed[i/64] |= ((b[i] ^ da.Bool[i]) & 1) << (i % 64)
	}
	e, err := p.exchange(ctx, "b2a", kindBool, packed)
	if err != nil {
		return nil, err
	}
	out := make(Share, n)
	for i := range n {
		ei := e[i/64] >> (i % 64) & 1
		z := da.Arith[i] - 2*ei*da.Arith[i]
		if p.self == 0 {
			z += ei
		}
		out[i] = z
	}
	return out, nil
}

// LessThan returns shares of the bit [x < y], exact when x - y does not
// wrap (|x - y| < 2^63 as signed ring elements).
func (p *Party) LessThan(ctx context.Context, x, y Share) (Share, error) {
	d, err := Sub(x, y)
	if err != nil {
		return nil, err
	}
	return p.LTZ(ctx, d)
}

// GreaterEqualPublic returns shares of [x >= t] for a public bound t (a
// ring element; for fixed point see [FixedParty.Threshold]).
func (p *Party) GreaterEqualPublic(ctx context.Context, x Share, t uint64) (Share, error) {
	d, err := p.AddPublic(x, []uint64{-t})
	if err != nil {
		return nil, err
	}
	lt, err := p.LTZ(ctx, d)
	if err != nil {
		return nil, err
	}
	return p.AddPublic(neg(lt), []uint64{1})
}

// Select returns shares of b ? x : y = y + b(x - y) for shared bits b
// (one multiplication round).
func (p *Party) Select(ctx context.Context, b, x, y Share) (Share, error) {
	d, err := Sub(x, y)
	if err != nil {
		return nil, err
	}
	if len(b) != len(d) {
		return nil, p.argErr("select", ErrMismatch, "lengths %d and %d", len(b), len(d))
	}
	m, err := p.Mul(ctx, b, d)
	if err != nil {
		return nil, err
	}
	return Add(y, m)
}

// Max returns shares of the element-wise maximum of x and y.
func (p *Party) Max(ctx context.Context, x, y Share) (Share, error) {
	lt, err := p.LessThan(ctx, x, y)
	if err != nil {
		return nil, err
	}
	return p.Select(ctx, lt, y, x)
}

// ReLU returns shares of max(x, 0).
func (p *Party) ReLU(ctx context.Context, x Share) (Share, error) {
	neg, err := p.LTZ(ctx, x)
	if err != nil {
		return nil, err
	}
	return p.Select(ctx, neg, make(Share, len(x)), x)
}
