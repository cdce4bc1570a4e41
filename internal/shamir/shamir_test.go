package shamir

import (
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/internal/errs"
)

func points(n int) []uint64 {
	xs := make([]uint64, n)
	for i := range xs {
		xs[i] = uint64(i + 1)
	}
	return xs
}

func TestSplitCombine(t *testing.T) {
	s, err := NewSampler()
	require.NoError(t, err)
	for _, tc := range []struct{ t, n, size int }{{1, 1, 3}, {1, 3, 2}, {2, 3, 5}, {3, 5, 1}, {5, 5, 4}, {7, 20, 3}} {
		secrets := make([]uint64, tc.size)
		s.Fill(secrets)
		secrets[0] = P - 1
		shares, err := Split(secrets, tc.t, points(tc.n))
		require.NoError(t, err)
		// Every window of t consecutive shares, and all n, reconstruct.
		for lo := 0; lo+tc.t <= tc.n; lo++ {
			got, err := Combine(shares[lo:lo+tc.t], tc.t)
			require.NoError(t, err)
			require.Equal(t, secrets, got)
		}
		got, err := Combine(shares, tc.t)
		require.NoError(t, err)
		require.Equal(t, secrets, got)
		if tc.t < tc.n {
			// A wrong share among t+1 is detected.
			bad := append([]Share(nil), shares...)
			bad[tc.t] = Share{X: bad[tc.t].X, Y: append([]uint64(nil), bad[tc.t].Y...)}
			bad[tc.t].Y[0] = (bad[tc.t].Y[0] + 1) % P
			_, err = Combine(bad, tc.t)
			require.ErrorIs(t, err, ErrInconsistent)
		}
	}
}

// TestSharesAreRandomised fails if the coefficients stop being fresh: a
// share below the threshold must differ from split to split of the same
// secret (64 draws of a 61-bit value collide with probability ~2^-50).
func TestSharesAreRandomised(t *testing.T) {
	xs := points(3)
	seen := map[uint64]bool{}
	for range 64 {
		shares, err := Split([]uint64{42}, 2, xs)
		require.NoError(t, err)
		seen[shares[0].Y[0]] = true
	}
	require.Equal(t, 64, len(seen), "a share below the threshold must be fresh randomness each time")
}

// TestAgainstBig checks interpolation against math/big on random points.
func TestAgainstBig(t *testing.T) {
	s, _ := NewSampler()
	xs := []uint64{5, 9, P - 2, 1 << 40}
	l := Lagrange(xs, 7)
	coef := make([]uint64, 4)
	s.Fill(coef)
	p := new(big.Int).SetUint64(P)
	f := func(x uint64) *big.Int {
		acc := new(big.Int)
		for j := len(coef) - 1; j >= 0; j-- {
			acc.Mul(acc, new(big.Int).SetUint64(x))
			acc.Add(acc, new(big.Int).SetUint64(coef[j]))
			acc.Mod(acc, p)
		}
		return acc
	}
	sum := new(big.Int)
	for j, x := range xs {
		sum.Add(sum, new(big.Int).Mul(new(big.Int).SetUint64(l[j]), f(x)))
	}
	sum.Mod(sum, p)
	require.Equal(t, f(7), sum)
}

func TestRejects(t *testing.T) {
	_, err := Split([]uint64{1}, 0, points(3))
	require.ErrorIs(t, err, errs.ErrInvalidParams)
	_, err = Split([]uint64{1}, 4, points(3))
	require.ErrorIs(t, err, errs.ErrInvalidParams)
	_, err = Split([]uint64{1}, 2, []uint64{1, 1, 2})
	require.ErrorIs(t, err, errs.ErrInvalidParams)
	_, err = Split([]uint64{1}, 2, []uint64{0, 1})
	require.ErrorIs(t, err, errs.ErrInvalidParams)
	_, err = Split([]uint64{P}, 2, points(2))
	require.ErrorIs(t, err, errs.ErrInvalidParams)

	good, err := Split([]uint64{1, 2}, 2, points(3))
	require.NoError(t, err)
	_, err = Combine(good[:1], 2)
	require.ErrorIs(t, err, errs.ErrInvalidParams)
	for _, bad := range [][]Share{
		{good[0], {X: good[0].X, Y: good[1].Y}},
		{good[0], {X: 2, Y: []uint64{1}}},
		{good[0], {X: 2, Y: []uint64{P, 0}}},
		{good[0], {X: 0, Y: good[1].Y}},
	} {
		_, err = Combine(bad, 2)
		require.ErrorIs(t, err, errs.ErrMalformed)
	}
}

func TestSignedMapping(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 1 << 59, -(1 << 59), math.MaxInt32, math.MinInt32} {
		require.Equal(t, v, ToInt64(FromInt64(v)))
	}
	require.Equal(t, uint64(P-1), FromInt64(-1))
}

func BenchmarkSplit(b *testing.B) {
	secrets := make([]uint64, 1<<12)
	xs := points(5)
	for b.Loop() {
		_, _ = Split(secrets, 3, xs)
	}
}
