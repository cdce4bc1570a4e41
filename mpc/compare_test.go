package mpc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompareProperty(t *testing.T) {
	for _, n := range partyCounts(2, 3, 4, 5, 6, 7) {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := rand.New(rand.NewPCG(21, uint64(n)))
			size := testSize(200)
			x, y := randSigned(r, size, 62), randSigned(r, size, 62)
			x[0], y[0] = 0, 0
			x[1], y[1] = 1, 0
			x[2], y[2] = 0, 1
			x[3] = 1 << 63    // most negative
			x[4] = 1<<63 - 1  // most positive
			x[5], y[5] = 5, 5 // equal
			x[6] = ^uint64(0) // -1
			xs, ys := share(r, x, n), share(r, y, n)
			got := runParties(t, n, uint64(n), func(ctx context.Context, p *Party) ([][]uint64, error) {
				i := p.Self()
				ltz, err := p.LTZ(ctx, xs[i])
				if err != nil {
					return nil, err
				}
				lt, err := p.LessThan(ctx, xs[i], ys[i])
				if err != nil {
					return nil, err
				}
				mx, err := p.Max(ctx, xs[i], ys[i])
				if err != nil {
					return nil, err
				}
				relu, err := p.ReLU(ctx, xs[i])
				if err != nil {
					return nil, err
				}
				ge, err := p.GreaterEqualPublic(ctx, xs[i], 1000)
				if err != nil {
					return nil, err
				}
				var out [][]uint64
				for _, s := range []Share{ltz, lt, mx, relu, ge} {
					o, err := p.Open(ctx, s)
					if err != nil {
						return nil, err
					}
					out = append(out, o)
				}
				return out, nil
			})
			b := func(c bool) uint64 {
				if c {
					return 1
				}
				return 0
			}
			for k := range x {
				sx, sy := int64(x[k]), int64(y[k])
				require.Equal(t, b(sx < 0), got[0][0][k], "ltz %d", sx)
				if k >= 3 && k <= 4 || k == 6 {
					continue // x - y may wrap for the extreme values
				}
				require.Equal(t, b(sx < sy), got[0][1][k], "lt %d %d", sx, sy)
				require.Equal(t, uint64(max(sx, sy)), got[0][2][k])
				require.Equal(t, uint64(max(sx, 0)), got[0][3][k])
				require.Equal(t, b(sx >= 1000), got[0][4][k])
			}
		})
	}
}

// TestCompareErrorRate measures the error rate of comparison on 3000
// pairs of nearby values (|x - y| <= 3, the hardest case for carries) and
// of random signs: the protocol is exact, so no error may occur; a
// protocol with an error rate of 1e-3 or more would be caught with
// probability above 1 - e^-3.
func TestCompareErrorRate(t *testing.T) {
	r := rand.New(rand.NewPCG(77, 1))
	size := testSize(3000)
	x, y := randSigned(r, size, 60), make([]uint64, size)
	for k := range x {
		y[k] = x[k] + uint64(r.IntN(7)-3)
	}
	xs, ys := share(r, x, 3), share(r, y, 3)
	got := runParties(t, 3, 77, func(ctx context.Context, p *Party) ([]uint64, error) {
		lt, err := p.LessThan(ctx, xs[p.Self()], ys[p.Self()])
		if err != nil {
			return nil, err
		}
		return p.Open(ctx, lt)
	})
	errs := 0
	for k := range x {
		want := uint64(0)
		if int64(x[k]) < int64(y[k]) {
			want = 1
		}
		if got[0][k] != want {
			errs++
		}
	}
	require.Zero(t, errs, "comparison errors in %d", size)
}

func TestThresholdFixed(t *testing.T) {
	vals := []float64{-1.5, 0.2, 0.25, 0.2500153, 3, -1e6}
	got := runParties(t, 3, 3, func(ctx context.Context, p *Party) ([]uint64, error) {
		fx := p.Fixed()
		x, err := fx.Input(ctx, 2, pickTest(p.Self() == 2, vals))
		if err != nil {
			return nil, err
		}
		ge, err := fx.Threshold(ctx, x, 0.25)
		if err != nil {
			return nil, err
		}
		return p.Open(ctx, ge)
	})
	require.Equal(t, []uint64{0, 0, 1, 1, 1, 0}, got[0])
}

func pickTest(mine bool, v []float64) []float64 {
	if mine {
		return v
	}
	return nil
}
