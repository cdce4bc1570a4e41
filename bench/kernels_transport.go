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
		{Group: "transport", Name: "TLS 1.3 loopback send+recv", Headline: true, Item: "bytes",
			Anchor:     "AES-GCM record layer over 127.0.0.1; issue 2 asks MB/s at 1 KiB and 1 MiB",
			QuickSizes: []int{1 << 10, 1 << 20}, FullSizes: []int{64, 1 << 10, 1 << 16, 1 << 20},
			Chart: "transport", Series: "TLS loopback", Expect: 12 * time.Second, Setup: tlsSetup},
	}
}

// pipeSetup measures one message through transport.Pipe against a buffered
// Go channel carrying a copy of the message (what the pipe must do at least).
func pipeSetup(ctx context.Context, size int) (*Ops, error) {
	a, b := transport.Pipe("a", "b", transport.Options{})
	msg := make([]byte, size)
	ch := make(chan []byte, 1)
	return &Ops{
		Veil:         sendRecv(a, b, msg),
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

// tlsSetup measures one message between two parties over mutual TLS 1.3 on
// 127.0.0.1 against the in-memory pipe: the cost of real sockets and
// encryption.
func tlsSetup(ctx context.Context, size int) (*Ops, error) {
	meshes, err := transport.NewTLSLoopbackMesh(ctx, 2, transport.Options{})
	if err != nil {
		return nil, err
	}
	closeAll := func() {
		for _, m := range meshes {
			m.Close()
		}
	}
	a, err := meshes[0].Conn(1)
	if err != nil {
		closeAll()
		return nil, err
	}
	b, err := meshes[1].Conn(0)
	if err != nil {
		closeAll()
		return nil, err
	}
	pa, pb := transport.Pipe("a", "b", transport.Options{})
	msg := make([]byte, size)
	return &Ops{
		Veil:         sendRecv(a, b, msg),
		BaselineName: "in-memory Pipe",
		Baseline:     sendRecv(pa, pb, msg),
		Items:        float64(size),
		Close:        func() { closeAll(); pa.Close(); pb.Close() },
	}, nil
}

func sendRecv(a, b transport.Conn, msg []byte) func(ctx context.Context) (int64, error) {
	return func(ctx context.Context) (int64, error) {
		if err := a.Send(ctx, msg); err != nil {
			return 0, err
		}
		_, err := b.Recv(ctx)
		return 0, err
	}
}
