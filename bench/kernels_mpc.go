package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/veil-go/veil/internal/field61"
	"github.com/veil-go/veil/mpc"
	"github.com/veil-go/veil/transport"
)

func mpcCases() []Case {
	return []Case{
		{Group: "mpc", Name: "Beaver multiplication, 2 parties in-memory", Headline: true, Item: "mults",
			Anchor:     "goal >= 5e6 mults/s; SecretFlow SPU semi2k: 1 round, 2K(N-1) bits per mult",
			QuickSizes: []int{1 << 14}, FullSizes: []int{1 << 16, 1 << 20},
			Expect: 15 * time.Second, Setup: mpcSetup(2, false, mpcMul)},
		{Group: "mpc", Name: "Beaver multiplication, 3 parties TLS loopback", Item: "mults",
			Anchor:     "goal: 1e6-element vector in < 1 s",
			QuickSizes: []int{1 << 14}, FullSizes: []int{1 << 20},
			Expect: 15 * time.Second, Setup: mpcSetup(3, true, mpcMul)},
		{Group: "mpc", Name: "dot product, 2 parties in-memory", Item: "elements",
			Anchor:     "one opening per product, not per element",
			QuickSizes: []int{1 << 14}, FullSizes: []int{1 << 20},
			Expect: 10 * time.Second, Setup: mpcSetup(2, false, mpcDot)},
		{Group: "mpc", Name: "comparison (LTZ), 3 parties in-memory", Item: "comparisons",
			Anchor:     "goal >= 1e5 comparisons/s",
			QuickSizes: []int{1 << 12}, FullSizes: []int{1 << 14, 1 << 16},
			Expect: 20 * time.Second, Setup: mpcSetup(3, false, mpcLTZ)},
		{Group: "mpc", Name: "fixed-point truncation, 2 parties in-memory", Item: "values",
			Anchor:     "stochastic truncation with dealer pairs (floor or floor+1), one opening",
			QuickSizes: []int{1 << 14}, FullSizes: []int{1 << 20},
			Expect: 10 * time.Second, Setup: mpcSetup(2, false, mpcTrunc)},
		{Group: "mpc", Name: "dealer-free Beaver triples (Gilboa over SoftSpoken OT), 2 parties in-memory", Item: "triples",
			Anchor:     "goal >= 2e5 triples/s (issue 18); baseline: today's trusted dealer in process",
			QuickSizes: []int{1 << 12}, FullSizes: []int{1 << 14, 1 << 16},
			Expect: 20 * time.Second, Setup: otTriplesSetup(2, false)},
		{Group: "mpc", Name: "dealer-free Beaver triples (Gilboa over SoftSpoken OT), 3 parties in-memory", Item: "triples",
			Anchor:     "goal >= 7e4 triples/s (issue 18); baseline: today's trusted dealer in process",
			QuickSizes: []int{1 << 12}, FullSizes: []int{1 << 14},
			Expect: 20 * time.Second, Setup: otTriplesSetup(3, false)},
		{Group: "mpc", Name: "dealer-free Beaver triples (Gilboa over SoftSpoken OT), 2 parties TLS loopback", Item: "triples",
			Anchor:     "examples/vertical's 100,000-row dot product needs 100,000 triples; baseline: today's trusted dealer in process",
			QuickSizes: []int{1 << 12}, FullSizes: []int{100_000},
			Expect: 20 * time.Second, Setup: otTriplesSetup(2, true)},
		{Group: "mpc", Name: "Shamir multiplication (DN07, no dealer), 3 parties in-memory", Item: "mults",
			Anchor:     "goal >= 2e6 mults/s (issue 18); T = 2, N = 3",
			QuickSizes: []int{1 << 14}, FullSizes: []int{1 << 16, 1 << 20},
			Expect: 15 * time.Second, Setup: shamirMulSetup(3, 2)},
	}
}

// shamirMulSetup measures ShamirMul of two Shamir-shared random vectors
// among n in-memory parties with the given threshold, against the plain
// field multiplication.
func shamirMulSetup(n, threshold int) func(ctx context.Context, size int) (*Ops, error) {
	return func(ctx context.Context, size int) (*Ops, error) {
		// NewParty needs a dealer; ShamirMul uses none.
		meshes, parties, closeAll, err := dealtParties(ctx, n, false)
		if err != nil {
			return nil, err
		}
		xv, yv := make([]uint64, size), make([]uint64, size)
		for i := range xv {
			xv[i], yv[i] = uint64(i)*0x9e3779b97f4a7c15%mpc.ShamirPrime, uint64(i)*0xbf58476d1ce4e5b9%mpc.ShamirPrime
		}
		xs, err := mpc.ShamirSplit(xv, threshold, n)
		if err != nil {
			closeAll()
			return nil, err
		}
		ys, err := mpc.ShamirSplit(yv, threshold, n)
		if err != nil {
			closeAll()
			return nil, err
		}
		px := append([]uint64(nil), xv...)
		return &Ops{
			Veil: func(ctx context.Context) (int64, error) {
				before := meshBytes(meshes)
				err := allParties(n, func(i int) error {
					_, err := parties[i].ShamirMul(ctx, xs[i], ys[i], threshold)
					return err
				})
				return (meshBytes(meshes) - before) / int64(n), err
			},
			BaselineName: "plain field multiply",
			Baseline: func(context.Context) (int64, error) {
				for i := range px {
					px[i] = field61.Mul(px[i], yv[i])
				}
				return 0, nil
			},
			Items: float64(size),
			Close: closeAll,
		}, nil
	}
}

// otTriplesSetup measures n parties (in memory or over TLS on loopback)
// making Beaver triples with mpc.OTDealer (base OTs done in setup, not
// timed) against today's trusted dealer making the same number for every
// party.
func otTriplesSetup(n int, tls bool) func(ctx context.Context, size int) (*Ops, error) {
	return func(ctx context.Context, size int) (*Ops, error) {
		var meshes []transport.Mesh
		var err error
		if tls {
			meshes, err = transport.NewTLSLoopbackMesh(ctx, n, transport.Options{})
		} else {
			meshes, err = transport.NewMemMesh(n, transport.Options{})
		}
		if err != nil {
			return nil, err
		}
		closeAll := func() {
			for _, m := range meshes {
				m.Close()
			}
		}
		ots := make([]*mpc.OTDealer, n)
		if err := allParties(n, func(i int) (err error) {
			ots[i], err = mpc.NewOTDealer(ctx, meshes[i], mpc.OTDealerConfig{})
			return err
		}); err != nil {
			closeAll()
			return nil, err
		}
		trusted, err := mpc.NewTrustedDealer(n, mpc.DealerConfig{})
		if err != nil {
			closeAll()
			return nil, err
		}
		views := make([]mpc.Dealer, n)
		for i := range views {
			if views[i], err = trusted.Party(i); err != nil {
				closeAll()
				return nil, err
			}
		}
		return &Ops{
			Veil: func(ctx context.Context) (int64, error) {
				before := meshBytes(meshes)
				err := allParties(n, func(i int) error {
					_, err := ots[i].Triples(ctx, size)
					return err
				})
				return (meshBytes(meshes) - before) / int64(n), err
			},
			BaselineName: "trusted dealer in process",
			Baseline: func(ctx context.Context) (int64, error) {
				return 0, allParties(n, func(i int) error {
					_, err := views[i].Triples(ctx, size)
					return err
				})
			},
			Items: float64(size),
			Close: closeAll,
		}, nil
	}
}

// mpcKernel is one operation that every party runs on its own shares, and
// the plain computation it is measured against.
type mpcKernel struct {
	name  string
	op    func(ctx context.Context, p *mpc.Party, x, y mpc.Share) error
	plain func(x, y []uint64)
}

var (
	mpcMul = mpcKernel{"plain uint64 multiply", func(ctx context.Context, p *mpc.Party, x, y mpc.Share) error {
		_, err := p.Mul(ctx, x, y)
		return err
	}, func(x, y []uint64) {
		for i := range x {
			x[i] *= y[i]
		}
	}}
	mpcDot = mpcKernel{"plain uint64 dot product", func(ctx context.Context, p *mpc.Party, x, y mpc.Share) error {
		_, err := p.Dot(ctx, x, y)
		return err
	}, func(x, y []uint64) {
		var s uint64
		for i := range x {
			s += x[i] * y[i]
		}
		x[0] = s
	}}
	mpcLTZ = mpcKernel{"plain int64 compare", func(ctx context.Context, p *mpc.Party, x, _ mpc.Share) error {
		_, err := p.LTZ(ctx, x)
		return err
	}, func(x, y []uint64) {
		for i := range x {
			if int64(x[i]) < 0 {
				y[i] = 1
			} else {
				y[i] = 0
			}
		}
	}}
	mpcTrunc = mpcKernel{"plain arithmetic shift", func(ctx context.Context, p *mpc.Party, x, _ mpc.Share) error {
		_, err := p.Trunc(ctx, x, 16)
		return err
	}, func(x, y []uint64) {
		for i := range x {
			y[i] = uint64(int64(x[i]) >> 16)
		}
	}}
)

// mpcSetup connects n parties (in memory or over TLS on loopback) with a
// trusted dealer, shares two random vectors of the given size, and
// measures the kernel run by all parties at once.
func mpcSetup(n int, tls bool, k mpcKernel) func(ctx context.Context, size int) (*Ops, error) {
	return func(ctx context.Context, size int) (*Ops, error) {
		meshes, parties, closeAll, err := dealtParties(ctx, n, tls)
		if err != nil {
			return nil, err
		}
		xv, yv := make([]uint64, size), make([]uint64, size)
		for i := range xv {
			xv[i], yv[i] = uint64(i)*0x9e3779b97f4a7c15, uint64(i)*0xbf58476d1ce4e5b9
		}
		xs, ys := make([]mpc.Share, n), make([]mpc.Share, n)
		err = allParties(n, func(i int) error {
			var xin, yin []uint64
			if i == 0 {
				xin = xv
			}
			if i == 1 {
				yin = yv
			}
			var err error
			if xs[i], err = parties[i].Input(ctx, 0, xin); err != nil {
				return err
			}
			ys[i], err = parties[i].Input(ctx, 1, yin)
			return err
		})
		if err != nil {
			closeAll()
			return nil, err
		}
		px, py := append([]uint64(nil), xv...), append([]uint64(nil), yv...)
		return &Ops{
			Veil: func(ctx context.Context) (int64, error) {
				before := meshBytes(meshes)
				err := allParties(n, func(i int) error { return k.op(ctx, parties[i], xs[i], ys[i]) })
				return (meshBytes(meshes) - before) / int64(n), err
			},
			BaselineName: k.name,
			Baseline: func(context.Context) (int64, error) {
				k.plain(px, py)
				return 0, nil
			},
			Items: float64(size),
			Close: closeAll,
		}, nil
	}
}

// allParties runs f for parties 0..n-1 at once and returns the first error.
// dealtParties makes n parties over an in-memory or TLS loopback mesh,
// each with its share of a trusted dealer, and a function that closes the
// meshes.
func dealtParties(ctx context.Context, n int, tls bool) ([]transport.Mesh, []*mpc.Party, func(), error) {
	var meshes []transport.Mesh
	var err error
	if tls {
		meshes, err = transport.NewTLSLoopbackMesh(ctx, n, transport.Options{})
	} else {
		meshes, err = transport.NewMemMesh(n, transport.Options{})
	}
	if err != nil {
		return nil, nil, nil, err
	}
	closeAll := func() {
		for _, m := range meshes {
			m.Close()
		}
	}
	dealer, err := mpc.NewTrustedDealer(n, mpc.DealerConfig{})
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	parties := make([]*mpc.Party, n)
	for i := range parties {
		d, err := dealer.Party(i)
		if err == nil {
			parties[i], err = mpc.NewParty(meshes[i], d, mpc.Config{})
		}
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
	}
	return meshes, parties, closeAll, nil
}

func allParties(n int, f func(i int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("party %d: %w", i, err)
		}
	}
	return nil
}

func meshBytes(ms []transport.Mesh) int64 {
	var b int64
	for _, m := range ms {
		b += m.Stats().BytesSent
	}
	return b
}
