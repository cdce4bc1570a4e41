package he

import (
	"context"
	"math/big"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A declared n of 2^32 rows per party (and 16 parties): the moments
// encoding fits IntLogN13 and every limb of a party's encoding stays within
// the limb bound, so the sums decode exactly (checked with math/big at the
// extremes of the declared range, rows of |x| = MaxAbs).
func TestMomentsEncodingWide(t *testing.T) {
	p, e, err := NewMomentsEncoding(Config{Preset: IntLogN13, MaxWeight: 16, KeyHolders: 2}, 1<<32, 1<<31)
	require.NoError(t, err)
	assert.Equal(t, p.Config().Bound, e.Bound())
	assert.Equal(t, 3, e.Squares.Limbs, "97 bits of sum of squares in limbs of %d bits", e.Squares.LimbBits)
	assert.LessOrEqual(t, float64(16*e.Bound()), p.MaxSafeSum())
	// Encode by hand what a party of 2^32 rows of x = ±2^31 holds (too many
	// rows to build): count 2^32, sum ±2^63, sum of squares 2^94.
	n := new(big.Int).Lsh(big.NewInt(1), 32)
	s := new(big.Int).Lsh(big.NewInt(1), 63)
	q := new(big.Int).Lsh(big.NewInt(1), 94)
	one, err := e.Count.Encode(nil, n)
	require.NoError(t, err)
	one, err = e.Sum.Encode(one, s)
	require.NoError(t, err)
	one, err = e.Squares.Encode(one, q)
	require.NoError(t, err)
	sum := make([]int64, len(one))
	for range 16 {
		for i, l := range one {
			require.LessOrEqual(t, abs64(l), e.Bound())
			sum[i] += l
		}
	}
	got, err := e.Decode(sum)
	require.NoError(t, err)
	sixteen := big.NewInt(16)
	assert.Zero(t, got.Count.Cmp(new(big.Int).Mul(n, sixteen)))
	assert.Zero(t, got.Sum.Cmp(new(big.Int).Mul(s, sixteen)))
	assert.Zero(t, got.SumSquares.Cmp(new(big.Int).Mul(q, sixteen)), "2^98 decoded exactly")
	// Out of the declared range: refused.
	_, err = e.Encode([]int64{1 << 32})
	require.ErrorIs(t, err, ErrOutOfRange)
	_, err = e.Squares.Encode(nil, new(big.Int).Lsh(big.NewInt(1), uint(3*e.Squares.LimbBits)))
	require.ErrorIs(t, err, ErrOutOfRange)
}

// Random sums of encodings decode to the exact sums, signs mixed.
func TestWideIntsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	w := WideInts{LimbBits: 20, Limbs: 6}
	for range 500 {
		k := 1 + rng.Intn(8)
		sum := make([]int64, w.Len(2))
		want := []*big.Int{new(big.Int), new(big.Int)}
		for range k {
			xs := []*big.Int{new(big.Int).Rand(rng, new(big.Int).Lsh(big.NewInt(1), 120)), new(big.Int).Rand(rng, big.NewInt(1<<40))}
			if rng.Intn(2) == 0 {
				xs[0].Neg(xs[0])
			}
			enc, err := w.Encode(nil, xs...)
			require.NoError(t, err)
			for i, l := range enc {
				require.LessOrEqual(t, abs64(l), w.Bound())
				sum[i] += l
			}
			want[0].Add(want[0], xs[0])
			want[1].Add(want[1], xs[1])
		}
		got, err := w.Decode(sum)
		require.NoError(t, err)
		assert.Zero(t, got[0].Cmp(want[0]))
		assert.Zero(t, got[1].Cmp(want[1]))
	}
}

// The moments of rows through an encrypted round's arithmetic (plain sums
// of encodings here) give the exact mean and sample variance.
func TestMomentsEncodingStats(t *testing.T) {
	_, e, err := NewMomentsEncoding(Config{Preset: IntLogN13, MaxWeight: 3, KeyHolders: 2}, 1000, 1<<40)
	require.NoError(t, err)
	rows := [][]int64{{1 << 40, -(1 << 40), 7}, {3, 5}, {-(1 << 39)}}
	sum := make([]int64, e.Len())
	for _, r := range rows {
		v, err := e.Encode(r)
		require.NoError(t, err)
		for i := range v {
			sum[i] += v[i]
		}
	}
	m, err := e.Decode(sum)
	require.NoError(t, err)
	assert.Equal(t, int64(6), m.Count.Int64())
	s := big.NewInt(7 + 3 + 5 - (1 << 39))
	assert.Zero(t, m.Sum.Cmp(s))
	q := new(big.Int).Lsh(big.NewInt(1), 81)
	q.Add(q, big.NewInt(49+9+25))
	q.Add(q, new(big.Int).Lsh(big.NewInt(1), 78))
	assert.Zero(t, m.SumSquares.Cmp(q))
	wantVar, _ := new(big.Rat).SetFrac(new(big.Int).Sub(new(big.Int).Mul(q, big.NewInt(6)), new(big.Int).Mul(s, s)), big.NewInt(30)).Float64()
	assert.Equal(t, wantVar, m.SampleVariance())
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// Through a round (collective key, smudged decryption): three parties'
// moments of values near 2^62 sum exactly, where the int64 moments of
// Moments would overflow.
func TestMomentsEncodingRound(t *testing.T) {
	p, e, err := NewMomentsEncoding(Config{Preset: IntLogN13, MaxWeight: 3, KeyHolders: 3, MaxValues: 16}, 1<<32, 1<<62)
	require.NoError(t, err)
	rows := [][]int64{{1 << 62, 1 << 62, -3}, {-(1 << 62), 12345}, {1<<62 - 1}}
	_, err = Moments(rows[0])
	require.ErrorIs(t, err, ErrOutOfRange, "int64 moments overflow")
	inputs := map[int]SpokeInput{}
	want := WideMomentSums{Count: new(big.Int), Sum: new(big.Int), SumSquares: new(big.Int)}
	for i, r := range rows {
		v, err := e.Encode(r)
		require.NoError(t, err)
		inputs[i+1] = SpokeInput{Ints: v}
		for _, x := range r {
			b := big.NewInt(x)
			want.Count.Add(want.Count, big.NewInt(1))
			want.Sum.Add(want.Sum, b)
			want.SumSquares.Add(want.SumSquares, new(big.Int).Mul(b, b))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := RunInProcess(ctx, memStar(t, 4), p, Round{SemiHonestContributions: true}, inputs)
	require.NoError(t, err)
	got, err := e.Decode(res.Ints)
	require.NoError(t, err)
	assert.Zero(t, got.Count.Cmp(want.Count))
	assert.Zero(t, got.Sum.Cmp(want.Sum))
	assert.Zero(t, got.SumSquares.Cmp(want.SumSquares))
}
