// Package field61 is arithmetic in GF(p) for the Mersenne prime
// p = 2^61 - 1, the field of Veil's Shamir sharings (package mpc's
// arithmetic sharing and mpc/secagg's sharing of key material).
//
// Reduction after a 64x64-bit product (math/bits.Mul64) is two shifts, a
// mask and an add, with no division. Every function takes and returns
// reduced elements (in [0, p)); none is constant-time in its inputs beyond
// what the arithmetic itself gives, except Inv, whose running time depends
// only on p.
package field61

import "math/bits"

// P is the modulus, 2^61 - 1.
const P = 1<<61 - 1

// Add returns a + b mod P.
func Add(a, b uint64) uint64 {
	s := a + b
	if s >= P {
		s -= P
	}
	return s
}

// Sub returns a - b mod P.
func Sub(a, b uint64) uint64 {
	if a >= b {
		return a - b
	}
	return a + P - b
}

// Mul returns a * b mod P.
func Mul(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	r := (lo & P) + (lo>>61 | hi<<3)
	if r >= P {
		r -= P
	}
	return r
}

// Inv returns a^-1 mod P as a^(P-2); a must not be 0 (Inv(0) is 0).
func Inv(a uint64) uint64 {
	r, b := uint64(1), a
	for e := uint64(P - 2); e > 0; e >>= 1 {
		if e&1 == 1 {
			r = Mul(r, b)
		}
		b = Mul(b, b)
	}
	return r
}
