package secagg

import (
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShamirRoundTrip(t *testing.T) {
	for _, tc := range []struct{ holders, t int }{{1, 1}, {2, 1}, {2, 2}, {5, 3}, {40, 20}, {40, 40}} {
		secret := make([]byte, 32)
		_, _ = rand.Read(secret)
		if tc.holders == 5 {
			for i := range secret {
				secret[i] = 0xff // the largest 32-byte secret
			}
		}
		xs := make([]int, tc.holders)
		for i := range xs {
			xs[i] = 3*i + 1
		}
		ys, err := shamirSplit(secret, xs, tc.t, rand.Reader)
		require.NoError(t, err)
		// Any t shares (here: the last t) reconstruct.
		got, err := shamirCombine(xs[len(xs)-tc.t:], ys[len(ys)-tc.t:], tc.t)
		require.NoError(t, err)
		assert.Equal(t, secret, got)
		if tc.t > 1 {
			// t-1 shares are not enough.
			_, err = shamirCombine(xs[:tc.t-1], ys[:tc.t-1], tc.t)
			assert.ErrorIs(t, err, ErrTooManyDropouts)
			// A wrong share gives a different secret (or is rejected).
			ys[0][shareSize-1] ^= 1
			bad, err := shamirCombine(xs, ys, tc.t)
			if err == nil {
				assert.NotEqual(t, secret, bad)
			}
		}
	}
}

func TestShamirRejects(t *testing.T) {
	s := make([]byte, 32)
	_, err := shamirSplit(s[:31], []int{1, 2}, 1, rand.Reader)
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = shamirSplit(s, []int{1, 2}, 3, rand.Reader)
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = shamirSplit(s, []int{0, 2}, 2, rand.Reader)
	assert.ErrorIs(t, err, ErrInvalidParams)
	ys, err := shamirSplit(s, []int{1, 2}, 2, rand.Reader)
	require.NoError(t, err)
	_, err = shamirCombine([]int{1, 1}, ys, 2)
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = shamirCombine([]int{0, 1}, ys, 2)
	assert.ErrorIs(t, err, ErrMalformed)
	var big shareValue
	for i := range big {
		big[i] = 0xff
	}
	_, err = shamirCombine([]int{1, 2}, []shareValue{big, ys[1]}, 2)
	assert.ErrorIs(t, err, ErrMalformed)
	// With t = 1 a share is the limbs themselves: an out-of-range top limb
	// is not a 32-byte secret.
	var top shareValue
	top[8*limbs-2] = 1 // limb 4 = 2^8: in range
	_, err = shamirCombine([]int{1}, []shareValue{top}, 1)
	require.NoError(t, err)
	top[8*limbs-3] = 1 // limb 4 >= 2^16
	_, err = shamirCombine([]int{1}, []shareValue{top}, 1)
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestLimbsRoundTrip(t *testing.T) {
	for range 100 {
		s := make([]byte, 32)
		_, _ = rand.Read(s)
		got, err := limbsSecret(secretLimbs(s))
		require.NoError(t, err)
		require.Equal(t, s, got)
	}
	ones := make([]byte, 32)
	for i := range ones {
		ones[i] = 0xff
	}
	l := secretLimbs(ones)
	assert.Equal(t, uint64(1<<topBits-1), l[limbs-1])
	got, err := limbsSecret(l)
	require.NoError(t, err)
	assert.Equal(t, ones, got)
}
