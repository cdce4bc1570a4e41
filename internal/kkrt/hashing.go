package kkrt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
)

// digest is an item's 128-bit identity: SHA-256 of the item, truncated.
// Collisions among 2^29 items have probability below 2^-70.
type digest [2]uint64

const itemDomain = "veil/kkrt/item/v1\x00"

// digester hashes items; one per goroutine (it reuses its SHA-256 state).
type digester struct {
	h   hash.Hash
	buf [sha256.Size]byte
}

func newDigester() *digester { return &digester{h: sha256.New()} }

func (g *digester) digest(item []byte) digest {
	g.h.Reset()
	g.h.Write([]byte(itemDomain))
	g.h.Write(item)
	s := g.h.Sum(g.buf[:0])
	return digest{binary.LittleEndian.Uint64(s), binary.LittleEndian.Uint64(s[8:])}
}

// digestAll hashes the items in parallel.
func digestAll(items [][]byte, workers int) []digest {
	out := make([]digest, len(items))
	parallelFor(len(items), workers, func(lo, hi int) {
		g := newDigester()
		for i := lo; i < hi; i++ {
			out[i] = g.digest(items[i])
		}
	})
	return out
}

// table is an open-addressing hash table from 128-bit pseudorandom keys to
// int32 values, with linear probing at load at most 1/2. Key and value
// share one 24-byte slot so that a probe costs one cache miss.
type table struct {
	mask  uint64
	slots []slot
}

type slot struct {
	key digest
	val int32 // value+1; 0 marks an empty slot
}

func newTable(n int) *table {
	size := uint64(16)
	for size < 2*uint64(n) {
		size <<= 1
	}
	return &table{mask: size - 1, slots: make([]slot, size)}
}

func (t *table) start(k digest) uint64 { return (k[0] * 0x9E3779B97F4A7C15) >> 7 & t.mask }

// insert adds k -> v unless k is present; it returns the value stored for k.
func (t *table) insert(k digest, v int32) int32 {
	for i := t.start(k); ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.val == 0 {
			s.key, s.val = k, v+1
			return v
		}
		if s.key == k {
			return s.val - 1
		}
	}
}

// lookup returns the value for k, or -1.
func (t *table) lookup(k digest) int32 {
	for i := t.start(k); ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.val == 0 {
			return -1
		}
		if s.key == k {
			return s.val - 1
		}
	}
}

// dedupe returns the distinct digests in first-seen order and, for each
// input, the index of its distinct digest.
func dedupe(ds []digest) (uniq []digest, of []int32) {
	t := newTable(len(ds))
	of = make([]int32, len(ds))
	uniq = make([]digest, 0, len(ds))
	for i, d := range ds {
		u := t.insert(d, int32(len(uniq)))
		if int(u) == len(uniq) {
			uniq = append(uniq, d)
		}
		of[i] = u
	}
	return uniq, of
}

// hasher holds the public keys of a session: the cuckoo key (chosen by the
// receiver) and the code key (chosen by the sender). It is safe for
// concurrent use.
type hasher struct {
	bins      int
	cuckooAES cipher.Block
	codeAES   cipher.Block
}

func newHasher(bins int, cuckooKey, codeKey [16]byte) (*hasher, error) {
	c, err := aes.NewCipher(cuckooKey[:])
	if err != nil {
		return nil, fmt.Errorf("kkrt: %w", err)
	}
	k, err := aes.NewCipher(codeKey[:])
	if err != nil {
		return nil, fmt.Errorf("kkrt: %w", err)
	}
	return &hasher{bins: bins, cuckooAES: c, codeAES: k}, nil
}

// scratch is a worker's buffer for AES calls (slices of it do not escape
// per call).
type scratch struct{ in, out []byte }

func newScratch() *scratch {
	b := make([]byte, 16+64)
	return &scratch{in: b[:16], out: b[16:]}
}

// positions returns the item's NumHashes cuckoo bins: three 32-bit words of
// AES_cuckooKey(digest), each mapped to [0, bins) by multiply-shift.
func (h *hasher) positions(s *scratch, d digest) [NumHashes]uint32 {
	binary.LittleEndian.PutUint64(s.in, d[0])
	binary.LittleEndian.PutUint64(s.in[8:], d[1])
	h.cuckooAES.Encrypt(s.out[:16], s.in)
	var p [NumHashes]uint32
	for f := range p {
		w := binary.LittleEndian.Uint32(s.out[4*f:])
		p[f] = uint32(uint64(w) * uint64(h.bins) >> 32)
	}
	return p
}

// code writes the pseudorandom code word C(d, f) (CodeWidth bits) into
// dst: the four AES_codeKey blocks of (first 15 bytes of d || 4f+b),
// b = 0..3. The hash-function index f is part of the input so that an item
// placed by different functions yields different OPRF inputs.
func (h *hasher) code(s *scratch, dst []uint64, d digest, f int) {
	binary.LittleEndian.PutUint64(s.in, d[0])
	binary.LittleEndian.PutUint64(s.in[8:], d[1])
	for b := range CodeWidth / 128 {
		s.in[15] = byte(4*f + b)
		h.codeAES.Encrypt(s.out[16*b:16*b+16], s.in)
	}
	for k := range dst[:CodeWidth/64] {
		dst[k] = binary.LittleEndian.Uint64(s.out[8*k:])
	}
}

// value is the truncated OPRF output H(bin, row) with H = SHA-256 over the
// bin index and the 512-bit row, cut to n bytes and returned as a key.
func value(bin int, row []uint64, n int) digest {
	var buf [4 + CodeWidth/8]byte
	binary.LittleEndian.PutUint32(buf[:], uint32(bin))
	for k, w := range row[:CodeWidth/64] {
		binary.LittleEndian.PutUint64(buf[4+8*k:], w)
	}
	sum := sha256.Sum256(buf[:])
	return truncate(sum[:], n)
}

// truncate reads the first n (5..16) bytes of b as a key.
func truncate(b []byte, n int) digest {
	var full [16]byte
	copy(full[:], b[:n])
	return digest{binary.LittleEndian.Uint64(full[:]), binary.LittleEndian.Uint64(full[8:])}
}
