package dp

import (
	"math"
	"testing"
	"testing/cryptotest"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/internal/prg"
)

// The thresholds of the geometric tables against the alternating series
// of exp(-x) at two precisions in dgauss_equiv_test.go (an independent computation:
// the package bounds 1/exp(x) by interval arithmetic on big.Floats).
func TestGeoTablesMatchReference(t *testing.T) {
	ts := []uint64{1, 2, 3, 11, 18}
	if testing.Short() {
		ts = []uint64{1, 11}
	}
	// The largest table at a few points (the whole of it is slow in
	// rationals).
	g64 := geoTableFor(maxGeoTableT)
	for _, j := range []uint64{1, 2, 63, 64, 65, 1000, 2047, 2048} {
		fl, _ := refExpNeg64(j, maxGeoTableT)
		require.Equal(t, fl, g64.c[j-1], "t = 64, j = %d", j)
	}
	for _, tt := range ts {
		g := geoTableFor(tt)
		require.Equal(t, refThresholds(tt), g.c, "t = %d", tt)
		for z := 0; z <= 60; z++ {
			for m := range 8 {
				bound := float64(8+m+1) * math.Ldexp(1, 60-z) // a < (9+m) 2^(60-z)
				k := g.fine[z][m]
				for j := 0; j < k; j++ {
					require.GreaterOrEqual(t, float64(g.c[j]), bound, "t %d z %d m %d j %d", tt, z, m, j)
				}
				if k < len(g.c) && (z > 0 || m < 7) {
					require.Less(t, float64(g.c[k]), bound*(1+1e-15)+1, "fine start is the largest such j: t %d z %d m %d", tt, z, m)
				}
			}
		}
		for z := 0; z <= 64; z++ {
			bound := math.Ldexp(1, 64-z) // a < 2^(64-z) when a has z leading zeros
			k := g.start[z]
			for j := 0; j < k; j++ {
				require.GreaterOrEqual(t, float64(g.c[j]), bound, "t %d z %d j %d", tt, z, j)
			}
			if k < len(g.c) && z > 0 {
				require.Less(t, float64(g.c[k]), bound*(1+1e-15)+1, "start is the largest such j: t %d z %d", tt, z)
			}
		}
	}
}

// rngWords returns a stream that yields words first, then keystream.
func rngWords(words ...uint64) *rng {
	r := newRNGSeed(prg.Seed{7})
	buf := make([]uint64, len(r.buf))
	r.src.FillUint64(buf)
	copy(buf, words)
	r.buf = buf
	r.pos = 0
	return r
}

// A first word equal to a threshold (probability 2^-64) is resolved by the
// next digits of U against the next 64 bits of exp(-j/t) 2^64 (from the
// reference), one way or the other.
func TestGeoTie(t *testing.T) {
	for _, c := range []struct{ t, j uint64 }{{1, 1}, {1, 5}, {1, 31}, {11, 1}, {11, 10}, {11, 200}} {
		g := geoTableFor(c.t)
		fl, next := refExpNeg64(c.j, c.t)
		require.Equal(t, fl, g.c[c.j-1])
		require.True(t, rngWords(0, next-1).belowAt(g, fl, int(c.j)), "%+v: U just below", c)
		require.False(t, rngWords(0, next+1).belowAt(g, fl, int(c.j)), "%+v: U just above", c)
		// Through geoExp: X = j when U < exp(-j/t), else j - 1.
		require.Equal(t, c.j, rngWords(fl, next-1).geoExp(g), "%+v", c)
		require.Equal(t, c.j-1, rngWords(fl, next+1).geoExp(g), "%+v", c)
	}
	// And the words around a threshold decide without more digits.
	g := geoTableFor(11)
	c := g.c[9]
	r := rngWords(c-1, c+1)
	require.Equal(t, uint64(10), r.geoExp(g))
	require.Equal(t, uint64(9), r.geoExp(g))
	require.Equal(t, 2, r.pos, "one word each")
}

// belowAt is below for a stream positioned after the first word.
func (p *rng) belowAt(g *geoTable, a uint64, j int) bool {
	p.pos = 1
	return p.below(g, a, j)
}

// geoExp against X = #{j : U < exp(-j/t)} computed with the reference
// thresholds, for words spread over the whole range (every leading-zero
// count), and its law: P(X >= m) = exp(-m/t) and bernExpInt's exp(-q).
func TestGeoExpExact(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1800) // fixed randomness: deterministic
	for _, tt := range []uint64{1, 11} {
		g := geoTableFor(tt)
		ref := refThresholds(tt)
		src, _ := newRNG()
		for i := 0; i < 20000; i++ {
			a := src.uint64() >> (i % 64)
			want := 0
			for want < len(ref) && a < ref[want] {
				want++
			}
			if want == len(ref) {
				continue // beyond the table: a fresh draw follows
			}
			require.Equal(t, uint64(want), rngWords(a).geoExp(g), "t %d a %#x", tt, a)
		}
	}
	// The law, at a 1e-7 false-failure rate per check (stat_test.go).
	r, err := testRNG(t, "geoExp")
	require.NoError(t, err)
	const n = 200000
	xs := make([]float64, n)
	g := geoTableFor(3)
	for i := range xs {
		xs[i] = float64(r.geoExp(g))
	}
	geo := func(t float64) refDist {
		return discreteRefRange("geo", 0, int(60*t)+60, func(k int) float64 { return math.Exp(-float64(k) / t) })
	}
	require.NoError(t, checkSamples(xs, geo(3)))
	require.Error(t, checkSamples(xs, geo(3*1.05)))
	require.Error(t, checkSamples(xs, geo(3/1.05)))
	hits := 0
	for range n {
		if r.bernExpInt(2) {
			hits++
		}
	}
	p := math.Exp(-2)
	require.InDelta(t, p, float64(hits)/n, 6*math.Sqrt(p*(1-p)/n))
	require.True(t, r.bernExpInt(0))
	// q beyond one table: exp(-40) is two comparisons, both must pass.
	c := geoTableFor(1).c
	require.True(t, rngWords(0, 0).bernExpInt(40))
	require.False(t, rngWords(c[31]+1, 0).bernExpInt(40))
	require.False(t, rngWords(0, c[7]+1).bernExpInt(40))
}

// TestGeoExpBeyondTable: a first word below every threshold (X >= J, with
// probability exp(-32)) adds J to a fresh draw, here 2 (a second word
// between the thresholds of exp(-2/t) and exp(-3/t)).
func TestGeoExpBeyondTable(t *testing.T) {
	for _, tt := range []uint64{1, 11} {
		g := geoTableFor(tt)
		require.Less(t, g.c[2]+1, g.c[1])
		require.Equal(t, uint64(len(g.c))+2, rngWords(0, g.c[2]+1).geoExp(g), "t %d", tt)
	}
}
