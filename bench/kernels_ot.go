package bench

import (
	"context"
	"crypto/aes"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/veil-go/veil/internal/ot"
	"github.com/veil-go/veil/transport"
)

// otCases measure OT extension (internal/ot, the engine of KKRT PSI and of
// mpc's dealer-free triples) producing random OTs between two parties in
// this process, IKNP and SoftSpoken, against two AES block encryptions per
// OT: the floor of hashing two messages with one block call each.
func otCases() []Case {
	return []Case{{Group: "ot", Name: "IKNP random OT extension, 2 parties in-memory", Item: "OTs",
		Anchor:     "emp-ot IKNP: ~15.5M OT/s at 10 Gbps",
		QuickSizes: []int{1 << 16}, FullSizes: []int{1 << 16, 1 << 20},
		Expect: 10 * time.Second, Headline: true, Setup: otSetup(iknpPair)},
		{Group: "ot", Name: fmt.Sprintf("SoftSpoken random OT extension (k=%d), 2 parties in-memory", ot.DefaultSoftSpokenK), Item: "OTs",
			Anchor:     "emp-ot SoftSpoken k=4: 280M random COT/s per thread (C++, docs/ANCHORS.md)",
			QuickSizes: []int{1 << 16}, FullSizes: []int{1 << 16, 1 << 20},
			Expect: 10 * time.Second, Setup: otSetup(softPair)}}
}

// otPair sets up the two parties of an OT extension session over ca, cb.
type otPair func(ctx context.Context, ca, cb transport.Conn) (ot.OneOfTwoSender, ot.OneOfTwoReceiver, error)

func iknpPair(ctx context.Context, ca, cb transport.Conn) (ot.OneOfTwoSender, ot.OneOfTwoReceiver, error) {
	var wg sync.WaitGroup
	var snd *ot.Sender
	var rcv *ot.Receiver
	var errS, errR error
	wg.Go(func() {
		if snd, errS = ot.NewSender(ctx, ca, ot.Config{}); errS != nil {
			ca.Close()
		}
	})
	wg.Go(func() {
		if rcv, errR = ot.NewReceiver(ctx, cb, ot.Config{}); errR != nil {
			cb.Close()
		}
	})
	wg.Wait()
	return snd, rcv, errors.Join(errS, errR)
}

func softPair(ctx context.Context, ca, cb transport.Conn) (ot.OneOfTwoSender, ot.OneOfTwoReceiver, error) {
	var wg sync.WaitGroup
	var snd *ot.SoftSpokenSender
	var rcv *ot.SoftSpokenReceiver
	var errS, errR error
	wg.Go(func() {
		if snd, errS = ot.NewSoftSpokenSender(ctx, ca, ot.SoftSpokenConfig{}); errS != nil {
			ca.Close()
		}
	})
	wg.Go(func() {
		if rcv, errR = ot.NewSoftSpokenReceiver(ctx, cb, ot.SoftSpokenConfig{}); errR != nil {
			cb.Close()
		}
	})
	wg.Wait()
	return snd, rcv, errors.Join(errS, errR)
}

func otSetup(pair otPair) func(ctx context.Context, m int) (*Ops, error) {
	return func(ctx context.Context, m int) (*Ops, error) { return otOps(ctx, m, pair) }
}

func otOps(ctx context.Context, m int, pair otPair) (*Ops, error) {
	ca, cb := transport.Pipe("sender", "receiver", transport.Options{})
	snd, rcv, err := pair(ctx, ca, cb)
	if err != nil {
		ca.Close()
		cb.Close()
		return nil, err
	}
	choices := make([]bool, m)
	for i := range choices {
		choices[i] = i%3 == 0
	}
	block, _ := aes.NewCipher(make([]byte, 16))
	var buf [16]byte
	return &Ops{
		Veil: func(ctx context.Context) (int64, error) {
			before := ca.Stats()
			var wg sync.WaitGroup
			var errS, errR error
			wg.Go(func() { _, errS = snd.RandomOT(ctx, m) })
			wg.Go(func() { _, errR = rcv.RandomOT(ctx, choices) })
			wg.Wait()
			after := ca.Stats()
			return after.BytesSent + after.BytesReceived - before.BytesSent - before.BytesReceived, errors.Join(errS, errR)
		},
		BaselineName: "2 AES-128 block encryptions per OT",
		Baseline: func(context.Context) (int64, error) {
			for range 2 * m {
				block.Encrypt(buf[:], buf[:])
			}
			return 0, nil
		},
		Items: float64(m),
		Close: func() { ca.Close(); cb.Close() },
	}, nil
}
