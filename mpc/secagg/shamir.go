package secagg

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/veil-go/veil/internal/field61"
	"github.com/veil-go/veil/internal/shamir"
)

// secagg's encoding of 32-byte secrets (X25519 keys, self-mask seeds) on
// top of internal/shamir: a secret, read as a 256-bit big-endian integer,
// is cut into five limbs of 60 bits (the last holds the top 16 bits), each
// a field element shared on its own. A share of one secret is its five
// field elements, 8 bytes each, big-endian: [ShareSize] bytes.

const (
	limbBits = 60
	limbs    = ShareSize / 8 // ceil(256 / 60) = 5
	limbMask = 1<<limbBits - 1
	topBits  = 256 - limbBits*(limbs-1) // bits in the last limb
)

// ShareSize is the length of one Shamir share of a 32-byte secret
// ([SecretShare.Value]).
const ShareSize = 40

type shareValue = [ShareSize]byte

// secretLimbs cuts a 32-byte big-endian secret into limbs, least
// significant first, appending them to dst.
func secretLimbs(dst []uint64, secret []byte) []uint64 {
	var w [4]uint64 // little-endian words of the 256-bit integer
	for i := range w {
		w[i] = binary.BigEndian.Uint64(secret[32-8*(i+1):])
	}
	for i := range limbs {
		bit := limbBits * i
		word, off := bit/64, uint(bit%64)
		v := w[word] >> off
		if off > 64-limbBits && word+1 < len(w) {
			v |= w[word+1] << (64 - off)
		}
		dst = append(dst, v&limbMask)
	}
	return dst
}

// limbsSecret is the inverse of secretLimbs; it fails if a limb is out of
// range (the shares were not of a 32-byte secret).
func limbsSecret(l []uint64) ([]byte, error) {
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

// splitSecrets shares the 32-byte secrets with threshold t among the
// holders xs (client ids): out[h][s] is holder xs[h]'s share of secret s.
func splitSecrets(secrets [][]byte, xs []int, t int) ([][]shareValue, error) {
	field := make([]uint64, 0, limbs*len(secrets))
	for _, s := range secrets {
		if len(s) != 32 {
			return nil, fmt.Errorf("secagg: %w: secret of %d bytes", ErrInvalidParams, len(s))
		}
		field = secretLimbs(field, s)
	}
	hx := make([]uint64, len(xs))
	for i, x := range xs {
		hx[i] = uint64(x)
	}
	shares, err := shamir.Split(field, t, hx)
	clear(field)
	if err != nil {
		return nil, fmt.Errorf("secagg: %w", err)
	}
	out := make([][]shareValue, len(xs))
	for h, sh := range shares {
		out[h] = make([]shareValue, len(secrets))
		for s := range secrets {
			for l := range limbs {
				binary.BigEndian.PutUint64(out[h][s][8*l:], sh.Y[s*limbs+l])
			}
		}
		clear(sh.Y)
	}
	return out, nil
}

// combineSecret recovers a 32-byte secret from the first t of the shares
// ys held by xs: the limbs are sum_i l_i y_i with internal/shamir's
// Lagrange coefficients at 0. It fails if holders repeat or are not
// positive, if a share is not made of field elements, or if the result is
// not a 32-byte value. (The shares beyond t are not checked against the
// polynomial, as [shamir.Combine] would: that would cost a Lagrange
// evaluation per extra share.)
func combineSecret(xs []int, ys []shareValue, t int) ([]byte, error) {
	if t < 1 || len(xs) < t || len(ys) != len(xs) {
		return nil, fmt.Errorf("%w: %d shares, threshold %d", ErrTooManyDropouts, len(xs), t)
	}
	hx := make([]uint64, t)
	for i, x := range xs[:t] {
		if x <= 0 || uint64(x) >= shamir.P || slices.Contains(xs[:i], x) {
			return nil, fmt.Errorf("%w: share holder %d zero, repeated or outside the field", ErrMalformed, x)
		}
		hx[i] = uint64(x)
	}
	l := shamir.Lagrange(hx, 0)
	var limb [limbs]uint64
	for i := range hx {
		for k := range limbs {
			y := binary.BigEndian.Uint64(ys[i][8*k:])
			if y >= shamir.P {
				return nil, fmt.Errorf("%w: share is not made of field elements", ErrMalformed)
			}
			limb[k] = field61.Add(limb[k], field61.Mul(l[i], y))
		}
	}
	return limbsSecret(limb[:])
}
