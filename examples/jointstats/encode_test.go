package main

import (
	"math"
	"math/big"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The exact encoding (he.MomentsEncoding, epsilon 0) keeps every limb
// within the Params' bound and decodes the sum of 64 hospitals' totals
// exactly, at the top of its declared range (2^32 rows of |x| = 2^63-1
// cents each: a sum of squares near 2^158 per hospital).
func TestExactEncodingWide(t *testing.T) {
	cfg := &config{threshold: maxParties}
	enc, err := newEncoding(cfg, maxParties, &release{})
	require.NoError(t, err)
	bound := enc.params.Config().Bound
	assert.Equal(t, 10, enc.moments.Len(), "2, 3 and 5 limbs of %d bits", enc.moments.Squares.LimbBits)
	rng := rand.New(rand.NewSource(5))
	rows := big.NewInt(exactRows)
	x := big.NewInt(math.MaxInt64)
	top := [3]*big.Int{rows, new(big.Int).Mul(rows, x), new(big.Int).Mul(rows, new(big.Int).Mul(x, x))}
	m := enc.moments
	sum := make([]int64, m.Len())
	want := [3]*big.Int{new(big.Int), new(big.Int), new(big.Int)}
	for i := range maxParties {
		tt := top
		if i%2 == 1 { // some hospitals far from the top, negative sums
			s := new(big.Int).Rand(rng, top[1])
			tt = [3]*big.Int{big.NewInt(rng.Int63n(exactRows)), s.Neg(s), new(big.Int).Rand(rng, top[2])}
		}
		// A hospital's vector as MomentsEncoding.Encode writes it (too
		// many rows to build).
		v, err := m.Count.Encode(nil, tt[0])
		require.NoError(t, err)
		v, err = m.Sum.Encode(v, tt[1])
		require.NoError(t, err)
		v, err = m.Squares.Encode(v, tt[2])
		require.NoError(t, err)
		for k, l := range v {
			require.LessOrEqual(t, abs(l), bound)
			sum[k] += l
		}
		for k := range want {
			want[k].Add(want[k], tt[k])
		}
	}
	require.LessOrEqual(t, float64(maxParties)*float64(bound), enc.params.MaxSafeSum())
	got, err := m.Decode(sum)
	require.NoError(t, err)
	assert.Zero(t, got.Count.Cmp(want[0]))
	assert.Zero(t, got.Sum.Cmp(want[1]))
	assert.Zero(t, got.SumSquares.Cmp(want[2]))
	_, err = enc.decode(make([]int64, 2))
	require.Error(t, err)
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
