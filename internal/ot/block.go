package ot

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
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

// CRHash is the correlation-robust hash that turns the correlated rows of
// an OT extension into independent-looking messages. For the OT of global
// index j (the tweak) and a 128-bit row x it is
//
//	H(j, x) = pi_g(sigma(x)) ^ sigma(x),   g = j / hashGroup,
//
// the Matyas-Meyer-Oseas hash with the linear orthomorphism
// sigma(x_lo, x_hi) = (x_lo ^ x_hi, x_lo) (MMO^sigma, which Guo, Katz,
// Wang and Yu, S&P 2020, prove circular correlation robust for a random
// permutation), where pi_g is AES-128 under a key of its own for each group
// of hashGroup consecutive indices: k_g = AES_salt(g), with salt a public
// value both parties share and fresh for the session. It costs one
// crypto/aes block call per hash and one key schedule per group.
//
// Why keys per group (the multi-instance setting of Guo, Katz, Wang, Weng
// and Yu, CRYPTO 2020): with one fixed key for every OT, an adversary's
// AES evaluation tests a guess against the outputs of all OTs at once, so n
// OTs cost log2(n) bits of security; a tweak inside the hash, as the TMMO
// form pi(pi(x) ^ j) ^ pi(x) does, avoids that at two block calls per
// hash. Here an ideal-cipher query under key k_g bears on group g only,
// which holds at most 2*hashGroup distinct hash inputs (the sender's two
// per OT; the receiver's is one of them), so an adversary making p AES
// evaluations learns some OT's other message with probability about
// 2*hashGroup*p/2^128 = 2^9*p/2^128 whatever the number of OTs or sessions.
// It is safe for concurrent use.
type CRHash struct{ kdf cipher.Block }

// hashGroup is the number of consecutive OT indices whose hashes share one
// AES key: 256 keeps the key schedules under 1% of the hashing (one
// aes.NewCipher, about 140 ns, per 256 OTs) at a 9-bit multi-instance loss.
const hashGroup = 256

// NewCRHash returns the hash of the session whose public salt is salt.
func NewCRHash(salt Block) *CRHash {
	return &CRHash{kdf: newAES(salt[:])}
}

// newAES returns AES-128 under the 16-byte key k.
func newAES(k []byte) cipher.Block {
	b, err := aes.NewCipher(k)
	if err != nil {
		panic("ot: AES with a 16-byte key cannot fail: " + err.Error())
	}
	return b
}

// sessionSalt derives the hash's salt from a message of the session's
// setup that both parties hold.
func sessionSalt(setup []byte) Block {
	d := sha256.Sum256(append([]byte("veil/ot hash salt v1\x00"), setup...))
	return Block(d[:16])
}

// group returns pi_g, AES under k_g = AES_salt(g).
func (h *CRHash) group(g uint64) cipher.Block {
	var k [16]byte
	binary.LittleEndian.PutUint64(k[:], g)
	h.kdf.Encrypt(k[:], k[:])
	return newAES(k[:])
}

// groups calls f(pi, j0, j1) for the runs [j0, j1) of j < n whose indices
// tweak+j share a group, in order.
func (h *CRHash) groups(tweak uint64, n int, f func(pi cipher.Block, j0, j1 int)) {
	for j0 := 0; j0 < n; {
		g := (tweak + uint64(j0)) / hashGroup
		j1 := min(n, j0+int((g+1)*hashGroup-tweak-uint64(j0)))
		f(h.group(g), j0, j1)
		j0 = j1
	}
}

// Hash returns H(tweak, x) for a 128-bit x given as two little-endian words.
func (h *CRHash) Hash(tweak uint64, lo, hi uint64) Block {
	var out [1]Block
	h.HashRows(out[:], tweak, []uint64{lo, hi}, 0, 0)
	return out[0]
}

// hashBatch is the number of blocks hashed side by side: the block calls
// are independent, and issued together the CPU overlaps their AES rounds.
const hashBatch = 8

// mmo sets res[2k], res[2k+1] to the words of pi(y_k) ^ y_k for the n <=
// hashBatch blocks y_k = (in[2k], in[2k+1]) (sigma already applied). buf is
// scratch.
func mmo(pi cipher.Block, buf *[32 * hashBatch]byte, in, res *[2 * hashBatch]uint64, n int) {
	le := binary.LittleEndian
	x, y := (*[16 * hashBatch]byte)(buf[:16*hashBatch]), (*[16 * hashBatch]byte)(buf[16*hashBatch:])
	if n == hashBatch { // constant bounds: no bounds checks in the loops
		for k := range hashBatch {
			le.PutUint64(x[16*k:], in[2*k])
			le.PutUint64(x[16*k+8:], in[2*k+1])
		}
		for k := range hashBatch {
			pi.Encrypt(y[16*k:16*k+16], x[16*k:16*k+16])
		}
		for k := range hashBatch {
			res[2*k] = le.Uint64(y[16*k:]) ^ in[2*k]
			res[2*k+1] = le.Uint64(y[16*k+8:]) ^ in[2*k+1]
		}
		return
	}
	for k := range n {
		le.PutUint64(x[16*k:], in[2*k])
		le.PutUint64(x[16*k+8:], in[2*k+1])
	}
	for k := range n {
		pi.Encrypt(y[16*k:16*k+16], x[16*k:16*k+16])
	}
	for k := range n {
		res[2*k] = le.Uint64(y[16*k:]) ^ in[2*k]
		res[2*k+1] = le.Uint64(y[16*k+8:]) ^ in[2*k+1]
	}
}

// sigma is the orthomorphism (lo, hi) -> (lo ^ hi, lo).
func sigma(lo, hi uint64) (uint64, uint64) { return lo ^ hi, lo }

// HashRows sets out[j] = H(tweak+j, x_j) for the 128-bit rows
// x_j = (rows[2j] ^ xlo, rows[2j+1] ^ xhi), j < len(out).
func (h *CRHash) HashRows(out []Block, tweak uint64, rows []uint64, xlo, xhi uint64) {
	h.rowBatches(tweak, len(out), rows, xlo, xhi, func(j int, res *[2 * hashBatch]uint64, n int) {
		for k := range n {
			putBlock(&out[j+k], res[2*k], res[2*k+1])
		}
	})
}

// rowBatches hashes the rows x_j = (rows[2j] ^ xlo, rows[2j+1] ^ xhi),
// j < n, a batch at a time: emit(j, res, m) gets the words of
// H(tweak+j+k, x_{j+k}) in res[2k], res[2k+1], k < m.
func (h *CRHash) rowBatches(tweak uint64, n int, rows []uint64, xlo, xhi uint64, emit func(j int, res *[2 * hashBatch]uint64, m int)) {
	buf := new([32 * hashBatch]byte) // one heap buffer per call, not per block
	var in, res [2 * hashBatch]uint64
	h.groups(tweak, n, func(pi cipher.Block, j0, j1 int) {
		for j := j0; j < j1; j += hashBatch {
			m := min(hashBatch, j1-j)
			for k := range m {
				in[2*k], in[2*k+1] = sigma(rows[2*(j+k)]^xlo, rows[2*(j+k)+1]^xhi)
			}
			mmo(pi, buf, &in, &res, m)
			emit(j, &res, m)
		}
	})
}

// pairBatches hashes each row q_j = (rows[2j], rows[2j+1]), j < n, twice,
// as q_j and as q_j ^ s for s = (d0, d1), a batch at a time: emit(j, res, m)
// gets H(tweak+j+k, q_{j+k}) in res[4k], res[4k+1] and
// H(tweak+j+k, q_{j+k} ^ s) in res[4k+2], res[4k+3], k < m. Both hashes of
// a row are under one group key, and sigma is linear, so
// sigma(q ^ s) = sigma(q) ^ sigma(s).
func (h *CRHash) pairBatches(tweak uint64, n int, rows []uint64, d0, d1 uint64, emit func(j int, res *[2 * hashBatch]uint64, m int)) {
	const per = hashBatch / 2 // rows per batch, two blocks each
	buf := new([32 * hashBatch]byte)
	var in, res [2 * hashBatch]uint64
	s0, s1 := sigma(d0, d1)
	h.groups(tweak, n, func(pi cipher.Block, j0, j1 int) {
		for j := j0; j < j1; j += per {
			m := min(per, j1-j)
			for k := range m {
				y0, y1 := sigma(rows[2*(j+k)], rows[2*(j+k)+1])
				in[4*k], in[4*k+1], in[4*k+2], in[4*k+3] = y0, y1, y0^s0, y1^s1
			}
			mmo(pi, buf, &in, &res, 2*m)
			emit(j, &res, m)
		}
	})
}

// putBlock sets b to the little-endian words lo, hi.
func putBlock(b *Block, lo, hi uint64) {
	binary.LittleEndian.PutUint64(b[:], lo)
	binary.LittleEndian.PutUint64(b[8:], hi)
}
