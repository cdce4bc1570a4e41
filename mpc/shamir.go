package mpc

import (
	"context"
	"fmt"

	"github.com/veil-go/veil/internal/field61"
	"github.com/veil-go/veil/internal/shamir"
	"github.com/veil-go/veil/report"
)

// ShamirPrime is the modulus of the field of Shamir sharing: the Mersenne
// prime 2^61 - 1. Reduction after a 64x64-bit multiplication is a few
// shifts and adds, elements fit a uint64 with 3 bits of headroom, and 61
// bits hold any 32-bit integer or fixed-point value with room for sums of
// many of them. Signed values map to the field as v mod p (see
// [FieldFromInt64]).
const ShamirPrime = 1<<61 - 1

// internal/shamir works in the same field.
var _ [ShamirPrime - shamir.P]struct{}

// ShamirShare is one party's shares of a vector of secrets: the
// evaluations at X of the random polynomials whose constant terms are the
// secrets. Party i holds X = i+1.
type ShamirShare struct {
	X uint64
	Y []uint64
}

// FieldFromInt64 maps a signed integer to the field (v mod p).
func FieldFromInt64(v int64) uint64 { return shamir.FromInt64(v) }

// FieldToInt64 maps a field element back to the signed integer in
// (-p/2, p/2) it represents.
func FieldToInt64(x uint64) int64 { return shamir.ToInt64(x) }

// checkThreshold checks 2 <= threshold <= n for n parties.
func checkThreshold(threshold, n int) error {
	if n < 2 || threshold < 2 || threshold > n {
		return fmt.Errorf("mpc: %w: Shamir threshold %d with %d parties (need 2 <= threshold <= parties)", ErrInvalidParams, threshold, n)
	}
	return nil
}

// ShamirSplit shares each secret (a field element, < [ShamirPrime]) among n
// parties so that any threshold of the shares reconstruct and any
// threshold-1 reveal nothing (2 <= threshold <= n): party i gets the
// evaluations at X = i+1. The coefficients are drawn from crypto/rand.
func ShamirSplit(secrets []uint64, threshold, n int) ([]ShamirShare, error) {
	if err := checkThreshold(threshold, n); err != nil {
		return nil, err
	}
	for i, s := range secrets {
		if s >= ShamirPrime {
			return nil, fmt.Errorf("mpc: %w: secret %d is not a field element", ErrOutOfRange, i)
		}
	}
	xs := make([]uint64, n)
	for i := range xs {
		xs[i] = uint64(i + 1)
	}
	sh, err := shamir.Split(secrets, threshold, xs)
	if err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	out := make([]ShamirShare, n)
	for i, s := range sh {
		out[i] = ShamirShare(s)
	}
	return out, nil
}

// ShamirReconstruct recovers the secrets from at least threshold shares.
// It interpolates with the first threshold shares and, when more are
// given, checks that every extra share lies on the same polynomials:
// otherwise it returns [ErrInconsistent] (a wrong share among threshold+1
// or more is always detected; with exactly threshold shares nothing can be
// checked). Shares with X zero or repeated, or values outside the field,
// fail with [ErrMalformed].
func ShamirReconstruct(shares []ShamirShare, threshold int) ([]uint64, error) {
	if threshold < 2 || len(shares) < threshold {
		return nil, fmt.Errorf("mpc: %w: %d shares for threshold %d", ErrInvalidParams, len(shares), threshold)
	}
	in := make([]shamir.Share, len(shares))
	for i, s := range shares {
		in[i] = shamir.Share(s)
	}
	out, err := shamir.Combine(in, threshold)
	if err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	return out, nil
}

// ShamirAdd returns shares of the element-wise sum (local; same X).
func ShamirAdd(a, b ShamirShare) (ShamirShare, error) {
	if a.X != b.X || len(a.Y) != len(b.Y) {
		return ShamirShare{}, fmt.Errorf("mpc: %w: adding shares at X=%d and X=%d of lengths %d and %d", ErrMismatch, a.X, b.X, len(a.Y), len(b.Y))
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

// OpenShamir reveals Shamir-shared secrets of the given threshold to every
// party: each party sends its shares (its X must be Self()+1) to every peer
// and reconstructs from all N shares, so an inconsistent share from any
// peer is detected ([ErrInconsistent]) as long as N > threshold.
func (p *Party) OpenShamir(ctx context.Context, s ShamirShare, threshold int) ([]uint64, error) {
	if err := p.check("open", len(s.Y)); err != nil {
		return nil, err
	}
	if s.X != uint64(p.self+1) {
		return nil, p.argErr("open", ErrInvalidParams, "share at X=%d for party %d (need X=%d)", s.X, p.self, p.self+1)
	}
	if err := checkThreshold(threshold, p.n); err != nil {
		return nil, p.argErr("open", ErrInvalidParams, "threshold %d of %d parties", threshold, p.n)
	}
	if j, err := p.sendAll(ctx, kindShamir, s.Y, -1); err != nil {
		return nil, p.fail("open", j, err)
	}
	shares := make([]ShamirShare, 0, p.n)
	shares = append(shares, s)
	for j := range p.conns {
		if j == p.self {
			continue
		}
		y := make([]uint64, len(s.Y))
		err := p.recvChunks(ctx, j, kindShamir, len(y), func(lo int, body []byte) {
			combineRange(y[lo:], body, false, 0, len(body)/8)
		})
		if err != nil {
			return nil, p.fail("open", j, err)
		}
		for _, v := range y {
			if v >= ShamirPrime {
				return nil, p.fail("open", j, fmt.Errorf("%w: a value outside the field", ErrMalformed))
			}
		}
		shares = append(shares, ShamirShare{X: uint64(j + 1), Y: y})
	}
	p.step++
	out, err := ShamirReconstruct(shares, threshold)
	if err != nil {
		return nil, p.fail("open", -1, err)
	}
	p.leak.add("all", report.Output, "", len(s.Y))
	return out, nil
}
