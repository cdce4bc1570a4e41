package mpc_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/veil-go/veil/mpc"
)

// Three parties multiply two private vectors; only party 2 learns the
// products.
func Example() {
	var mu sync.Mutex
	_, err := mpc.RunInProcess(context.Background(), 3, mpc.Config{}, func(ctx context.Context, p *mpc.Party) error {
		fx := p.Fixed()
		// Only the owner's values are read: the others' are ignored.
		x, err := fx.Input(ctx, 0, []float64{1.5, -2, 100})
		if err != nil {
			return err
		}
		y, err := fx.Input(ctx, 1, []float64{4, 0.25, -0.5})
		if err != nil {
			return err
		}
		z, err := fx.Mul(ctx, x, y)
		if err != nil {
			return err
		}
		out, err := fx.OpenTo(ctx, z, 2) // nil except at party 2
		if err != nil {
			return err
		}
		if out != nil {
			mu.Lock()
			fmt.Println(out)
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
	_, err := mpc.RunInProcess(context.Background(), 2, mpc.Config{}, func(ctx context.Context, p *mpc.Party) error {
		fx := p.Fixed()
		mine := []float64{3, -7, 2.5}
		if p.Self() == 1 {
			mine = []float64{-1, 4, 2.5}
		}
		x, err := fx.Input(ctx, 0, mine)
		if err != nil {
			return err
		}
		y, err := fx.Input(ctx, 1, mine)
		if err != nil {
			return err
		}
		m, err := p.Max(ctx, mpc.Share(x), mpc.Share(y))
		if err != nil {
			return err
		}
		out, err := fx.Open(ctx, mpc.Fixed(m))
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

// Every result says what the run cost and what it disclosed.
func ExampleRunInProcess() {
	res, err := mpc.RunInProcess(context.Background(), 2, mpc.Config{}, func(ctx context.Context, p *mpc.Party) error {
		x, err := p.Input(ctx, 0, []uint64{3, 4})
		if err != nil {
			return err
		}
		y, err := p.Input(ctx, 1, []uint64{5, 6})
		if err != nil {
			return err
		}
		z, err := p.Dot(ctx, x, y)
		if err != nil {
			return err
		}
		_, err = p.Open(ctx, z)
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range res[0].Leakage {
		fmt.Println(d)
	}
	// Output:
	// all learns input size of party 0 (2)
	// all learns input size of party 1 (2)
	// all learns output (1)
}

// Shamir sharing: any 3 of 5 shares reconstruct, and an altered share is
// caught when more than 3 arrive.
func ExampleShamirReconstruct() {
	shares, _ := mpc.ShamirSplit([]uint64{mpc.FieldFromInt64(-12345)}, 3, 5)
	v, _ := mpc.ShamirReconstruct(shares[2:5], 3)
	fmt.Println(mpc.FieldToInt64(v[0]))
	shares[0].Y[0]++
	_, err := mpc.ShamirReconstruct(shares, 3)
	fmt.Println(errors.Is(err, mpc.ErrInconsistent))
	// Output:
	// -12345
	// true
}
