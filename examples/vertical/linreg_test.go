package main

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/mpc"
	"github.com/veil-go/veil/report"
)

// runCorrelate runs correlateParty on n in-process parties: party 0 holds
// x, party 1 holds y, the others help.
func runCorrelate(t *testing.T, n int, cfg mpc.Config, x, y []float64) ([]*linReg, error) {
	t.Helper()
	out := make([]*linReg, n)
	var mu sync.Mutex
	_, err := mpc.RunInProcess(context.Background(), n, cfg, func(ctx context.Context, p *mpc.Party) error {
		var col []float64
		switch p.Self() {
		case 0:
			col = x
		case 1:
			col = y
		}
		r, err := correlateParty(ctx, p, col)
		mu.Lock()
		out[p.Self()] = r
		mu.Unlock()
		return err
	})
	return out, err
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
			got, err := runCorrelate(t, c.nparty, mpc.Config{}, x, y)
			require.NoError(t, err)
			want := plainStats(x, y)
			rel := func(want, got float64, what string) {
				// measured worst case 3e-5; the example needs 1e-3
				require.InDelta(t, want, got, 2e-4*math.Abs(want)+1e-12, "%s", what)
			}
			for _, g := range got {
				require.Equal(t, c.rows, g.N)
				rel(want.MeanX, g.MeanX, "meanx")
				rel(want.MeanY, g.MeanY, "meany")
				rel(want.Cov, g.Cov, "cov")
				rel(want.Corr, g.Corr, "corr")
				rel(want.Slope, g.Slope, "slope")
				require.InDelta(t, want.Intercept, g.Intercept, 2e-4*(math.Abs(want.Intercept)+math.Abs(want.Slope*want.MeanX)), "intercept")
				require.Equal(t, []float64{got[0].Cov, got[0].Corr, got[0].Slope}, []float64{g.Cov, g.Corr, g.Slope})
				require.Equal(t, got[0].Leakage, g.Leakage)
			}
			require.Equal(t, int64(c.rows), got[0].Leakage[0].Count)
			require.Equal(t, report.Output, got[0].Leakage[len(got[0].Leakage)-1].What)
		})
	}
}

func TestCorrelateErrors(t *testing.T) {
	// a constant column: every party gets errDegenerate
	_, err := runCorrelate(t, 2, mpc.Config{}, []float64{1, 1, 1}, []float64{1, 2, 3})
	require.ErrorIs(t, err, errDegenerate)
	require.Contains(t, err.Error(), "mpc party 0, step program: correlate, step headers: degenerate data")
	require.Contains(t, err.Error(), "mpc party 1, step program: correlate, step headers: degenerate data")
	// different row counts
	_, err = runCorrelate(t, 2, mpc.Config{}, []float64{1, 2, 3}, []float64{1, 2, 3, 4})
	require.ErrorIs(t, err, mpc.ErrMismatch)
	// a scale correlate cannot keep in range
	_, err = runCorrelate(t, 2, mpc.Config{FracBits: 20}, []float64{1, 2}, []float64{3, 4})
	require.ErrorIs(t, err, mpc.ErrInvalidParams)
	// a row that is not a number
	_, err = runCorrelate(t, 2, mpc.Config{}, []float64{1, math.NaN()}, []float64{3, 4})
	require.ErrorIs(t, err, mpc.ErrOutOfRange)
}

// BenchmarkCorrelate runs the statistics phase on 1e5 rows.
func BenchmarkCorrelate(b *testing.B) {
	const rows = 100_000
	x, y := make([]float64, rows), make([]float64, rows)
	for i := range x {
		x[i] = float64(i%977) * 3.5
		y[i] = float64(i%331) + x[i]*0.1
	}
	for b.Loop() {
		_, err := mpc.RunInProcess(context.Background(), 2, mpc.Config{}, func(ctx context.Context, p *mpc.Party) error {
			col := x
			if p.Self() == 1 {
				col = y
			}
			_, err := correlateParty(ctx, p, col)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*rows/b.Elapsed().Seconds(), "rows/s")
}
