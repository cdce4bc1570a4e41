package prg

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDeterministicFromSeed(t *testing.T) {
	var s Seed
	s[0] = 7
	a, err := New(s)
	require.NoError(t, err)
	b, err := New(s)
	require.NoError(t, err)
	for _, n := range []int{0, 1, 511, 512, 513, 5000} {
		require.Equal(t, a.Uint64s(n), b.Uint64s(n))
	}
	require.Equal(t, a.Uint64(), b.Uint64())
}

func TestMatchesAESCTR(t *testing.T) {
	var s Seed
	for i := range s {
		s[i] = byte(i)
	}
	p, err := New(s)
	require.NoError(t, err)
	got := p.Uint64s(1000)
	block, err := aes.NewCipher(s[:])
	require.NoError(t, err)
	ks := make([]byte, 8000)
	cipher.NewCTR(block, make([]byte, 16)).XORKeyStream(ks, ks)
	for i := range got {
		require.Equal(t, binary.LittleEndian.Uint64(ks[8*i:]), got[i])
	}
}

func TestRandomSeedsDiffer(t *testing.T) {
	a, err := NewRandom()
	require.NoError(t, err)
	b, err := NewRandom()
	require.NoError(t, err)
	require.NotEqual(t, a.Uint64s(4), b.Uint64s(4))
	c, err := a.Child()
	require.NoError(t, err)
	require.NotEqual(t, a.Uint64s(4), c.Uint64s(4))
}

// TestBitBalance checks each output bit is 1 about half the time: over
// 64*20000 bits per position the count of ones is Binomial(20000, 1/2); a
// 6-sigma band gives a false-failure rate below 1e-8 per position.
func TestBitBalance(t *testing.T) {
	p, err := New(Seed{1})
	require.NoError(t, err)
	const n = 20000
	require.Equal(t, -1, unbalancedBit(p.Uint64s(n)))
	// The check can fail: an all-zero stream, or one with a stuck bit, does.
	require.Equal(t, 0, unbalancedBit(make([]uint64, n)))
	stuck := p.Uint64s(n)
	for i := range stuck {
		stuck[i] |= 1 << 17
	}
	require.Equal(t, 17, unbalancedBit(stuck))
}

// unbalancedBit returns the first bit position whose count of ones over ws
// lies outside n/2 +- 6 sigma (sigma = sqrt(n)/2), or -1.
func unbalancedBit(ws []uint64) int {
	n := float64(len(ws))
	var ones [64]int
	for _, w := range ws {
		for j := range 64 {
			ones[j] += int(w >> j & 1)
		}
	}
	for j, c := range ones {
		if d := float64(c) - n/2; d > 6*math.Sqrt(n)/2 || d < -6*math.Sqrt(n)/2 {
			return j
		}
	}
	return -1
}

func BenchmarkFillUint64(b *testing.B) {
	p, _ := New(Seed{})
	dst := make([]uint64, 1<<16)
	b.SetBytes(int64(len(dst) * 8))
	for b.Loop() {
		p.FillUint64(dst)
	}
}

// BenchmarkBaselineFill is the memory baseline: writing the same words.
func BenchmarkBaselineFill(b *testing.B) {
	dst := make([]uint64, 1<<16)
	b.SetBytes(int64(len(dst) * 8))
	for b.Loop() {
		for i := range dst {
			dst[i] = uint64(i)
		}
	}
}
