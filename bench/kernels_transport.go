package bench

import (
	"context"
	"time"

	"github.com/veil-go/veil/transport"
)

func transportCases() []Case {
	return []Case{
		{Group: "transport", Name: "in-memory Pipe send+recv", Item: "bytes",
			Anchor:     "memory copy bound (AES-CTR ~6 GB/s for scale)",
			QuickSizes: []int{1 << 10, 1 << 16}, FullSizes: []int{64, 1 << 10, 1 << 16, 1 << 20},
			Chart: "transport", Series: "in-memory pipe", Expect: 10 * time.Second, Setup: pipeSetup},
	}
}

// pipeSetup measures one message through transport.Pipe against a buffered
// Go channel carrying a copy of the message (what the pipe must do at least).
func pipeSetup(ctx context.Context, size int) (*Ops, error) {
	a, b := transport.Pipe("a", "b", transport.Options{})
	msg := make([]byte, size)
	ch := make(chan []byte, 1)
	return &Ops{
		Veil: func(ctx context.Context) (int64, error) {
			if err := a.Send(ctx, msg); err != nil {
				return 0, err
			}
			_, err := b.Recv(ctx)
			return 0, err
		},
		BaselineName: "Go channel of a copied []byte",
		Baseline: func(context.Context) (int64, error) {
			ch <- append([]byte(nil), msg...)
			<-ch
			return 0, nil
		},
		Items: float64(size),
		Close: func() { a.Close(); b.Close() },
	}, nil
}
