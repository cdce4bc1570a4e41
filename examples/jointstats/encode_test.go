package main

import (
	"math"
	"math/big"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The limb encoding keeps every limb under 2^24 in magnitude, and the sum
// of encodings decodes to the exact sum of totals (checked with math/big),
// or to an error when that sum leaves int64.
func TestLimbEncoding(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	edge := []int64{0, 1, -1, 1<<24 - 1, 1 << 24, -(1 << 24), math.MaxInt64, math.MinInt64, math.MaxInt64 / 3}
	pick := func() int64 {
		if rng.Intn(4) == 0 {
			return edge[rng.Intn(len(edge))]
		}
		return rng.Int63n(1<<uint(rng.Intn(62)+1)) * int64(1-2*rng.Intn(2))
	}
	for range 2000 {
		n := 1 + rng.Intn(8)
		sum := make([]int64, vectorLen)
		want := [3]*big.Int{new(big.Int), new(big.Int), new(big.Int)}
		for range n {
			tot := totals{count: pick(), sum: pick(), sumSq: pick()}
			enc := encodeTotals(tot)
			require.Len(t, enc, vectorLen)
			for i, l := range enc {
				require.Less(t, abs(l), int64(1<<limbBits))
				sum[i] += l
			}
			for k, v := range []int64{tot.count, tot.sum, tot.sumSq} {
				want[k].Add(want[k], big.NewInt(v))
			}
		}
		got, err := decodeTotals(sum)
		if !want[0].IsInt64() || !want[1].IsInt64() || !want[2].IsInt64() {
			require.Error(t, err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, want[0].Int64(), got.count)
		assert.Equal(t, want[1].Int64(), got.sum)
		assert.Equal(t, want[2].Int64(), got.sumSq)
	}
	_, err := decodeTotals(make([]int64, 2))
	require.Error(t, err)
}
