package mpc_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/veil-go/veil/mpc"
	"github.com/veil-go/veil/transport"
)

// run starts n parties over an in-memory mesh and runs prog on each.
func run(n int, prog func(ctx context.Context, p *mpc.Party) error) error {
	meshes, err := transport.NewMemMesh(n, transport.Options{})
	if err != nil {
		return err
	}
	return mpc.RunLocal(context.Background(), meshes, prog)
}

// Three parties multiply two private vectors; only party 2 learns the
// products.
func Example() {
	var mu sync.Mutex
	err := run(3, func(ctx context.Context, p *mpc.Party) error {
		var a, b []float64
		if p.Self() == 0 {
			a = []float64{1.5, -2, 100}
		}
		if p.Self() == 1 {
			b = []float64{4, 0.25, -0.5}
		}
		x, err := p.InputFixed(ctx, 0, a)
		if err != nil {
			return err
		}
		y, err := p.InputFixed(ctx, 1, b)
		if err != nil {
			return err
		}
		z, err := p.MulFixed(ctx, x, y)
		if err != nil {
			return err
		}
		out, err := p.OpenTo(ctx, z, 2)
		if err != nil {
			return err
		}
		if out != nil {
			mu.Lock()
			fmt.Println(mpc.DecodeFixed(out, p.FracBits()))
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: [6 -0.5 -50]
}

// Two parties compare private values and take the maximum without
// revealing which is larger.
func ExampleParty_Max() {
	err := run(2, func(ctx context.Context, p *mpc.Party) error {
		mine := []float64{3, -7, 2.5}
		if p.Self() == 1 {
			mine = []float64{-1, 4, 2.5}
		}
		x, err := p.InputFixed(ctx, 0, pick(p.Self() == 0, mine))
		if err != nil {
			return err
		}
		y, err := p.InputFixed(ctx, 1, pick(p.Self() == 1, mine))
		if err != nil {
			return err
		}
		m, err := p.Max(ctx, x, y)
		if err != nil {
			return err
		}
		out, err := p.OpenFixed(ctx, m)
		if err == nil && p.Self() == 0 {
			fmt.Println(out)
		}
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: [3 4 2.5]
}

func pick(mine bool, v []float64) []float64 {
	if mine {
		return v
	}
	return nil
}

// A bank (party 0, x) and a shop (party 1, y) fit a regression line to
// their aligned columns without showing each other a single row.
func ExampleCorrelate() {
	x := []float64{1, 2, 3, 4, 5}
	y := []float64{2.1, 3.9, 6.2, 7.8, 10.1}
	err := run(2, func(ctx context.Context, p *mpc.Party) error {
		col := x
		if p.Self() == 1 {
			col = y
		}
		res, err := mpc.Correlate(ctx, p, col)
		if err == nil && p.Self() == 0 {
			fmt.Printf("n=%d corr=%.3f slope=%.3f intercept=%.2f\n", res.N, res.Corr, res.Slope, res.Intercept)
		}
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: n=5 corr=0.999 slope=1.990 intercept=0.05
}

// Shamir sharing: any 3 of 5 shares reconstruct, and an altered share is
// caught when more than 3 arrive.
func ExampleShamirReconstruct() {
	shares, _ := mpc.ShamirSplit([]uint64{mpc.FieldFromInt64(-12345)}, 2, 5, nil)
	v, _ := mpc.ShamirReconstruct(shares[2:5], 2)
	fmt.Println(mpc.FieldToInt64(v[0]))
	shares[0].Y[0]++
	_, err := mpc.ShamirReconstruct(shares, 2)
	fmt.Println(err != nil)
	// Output:
	// -12345
	// true
}
