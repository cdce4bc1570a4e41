package psi

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/gtank/ristretto255"
	"github.com/veil-go/veil/internal/h2c"
)

// HashDST is the domain-separation tag with which items are hashed to
// ristretto255 (RFC 9380 hash_to_ristretto255, expand_message_xmd with
// SHA-512).
const HashDST = "VEIL-PSI-V01-CS01-with-ristretto255_XMD:SHA-512_R255MAP_RO_"

const (
	tagDST     = "veil/psi/v1/tag"
	joinKeyDST = "veil/psi/v1/join-key"
)

// hashToGroup maps an item to ristretto255.
func hashToGroup(item []byte) *ristretto255.Element {
	e, err := h2c.HashToRistretto255(item, []byte(HashDST))
	if err != nil {
		panic("psi: constant DST rejected: " + err.Error()) // unreachable: the DST is a valid constant
	}
	return e
}

// tagKey is a tag zero-padded to MaxTagLen, usable as a map key.
type tagKey [MaxTagLen]byte

// tagOf writes the tagLen-byte tag of an encoded element into dst.
func tagOf(dst []byte, enc []byte) {
	h := sha256.New()
	h.Write([]byte(tagDST))
	h.Write(enc)
	var sum [sha256.Size]byte
	copy(dst, h.Sum(sum[:0]))
}

func keyOf(tag []byte) tagKey {
	var k tagKey
	copy(k[:], tag)
	return k
}

// joinAEAD returns the AES-256-GCM instance keyed by the item's PRF value.
// Each key seals exactly one payload, so a fixed nonce is safe.
func joinAEAD(prf []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, prf, nil, joinKeyDST, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

var zeroNonce [12]byte

// randomScalar draws a uniform non-zero scalar.
func randomScalar(r io.Reader) (*ristretto255.Scalar, error) {
	var buf [64]byte
	zero := ristretto255.NewScalar()
	for {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return nil, fmt.Errorf("reading randomness: %w", err)
		}
		s := ristretto255.NewScalar().FromUniformBytes(buf[:])
		if s.Equal(zero) == 0 {
			return s, nil
		}
	}
}

// randPerm returns a uniformly random permutation of 0..n-1 (Fisher-Yates
// with rejection sampling, so no modulo bias).
func randPerm(r io.Reader, n int) ([]int32, error) {
	p := make([]int32, n)
	for i := range p {
		p[i] = int32(i)
	}
	if err := shuffle(r, n, func(i, j int) { p[i], p[j] = p[j], p[i] }); err != nil {
		return nil, err
	}
	return p, nil
}

// shuffle applies a uniformly random permutation through swap.
func shuffle(r io.Reader, n int, swap func(i, j int)) error {
	var buf [8 * 256]byte
	avail := 0
	next := func() (uint64, error) {
		if avail == 0 {
			if _, err := io.ReadFull(r, buf[:]); err != nil {
				return 0, fmt.Errorf("reading randomness: %w", err)
			}
			avail = len(buf) / 8
		}
		avail--
		return binary.LittleEndian.Uint64(buf[avail*8:]), nil
	}
	for i := n - 1; i > 0; i-- {
		bound := uint64(i + 1)
		limit := -bound % bound // 2^64 mod bound: values below it are rejected
		var v uint64
		for {
			x, err := next()
			if err != nil {
				return err
			}
			if x >= limit {
				v = x % bound
				break
			}
		}
		swap(i, int(v))
	}
	return nil
}

// decodePoint decodes a peer's element, rejecting invalid encodings and the
// identity (which no honest party sends: it would mean a zero key or item).
func decodePoint(enc []byte) (*ristretto255.Element, error) {
	e, err := ristretto255.NewElement().SetCanonicalBytes(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: invalid ristretto255 encoding", ErrMalformed)
	}
	if e.Equal(ristretto255.NewIdentityElement()) == 1 {
		return nil, fmt.Errorf("%w: identity element", ErrMalformed)
	}
	return e, nil
}

// scalarFromInt64 encodes v as a scalar (negative values as the group order
// minus |v|).
func scalarFromInt64(v int64) *ristretto255.Scalar {
	var buf [32]byte
	u := uint64(v)
	if v < 0 {
		u = uint64(-v)
	}
	binary.LittleEndian.PutUint64(buf[:], u)
	s, err := ristretto255.NewScalar().SetCanonicalBytes(buf[:])
	if err != nil {
		panic("psi: small scalar rejected") // unreachable: any value below 2^64 is canonical
	}
	if v < 0 {
		s.Negate(s)
	}
	return s
}

// solveSum finds v with |v| <= maxAbs and v*G == target by baby-step
// giant-step, growing the table until it covers |v|: the cost is about
// 7*sqrt(|v|) group operations and encodings, and 12 bytes of memory per
// table entry (about 2*sqrt(|v|) entries).
func solveSum(ctx context.Context, target *ristretto255.Element, maxAbs int64) (int64, error) {
	g := ristretto255.NewGeneratorElement()
	table := make(map[uint64]uint32)
	baby := ristretto255.NewIdentityElement()
	var enc [32]byte
	key := func(e *ristretto255.Element) uint64 {
		return binary.LittleEndian.Uint64(e.Encode(enc[:0]))
	}
	check := func(v int64) bool {
		return v >= -maxAbs && v <= maxAbs &&
			ristretto255.NewElement().ScalarBaseMult(scalarFromInt64(v)).Equal(target) == 1
	}
	negTarget := ristretto255.NewElement().Negate(target)
	steps := int64(0) // baby steps taken: baby = steps*G (a key collision keeps the first label, not the count)
	for m := int64(1 << 8); ; m *= 4 {
		for ; steps < m; steps++ {
			if _, dup := table[key(baby)]; !dup {
				table[key(baby)] = uint32(steps)
			}
			baby.Add(baby, g)
		}
		giant := ristretto255.NewElement().ScalarBaseMult(scalarFromInt64(m))
		pos := ristretto255.NewElement().Set(target)
		neg := ristretto255.NewElement().Set(negTarget)
		for i := int64(0); i <= m; i++ {
			if i%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return 0, err
				}
			}
			if j, ok := table[key(pos)]; ok && check(i*m+int64(j)) {
				return i*m + int64(j), nil
			}
			if j, ok := table[key(neg)]; ok && check(-(i*m + int64(j))) {
				return -(i*m + int64(j)), nil
			}
			pos.Subtract(pos, giant)
			neg.Subtract(neg, giant)
		}
		if m*m >= maxAbs {
			return 0, fmt.Errorf("%w: |sum| above %d", ErrOutOfRange, maxAbs)
		}
	}
}
