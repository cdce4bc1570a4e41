package ot

import (
	"context"
	"testing"

	"github.com/gtank/ristretto255"
	"github.com/stretchr/testify/require"
)

// BenchmarkRandomOT measures IKNP random OTs per second, both parties in one
// process over an in-memory pipe (setup excluded).
func BenchmarkRandomOT(b *testing.B) {
	const m = 1 << 20
	s, r := extPair(b, Config{})
	ctx := context.Background()
	choices := make([]bool, m)
	for i := range choices {
		choices[i] = i%3 == 0
	}
	b.ResetTimer()
	for range b.N {
		es, er := both(func() error { _, err := s.RandomOT(ctx, m); return err },
			func() error { _, err := r.RandomOT(ctx, choices); return err })
		require.NoError(b, es)
		require.NoError(b, er)
	}
	b.ReportMetric(float64(m)*float64(b.N)/b.Elapsed().Seconds(), "OT/s")
}

// BenchmarkExtend512 measures KKRT-width (512-bit row) extension rows per
// second, next to the raw AES-CTR keystream it needs as a baseline.
func BenchmarkExtend512(b *testing.B) {
	const m = 1 << 18
	s, r := extPair(b, Config{Width: 512})
	ctx := context.Background()
	d := Matrix{Rows: m, Words: 8, Data: make([]uint64, m*8)}
	b.Run("extend", func(b *testing.B) {
		for range b.N {
			es, er := both(func() error { _, err := s.Extend(ctx, m); return err },
				func() error { _, err := r.Extend(ctx, d); return err })
			require.NoError(b, es)
			require.NoError(b, er)
		}
		b.ReportMetric(float64(m)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("baseline-aesctr-3x", func(b *testing.B) {
		// Both parties together expand 3 x 512 x m bits of keystream.
		buf := make([]byte, m/8)
		for range b.N {
			for i := range 3 * 512 {
				expand(s.g[i%512], 0, buf, nil)
			}
		}
		b.ReportMetric(float64(m)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkTranspose compares the 64x64-block transpose with a bit-by-bit
// baseline on a 128 x 2^16 matrix.
func BenchmarkTranspose(b *testing.B) {
	const rows, cols = 1 << 16, 128
	src := make([]uint64, rows*cols/64)
	for i := range src {
		src[i] = uint64(i) * 0x9E3779B97F4A7C15
	}
	dst := make([]byte, cols*colStride(rows))
	b.Run("blocks", func(b *testing.B) {
		for range b.N {
			rowsToCols(dst, src, colStride(rows), cols, rows)
		}
		b.ReportMetric(float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gbit/s")
	})
	b.Run("baseline-bitwise", func(b *testing.B) {
		for range b.N {
			clear(dst)
			for r := range rows {
				for c := range cols {
					bit := byte(src[r*2+c/64] >> (c % 64) & 1)
					dst[c*rows/8+r/8] |= bit << (r % 8)
				}
			}
		}
		b.ReportMetric(float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gbit/s")
	})
}

// BenchmarkBaseOT measures 128 base OTs (both parties), next to the cost of
// one variable-base scalar multiplication.
func BenchmarkBaseOT(b *testing.B) {
	b.Run("128-base-OTs", func(b *testing.B) {
		for range b.N {
			s, setup, _ := NewBaseSender(128, Config{Workers: 1})
			r, _ := NewBaseReceiver(make([]bool, 128), Config{Workers: 1})
			resp, _, _ := r.Respond(setup)
			_, err := s.Finish(resp)
			require.NoError(b, err)
		}
		b.ReportMetric(128*float64(b.N)/b.Elapsed().Seconds(), "OT/s")
	})
	b.Run("baseline-scalarmult", func(b *testing.B) {
		x := randomScalar()
		p := ristretto255.NewGeneratorElement()
		for range b.N {
			p.ScalarMult(x, p)
		}
	})
}
