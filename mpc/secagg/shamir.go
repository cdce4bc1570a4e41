package secagg

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/veil-go/veil/internal/field61"
)

// Shamir secret sharing of 32-byte secrets. A secret, read as a 256-bit
// big-endian integer, is cut into five limbs of 60 bits (the last holds the
// top 16 bits), and each limb is shared on its own over the prime field
// GF(p), p = 2^61 - 1 (a Mersenne prime, so products reduce with shifts).
// The share of holder x (a client id, never 0) is, per limb, the value at x
// of a random polynomial of degree t-1 whose constant term is the limb; any
// t shares determine every limb and t-1 reveal nothing about any of them.
// A share is the five field elements, 8 bytes each, big-endian.
//
// (Package mpc also has Shamir sharing over 2^61-1, with the same field
// arithmetic from internal/field61, but it evaluates at the
// fixed points 1..n; SecAgg+ shares among a client's k neighbours only.)

const (
	fieldP    = field61.P
	limbBits  = 60
	limbs     = 5 // ceil(256 / 60)
	shareSize = 8 * limbs
	limbMask  = 1<<limbBits - 1
	topBits   = 256 - limbBits*(limbs-1) // bits in the last limb
)

type shareValue [shareSize]byte

// secretLimbs cuts a 32-byte big-endian secret into limbs, least
// significant first.
func secretLimbs(secret []byte) [limbs]uint64 {
	var w [4]uint64 // little-endian words of the 256-bit integer
	for i := range w {
		w[i] = binary.BigEndian.Uint64(secret[32-8*(i+1):])
	}
	var l [limbs]uint64
	for i := range l {
		bit := limbBits * i
		word, off := bit/64, uint(bit%64)
		v := w[word] >> off
		if off > 64-limbBits && word+1 < len(w) {
			v |= w[word+1] << (64 - off)
		}
		l[i] = v & limbMask
	}
	return l
}

// limbsSecret is the inverse of secretLimbs; it fails if a limb is out of
// range (the shares were not of a 32-byte secret).
func limbsSecret(l [limbs]uint64) ([]byte, error) {
	for i, v := range l {
		if v > limbMask || (i == limbs-1 && v >= 1<<topBits) {
			return nil, fmt.Errorf("%w: shares do not reconstruct a 32-byte secret", ErrMalformed)
		}
	}
	var w [4]uint64
	for i, v := range l {
		bit := limbBits * i
		word, off := bit/64, uint(bit%64)
		w[word] |= v << off
		if off > 64-limbBits && word+1 < len(w) {
			w[word+1] |= v >> (64 - off)
		}
	}
	out := make([]byte, 32)
	for i := range w {
		binary.BigEndian.PutUint64(out[32-8*(i+1):], w[i])
	}
	return out, nil
}

// shamirSplit returns the shares of secret for holders xs (distinct,
// positive) with threshold t, drawing coefficients from r.
func shamirSplit(secret []byte, xs []int, t int, r io.Reader) ([]shareValue, error) {
	if len(secret) != 32 || t < 1 || t > len(xs) {
		return nil, fmt.Errorf("%w: shamir: secret of %d bytes, threshold %d, %d holders", ErrInvalidParams, len(secret), t, len(xs))
	}
	// coeffs[l*t+d] is the degree-d coefficient of limb l's polynomial.
	coeffs := make([]uint64, limbs*t)
	if err := randField(coeffs, r); err != nil {
		return nil, err
	}
	sl := secretLimbs(secret)
	for l := range limbs {
		coeffs[l*t] = sl[l]
	}
	out := make([]shareValue, len(xs))
	for k, x := range xs {
		if x <= 0 || x >= fieldP {
			return nil, fmt.Errorf("%w: shamir: holder %d", ErrInvalidParams, x)
		}
		bx := uint64(x)
		for l := range limbs {
			c := coeffs[l*t : (l+1)*t]
			acc := c[t-1]
			for d := t - 2; d >= 0; d-- { // Horner
				acc = field61.Add(field61.Mul(acc, bx), c[d])
			}
			binary.BigEndian.PutUint64(out[k][8*l:], acc)
		}
	}
	clear(coeffs)
	return out, nil
}

// randField fills dst with uniform field elements read from r.
func randField(dst []uint64, r io.Reader) error {
	buf := make([]byte, 8*len(dst))
	if _, err := io.ReadFull(r, buf); err != nil {
		return fmt.Errorf("secagg: randomness: %w", err)
	}
	var one [8]byte
	for i := range dst {
		v := binary.LittleEndian.Uint64(buf[8*i:]) & fieldP
		for v == fieldP { // probability 2^-61
			if _, err := io.ReadFull(r, one[:]); err != nil {
				return fmt.Errorf("secagg: randomness: %w", err)
			}
			v = binary.LittleEndian.Uint64(one[:]) & fieldP
		}
		dst[i] = v
	}
	clear(buf)
	return nil
}

// shamirCombine recovers the 32-byte secret from the first t of the shares
// ys held by xs (distinct, positive). It fails if a share is not made of
// field elements or the result is not a 32-byte value.
func shamirCombine(xs []int, ys []shareValue, t int) ([]byte, error) {
	if t < 1 || len(xs) < t || len(ys) != len(xs) {
		return nil, fmt.Errorf("%w: %d shares, threshold %d", ErrTooManyDropouts, len(xs), t)
	}
	xs, ys = xs[:t], ys[:t]
	// lambda_i = prod_{j != i} x_j / (x_j - x_i): the secret is
	// sum_i lambda_i y_i.
	lambda := make([]uint64, t)
	for i, xi := range xs {
		if xi <= 0 || xi >= fieldP {
			return nil, fmt.Errorf("%w: share holder %d", ErrMalformed, xi)
		}
		num, den := uint64(1), uint64(1)
		for j, xj := range xs {
			if j == i {
				continue
			}
			if xj == xi {
				return nil, fmt.Errorf("%w: repeated share holder %d", ErrMalformed, xi)
			}
			num = field61.Mul(num, uint64(xj)%fieldP)
			den = field61.Mul(den, field61.Sub(uint64(xj)%fieldP, uint64(xi)))
		}
		lambda[i] = field61.Mul(num, field61.Inv(den))
	}
	var l [limbs]uint64
	for i := range xs {
		for k := range limbs {
			y := binary.BigEndian.Uint64(ys[i][8*k:])
			if y >= fieldP {
				return nil, fmt.Errorf("%w: share is not made of field elements", ErrMalformed)
			}
			l[k] = field61.Add(l[k], field61.Mul(lambda[i], y))
		}
	}
	return limbsSecret(l)
}
