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
	h := NewCRHash()
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
