package ot

import "crypto/cipher"

// hashLow64 sets out[j] to the low 64 bits of H(tweak+j, x_j), [CRHash]'s
// hash of the rows x_j = (rows[2j] ^ xlo, rows[2j+1] ^ xhi), j < len(out).
// The hash is crypto/aes's, block by block: Veil hand-writes no AES.
func hashLow64(h *CRHash, out []uint64, tweak uint64, rows []uint64, xlo, xhi uint64) {
	buf := new([32 * hashBatch]byte)
	var in, res [2 * hashBatch]uint64
	h.groups(tweak, len(out), func(pi cipher.Block, j0, j1 int) {
		for j := j0; j < j1; j += hashBatch {
			n := min(hashBatch, j1-j)
			for k := range n {
				in[2*k], in[2*k+1] = sigma(rows[2*(j+k)]^xlo, rows[2*(j+k)+1]^xhi)
			}
			mmo(pi, buf, &in, &res, n)
			for k := range n {
				out[j+k] = res[2*k]
			}
		}
	})
}

// hashPairs sets out[j] = (H(tweak+j, q_j), H(tweak+j, q_j ^ s)) for the
// 128-bit rows q_j of rows and s = (d0, d1), j < len(out): [CRHash.HashRows]
// twice, fused into one pass under each group's key (sigma is linear, so
// sigma(q ^ s) = sigma(q) ^ sigma(s)).
func hashPairs(h *CRHash, out [][2]Block, tweak uint64, rows []uint64, d0, d1 uint64) {
	const per = hashBatch / 2 // rows per batch, two blocks each
	buf := new([32 * hashBatch]byte)
	var in, res [2 * hashBatch]uint64
	s0, s1 := sigma(d0, d1)
	h.groups(tweak, len(out), func(pi cipher.Block, j0, j1 int) {
		for j := j0; j < j1; j += per {
			n := min(per, j1-j)
			mmoPairs(pi, buf, rows[2*j:], s0, s1, &in, &res, n)
			for k := range n {
				putBlock(&out[j+k][0], res[4*k], res[4*k+1])
				putBlock(&out[j+k][1], res[4*k+2], res[4*k+3])
			}
		}
	})
}

// mmoPairs hashes, under pi, the n <= hashBatch/2 rows q_k = (rows[2k],
// rows[2k+1]) twice: res[4k:4k+2] = H(q_k), res[4k+2:4k+4] = H(q_k ^ s) for
// sigma(s) = (s0, s1).
func mmoPairs(pi cipher.Block, buf *[32 * hashBatch]byte, rows []uint64, s0, s1 uint64, in, res *[2 * hashBatch]uint64, n int) {
	for k := range n {
		y0, y1 := sigma(rows[2*k], rows[2*k+1])
		in[4*k], in[4*k+1], in[4*k+2], in[4*k+3] = y0, y1, y0^s0, y1^s1
	}
	mmo(pi, buf, in, res, 2*n)
}
