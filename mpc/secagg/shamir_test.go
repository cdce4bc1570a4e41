package secagg

import (
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSecretSharingRoundTrip(t *testing.T) {
	for _, tc := range []struct{ holders, t int }{{1, 1}, {2, 1}, {2, 2}, {5, 3}, {40, 20}, {40, 40}} {
		a, b := make([]byte, 32), make([]byte, 32)
		_, _ = rand.Read(a)
		for i := range b {
			b[i] = 0xff // the largest 32-byte secret
		}
		xs := make([]int, tc.holders)
		for i := range xs {
			xs[i] = 3*i + 1
		}
		shares, err := splitSecrets([][]byte{a, b}, xs, tc.t)
		require.NoError(t, err)
		for s, secret := range [][]byte{a, b} {
			ys := make([]shareValue, len(xs))
			for h := range xs {
				ys[h] = shares[h][s]
			}
			// Any t shares (here: the last t) reconstruct.
			got, err := combineSecret(xs[len(xs)-tc.t:], ys[len(ys)-tc.t:], tc.t)
			require.NoError(t, err)
			assert.Equal(t, secret, got)
			if tc.t > 1 {
				// t-1 shares are not enough.
				_, err = combineSecret(xs[:tc.t-1], ys[:tc.t-1], tc.t)
				assert.ErrorIs(t, err, ErrTooManyDropouts)
				// A wrong share gives a different secret (or is rejected).
				ys[0][ShareSize-1] ^= 1
				bad, err := combineSecret(xs, ys, tc.t)
				if err == nil {
					assert.NotEqual(t, secret, bad)
				}
			}
		}
	}
}

func TestSecretSharingRejects(t *testing.T) {
	s := make([]byte, 32)
	_, err := splitSecrets([][]byte{s[:31]}, []int{1, 2}, 1)
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = splitSecrets([][]byte{s}, []int{1, 2}, 3)
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = splitSecrets([][]byte{s}, []int{0, 2}, 2)
	assert.ErrorIs(t, err, ErrInvalidParams)
	sh, err := splitSecrets([][]byte{s}, []int{1, 2}, 2)
	require.NoError(t, err)
	ys := []shareValue{sh[0][0], sh[1][0]}
	_, err = combineSecret([]int{1, 1}, ys, 2)
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = combineSecret([]int{0, 1}, ys, 2)
	assert.ErrorIs(t, err, ErrMalformed)
	var big shareValue
	for i := range big {
		big[i] = 0xff
	}
	_, err = combineSecret([]int{1, 2}, []shareValue{big, ys[1]}, 2)
	assert.ErrorIs(t, err, ErrMalformed)
	// With t = 1 a share is the limbs themselves: an out-of-range top limb
	// is not a 32-byte secret.
	var top shareValue
	top[8*limbs-2] = 1 // limb 4 = 2^8: in range
	_, err = combineSecret([]int{1}, []shareValue{top}, 1)
	require.NoError(t, err)
	top[8*limbs-3] = 1 // limb 4 >= 2^16
	_, err = combineSecret([]int{1}, []shareValue{top}, 1)
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestLimbsRoundTrip(t *testing.T) {
	for range 100 {
		s := make([]byte, 32)
		_, _ = rand.Read(s)
		got, err := limbsSecret(secretLimbs(nil, s))
		require.NoError(t, err)
		require.Equal(t, s, got)
	}
	ones := make([]byte, 32)
	for i := range ones {
		ones[i] = 0xff
	}
	l := secretLimbs(nil, ones)
	assert.Equal(t, uint64(1<<topBits-1), l[limbs-1])
	got, err := limbsSecret(l)
	require.NoError(t, err)
	assert.Equal(t, ones, got)
}
