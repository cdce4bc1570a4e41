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
	top := totals{count: rows, sum: new(big.Int).Mul(rows, x), sumSq: new(big.Int).Mul(rows, new(big.Int).Mul(x, x))}
	sum := make([]int64, enc.moments.Len())
	want := totals{count: new(big.Int), sum: new(big.Int), sumSq: new(big.Int)}
	for i := range maxParties {
		tt := top
		if i%2 == 1 { // some hospitals far from the top, negative sums
			s := new(big.Int).Rand(rng, top.sum)
			tt = totals{count: big.NewInt(rng.Int63n(exactRows)), sum: s.Neg(s), sumSq: new(big.Int).Rand(rng, top.sumSq)}
		}
		v, err := enc.encode(tt)
		require.NoError(t, err)
		for k, l := range v {
			require.LessOrEqual(t, abs(l), bound)
			sum[k] += l
		}
		want.count.Add(want.count, tt.count)
		want.sum.Add(want.sum, tt.sum)
		want.sumSq.Add(want.sumSq, tt.sumSq)
	}
	require.LessOrEqual(t, float64(maxParties)*float64(bound), enc.params.MaxSafeSum())
	got, err := enc.decode(sum)
	require.NoError(t, err)
	assert.Zero(t, got.count.Cmp(want.count))
	assert.Zero(t, got.sum.Cmp(want.sum))
	assert.Zero(t, got.sumSq.Cmp(want.sumSq))
	_, err = enc.decode(make([]int64, 2))
	require.Error(t, err)
}

// The noisy encoding: a hospital's totals rounded to the release's units
// change by at most the sensitivity the noise is calibrated for when one
// row is added (any row within the bounds), and read back within half a
// unit.
func TestQuantizedSensitivity(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	for _, b := range [][2]int64{{0, 30000}, {-100, 100}, {0, 2e9}} {
		cfg := &config{epsilon: 1, delta: 1e-6, noise: "skellam", minHonest: 3, lo: b[0], hi: b[1]}
		centre := cfg.lo + (cfg.hi-cfg.lo)/2
		rel, err := newRelease(cfg, centre, 3)
		require.NoError(t, err)
		sens := rel.noise.NoiseConfig().Sensitivity
		for range 300 {
			vals := make([]int64, 1+rng.Intn(50))
			for i := range vals {
				vals[i] = cfg.lo + rng.Int63n(cfg.hi-cfg.lo+1)
			}
			t0, _, _ := localTotals(party{values: vals}, true, cfg.lo, cfg.hi, centre)
			extra := []int64{cfg.lo, cfg.hi, cfg.lo + rng.Int63n(cfg.hi-cfg.lo+1)}[rng.Intn(3)]
			t1, _, _ := localTotals(party{values: append(vals, extra)}, true, cfg.lo, cfg.hi, centre)
			q0, q1 := rel.quantize(t0), rel.quantize(t1)
			for k := range 3 {
				require.LessOrEqual(t, abs(q1[k]-q0[k]), sens[k], "bounds %v coordinate %d", b, k)
			}
			back, err := rel.dequantize(q0)
			require.NoError(t, err)
			for k, pair := range [][2]*big.Int{{t0.count, back.count}, {t0.sum, back.sum}, {t0.sumSq, back.sumSq}} {
				d := new(big.Int).Sub(pair[0], pair[1])
				d.Abs(d).Mul(d, big.NewInt(2))
				require.LessOrEqual(t, d.Cmp(rel.units[k]), 0)
			}
		}
	}
}
