package transport

import (
	"context"
	"fmt"
	"testing"
)

var benchSizes = []struct {
	name string
	size int
}{{"1KiB", 1 << 10}, {"1MiB", 1 << 20}}

// BenchmarkRoundTrip: one message there and back, in memory and over TLS
// on loopback, side by side. MB/s counts the bytes of both directions.
func BenchmarkRoundTrip(b *testing.B) {
	for _, impl := range implementations {
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("%s/%s", impl.name, sz.name), func(b *testing.B) {
				a, peer := impl.pair(b, Options{})
				defer a.Close()
				ctx := context.Background()
				echoDone := make(chan struct{})
				go func() { // echo until the connection closes
					defer close(echoDone)
					for {
						m, err := peer.Recv(ctx)
						if err != nil || peer.Send(ctx, m) != nil {
							return
						}
					}
				}()
				msg := make([]byte, sz.size)
				b.SetBytes(int64(2 * sz.size))
				b.ResetTimer()
				for range b.N {
					if err := a.Send(ctx, msg); err != nil {
						b.Fatal(err)
					}
					if _, err := a.Recv(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/roundtrip")
				_ = peer.Close()
				<-echoDone
			})
		}
	}
}

// BenchmarkThroughput: a one-way stream of messages, in memory and over TLS
// on loopback, side by side. The receiver acknowledges every window of
// messages, so that the receive queue stays bounded.
func BenchmarkThroughput(b *testing.B) {
	const window = 16
	for _, impl := range implementations {
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("%s/%s", impl.name, sz.name), func(b *testing.B) {
				a, peer := impl.pair(b, Options{})
				defer a.Close()
				defer peer.Close()
				ctx := context.Background()
				errc := make(chan error, 1)
				go func() {
					for i := 1; i <= b.N; i++ {
						if _, err := peer.Recv(ctx); err != nil {
							errc <- err
							return
						}
						if i%window == 0 || i == b.N {
							if err := peer.Send(ctx, nil); err != nil {
								errc <- err
								return
							}
						}
					}
					errc <- nil
				}()
				msg := make([]byte, sz.size)
				b.SetBytes(int64(sz.size))
				b.ResetTimer()
				for i := 1; i <= b.N; i++ {
					if err := a.Send(ctx, msg); err != nil {
						b.Fatal(err)
					}
					if i%window == 0 || i == b.N {
						if _, err := a.Recv(ctx); err != nil {
							b.Fatal(err)
						}
					}
				}
				if err := <-errc; err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}

// BenchmarkLoopbackStarSetup: setting up a TLS star in one process, at the
// sizes the aggregation runners use (a hub and 63 or 999 spokes).
func BenchmarkLoopbackStarSetup(b *testing.B) {
	for _, n := range []int{64, 1000} {
		b.Run(fmt.Sprintf("parties=%d", n), func(b *testing.B) {
			for range b.N {
				meshes, err := NewTLSLoopbackStar(context.Background(), n, Options{})
				if err != nil {
					b.Fatal(err)
				}
				for _, m := range meshes {
					_ = m.Close()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/setup")
			b.ReportMetric(float64(b.N*(n-1))/b.Elapsed().Seconds(), "handshakes/s")
		})
	}
}
