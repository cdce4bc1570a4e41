package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/veil-go/veil/psi"
	"github.com/veil-go/veil/transport"
)

// psiCases measure two-party PSI (both parties in this process, in-memory
// connection) per protocol and set size. The baseline is the primitive
// floor of ECDH PSI: per item and per party one hash to the group and two
// variable-base scalar multiplications, run on all cores.
func psiCases() []Case {
	var cs []Case
	for _, p := range []struct {
		name   string
		proto  psi.Protocol
		anchor string
		quick  []int
		full   []int
		expect time.Duration
	}{
		{"ECDH", psi.ECDH, "SecretFlow ECDH 4 cores: 40.2 s at 2^20; Optable/match ECDH here: 13.5 s at 2^16",
			[]int{1 << 8, 1 << 10}, []int{1 << 10, 1 << 12, 1 << 14, 1 << 16}, 60 * time.Second},
		{"KKRT", psi.KKRT, "SecretFlow KKRT 1 thread: 2.47 s at 2^20; goal < 3 s at 2^20",
			[]int{1 << 10, 1 << 12}, []int{1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20}, 40 * time.Second},
	} {
		cs = append(cs, Case{Group: "psi", Name: p.name + " intersection, 2 parties in-memory", Item: "items",
			Anchor: p.anchor, QuickSizes: p.quick, FullSizes: p.full, Chart: "psi", Series: p.name,
			Expect: p.expect, Headline: p.proto == psi.KKRT, Setup: psiSetup(p.proto)})
	}
	return cs
}

// psiSetup makes two sets of size items sharing half of them.
func psiSetup(proto psi.Protocol) func(ctx context.Context, size int) (*Ops, error) {
	return func(ctx context.Context, size int) (*Ops, error) {
		a, b := make([]string, size), make([]string, size)
		for i := range size {
			a[i] = fmt.Sprintf("id-%09d", i)
			b[i] = fmt.Sprintf("id-%09d", i+size/2)
		}
		ia, ib := psi.Items(a), psi.Items(b)
		opts := psi.Config{Protocol: proto, Mode: psi.Intersection}
		floorItems := min(size, 1<<10) // the floor is linear: measure a slice
		floor := newECDHFloor(floorItems)
		return &Ops{
			Veil: func(ctx context.Context) (int64, error) {
				ca, cb := transport.Pipe("receiver", "sender", transport.Options{})
				defer ca.Close()
				defer cb.Close()
				var wg sync.WaitGroup
				var res *psi.Result
				var errR, errS error
				wg.Go(func() { res, errR = psi.RunReceiver(ctx, ca, psi.Set{Items: ia}, opts) })
				wg.Go(func() { _, errS = psi.RunSender(ctx, cb, psi.Set{Items: ib}, opts) })
				wg.Wait()
				if errR != nil {
					return 0, errR
				}
				if errS != nil {
					return 0, errS
				}
				if res.Cardinality != size-size/2 {
					return 0, fmt.Errorf("intersection has %d items, want %d", res.Cardinality, size-size/2)
				}
				st := ca.Stats()
				return st.BytesSent + st.BytesReceived, nil
			},
			BaselineName:  "ECDH floor: 2 parties x (hash + 2 ScalarMult) per item, all cores",
			Baseline:      floor,
			Items:         float64(size),
			BaselineItems: float64(floorItems),
		}, nil
	}
}

// newECDHFloor returns an operation doing, for n items and both parties,
// one hash to ristretto255 and two scalar multiplications, split across
// GOMAXPROCS goroutines.
func newECDHFloor(n int) func(context.Context) (int64, error) {
	workers := runtime.GOMAXPROCS(0)
	return func(context.Context) (int64, error) {
		var wg sync.WaitGroup
		per := (2*n + workers - 1) / workers
		for w := range workers {
			lo, hi := w*per, min((w+1)*per, 2*n)
			wg.Go(func() {
				mult := newScalarMult()
				var id [16]byte
				for i := lo; i < hi; i++ {
					id[0], id[1] = byte(i), byte(i>>8)
					hashToGroup(id[:])
					mult()
					mult()
				}
			})
		}
		wg.Wait()
		return 0, nil
	}
}
