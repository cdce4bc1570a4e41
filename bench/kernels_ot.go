package bench

import (
	"context"
	"crypto/aes"
	"errors"
	"sync"
	"time"

	"github.com/veil-go/veil/internal/ot"
	"github.com/veil-go/veil/transport"
)

// otCases measure IKNP OT extension (internal/ot, the engine of KKRT PSI)
// producing random OTs between two parties in this process, against two
// AES block encryptions per OT: the floor of its correlation-robust hash.
func otCases() []Case {
	return []Case{{Group: "ot", Name: "IKNP random OT extension, 2 parties in-memory", Item: "OTs",
		Anchor:     "emp-ot IKNP: ~15.5M OT/s at 10 Gbps",
		QuickSizes: []int{1 << 16}, FullSizes: []int{1 << 16, 1 << 20},
		Expect: 10 * time.Second, Headline: true, Setup: otSetup}}
}

func otSetup(ctx context.Context, m int) (*Ops, error) {
	ca, cb := transport.Pipe("sender", "receiver", transport.Options{})
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
	if err := errors.Join(errS, errR); err != nil {
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
