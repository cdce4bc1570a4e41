package mpc

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func plainLinReg(x, y []float64) (mx, my, cov, corr, slope, icpt float64) {
	n := float64(len(x))
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var vx, vy float64
	for i := range x {
		cov += (x[i] - mx) * (y[i] - my)
		vx += (x[i] - mx) * (x[i] - mx)
		vy += (y[i] - my) * (y[i] - my)
	}
	cov /= n
	vx /= n
	vy /= n
	return mx, my, cov, cov / math.Sqrt(vx*vy), cov / vx, my - cov/vx*mx
}

func TestCorrelate(t *testing.T) {
	cases := []struct {
		name         string
		rows, nparty int
		scaleX       float64
		scaleY       float64
		rho          float64
	}{
		{"income-spend", 1000, 2, 5e4, 300, 0.7},
		{"negative", 500, 2, 1, 1e-3, -0.4},
		{"tiny-units", 200, 3, 1e-4, 1e6, 0.95},
		{"small", 2, 2, 10, 10, 0.5},
		{"helpers", 300, 4, 100, 2, 0.3},
		{"weak", 5000, 2, 3, 7, 0.02},
		{"perfect", 100, 2, 1, 1, 1},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(ci), 99))
			x, y := make([]float64, c.rows), make([]float64, c.rows)
			for i := range x {
				a, b := r.NormFloat64(), r.NormFloat64()
				x[i] = c.scaleX * (3 + a)
				y[i] = c.scaleY * (-1 + c.rho*a + math.Sqrt(1-c.rho*c.rho)*b)
			}
			got := runParties(t, c.nparty, uint64(ci), func(ctx context.Context, p *Party) (*LinRegResult, error) {
				switch p.Self() {
				case 0:
					return Correlate(ctx, p, x)
				case 1:
					return Correlate(ctx, p, y)
				}
				return Correlate(ctx, p, nil)
			})
			mx, my, cov, corr, slope, icpt := plainLinReg(x, y)
			rel := func(want, got float64, what string) {
				// measured worst case 3e-5; the example needs 1e-3
				require.InDelta(t, want, got, 2e-4*math.Abs(want)+1e-12, "%s", what)
			}
			for _, g := range got {
				require.Equal(t, c.rows, g.N)
				rel(mx, g.MeanX, "meanx")
				rel(my, g.MeanY, "meany")
				rel(cov, g.Cov, "cov")
				rel(corr, g.Corr, "corr")
				rel(slope, g.Slope, "slope")
				require.InDelta(t, icpt, g.Intercept, 2e-4*(math.Abs(icpt)+math.Abs(slope*mx)), "intercept")
				require.Equal(t, []float64{got[0].Cov, got[0].Corr, got[0].Slope}, []float64{g.Cov, g.Corr, g.Slope})
			}
		})
	}
}

func TestCorrelateErrors(t *testing.T) {
	// a constant column: every party gets ErrDegenerate
	got := runPartiesErr(t, 2, func(ctx context.Context, p *Party) error {
		_, err := Correlate(ctx, p, []float64{1, 1, 1})
		return err
	})
	for _, err := range got {
		require.ErrorIs(t, err, ErrDegenerate)
	}
	// different row counts
	got = runPartiesErr(t, 2, func(ctx context.Context, p *Party) error {
		_, err := Correlate(ctx, p, make([]float64, 3+p.Self()))
		return err
	})
	for _, err := range got {
		require.ErrorIs(t, err, ErrInvalidParams)
	}
}

func TestCorrelateFracBits(t *testing.T) {
	errs := runPartiesErr(t, 2, func(ctx context.Context, p *Party) error {
		p.frac = 20
		_, err := Correlate(ctx, p, []float64{1, 2})
		return err
	})
	for _, err := range errs {
		require.ErrorIs(t, err, ErrInvalidParams)
	}
}
