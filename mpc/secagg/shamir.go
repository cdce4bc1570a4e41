package secagg

import (
	"fmt"
	"io"
	"math/big"
)

// Shamir secret sharing of 32-byte secrets over the prime field GF(p),
// p = 2^256 + 297 (the smallest prime above 2^256), so every 32-byte string
// is a field element. The share of holder x (a client id, never 0) is the
// value at x of a random polynomial of degree t-1 whose constant term is the
// secret; any t shares determine the secret and t-1 reveal nothing.

// shareSize is the encoded size of one share value (big-endian, fixed size).
const shareSize = 33

var fieldP = func() *big.Int {
	p := new(big.Int).Lsh(big.NewInt(1), 256)
	return p.Add(p, big.NewInt(297))
}()

type shareValue [shareSize]byte

// shamirSplit returns the shares of secret for holders xs (distinct,
// non-zero) with threshold t, drawing coefficients from r.
func shamirSplit(secret []byte, xs []int, t int, r io.Reader) ([]shareValue, error) {
	if len(secret) != 32 || t < 1 || t > len(xs) {
		return nil, fmt.Errorf("%w: shamir: secret of %d bytes, threshold %d, %d holders", ErrInvalidParams, len(secret), t, len(xs))
	}
	coeffs := make([]*big.Int, t)
	coeffs[0] = new(big.Int).SetBytes(secret)
	for i := 1; i < t; i++ {
		c, err := randField(r)
		if err != nil {
			return nil, err
		}
		coeffs[i] = c
	}
	out := make([]shareValue, len(xs))
	acc, bx := new(big.Int), new(big.Int)
	for k, x := range xs {
		if x <= 0 {
			return nil, fmt.Errorf("%w: shamir: holder %d", ErrInvalidParams, x)
		}
		bx.SetInt64(int64(x))
		acc.Set(coeffs[t-1])
		for i := t - 2; i >= 0; i-- { // Horner
			acc.Mul(acc, bx)
			acc.Add(acc, coeffs[i])
			acc.Mod(acc, fieldP)
		}
		acc.FillBytes(out[k][:])
	}
	return out, nil
}

func randField(r io.Reader) (*big.Int, error) {
	// Rejection sampling of 257-bit strings: accepted with probability ~1/2.
	var b [shareSize]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("secagg: randomness: %w", err)
		}
		b[0] &= 1
		v := new(big.Int).SetBytes(b[:])
		if v.Cmp(fieldP) < 0 {
			return v, nil
		}
	}
}

// shamirCombine recovers the 32-byte secret from the first t of the shares
// ys held by xs (distinct, non-zero). It fails if a share is not a field
// element or the result is not a 32-byte value.
func shamirCombine(xs []int, ys []shareValue, t int) ([]byte, error) {
	if t < 1 || len(xs) < t || len(ys) != len(xs) {
		return nil, fmt.Errorf("%w: %d shares, threshold %d", ErrTooManyDropouts, len(xs), t)
	}
	xs, ys = xs[:t], ys[:t]
	// Secret = sum_i y_i * prod_{j!=i} x_j / (x_j - x_i).
	num := big.NewInt(1)
	bx := new(big.Int)
	for _, x := range xs {
		num.Mul(num, bx.SetInt64(int64(x)))
		num.Mod(num, fieldP)
	}
	sum, den, term, y := new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	for i, xi := range xs {
		y.SetBytes(ys[i][:])
		if y.Cmp(fieldP) >= 0 {
			return nil, fmt.Errorf("%w: share is not a field element", ErrMalformed)
		}
		// lambda_i = num / (x_i * prod_{j != i} (x_j - x_i))
		den.SetInt64(int64(xi))
		for j, xj := range xs {
			if j == i {
				continue
			}
			if xj == xi {
				return nil, fmt.Errorf("%w: repeated share holder %d", ErrMalformed, xi)
			}
			den.Mul(den, bx.SetInt64(int64(xj-xi)))
			den.Mod(den, fieldP)
		}
		if den.ModInverse(den, fieldP) == nil {
			return nil, fmt.Errorf("%w: share holder 0", ErrMalformed)
		}
		term.Mul(num, den)
		term.Mod(term, fieldP)
		term.Mul(term, y)
		sum.Add(sum, term)
	}
	sum.Mod(sum, fieldP)
	if sum.BitLen() > 256 {
		return nil, fmt.Errorf("%w: shares do not reconstruct a 32-byte secret", ErrMalformed)
	}
	out := make([]byte, 32)
	sum.FillBytes(out)
	return out, nil
}
