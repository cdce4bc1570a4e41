package ot

import (
	"context"
	"crypto/aes"
	"fmt"
	"testing"
	"time"

	"github.com/gtank/ristretto255"
	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
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

// BenchmarkOTExtension compares, in one run, random OT extension by IKNP
// and by SoftSpoken for several k, SoftSpoken's correlated OT over Z_2^64,
// and the AES floor: two crypto/aes block calls per OT (the cost of
// hashing two messages with one block call each). Both parties run in one
// process over an in-memory pipe with their default workers (setup
// excluded); ns/OT is wall time per OT, B/OT the bytes both parties sent,
// cpu-ns/OT the CPU time of the whole process per OT (both parties, all
// goroutines; the floor runs on one). The ratio to the floor is ns/OT
// divided by the floor's ns/OT, measured in the same run. -count repeats
// each sub-benchmark back to back; for alternating repetitions on a loaded
// machine build the binary once (go test -c) and run it several times.
func BenchmarkOTExtension(b *testing.B) {
	const m = 1 << 18
	ctx := context.Background()
	choices := make([]bool, m)
	words := make([]uint64, m/64)
	for i := range choices {
		choices[i] = i%3 == 0
		if choices[i] {
			words[i/64] |= 1 << (i % 64)
		}
	}
	delta := make([]uint64, m)
	for i := range delta {
		delta[i] = uint64(i) * 0x9E3779B97F4A7C15
	}
	var cpu0 time.Duration
	start := func(b *testing.B) {
		b.ResetTimer()
		cpu0 = processCPU()
	}
	report := func(b *testing.B, bytes int64) {
		per := float64(m) * float64(b.N)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/OT")
		b.ReportMetric(float64(bytes)/per, "B/OT")
		if cpu := processCPU() - cpu0; cpu > 0 {
			b.ReportMetric(float64(cpu.Nanoseconds())/per, "cpu-ns/OT")
		}
	}
	// pair times send and recv run together, reporting the bytes both
	// parties sent over sc and rc.
	pair := func(b *testing.B, sc, rc transport.Conn, send, recv func() error) {
		before := sc.Stats().BytesSent + rc.Stats().BytesSent
		start(b)
		for range b.N {
			es, er := both(send, recv)
			require.NoError(b, es)
			require.NoError(b, er)
		}
		report(b, sc.Stats().BytesSent+rc.Stats().BytesSent-before)
	}
	random := func(b *testing.B, s OneOfTwoSender, r OneOfTwoReceiver, sc, rc transport.Conn) {
		pair(b, sc, rc, func() error { _, err := s.RandomOT(ctx, m); return err },
			func() error { _, err := r.RandomOT(ctx, choices); return err })
	}
	cot64 := func(b *testing.B, s OneOfTwoSender, r OneOfTwoReceiver, sc, rc transport.Conn) {
		pair(b, sc, rc, func() error { _, err := s.CorrelatedOT64(ctx, delta); return err },
			func() error { _, err := r.CorrelatedOT64(ctx, words, m); return err })
	}
	b.Run("floor-2AES", func(b *testing.B) {
		blk, err := aes.NewCipher([]byte("veil/ot floor ky"))
		require.NoError(b, err)
		buf := make([]byte, 16*m)
		start(b)
		for range b.N {
			for j := range m {
				x := buf[16*j : 16*j+16]
				blk.Encrypt(x, x)
				blk.Encrypt(x, x)
			}
		}
		report(b, 0)
	})
	// The hashing every random OT needs, on one goroutine: the sender's pair
	// and the receiver's one hash (three MMO^sigma hashes, three block calls).
	b.Run("hash-only", func(b *testing.B) {
		h := NewCRHash(Block{1, 2, 3})
		rows := make([]uint64, 2*m)
		for i := range rows {
			rows[i] = uint64(i) * 0x9E3779B97F4A7C15
		}
		pairs := make([][2]Block, m)
		one := make([]Block, m)
		start(b)
		for range b.N {
			hashPairs(h, pairs, 0, rows, 1, 2)
			h.HashRows(one, 0, rows, 0, 0)
		}
		report(b, 0)
	})
	b.Run("IKNP-random", func(b *testing.B) {
		s, r := extPair(b, Config{})
		random(b, s, r, s.conn, r.conn)
	})
	for _, k := range []int{1, 2, 3, 4, 8} {
		b.Run(fmt.Sprintf("SoftSpoken-random-k=%d", k), func(b *testing.B) {
			s, r := softPair(b, SoftSpokenConfig{K: k})
			random(b, s, r, s.conn, r.conn)
		})
	}
	// The extensions' cores without hashing: the correlated rows only.
	b.Run("IKNP-rows", func(b *testing.B) {
		s, r := extPair(b, Config{})
		start(b)
		for range b.N {
			es, er := both(func() error { return s.ExtendFunc(ctx, m, func(int, Matrix) error { return nil }) },
				func() error {
					return r.ExtendFunc(ctx, m, func(first int, d Matrix) {
						for j := range d.Rows {
							if choices[first+j] {
								d.Data[2*j], d.Data[2*j+1] = ^uint64(0), ^uint64(0)
							}
						}
					}, func(int, Matrix) error { return nil })
				})
			require.NoError(b, es)
			require.NoError(b, er)
		}
		report(b, 16*int64(m)*int64(b.N))
	})
	for _, k := range []int{2, 4} {
		b.Run(fmt.Sprintf("SoftSpoken-rows-k=%d", k), func(b *testing.B) {
			s, r := softPair(b, SoftSpokenConfig{K: k})
			packed := packBools(choices)
			start(b)
			for range b.N {
				es, er := both(func() error { return s.extend(ctx, m, func(int, Matrix) error { return nil }) },
					func() error { return r.extend(ctx, m, packed, func(int, Matrix) error { return nil }) })
				require.NoError(b, es)
				require.NoError(b, er)
			}
			report(b, int64(softNumBlocks(k)*m/8)*int64(b.N))
		})
	}
	b.Run("IKNP-cot64", func(b *testing.B) {
		s, r := extPair(b, Config{})
		cot64(b, s, r, s.conn, r.conn)
	})
	b.Run("SoftSpoken-cot64", func(b *testing.B) {
		s, r := softPair(b, SoftSpokenConfig{})
		cot64(b, s, r, s.conn, r.conn)
	})
}
