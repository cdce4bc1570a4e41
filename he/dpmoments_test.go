package he

import (
	"context"
	"math/big"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/dp"
)

func momentsCfg(t *testing.T, lo, hi int64) NoisyMomentsConfig {
	t.Helper()
	acct, err := dp.NewAccountant(1, 1e-6)
	require.NoError(t, err)
	return NoisyMomentsConfig{Epsilon: 1, Delta: 1e-6, Parties: 3, Budget: acct, Lower: lo, Upper: hi, MaxRows: 1e7}
}

// The encoding's sensitivity claim, which the noise is calibrated for:
// adding one row (any value, clamped) changes a party's rounded vector by
// at most the declared Sensitivity per coordinate, and its figures read
// back within half a unit. Mutation tried: floor(h/u) instead of ceil(h/u)
// as the sensitivity fails (a row at a bound moves the rounded sum by the
// ceiling when the fractions align).
func TestNoisyMomentsSensitivity(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	for _, b := range [][2]int64{{0, 30000}, {-100, 100}, {0, 2e9}, {-(1 << 31), 1 << 31}} {
		m, err := NewNoisyMoments(momentsCfg(t, b[0], b[1]))
		require.NoError(t, err)
		sens := m.Noise().NoiseConfig().Sensitivity
		w := b[1] - b[0] + 1
		for range 300 {
			vals := make([]int64, 1+rng.Intn(50))
			for i := range vals {
				vals[i] = b[0] + rng.Int63n(w)
			}
			extra := []int64{b[0], b[1], b[0] - 5, b[1] + 5, b[0] + rng.Int63n(w)}[rng.Intn(5)]
			q0, _, err := m.Encode(vals)
			require.NoError(t, err)
			q1, _, err := m.Encode(append(vals, extra))
			require.NoError(t, err)
			for k := range 3 {
				require.LessOrEqual(t, abs64(q1[k]-q0[k]), sens[k], "bounds %v coordinate %d", b, k)
			}
			back, err := m.Decode(q0)
			require.NoError(t, err)
			sum, sq := new(big.Int), new(big.Int)
			for _, x := range vals {
				y := big.NewInt(x - m.Centre())
				sum.Add(sum, y)
				sq.Add(sq, new(big.Int).Mul(y, y))
			}
			for k, pair := range [][2]*big.Int{{big.NewInt(int64(len(vals))), back.Count}, {sum, back.Sum}, {sq, back.SumSquares}} {
				d := new(big.Int).Sub(pair[0], pair[1])
				d.Abs(d).Mul(d, big.NewInt(2))
				require.LessOrEqual(t, d.Cmp(m.units[k]), 0)
			}
		}
	}
	_, err := NewNoisyMoments(momentsCfg(t, 0, 1<<33))
	require.ErrorIs(t, err, ErrInvalidParams)
}

// A noisy moments round: the released count, sum and sum of squares are
// near the exact ones of the clamped values (within the shares' tails), the
// mean and variance are in their ranges, and values out of bounds were
// clamped.
func TestNoisyMomentsRound(t *testing.T) {
	m, err := NewNoisyMoments(momentsCfg(t, 0, 1000))
	require.NoError(t, err)
	p, err := NewParams(m.Noise().Config(Config{Preset: IntLogN13, KeyHolders: 3, MaxValues: 16}))
	require.NoError(t, err)
	// 600 rows (the count's noise, of sd about 8, keeps it far from 0);
	// 5000 and -7 are clamped to 1000 and 0.
	rows := [][]int64{make([]int64, 200), make([]int64, 200), make([]int64, 200)}
	for i, r := range rows {
		for j := range r {
			r[j] = int64(100*i + j)
		}
	}
	rows[1][0], rows[2][0] = 5000, -7
	inputs := map[int]SpokeInput{}
	clamped := 0
	for i, r := range rows {
		v, c, err := m.Encode(r)
		require.NoError(t, err)
		inputs[i+1] = SpokeInput{Ints: v}
		clamped += c
	}
	assert.Equal(t, 2, clamped)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := RunInProcess(ctx, memStar(t, 4), p, Round{SemiHonestContributions: true, Noise: m.Noise()}, inputs)
	require.NoError(t, err)
	s, err := m.Decode(res.Ints)
	require.NoError(t, err)
	tb := m.Noise().TailBound()
	assert.LessOrEqual(t, abs64(s.Count.Int64()-600), 3*tb[0])
	// The sums of the clamped, centred values, within the three shares'
	// tails and the rounding (half a unit per party) of the exact ones:
	// this fails only when some share exceeds its tail (2^-40). Mean and
	// SampleVariance below are clamped to their ranges by construction.
	exact := [3]*big.Int{big.NewInt(600), new(big.Int), new(big.Int)}
	for _, r := range rows {
		for _, x := range r {
			y := big.NewInt(min(1000, max(0, x)) - m.Centre())
			exact[1].Add(exact[1], y)
			exact[2].Add(exact[2], y.Mul(y, y))
		}
	}
	for k, got := range []*big.Int{s.Count, s.Sum, s.SumSquares} {
		d := new(big.Int).Sub(got, exact[k])
		limit := new(big.Int).Mul(m.units[k], big.NewInt(3*tb[k]+2))
		assert.LessOrEqual(t, d.Abs(d).Cmp(limit), 0, "coordinate %d: %v, exact %v", k, got, exact[k])
	}
	assert.GreaterOrEqual(t, s.Mean(), 0.0)
	assert.LessOrEqual(t, s.Mean(), 1000.0)
	v := s.SampleVariance()
	assert.GreaterOrEqual(t, v, 0.0)
	n := float64(s.Count.Int64())
	assert.LessOrEqual(t, v, 1000.0*1000/4*n/(n-1))
}
