// Package h2c implements the parts of RFC 9380 (Hashing to Elliptic Curves)
// that Veil needs: expand_message_xmd (Section 5.3.1) and hash_to_ristretto255
// (Appendix B, the ristretto255_XMD:SHA-512_R255MAP_RO_ suite), whose map is
// ristretto255's FROM_UNIFORM_BYTES (RFC 9496 Section 4.3.4).
//
// Neither the standard library nor golang.org/x/crypto provides
// expand_message_xmd, so it lives here; the group encoding and the map come
// from github.com/gtank/ristretto255.
package h2c

import (
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"

	"github.com/gtank/ristretto255"
)

// ErrInvalidParams is returned for a zero-length DST or an output length
// that expand_message_xmd cannot produce.
var ErrInvalidParams = errors.New("h2c: invalid parameters")

// oversizePrefix is the prefix RFC 9380 Section 5.3.3 hashes long DSTs with.
const oversizePrefix = "H2C-OVERSIZE-DST-"

// ExpandMessageXMD is expand_message_xmd of RFC 9380 Section 5.3.1 with the
// hash function newHash (for example sha512.New). A DST longer than 255 bytes
// is first reduced as Section 5.3.3 prescribes. It returns lenInBytes
// uniformly random-looking bytes, or an error wrapping ErrInvalidParams when
// dst is empty or lenInBytes is out of range (0, or above 255 hash outputs or
// 65535).
func ExpandMessageXMD(newHash func() hash.Hash, msg, dst []byte, lenInBytes int) ([]byte, error) {
	h := newHash()
	bInBytes := h.Size()
	sInBytes := h.BlockSize()
	if len(dst) == 0 {
		return nil, fmt.Errorf("%w: empty DST", ErrInvalidParams)
	}
	ell := (lenInBytes + bInBytes - 1) / bInBytes
	if lenInBytes <= 0 || ell > 255 || lenInBytes > 65535 {
		return nil, fmt.Errorf("%w: len_in_bytes %d out of range", ErrInvalidParams, lenInBytes)
	}
	if len(dst) > 255 {
		h.Write([]byte(oversizePrefix))
		h.Write(dst)
		dst = h.Sum(nil)
		h.Reset()
	}
	dstPrime := make([]byte, 0, len(dst)+1)
	dstPrime = append(append(dstPrime, dst...), byte(len(dst)))

	// b_0 = H(Z_pad || msg || l_i_b_str || I2OSP(0, 1) || DST_prime)
	h.Write(make([]byte, sInBytes))
	h.Write(msg)
	h.Write([]byte{byte(lenInBytes >> 8), byte(lenInBytes), 0})
	h.Write(dstPrime)
	b0 := h.Sum(nil)

	// b_1 = H(b_0 || I2OSP(1, 1) || DST_prime)
	h.Reset()
	h.Write(b0)
	h.Write([]byte{1})
	h.Write(dstPrime)
	bi := h.Sum(nil)

	out := make([]byte, 0, ell*bInBytes)
	out = append(out, bi...)
	tmp := make([]byte, bInBytes)
	for i := 2; i <= ell; i++ {
		// b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime)
		for j := range tmp {
			tmp[j] = b0[j] ^ bi[j]
		}
		h.Reset()
		h.Write(tmp)
		h.Write([]byte{byte(i)})
		h.Write(dstPrime)
		bi = h.Sum(bi[:0])
		out = append(out, bi...)
	}
	return out[:lenInBytes], nil
}

// HashToRistretto255 is hash_to_ristretto255 of RFC 9380 Appendix B:
// FROM_UNIFORM_BYTES(expand_message_xmd(SHA-512, msg, dst, 64)). It is the
// HashToGroup of RFC 9497's ristretto255-SHA512 suite when dst is that
// suite's DST.
func HashToRistretto255(msg, dst []byte) (*ristretto255.Element, error) {
	u, err := ExpandMessageXMD(sha512.New, msg, dst, 64)
	if err != nil {
		return nil, err
	}
	return ristretto255.NewElement().FromUniformBytes(u), nil
}
