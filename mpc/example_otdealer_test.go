package mpc_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/veil-go/veil/mpc"
	"github.com/veil-go/veil/transport"
)

// Two parties compute the inner product of their private integer vectors
// with no dealer: the Beaver triples come from oblivious transfer between
// them, over the computation's own mesh. In a deployment each party runs
// its half in its own process over transport.DialMesh.
func ExampleNewOTDealer() {
	meshes, err := transport.NewMemMesh(2, transport.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	mine := [][]uint64{{1, 2, 3}, {10, 20, 30}}
	out := make([][]uint64, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			dealer, err := mpc.NewOTDealer(ctx, meshes[i], mpc.OTDealerConfig{})
			if err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = mpc.RunParty(ctx, meshes[i], dealer, mpc.Config{}, func(ctx context.Context, p *mpc.Party) error {
				x, err := p.Input(ctx, 0, mine[i])
				if err != nil {
					return err
				}
				y, err := p.Input(ctx, 1, mine[i])
				if err != nil {
					return err
				}
				d, err := p.Dot(ctx, x, y)
				if err != nil {
					return err
				}
				out[i], err = p.Open(ctx, d)
				return err
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println(out[0], out[1])
	// Output: [140] [140]
}

// With the OT dealer every operation runs with no third party, fixed-point
// products (truncation pairs) and comparisons (edaBits, daBits) included.
func ExampleOTDealer_fixedPoint() {
	meshes, err := transport.NewMemMesh(2, transport.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	mine := [][]float64{{1.5, -4}, {2, 0.25}}
	out := make([][]float64, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			dealer, err := mpc.NewOTDealer(ctx, meshes[i], mpc.OTDealerConfig{})
			if err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = mpc.RunParty(ctx, meshes[i], dealer, mpc.Config{}, func(ctx context.Context, p *mpc.Party) error {
				fx := p.Fixed()
				x, err := fx.Input(ctx, 0, mine[i])
				if err != nil {
					return err
				}
				y, err := fx.Input(ctx, 1, mine[i])
				if err != nil {
					return err
				}
				z, err := fx.Mul(ctx, x, y) // exact here: the products are multiples of 2^-f
				if err != nil {
					return err
				}
				neg, err := p.LTZ(ctx, mpc.Share(z))
				if err != nil {
					return err
				}
				prod, err := fx.Open(ctx, z)
				if err != nil {
					return err
				}
				n, err := p.Open(ctx, neg)
				out[i] = append(prod, float64(n[0]), float64(n[1]))
				return err
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println(out[0], out[1])
	// Output: [3 -1 0 1] [3 -1 0 1]
}
