package ot

import (
	"context"
	"encoding/binary"

	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/transport"
)

// Products over Z_2^64 by Gilboa's method, fused with the correlated OTs:
// the sender holds words a_i, the receiver words b_i, and they end with
// additive shares u_i + v_i = a_i*b_i mod 2^64. Element i takes 64 OTs, the
// choice of OT 64i+k being bit k of b_i and its correlation a_i*2^k. That
// product term lives in the top 64-k bits, so OT 64i+k runs modulo
// 2^(64-k): the sender keeps x = H(q) and sends tau = x - H(q ^ Delta) + a_i
// modulo 2^(64-k), the receiver takes y = H(t) + c*tau, and
// 2^k*y - 2^k*x = c*a_i*2^k mod 2^64. The corrections of an element are
// 64 + 63 + ... + 1 = 2,080 bits instead of 64 words, a 49% cut. The
// sender sums its 64 terms as they are hashed, so it keeps nothing of 64
// words per element; the receiver keeps its 64 hashes per element until
// the corrections arrive, then sums on its workers.

// productBits is the width of one element's packed corrections.
const productBits = 64 * 65 / 2

// productOffset is the bit offset of OT 64i+k's correction among the
// packed corrections: element i's 2,080 bits, then 64 - k' bits for each
// k' < k.
func productOffset(i, k int) int { return i*productBits + k*64 - k*(k-1)/2 }

// productWords is the number of words that hold n elements' corrections.
func productWords(n int) int { return (n*productBits + 63) / 64 }

// putBits ORs the w low bits of v (the rest zero) into the bit string p at
// bit offset o.
func putBits(p []uint64, o int, v uint64, w int) {
	s := o & 63
	p[o>>6] |= v << s
	if s+w > 64 {
		p[o>>6+1] |= v >> (64 - s)
	}
}

// getBits returns the w bits of p at bit offset o.
func getBits(p []uint64, o int, w int) uint64 {
	s := o & 63
	v := p[o>>6] >> s
	if s+w > 64 {
		v |= p[o>>6+1] << (64 - s)
	}
	return v & (^uint64(0) >> (64 - w))
}

// MulShares64 runs one Gilboa product per element of a as the sender and
// returns its shares: u_i + v_i = a_i*b_i mod 2^64, where b_i and v_i are the
// receiver's word and share ([SoftSpokenReceiver.MulShares64]). It costs
// 64 OTs and 260 bytes of corrections per element.
func (s *SoftSpokenSender) MulShares64(ctx context.Context, a []uint64) ([]uint64, error) {
	n := len(a)
	u := make([]uint64, n)
	packed := make([]uint64, productWords(n))
	base := s.next
	err := s.extend(ctx, 64*n, func(first int, q Matrix) error {
		// Chunks are whole multiples of 128 rows: no element, and no word
		// of packed, is shared by two chunks.
		s.hash.pairBatches(base+uint64(first), q.Rows, q.Data, s.dw[0], s.dw[1], func(j int, res *[2 * hashBatch]uint64, m int) {
			for k := range m {
				row := first + j + k
				i, bit := row>>6, row&63
				h0, h1 := res[4*k], res[4*k+2]
				u[i] -= h0 << bit
				w := 64 - bit
				putBits(packed, productOffset(i, bit), (h0-h1+a[i])&(^uint64(0)>>bit), w)
			}
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := sendCorrections(ctx, s.conn, packed); err != nil {
		return nil, err
	}
	return u, nil
}

// MulShares64 runs one Gilboa product per element of b as the receiver and
// returns its shares v_i (see [SoftSpokenSender.MulShares64]).
func (r *SoftSpokenReceiver) MulShares64(ctx context.Context, b []uint64) ([]uint64, error) {
	n := len(b)
	y := make([]uint64, 64*n)
	base := r.next
	err := r.extend(ctx, 64*n, packWords(b, 64*n), func(first int, t Matrix) error {
		hashLow64(r.hash, y[first:first+t.Rows], base+uint64(first), t.Data, 0, 0)
		return nil
	})
	if err != nil {
		return nil, err
	}
	packed := make([]uint64, productWords(n))
	if err := recvWords(ctx, r.conn, packed); err != nil {
		return nil, err
	}
	v := make([]uint64, n)
	// On the receiver's workers: the sender is idle until this is done.
	err = parallel.For(ctx, n, r.cfg.Workers, 1024, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			var sum uint64
			for bit := range 64 {
				tau := getBits(packed, productOffset(i, bit), 64-bit)
				sum += (y[64*i+bit] + tau&-(b[i]>>bit&1)) << bit
			}
			v[i] = sum
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// recvWords fills dst with the words of [Corrections] messages.
func recvWords(ctx context.Context, conn transport.Conn, dst []uint64) error {
	return recvCorrWords(ctx, conn, len(dst), "products", func(lo int, tau []byte) {
		for j := range len(tau) / 8 {
			dst[lo+j] = binary.LittleEndian.Uint64(tau[8*j:])
		}
	})
}
