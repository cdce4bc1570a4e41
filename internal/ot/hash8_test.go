package ot

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHashLow64MatchesCRHash: hashLow64 gives the low words of CRHash's
// outputs, for several lengths, with and without the XOR.
func TestHashLow64MatchesCRHash(t *testing.T) {
	h := NewCRHash(Block{1, 2, 3})
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 8, 9, 64, 131} {
		rows := make([]uint64, 2*n)
		for i := range rows {
			rows[i] = rng.Uint64()
		}
		xlo, xhi := rng.Uint64(), rng.Uint64()
		got := make([]uint64, n)
		hashLow64(h, got, 1000, rows, xlo, xhi)
		want := make([]Block, n)
		h.HashRows(want, 1000, rows, xlo, xhi)
		for j := range n {
			require.Equal(t, binary.LittleEndian.Uint64(want[j][:]), got[j], "n=%d row %d", n, j)
		}
	}
}

// hashPairs is two HashRows passes, fused, for whole batches and
// remainders.
func TestHashPairs(t *testing.T) {
	h := NewCRHash(Block{1, 2, 3})
	rows := make([]uint64, 2*301)
	for i := range rows {
		rows[i] = uint64(i) * 0x9E3779B97F4A7C15
	}
	const d0, d1 = 0x0123456789abcdef, 0xfedcba9876543210
	for _, n := range []int{0, 1, 3, 4, 5, 300, 301} {
		got := make([][2]Block, n)
		hashPairs(h, got, 77, rows, d0, d1)
		want0, want1 := make([]Block, n), make([]Block, n)
		h.HashRows(want0, 77, rows, 0, 0)
		h.HashRows(want1, 77, rows, d0, d1)
		for j := range got {
			require.Equal(t, want0[j], got[j][0], "n %d row %d", n, j)
			require.Equal(t, want1[j], got[j][1], "n %d row %d", n, j)
		}
	}
}

func BenchmarkHashKernels(b *testing.B) {
	const m = 1 << 16
	h := NewCRHash(Block{9})
	rows := make([]uint64, 2*m)
	for i := range rows {
		rows[i] = uint64(i) * 0x9E3779B97F4A7C15
	}
	pairs := make([][2]Block, m)
	one := make([]Block, m)
	b.Run("pairs", func(b *testing.B) {
		for b.Loop() {
			hashPairs(h, pairs, 0, rows, 1, 2)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2*m), "ns/hash")
	})
	b.Run("rows", func(b *testing.B) {
		for b.Loop() {
			h.HashRows(one, 0, rows, 0, 0)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*m), "ns/hash")
	})
	b.Run("aes", func(b *testing.B) {
		pi := h.group(0)
		buf := make([]byte, 16*m)
		for b.Loop() {
			for j := range m {
				pi.Encrypt(buf[16*j:16*j+16], buf[16*j:16*j+16])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*m), "ns/hash")
	})
}
