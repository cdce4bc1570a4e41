package mpc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/internal/field61"
)

func TestFieldInt64RoundTrip(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 1 << 40, -(1 << 40)} {
		require.Equal(t, v, FieldToInt64(FieldFromInt64(v)))
	}
}

func TestShamirProperty(t *testing.T) {
	for n := 2; n <= 7; n++ {
		for th := 2; th <= n; th++ {
			t.Run(fmt.Sprintf("n%d/t%d", n, th), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(n), uint64(th)))
				secrets := make([]uint64, 20)
				for i := range secrets {
					secrets[i] = FieldFromInt64(r.Int64N(1<<40) - 1<<39)
				}
				sh, err := ShamirSplit(secrets, th, n)
				require.NoError(t, err)
				// any threshold shares reconstruct
				perm := r.Perm(n)
				sub := make([]ShamirShare, th)
				for i := range sub {
					sub[i] = sh[perm[i]]
				}
				got, err := ShamirReconstruct(sub, th)
				require.NoError(t, err)
				require.Equal(t, secrets, got)
				// all shares reconstruct; sums are homomorphic
				sum := make([]ShamirShare, n)
				for i := range sh {
					sum[i], err = ShamirAdd(sh[i], ShamirMulConst(sh[i], 2))
					require.NoError(t, err)
				}
				got, err = ShamirReconstruct(sum, th)
				require.NoError(t, err)
				for k := range secrets {
					require.Equal(t, field61.Mul(secrets[k], 3), got[k])
				}
				// threshold-1 shares are not enough
				_, err = ShamirReconstruct(sh[:th-1], th)
				require.ErrorIs(t, err, ErrInvalidParams)
				// a tampered share among threshold+1 or more is detected
				if n >= th+1 {
					bad := append([]ShamirShare(nil), sh...)
					victim := perm[r.IntN(n)]
					bad[victim].Y = append([]uint64(nil), bad[victim].Y...)
					bad[victim].Y[r.IntN(len(secrets))] ^= 1
					_, err = ShamirReconstruct(bad, th)
					require.ErrorIs(t, err, ErrInconsistent)
				}
			})
		}
	}
}

func TestShamirParams(t *testing.T) {
	for _, c := range []struct{ t, n int }{{0, 3}, {1, 3}, {4, 3}, {2, 1}, {-1, 5}} {
		_, err := ShamirSplit([]uint64{1}, c.t, c.n)
		require.ErrorIs(t, err, ErrInvalidParams, "threshold %d of %d", c.t, c.n)
	}
	_, err := ShamirSplit([]uint64{ShamirPrime}, 2, 3)
	require.ErrorIs(t, err, ErrOutOfRange)
	sh, err := ShamirSplit([]uint64{5}, 2, 3)
	require.NoError(t, err)
	_, err = ShamirReconstruct([]ShamirShare{sh[0], sh[0]}, 2)
	require.ErrorIs(t, err, ErrMalformed, "a repeated X")
	_, err = ShamirReconstruct(sh, 1)
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestOpenShamir(t *testing.T) {
	const n, th = 4, 3
	secrets := []uint64{FieldFromInt64(-42), 7, 0}
	sh, err := ShamirSplit(secrets, th, n)
	require.NoError(t, err)
	got := runParties(t, n, 1, func(ctx context.Context, p *Party) ([]uint64, error) {
		return p.OpenShamir(ctx, sh[p.Self()], th)
	})
	for _, g := range got {
		require.Equal(t, secrets, g)
		require.Equal(t, int64(-42), FieldToInt64(g[0]))
	}
}

// A party that opens a wrong Shamir share is caught by every other party
// when more than threshold shares are opened, and not when exactly
// threshold are (nothing can be checked then).
func TestOpenShamirDetectsWrongShare(t *testing.T) {
	for _, c := range []struct {
		n, th  int
		caught bool
	}{{4, 3, true}, {3, 2, true}, {3, 3, false}} {
		secrets := []uint64{11, 22, 33}
		sh, err := ShamirSplit(secrets, c.th, c.n)
		require.NoError(t, err)
		sh[1].Y[2] = field61.Add(sh[1].Y[2], 1) // party 1 lies about one value
		errs := runPartiesErr(t, c.n, func(ctx context.Context, p *Party) error {
			got, err := p.OpenShamir(ctx, sh[p.Self()], c.th)
			if err == nil && got[2] == secrets[2] {
				return errors.New("a wrong share changed nothing")
			}
			return err
		})
		for i, err := range errs {
			if i == 1 {
				continue
			}
			if c.caught {
				require.ErrorIs(t, err, ErrInconsistent, "party %d", i)
			} else {
				require.NoError(t, err, "party %d: the result is wrong, undetected", i)
			}
		}
	}
}
