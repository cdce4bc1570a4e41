// Package prg is a fast pseudorandom generator for Veil's protocols: AES-256
// in counter mode keyed by a 32-byte seed.
//
// A generator made by [NewRandom] is keyed from crypto/rand and is suitable
// for secret masks and shares. A generator made by [New] from a [Seed] is
// deterministic: two holders of the same seed draw the same stream, which is
// how protocols let a party derive its share of correlated randomness from a
// short seed instead of receiving it (and how tests fix their randomness).
// A seed must itself come from [NewSeed] (crypto/rand) or from another PRG,
// except in tests.
//
// A PRG is not safe for concurrent use; give each goroutine its own (see
// [PRG.Child]).
package prg

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"unsafe"
)

// SeedSize is the length of a seed in bytes.
const SeedSize = 32

// Seed keys a PRG.
type Seed [SeedSize]byte

// NewSeed returns a fresh seed from crypto/rand.
func NewSeed() (Seed, error) {
	var s Seed
	if _, err := rand.Read(s[:]); err != nil {
		return s, fmt.Errorf("prg: reading crypto/rand: %w", err)
	}
	return s, nil
}

// bufSize is the block of keystream produced at a time for word output.
const bufSize = 4096

// PRG is an AES-256-CTR keystream generator.
type PRG struct {
	stream cipher.Stream
	buf    [bufSize]byte
}

// New returns the deterministic generator keyed by seed.
func New(seed Seed) (*PRG, error) {
	block, err := aes.NewCipher(seed[:])
	if err != nil {
		return nil, fmt.Errorf("prg: %w", err)
	}
	var iv [aes.BlockSize]byte
	return &PRG{stream: cipher.NewCTR(block, iv[:])}, nil
}

// NewRandom returns a generator keyed from crypto/rand.
func NewRandom() (*PRG, error) {
	s, err := NewSeed()
	if err != nil {
		return nil, err
	}
	return New(s)
}

// Read fills b with keystream. It never fails.
func (p *PRG) Read(b []byte) (int, error) {
	clear(b)
	p.stream.XORKeyStream(b, b)
	return len(b), nil
}

// Uint64 returns the next 8 bytes of keystream as a little-endian word.
func (p *PRG) Uint64() uint64 {
	var b [8]byte
	_, _ = p.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// littleEndian reports whether words in memory are little-endian, in which
// case FillUint64 writes the keystream straight into them.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// FillUint64 fills dst with keystream words (read little-endian, so the
// output is the same on every platform).
func (p *PRG) FillUint64(dst []uint64) {
	if littleEndian && len(dst) > 0 {
		clear(dst)
		p.fillZeroed(dst)
		return
	}
	for len(dst) > 0 {
		n := min(len(dst), bufSize/8)
		b := p.buf[:n*8]
		_, _ = p.Read(b)
		for i := range n {
			dst[i] = binary.LittleEndian.Uint64(b[8*i:])
		}
		dst = dst[n:]
	}
}

// fillZeroed XORs the keystream into dst, which must be zero and
// little-endian in memory.
func (p *PRG) fillZeroed(dst []uint64) {
	b := unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 8*len(dst))
	p.stream.XORKeyStream(b, b)
}

// Uint64s returns n fresh keystream words.
func (p *PRG) Uint64s(n int) []uint64 {
	out := make([]uint64, n) // already zero
	if littleEndian && n > 0 {
		p.fillZeroed(out)
	} else {
		p.FillUint64(out)
	}
	return out
}

// Child draws a seed from p's stream and returns the generator it keys:
// an independent stream, deterministic if p is.
func (p *PRG) Child() (*PRG, error) {
	var s Seed
	_, _ = p.Read(s[:])
	return New(s)
}

// NextSeed draws a seed from p's stream.
func (p *PRG) NextSeed() Seed {
	var s Seed
	_, _ = p.Read(s[:])
	return s
}
