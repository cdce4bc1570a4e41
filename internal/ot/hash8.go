package ot

import "encoding/binary"

// hashLow64 sets out[j] to the low 64 bits of H(tweak+j, x_j), [CRHash]'s
// hash of the rows x_j = (rows[2j] ^ xlo, rows[2j+1] ^ xhi), j < len(out).
// The hash is crypto/aes's, block by block: Veil hand-writes no AES.
func hashLow64(h *CRHash, out []uint64, tweak uint64, rows []uint64, xlo, xhi uint64) {
	if len(out) == 0 {
		return
	}
	blocks := make([]Block, len(out))
	h.HashRows(blocks, tweak, rows, xlo, xhi)
	for j := range blocks {
		out[j] = binary.LittleEndian.Uint64(blocks[j][:])
	}
}
