package mpc

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMulDotOpenProperty(t *testing.T) {
	for _, n := range partyCounts(2, 3, 4, 5, 6, 7) {
		for _, size := range []int{0, 1, 17, 300} {
			t.Run(fmt.Sprintf("n%d/len%d", n, size), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(n), uint64(size)))
				x, y := randSigned(r, size, 64), randSigned(r, size, 40)
				xs, ys := share(r, x, n), share(r, y, n)
				type res struct{ prod, dot, sum, diff, open0 []uint64 }
				got := runParties(t, n, uint64(n*1000+size), func(ctx context.Context, p *Party) (res, error) {
					var out res
					z, err := p.Mul(ctx, xs[p.Self()], ys[p.Self()])
					if err != nil {
						return out, err
					}
					if out.prod, err = p.Open(ctx, z); err != nil {
						return out, err
					}
					d, err := p.Dot(ctx, xs[p.Self()], ys[p.Self()])
					if err != nil {
						return out, err
					}
					if out.dot, err = p.Open(ctx, d); err != nil {
						return out, err
					}
					s, _ := Add(xs[p.Self()], ys[p.Self()])
					if out.sum, err = p.Open(ctx, s); err != nil {
						return out, err
					}
					df, _ := Sub(xs[p.Self()], ys[p.Self()])
					df = MulConst(df, 3)
					df, _ = p.AddPublic(df, []uint64{5})
					if out.diff, err = p.Open(ctx, df); err != nil {
						return out, err
					}
					out.open0, err = p.OpenTo(ctx, xs[p.Self()], n-1)
					return out, err
				})
				var dot uint64
				for k := range x {
					dot += x[k] * y[k]
				}
				for i, g := range got {
					for k := range x {
						require.Equal(t, x[k]*y[k], g.prod[k])
						require.Equal(t, x[k]+y[k], g.sum[k])
						require.Equal(t, 3*(x[k]-y[k])+5, g.diff[k])
					}
					require.Equal(t, []uint64{dot}, g.dot)
					if i == n-1 {
						require.Equal(t, len(x), len(g.open0))
						for k := range x {
							require.Equal(t, x[k], g.open0[k])
						}
					} else {
						require.Nil(t, g.open0)
					}
				}
			})
		}
	}
}

// TestChunkedMessages runs openings and products over messages of 7
// words, so vectors travel as several messages.
func TestChunkedMessages(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, size := range []int{0, 6, 7, 8, 50} {
		x := randSigned(r, size, 64)
		xs := share(r, x, 3)
		sh, err := ShamirSplit(make([]uint64, size), 2, 3)
		require.NoError(t, err)
		got := runParties(t, 3, uint64(size), func(ctx context.Context, p *Party) ([][]uint64, error) {
			z, err := p.Mul(ctx, xs[p.Self()], xs[p.Self()])
			if err != nil {
				return nil, err
			}
			o, err := p.Open(ctx, z)
			if err != nil {
				return nil, err
			}
			o2, err := p.OpenTo(ctx, xs[p.Self()], 0)
			if err != nil {
				return nil, err
			}
			o3, err := p.OpenShamir(ctx, sh[p.Self()], 2)
			return [][]uint64{o, o2, o3}, err
		}, withChunkWords(7))
		for k := range x {
			require.Equal(t, x[k]*x[k], got[1][0][k])
			require.Equal(t, x[k], got[0][1][k])
		}
		require.Equal(t, make([]uint64, size), got[2][2])
	}
}

func TestInputAndAnd(t *testing.T) {
	for _, n := range partyCounts(2, 3, 4, 5) {
		r := rand.New(rand.NewPCG(7, uint64(n)))
		x, y := randSigned(r, 100, 64), randSigned(r, 100, 64)
		got := runParties(t, n, uint64(n), func(ctx context.Context, p *Party) ([][]uint64, error) {
			var in []uint64
			if p.Self() == n-1 {
				in = x
			}
			s, err := p.Input(ctx, n-1, in)
			if err != nil {
				return nil, err
			}
			ox, err := p.Open(ctx, s)
			if err != nil {
				return nil, err
			}
			// XOR-share x and y: party 0 holds them, others zero.
			bx, by := make(BoolShare, len(x)), make(BoolShare, len(x))
			if p.Self() == 0 {
				copy(bx, x)
				copy(by, y)
			}
			z, err := p.And(ctx, bx, by)
			if err != nil {
				return nil, err
			}
			oz, err := p.OpenBool(ctx, z)
			return [][]uint64{ox, oz}, err
		})
		for _, g := range got {
			require.Equal(t, x, g[0])
			for k := range x {
				require.Equal(t, x[k]&y[k], g[1][k])
			}
		}
	}
}

func TestPublicValues(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	x := randSigned(r, 10, 64)
	c := randSigned(r, 10, 64)
	xs := share(r, x, 4)
	got := runParties(t, 4, 8, func(ctx context.Context, p *Party) ([][]uint64, error) {
		m, err := MulPublic(xs[p.Self()], c)
		if err != nil {
			return nil, err
		}
		s, err := Add(m, p.Public(c))
		if err != nil {
			return nil, err
		}
		o1, err := p.Open(ctx, s)
		if err != nil {
			return nil, err
		}
		f, err := p.Fixed().Public([]float64{-2.5, 1e-3})
		if err != nil {
			return nil, err
		}
		o2, err := p.Open(ctx, Share(f))
		if err != nil {
			return nil, err
		}
		// Public reals added to a Fixed are encoded at the view's scale,
		// one per element or one for all.
		g, err := p.Fixed().AddPublic(f, []float64{1, 0.5})
		if err != nil {
			return nil, err
		}
		g, err = p.Fixed().AddPublic(g, []float64{-0.25})
		if err != nil {
			return nil, err
		}
		o3, err := p.Open(ctx, Share(g))
		if err != nil {
			return nil, err
		}
		_, err = MulPublic(xs[p.Self()], c[:3])
		require.ErrorIs(t, err, ErrMismatch)
		_, err = p.AddPublic(xs[p.Self()], c[:3])
		require.ErrorIs(t, err, ErrMismatch)
		_, err = p.Fixed().Public([]float64{1 << 40})
		require.ErrorIs(t, err, ErrOutOfRange)
		_, err = p.Fixed().AddPublic(f, []float64{1, 2, 3})
		require.ErrorIs(t, err, ErrMismatch)
		_, err = p.Fixed().AddPublic(f, []float64{math.NaN()})
		require.ErrorIs(t, err, ErrOutOfRange)
		return [][]uint64{o1, o2, o3}, nil
	})
	for k := range x {
		require.Equal(t, x[k]*c[k]+c[k], got[3][0][k])
	}
	require.InDeltaSlice(t, []float64{-2.5, 1e-3}, DecodeFixed(got[0][1], 16), 1e-5)
	require.InDeltaSlice(t, []float64{-1.75, 0.251}, DecodeFixed(got[0][2], 16), 1e-5)
}
