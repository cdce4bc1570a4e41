package ot

// hashLow64 sets out[j] to the low 64 bits of H(tweak+j, x_j), [CRHash]'s
// hash of the rows x_j = (rows[2j] ^ xlo, rows[2j+1] ^ xhi), j < len(out).
// The hash is crypto/aes's, block by block: Veil hand-writes no AES.
func hashLow64(h *CRHash, out []uint64, tweak uint64, rows []uint64, xlo, xhi uint64) {
	h.rowBatches(tweak, len(out), rows, xlo, xhi, func(j int, res *[2 * hashBatch]uint64, n int) {
		for k := range n {
			out[j+k] = res[2*k]
		}
	})
}

// hashPairs sets out[j] = (H(tweak+j, q_j), H(tweak+j, q_j ^ s)) for the
// 128-bit rows q_j of rows and s = (d0, d1), j < len(out): [CRHash.HashRows]
// twice, fused into one pass under each group's key.
func hashPairs(h *CRHash, out [][2]Block, tweak uint64, rows []uint64, d0, d1 uint64) {
	h.pairBatches(tweak, len(out), rows, d0, d1, func(j int, res *[2 * hashBatch]uint64, n int) {
		for k := range n {
			putBlock(&out[j+k][0], res[4*k], res[4*k+1])
			putBlock(&out[j+k][1], res[4*k+2], res[4*k+3])
		}
	})
}
