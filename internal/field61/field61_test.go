package field61

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAgainstBigInt checks every operation against math/big on random and
// edge elements.
func TestAgainstBigInt(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	p := big.NewInt(P)
	edges := []uint64{0, 1, 2, P - 2, P - 1, 1 << 60, 1<<60 + 1}
	elem := func(i int) uint64 {
		if i < len(edges)*len(edges) {
			return edges[i%len(edges)]
		}
		return r.Uint64N(P)
	}
	mod := func(x *big.Int) uint64 { return new(big.Int).Mod(x, p).Uint64() }
	for i := range 20000 {
		a := elem(i)
		b := elem(i / len(edges))
		if i >= len(edges)*len(edges) {
			b = r.Uint64N(P)
		}
		A, B := new(big.Int).SetUint64(a), new(big.Int).SetUint64(b)
		require.Equal(t, mod(new(big.Int).Add(A, B)), Add(a, b), "%d + %d", a, b)
		require.Equal(t, mod(new(big.Int).Sub(A, B)), Sub(a, b), "%d - %d", a, b)
		require.Equal(t, mod(new(big.Int).Mul(A, B)), Mul(a, b), "%d * %d", a, b)
		if a != 0 {
			require.Equal(t, uint64(1), Mul(a, Inv(a)), "inverse of %d", a)
		}
	}
	require.Equal(t, uint64(0), Inv(0))
}
