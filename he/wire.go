package he

import (
	"encoding/binary"
	"fmt"

	"github.com/tuneinsight/lattigo/v5/ring"
	"github.com/tuneinsight/lattigo/v5/ring/ringqp"
)

// Every message starts with an 8-byte header:
//
//	"VH" | version | kind | scheme | logN | level | 0
//
// followed by kind-specific fields (big-endian integers; ciphertexts,
// masks and shares include the 16-byte key fingerprint) and polynomials,
// each written as its RNS coefficients, 8 bytes little-endian each, every
// one checked to be below its modulus when read. Decoders compute the exact
// expected size from the header and the Params before allocating anything,
// and reject any other size.
const (
	headerSize   = 8
	wireVersion  = 2
	ctHeaderSize = 4 + 8 + fingerprintSize // length, weight, key fingerprint
)

// fingerprintSize is the size of a [Fingerprint].
const fingerprintSize = 16

// Fingerprint names a public key: the first 16 bytes of SHA-256 over its
// binary form. Ciphertexts, their masks and the decryption and
// re-encryption shares made from them carry the fingerprint of the key
// they were made under, so that a stale message from another round (whose
// key is fresh) or another key is rejected instead of summed into garbage.
// The zero Fingerprint means unbound (a sum not yet added to).
type Fingerprint [fingerprintSize]byte

type msgKind uint8

const (
	kindCiphertext msgKind = iota + 1
	kindPublicKey
	kindPublicKeyShare
	kindDecryptionShare
	kindReencryptionShare
	kindShamirShare
	kindMasks
	kindProof
)

func (k msgKind) String() string {
	names := [...]string{"", "ciphertext", "public key", "public key share", "decryption share", "re-encryption share", "Shamir share", "ciphertext masks", "proof"}
	if int(k) < len(names) && k > 0 {
		return names[k]
	}
	return fmt.Sprintf("kind %d", uint8(k))
}

func (p *Params) putHeader(b []byte, k msgKind, level int) []byte {
	return append(b, 'V', 'H', wireVersion, byte(k), byte(p.scheme), byte(p.spec.LogN), byte(level), 0)
}

// checkHeader validates the header of data against p and kind; level is the
// level the message must be at.
func (p *Params) checkHeader(data []byte, k msgKind, level int) error {
	if len(data) < headerSize {
		return fmt.Errorf("he: %w: %v: %d bytes, shorter than the header", ErrMalformed, k, len(data))
	}
	if data[0] != 'V' || data[1] != 'H' || data[2] != wireVersion || data[7] != 0 {
		return fmt.Errorf("he: %w: %v: bad magic or version", ErrMalformed, k)
	}
	if msgKind(data[3]) != k {
		return fmt.Errorf("he: %w: expected a %v, got a %v", ErrMalformed, k, msgKind(data[3]))
	}
	if Scheme(data[4]) != p.scheme || int(data[5]) != p.spec.LogN || int(data[6]) != level {
		return fmt.Errorf("he: %w: %v for %v LogN %d level %d, expected %v LogN %d level %d", ErrMismatch, k,
			Scheme(data[4]), data[5], data[6], p.scheme, p.spec.LogN, level)
	}
	return nil
}

// appendPoly writes the first len(moduli) RNS limbs of pol.
func appendPoly(b []byte, pol ring.Poly, limbs int) []byte {
	for i := 0; i < limbs; i++ {
		for _, c := range pol.Coeffs[i] {
			b = binary.LittleEndian.AppendUint64(b, c)
		}
	}
	return b
}

// readPoly fills pol's limbs from data, checking every coefficient is
// reduced; it returns the rest of data.
func readPoly(data []byte, pol ring.Poly, moduli []uint64) ([]byte, error) {
	for i, q := range moduli {
		c := pol.Coeffs[i]
		if len(data) < 8*len(c) {
			return nil, fmt.Errorf("he: %w: truncated polynomial", ErrMalformed)
		}
		for j := range c {
			v := binary.LittleEndian.Uint64(data[8*j:])
			if v >= q {
				return nil, fmt.Errorf("he: %w: coefficient %d of limb %d not reduced modulo %d", ErrMalformed, j, i, q)
			}
			c[j] = v
		}
		data = data[8*len(c):]
	}
	return data, nil
}

// qpLimbs is the number of limbs of a full QP polynomial.
func (p *Params) qpLimbs() int { return p.rlwe.QCount() + p.rlwe.PCount() }

func (p *Params) qpBytes() int { return p.qpLimbs() * p.rlwe.N() * 8 }

func appendPolyQP(b []byte, pol ringqp.Poly) []byte {
	b = appendPoly(b, pol.Q, pol.Q.Level()+1)
	if pol.P.Level() >= 0 {
		b = appendPoly(b, pol.P, pol.P.Level()+1)
	}
	return b
}

func (p *Params) readPolyQP(data []byte, pol ringqp.Poly) ([]byte, error) {
	data, err := readPoly(data, pol.Q, p.rlwe.Q())
	if err != nil || p.rlwe.PCount() == 0 {
		return data, err
	}
	return readPoly(data, pol.P, p.rlwe.P())
}

// qAt is the moduli of the encryption level.
func (p *Params) qAt() []uint64 { return p.rlwe.Q()[:p.level+1] }
