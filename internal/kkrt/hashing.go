package kkrt

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"

	"github.com/veil-go/veil/internal/parallel"
)

// digest is an item's 128-bit identity: SHA-256 of the item, truncated.
// Collisions among 2^29 items have probability below 2^-70.
type digest [2]uint64

const itemDomain = "veil/kkrt/item/v1\x00"

// digester hashes items; one per goroutine (it reuses its SHA-256 state).
type digester struct {
	h     hash.Hash
	buf   [sha256.Size]byte
	short [128]byte
}

func newDigester() *digester { return &digester{h: sha256.New()} }

func (g *digester) digest(item []byte) digest {
	if len(item) <= len(g.short)-len(itemDomain) {
		// Short items: one call on a stack-free buffer, no hash.Hash state.
		n := copy(g.short[:], itemDomain)
		n += copy(g.short[n:], item)
		s := sha256.Sum256(g.short[:n])
		return digest{binary.LittleEndian.Uint64(s[:]), binary.LittleEndian.Uint64(s[8:])}
	}
	g.h.Reset()
	g.h.Write([]byte(itemDomain))
	g.h.Write(item)
	s := g.h.Sum(g.buf[:0])
	return digest{binary.LittleEndian.Uint64(s), binary.LittleEndian.Uint64(s[8:])}
}

// digestAll hashes the items in parallel.
func digestAll(items [][]byte, workers int) []digest {
	out := make([]digest, len(items))
	_ = parallel.For(context.Background(), len(items), workers, 1, func(lo, hi int) error {
		g := newDigester()
		for i := lo; i < hi; i++ {
			out[i] = g.digest(items[i])
		}
		return nil
	})
	return out
}

// table is an open-addressing hash set over a slice of 128-bit
// pseudorandom keys: it stores indices into keys. Each slot is one word
// (32-bit fingerprint of the key, index+1; 0 marks an empty slot), so the
// table for 2^20 keys takes 16 MiB and a probe costs one cache miss; the
// full key is compared only when the fingerprint matches. Linear probing at
// load at most 1/2.
type table struct {
	mask  uint64
	slots []uint64
	keys  []digest
}

func newTable(keys []digest) *table {
	size := uint64(16)
	for size < 2*uint64(len(keys)) {
		size <<= 1
	}
	return &table{mask: size - 1, slots: make([]uint64, size), keys: keys}
}

// find returns the index of k in keys, or -1 and the empty slot where it
// would go.
func (t *table) find(k digest) (int32, uint64) {
	fp := k[0] >> 32
	for i := k[0] & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			return -1, i
		}
		if s>>32 == fp {
			if v := int32(uint32(s)) - 1; t.keys[v] == k {
				return v, i
			}
		}
	}
}

// insert adds keys[v] unless an equal key is present; it returns the index
// stored for that key.
func (t *table) insert(v int32) int32 {
	k := t.keys[v]
	u, i := t.find(k)
	if u >= 0 {
		return u
	}
	t.slots[i] = k[0]>>32<<32 | uint64(v+1)
	return v
}

// lookup returns the index of a key equal to k, or -1.
func (t *table) lookup(k digest) int32 {
	u, _ := t.find(k)
	return u
}

// lookupBatch is how many keys lookupMany resolves together.
const lookupBatch = 64

// lookupMany sets out[i] = lookup(keys[i]). It first loads the home slot of
// every key in a loop without dependencies, so that the cache misses of the
// batch overlap instead of being paid one after another, then resolves
// each key (a miss on an empty home slot needs nothing more).
func (t *table) lookupMany(keys []digest, out []int32) {
	var home [lookupBatch]uint64
	for i, k := range keys {
		home[i] = t.slots[k[0]&t.mask]
	}
	for i, k := range keys {
		if home[i] == 0 {
			out[i] = -1
			continue
		}
		out[i] = t.lookup(k)
	}
}

// dedupe returns the distinct digests in first-seen order and, for each
// input, the index of its distinct digest. The digests are first split by
// their top bits into partitions of about 2^11 (a counting sort), which are
// then deduplicated in parallel with tables small enough for the cache.
func dedupe(ds []digest, workers int) (uniq []digest, of []int32) {
	n := len(ds)
	k := 0
	for k < 12 && n>>(k+11) > 0 {
		k++
	}
	shift := uint(64 - k) // a shift by 64 gives 0: one partition
	p := 1 << k
	start := make([]int, p+1)
	for _, d := range ds {
		start[int(d[1]>>shift)+1]++
	}
	for i := range p {
		start[i+1] += start[i]
	}
	next := append([]int(nil), start[:p]...)
	keys := make([]digest, n)
	idx := make([]int32, n)
	for i, d := range ds {
		q := int(d[1] >> shift)
		keys[next[q]], idx[next[q]] = d, int32(i)
		next[q]++
	}
	// rep[i] is the first index with digest ds[i]: within a partition the
	// indices ascend, so the first inserted equal key is the first seen.
	rep := make([]int32, n)
	_ = parallel.For(context.Background(), p, workers, 1, func(lo, hi int) error {
		for q := lo; q < hi; q++ {
			a, b := start[q], start[q+1]
			t := newTable(keys[a:b])
			for j := range b - a {
				rep[idx[a+j]] = idx[a+int(t.insert(int32(j)))]
			}
		}
		return nil
	})
	of = make([]int32, n)
	uniq = make([]digest, 0, n)
	for i := range ds {
		if r := rep[i]; int(r) != i {
			of[i] = of[r]
			continue
		}
		of[i] = int32(len(uniq))
		uniq = append(uniq, ds[i])
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
// per call). sink receives loads done only to bring rows into the cache.
type scratch struct {
	in, out []byte
	sink    uint64
}

func newScratch() *scratch {
	b := make([]byte, 16+CodeWidth/8)
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

// codes writes the pseudorandom code words C(d, f) for f = f0 ..
// f0+len(dst)-1 (CodeWidth bits each) into dst: C(d, f) is the four
// AES_codeKey blocks of (first 15 bytes of d || 4f+b), b = 0..3. The
// hash-function index f is part of the input so that an item placed by
// different functions yields different OPRF inputs.
func (h *hasher) codes(s *scratch, dst [][CodeWidth / 64]uint64, d digest, f0 int) {
	binary.LittleEndian.PutUint64(s.in, d[0])
	binary.LittleEndian.PutUint64(s.in[8:], d[1])
	const blocks = CodeWidth / 128
	for f := range dst {
		for b := range blocks {
			s.in[15] = byte(blocks*(f0+f) + b)
			h.codeAES.Encrypt(s.out[16*b:16*b+16], s.in)
		}
		for k := range dst[f] {
			dst[f][k] = binary.LittleEndian.Uint64(s.out[8*k:])
		}
	}
}

// value is the truncated OPRF output H(bin, row) with H = SHA-256 over the
// bin index and the 512-bit row, cut to n bytes and returned as a key.
func value(bin int, row []uint64, n int) digest {
	sum := oprf(bin, row)
	return truncate(sum[:], n)
}

// oprf is the full OPRF output SHA-256(bin || row): its first bytes are the
// compared value, its last 16 bytes the key that unmasks a join payload's
// key (the two never overlap: values are at most 16 bytes).
func oprf(bin int, row []uint64) [sha256.Size]byte {
	var buf [4 + CodeWidth/8]byte
	binary.LittleEndian.PutUint32(buf[:], uint32(bin))
	for k, w := range row[:CodeWidth/64] {
		binary.LittleEndian.PutUint64(buf[4+8*k:], w)
	}
	return sha256.Sum256(buf[:])
}

// truncate reads the first n (5..16) bytes of b as a key.
func truncate(b []byte, n int) digest {
	var full [16]byte
	copy(full[:], b[:n])
	return digest{binary.LittleEndian.Uint64(full[:]), binary.LittleEndian.Uint64(full[8:])}
}
