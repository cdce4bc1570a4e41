package ot

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
)

// Block is a 128-bit OT message or key.
type Block [16]byte

// Xor returns b ^ c.
func (b Block) Xor(c Block) Block {
	lo := binary.LittleEndian.Uint64(b[:]) ^ binary.LittleEndian.Uint64(c[:])
	hi := binary.LittleEndian.Uint64(b[8:]) ^ binary.LittleEndian.Uint64(c[8:])
	var r Block
	binary.LittleEndian.PutUint64(r[:], lo)
	binary.LittleEndian.PutUint64(r[8:], hi)
	return r
}

// fixedKey is the public key of the fixed-key AES permutation pi used by the
// correlation-robust hash. Any public constant works; it only has to be the
// same for both parties.
var fixedKey = [16]byte{'v', 'e', 'i', 'l', '/', 'o', 't', '/', 'f', 'i', 'x', 'e', 'd', 'k', 'e', 'y'}

// CRHash is a tweakable correlation-robust hash built from fixed-key AES
// (the TMMO construction of Guo, Katz, Wang, Yu, S&P 2020):
//
//	H(i, x) = pi(pi(x) ^ i) ^ pi(x)
//
// where pi is AES-128 under a fixed public key and i is a 128-bit tweak
// (here the global OT index). It is safe for concurrent use.
type CRHash struct{ pi cipher.Block }

// NewCRHash returns the hash keyed with the package's fixed public key.
func NewCRHash() *CRHash {
	b, err := aes.NewCipher(fixedKey[:])
	if err != nil {
		panic("ot: AES with a 16-byte key cannot fail: " + err.Error())
	}
	return &CRHash{pi: b}
}

// Hash returns H(tweak, x) for a 128-bit x given as two little-endian words.
func (h *CRHash) Hash(tweak uint64, lo, hi uint64) Block {
	var out [1]Block
	h.HashRows(out[:], tweak, []uint64{lo, hi}, 0, 0)
	return out[0]
}

// HashRows sets out[j] = H(tweak+j, x_j) for the 128-bit rows
// x_j = (rows[2j] ^ xlo, rows[2j+1] ^ xhi), j < len(out).
func (h *CRHash) HashRows(out []Block, tweak uint64, rows []uint64, xlo, xhi uint64) {
	buf := make([]byte, 32) // one heap buffer per call, not per block
	x, y := buf[:16], buf[16:]
	for j := range out {
		binary.LittleEndian.PutUint64(x, rows[2*j]^xlo)
		binary.LittleEndian.PutUint64(x[8:], rows[2*j+1]^xhi)
		h.pi.Encrypt(y, x) // y = pi(x)
		y0, y1 := binary.LittleEndian.Uint64(y), binary.LittleEndian.Uint64(y[8:])
		binary.LittleEndian.PutUint64(x, y0^(tweak+uint64(j)))
		binary.LittleEndian.PutUint64(x[8:], y1)
		h.pi.Encrypt(x, x) // pi(pi(x) ^ i)
		binary.LittleEndian.PutUint64(out[j][:], binary.LittleEndian.Uint64(x)^y0)
		binary.LittleEndian.PutUint64(out[j][8:], binary.LittleEndian.Uint64(x[8:])^y1)
	}
}
