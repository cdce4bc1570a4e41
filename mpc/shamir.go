package mpc

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/veil-go/veil/internal/field61"
	"github.com/veil-go/veil/internal/prg"
)

// ShamirPrime is the modulus of the field of Shamir sharing: the Mersenne
// prime 2^61 - 1. It is chosen because reduction after a 64x64-bit
// multiplication (math/bits.Mul64) is two shifts, a mask and an add, with
// no division; because elements fit a uint64 with 3 bits of headroom; and
// because 61 bits hold any 32-bit integer or fixed-point value with room
// for sums of many of them. Signed values map to the field as v mod p (see
// [FieldFromInt64]).
const ShamirPrime = field61.P

// ShamirShare is one party's shares of a vector: the evaluations at X of
// the degree-t polynomials whose constant terms are the secrets.
type ShamirShare struct {
	X uint64
	Y []uint64
}

// FieldFromInt64 maps a signed integer to the field (v mod p).
func FieldFromInt64(v int64) uint64 {
	if v >= 0 {
		return uint64(v) % ShamirPrime
	}
	return field61.Sub(0, uint64(-(v+1))%ShamirPrime+1)
}

// FieldToInt64 maps a field element back to the signed integer in
// (-p/2, p/2) it represents.
func FieldToInt64(x uint64) int64 {
	if x > ShamirPrime/2 {
		return -int64(ShamirPrime - x)
	}
	return int64(x)
}

// fieldSampler draws uniform field elements by rejection from a byte
// stream.
type fieldSampler struct {
	r   io.Reader
	buf [8 * 256]byte
	pos int
}

func (s *fieldSampler) next() (uint64, error) {
	for {
		if s.pos == 0 {
			if _, err := io.ReadFull(s.r, s.buf[:]); err != nil {
				return 0, fmt.Errorf("mpc: randomness: %w", err)
			}
			s.pos = len(s.buf)
		}
		s.pos -= 8
		v := binary.LittleEndian.Uint64(s.buf[s.pos:]) & ShamirPrime
		if v != ShamirPrime {
			return v, nil
		}
	}
}

// ShamirSplit shares each secret (a field element, < ShamirPrime) with a
// random polynomial of degree t among n parties: party i gets the
// evaluations at X = i+1. Any t+1 shares reconstruct; any t reveal
// nothing. rnd supplies the coefficients; nil means a PRG seeded from
// crypto/rand (a fixed reader is for tests only).
func ShamirSplit(secrets []uint64, t, n int, rnd io.Reader) ([]ShamirShare, error) {
	if n < 2 || t < 1 || t >= n || uint64(n) >= ShamirPrime {
		return nil, fmt.Errorf("%w: Shamir threshold t=%d with n=%d parties (need 1 <= t < n)", ErrInvalidParams, t, n)
	}
	for i, s := range secrets {
		if s >= ShamirPrime {
			return nil, fmt.Errorf("%w: secret %d is not a field element", ErrInvalidParams, i)
		}
	}
	if rnd == nil {
		g, err := prg.NewRandom()
		if err != nil {
			return nil, fmt.Errorf("mpc: %w", err)
		}
		rnd = g
	}
	smp := &fieldSampler{r: rnd}
	out := make([]ShamirShare, n)
	for i := range out {
		out[i] = ShamirShare{X: uint64(i + 1), Y: make([]uint64, len(secrets))}
	}
	coef := make([]uint64, t)
	for k, s := range secrets {
		for j := range coef {
			c, err := smp.next()
			if err != nil {
				return nil, err
			}
			coef[j] = c
		}
		for i := range out {
			x := out[i].X
			acc := uint64(0) // Horner: ((c_t x + c_{t-1}) x + ...) x + s
			for j := t - 1; j >= 0; j-- {
				acc = field61.Mul(field61.Add(acc, coef[j]), x)
			}
			out[i].Y[k] = field61.Add(acc, s)
		}
	}
	return out, nil
}

// lagrange returns the coefficients l_j with f(at) = sum l_j f(xs[j]) for
// any polynomial f of degree < len(xs).
func lagrange(xs []uint64, at uint64) []uint64 {
	l := make([]uint64, len(xs))
	for j, xj := range xs {
		num, den := uint64(1), uint64(1)
		for m, xm := range xs {
			if m == j {
				continue
			}
			num = field61.Mul(num, field61.Sub(at, xm))
			den = field61.Mul(den, field61.Sub(xj, xm))
		}
		l[j] = field61.Mul(num, field61.Inv(den))
	}
	return l
}

// ShamirReconstruct recovers the secrets from at least t+1 shares of
// degree-t polynomials. It interpolates with the first t+1 shares and, when
// more arrive, checks that every extra share lies on the same polynomial:
// otherwise it returns ErrInconsistent (a wrong share among t+2 or more is
// always detected; with exactly t+1 shares nothing can be checked).
func ShamirReconstruct(shares []ShamirShare, t int) ([]uint64, error) {
	if t < 1 || len(shares) < t+1 {
		return nil, fmt.Errorf("%w: %d shares for threshold %d (need t+1)", ErrInvalidParams, len(shares), t)
	}
	size := len(shares[0].Y)
	seen := make(map[uint64]bool, len(shares))
	for i, s := range shares {
		if s.X == 0 || s.X >= ShamirPrime || seen[s.X] {
			return nil, fmt.Errorf("%w: share %d has X=%d (zero, out of field or repeated)", ErrInvalidParams, i, s.X)
		}
		seen[s.X] = true
		if len(s.Y) != size {
			return nil, fmt.Errorf("%w: share %d has %d values, share 0 has %d", ErrInvalidParams, i, len(s.Y), size)
		}
		for k, y := range s.Y {
			if y >= ShamirPrime {
				return nil, fmt.Errorf("%w: share %d value %d is not a field element", ErrInvalidParams, i, k)
			}
		}
	}
	base := shares[:t+1]
	xs := make([]uint64, t+1)
	for i, s := range base {
		xs[i] = s.X
	}
	eval := func(l []uint64, k int) uint64 {
		var acc uint64
		for j, s := range base {
			acc = field61.Add(acc, field61.Mul(l[j], s.Y[k]))
		}
		return acc
	}
	for _, extra := range shares[t+1:] {
		l := lagrange(xs, extra.X)
		for k := range size {
			if eval(l, k) != extra.Y[k] {
				return nil, fmt.Errorf("%w: share at X=%d, element %d, is off the degree-%d polynomial", ErrInconsistent, extra.X, k, t)
			}
		}
	}
	l0 := lagrange(xs, 0)
	out := make([]uint64, size)
	for k := range out {
		out[k] = eval(l0, k)
	}
	return out, nil
}

// ShamirAdd returns shares of the element-wise sum (local; same X).
func ShamirAdd(a, b ShamirShare) (ShamirShare, error) {
	if a.X != b.X || len(a.Y) != len(b.Y) {
		return ShamirShare{}, fmt.Errorf("%w: adding shares at X=%d and X=%d of lengths %d and %d", ErrInvalidParams, a.X, b.X, len(a.Y), len(b.Y))
	}
	out := ShamirShare{X: a.X, Y: make([]uint64, len(a.Y))}
	for i := range out.Y {
		out.Y[i] = field61.Add(a.Y[i], b.Y[i])
	}
	return out, nil
}

// ShamirMulConst returns shares of c times the secrets (local).
func ShamirMulConst(a ShamirShare, c uint64) ShamirShare {
	c %= ShamirPrime
	out := ShamirShare{X: a.X, Y: make([]uint64, len(a.Y))}
	for i := range out.Y {
		out.Y[i] = field61.Mul(a.Y[i], c)
	}
	return out
}

// OpenShamir reveals Shamir-shared secrets to every party: each party
// sends its shares (its X must be Self()+1) to every peer and
// reconstructs from all N shares, so an inconsistent share from any peer is
// detected (ErrInconsistent) as long as N >= t+2.
func (p *Party) OpenShamir(ctx context.Context, s ShamirShare, t int) ([]uint64, error) {
	if err := p.check("open", len(s.Y)); err != nil {
		return nil, err
	}
	if s.X != uint64(p.self+1) || t < 1 || t >= p.n {
		return nil, fmt.Errorf("%w: share at X=%d for party %d, threshold %d of %d", ErrInvalidParams, s.X, p.self, t, p.n)
	}
	if err := p.sendAll(ctx, kindShamir, s.Y, -1); err != nil {
		return nil, p.fail("open", err)
	}
	shares := make([]ShamirShare, 0, p.n)
	shares = append(shares, s)
	for j := range p.conns {
		if j == p.self {
			continue
		}
		y := make([]uint64, len(s.Y))
		err := p.recvChunks(ctx, j, kindShamir, len(y), func(lo int, body []byte) {
			combine(y[lo:], body, false, 1)
		})
		if err != nil {
			return nil, p.fail("open", err)
		}
		for _, v := range y {
			if v >= ShamirPrime {
				return nil, p.fail("open", fmt.Errorf("%w: party %d sent a value outside the field", ErrMalformed, j))
			}
		}
		shares = append(shares, ShamirShare{X: uint64(j + 1), Y: y})
	}
	p.step++
	out, err := ShamirReconstruct(shares, t)
	if err != nil {
		return nil, p.fail("open", err)
	}
	return out, nil
}
