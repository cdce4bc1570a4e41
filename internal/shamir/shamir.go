// Package shamir is Shamir secret sharing over GF(2^61-1), the field of
// [field61]: split vectors of field elements among holders, and combine
// any Threshold of the shares.
//
// Threshold means, as everywhere in Veil, how many shares together
// reconstruct: a secret shared with threshold T lies on a random polynomial
// of degree T-1, so any T shares recover it and any T-1 reveal nothing.
// Holders are named by their evaluation points X, distinct and non-zero.
//
// Coefficients come from [prg] keyed from crypto/rand. mpc and mpc/secagg
// share secrets through this package.
package shamir

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/internal/field61"
	"github.com/veil-go/veil/internal/prg"
)

// P is the field's modulus, 2^61 - 1.
const P = field61.P

// ErrInconsistent: more than Threshold shares were given and they do not
// lie on one polynomial of degree Threshold-1, so at least one is wrong.
var ErrInconsistent = errors.New("shares are inconsistent")

// Share is one holder's shares of a vector of secrets: the evaluations at
// X of the polynomials whose constant terms are the secrets.
type Share struct {
	X uint64
	Y []uint64
}

// checkPoints checks that xs are distinct non-zero field elements.
func checkPoints(xs []uint64) error {
	seen := make(map[uint64]struct{}, len(xs))
	for i, x := range xs {
		if x == 0 || x >= P {
			return fmt.Errorf("shamir: %w: holder %d has X=%d (zero or outside the field)", errs.ErrInvalidParams, i, x)
		}
		if _, dup := seen[x]; dup {
			return fmt.Errorf("shamir: %w: holder %d repeats X=%d", errs.ErrInvalidParams, i, x)
		}
		seen[x] = struct{}{}
	}
	return nil
}

// Sampler draws uniform field elements from a PRG keyed from crypto/rand.
// It is not safe for concurrent use.
type Sampler struct {
	g   *prg.PRG
	buf [8 * 256]byte
	pos int
}

// NewSampler returns a sampler keyed from crypto/rand.
func NewSampler() (*Sampler, error) {
	g, err := prg.NewRandom()
	if err != nil {
		return nil, fmt.Errorf("shamir: %w", err)
	}
	return &Sampler{g: g}, nil
}

// Next returns a uniform element of [0, P), by rejection (probability
// 2^-61 of a redraw).
func (s *Sampler) Next() uint64 {
	for {
		if s.pos == 0 {
			_, _ = s.g.Read(s.buf[:])
			s.pos = len(s.buf)
		}
		s.pos -= 8
		if v := binary.LittleEndian.Uint64(s.buf[s.pos:]) & P; v != P {
			return v
		}
	}
}

// Fill sets every element of dst to a uniform field element.
func (s *Sampler) Fill(dst []uint64) {
	for i := range dst {
		dst[i] = s.Next()
	}
}

// Split shares each secret (a field element) with threshold t among the
// holders at xs: share i holds the evaluations at xs[i]. It needs
// 1 <= t <= len(xs); with t = 1 every share is the secret itself.
func Split(secrets []uint64, t int, xs []uint64) ([]Share, error) {
	s, err := NewSampler()
	if err != nil {
		return nil, err
	}
	return SplitWith(s, secrets, t, xs)
}

// SplitWith is [Split] drawing the coefficients from s.
func SplitWith(s *Sampler, secrets []uint64, t int, xs []uint64) ([]Share, error) {
	if t < 1 || t > len(xs) {
		return nil, fmt.Errorf("shamir: %w: threshold %d with %d holders (need 1 <= threshold <= holders)", errs.ErrInvalidParams, t, len(xs))
	}
	if err := checkPoints(xs); err != nil {
		return nil, err
	}
	for i, v := range secrets {
		if v >= P {
			return nil, fmt.Errorf("shamir: %w: secret %d is not a field element", errs.ErrInvalidParams, i)
		}
	}
	out := make([]Share, len(xs))
	for i, x := range xs {
		out[i] = Share{X: x, Y: make([]uint64, len(secrets))}
	}
	coef := make([]uint64, t-1) // degrees 1..t-1
	for k, v := range secrets {
		s.Fill(coef)
		for i, x := range xs {
			acc := uint64(0) // Horner: ((c_{t-1} x + c_{t-2}) x + ... + c_1) x + v
			for j := len(coef) - 1; j >= 0; j-- {
				acc = field61.Mul(field61.Add(acc, coef[j]), x)
			}
			out[i].Y[k] = field61.Add(acc, v)
		}
	}
	clear(coef)
	return out, nil
}

// Lagrange returns the coefficients l_j such that f(at) = sum_j l_j f(xs[j])
// for every polynomial f of degree below len(xs). The xs must be distinct
// field elements.
func Lagrange(xs []uint64, at uint64) []uint64 {
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

// Combine recovers the secrets from at least t shares of threshold t. It
// interpolates with the first t shares and checks that every further share
// lies on the same polynomials, failing with [ErrInconsistent] otherwise (a
// wrong share among t+1 or more is always detected; with exactly t shares
// nothing can be checked). Malformed shares (X zero, repeated or outside the
// field, values outside the field, lengths that differ) wrap
// [errs.ErrMalformed].
func Combine(shares []Share, t int) ([]uint64, error) {
	if t < 1 || len(shares) < t {
		return nil, fmt.Errorf("shamir: %w: %d shares for threshold %d", errs.ErrInvalidParams, len(shares), t)
	}
	xs := make([]uint64, len(shares))
	size := len(shares[0].Y)
	for i, s := range shares {
		xs[i] = s.X
		if len(s.Y) != size {
			return nil, fmt.Errorf("shamir: %w: share %d has %d values, share 0 has %d", errs.ErrMalformed, i, len(s.Y), size)
		}
		for k, y := range s.Y {
			if y >= P {
				return nil, fmt.Errorf("shamir: %w: share %d value %d is not a field element", errs.ErrMalformed, i, k)
			}
		}
	}
	if err := checkPoints(xs); err != nil {
		return nil, fmt.Errorf("%w: %w", errs.ErrMalformed, err)
	}
	base := shares[:t]
	eval := func(l []uint64, k int) uint64 {
		var acc uint64
		for j, s := range base {
			acc = field61.Add(acc, field61.Mul(l[j], s.Y[k]))
		}
		return acc
	}
	for _, extra := range shares[t:] {
		l := Lagrange(xs[:t], extra.X)
		for k := range size {
			if eval(l, k) != extra.Y[k] {
				return nil, fmt.Errorf("shamir: %w: share at X=%d, element %d, is off the polynomial of degree %d", ErrInconsistent, extra.X, k, t-1)
			}
		}
	}
	l0 := Lagrange(xs[:t], 0)
	out := make([]uint64, size)
	for k := range out {
		out[k] = eval(l0, k)
	}
	return out, nil
}

// FromInt64 maps a signed integer to the field (v mod P).
func FromInt64(v int64) uint64 {
	if v >= 0 {
		return uint64(v) % P
	}
	return field61.Sub(0, uint64(-(v+1))%P+1)
}

// ToInt64 maps a field element to the signed integer in (-P/2, P/2) that it
// represents.
func ToInt64(x uint64) int64 {
	if x > P/2 {
		return -int64(P - x)
	}
	return int64(x)
}
