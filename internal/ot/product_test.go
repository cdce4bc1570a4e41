package ot

import (
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMulShares64: the two parties' shares add up to the products, for
// lengths that leave chunks and the packed corrections' words partly used,
// and for edge words (zero, all ones, single bits).
func TestMulShares64(t *testing.T) {
	ctx := testCtx(t)
	rng := rand.New(rand.NewPCG(41, 42))
	s, r := softPair(t, SoftSpokenConfig{ChunkRows: 256, Workers: 3})
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 64, 129} {
		a, b := make([]uint64, n), make([]uint64, n)
		for i := range a {
			a[i], b[i] = rng.Uint64(), rng.Uint64()
		}
		if n >= 4 {
			a[0], b[0] = ^uint64(0), ^uint64(0)
			a[1], b[1] = 0, rng.Uint64()
			a[2], b[2] = 1<<63, 1<<63|1
			a[3], b[3] = rng.Uint64(), 0
		}
		var u, v []uint64
		es, er := both(func() (err error) { u, err = s.MulShares64(ctx, a); return err },
			func() (err error) { v, err = r.MulShares64(ctx, b); return err })
		require.NoError(t, es)
		require.NoError(t, er)
		require.Len(t, u, n)
		require.Len(t, v, n)
		for i := range n {
			require.Equal(t, a[i]*b[i], u[i]+v[i], "n %d element %d", n, i)
		}
	}
}

// TestMulSharesBytes: one element's corrections are 2,080 bits, packed.
func TestMulSharesBytes(t *testing.T) {
	require.Equal(t, 65, productWords(2))
	require.Equal(t, 33, productWords(1))
	p := make([]uint64, productWords(3))
	for i := range 3 {
		for k := range 64 {
			putBits(p, productOffset(i, k), ^uint64(0)>>k, 64-k)
		}
	}
	for i := range 3 {
		for k := range 64 {
			require.Equal(t, ^uint64(0)>>k, getBits(p, productOffset(i, k), 64-k))
		}
	}
	require.Equal(t, productWords(3)*64-3*productBits, 64-bits.OnesCount64(p[len(p)-1]))
}
