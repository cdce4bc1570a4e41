package kkrt

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

// benchSets returns two sets of n 16-byte items sharing half of them.
func benchSets(n int) (recv, send [][]byte) {
	recv, send = make([][]byte, n), make([][]byte, n)
	for i := range n {
		r := make([]byte, 16)
		binary.LittleEndian.PutUint64(r, uint64(i))
		recv[i] = r
		s := make([]byte, 16)
		binary.LittleEndian.PutUint64(s, uint64(i+n/2)) // overlap n/2
		send[i] = s
	}
	return recv, send
}

// peakHeap samples the heap (runtime/metrics, no stop-the-world) every
// 5 ms until stop is called and returns the largest value seen.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// wantBig reports whether the -bench pattern names the sub-benchmark
// explicitly (sizes above 2^20 only run when asked for by name).
func wantBig(name string) bool {
	f := flag.Lookup("test.bench")
	return f != nil && strings.Contains(f.Value.String(), name)
}

// BenchmarkPSI is the scaling table: KKRT16 PSI of 2^k x 2^k items (half
// in common), both parties in one process over an in-memory pipe, and over
// mutual-TLS loopback TCP. Metrics: items/s (per side), bytes/item (both
// directions), peak heap in MiB. Sizes above 2^20 run only when named, e.g.
// -bench 'PSI/pipe/log2n=22'. The baseline is hashing the 2n items with
// SHA-256, the floor of any PSI over these items.
func BenchmarkPSI(b *testing.B) {
	for _, net := range []string{"pipe", "tls"} {
		for logn := 12; logn <= 22; logn += 2 {
			name := fmt.Sprintf("log2n=%d", logn)
			b.Run(net+"/"+name, func(b *testing.B) {
				if logn > 20 && !wantBig(name) {
					b.Skip("big size: name it in -bench to run it")
				}
				n := 1 << logn
				recv, send := benchSets(n)
				var st *SendResult
				var peak uint64
				b.ResetTimer()
				cpu0 := cpuTime()
				for range b.N {
					ra, sa := conns(b, net)
					stop := peakHeap()
					var res *Result
					res, st = runConns(b, ra, sa, recv, send)
					peak = max(peak, stop())
					require.Len(b, res.Intersection, n/2)
					ra.Close()
					sa.Close()
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
				b.ReportMetric(st.Stats.BytesPerItem(), "bytes/item")
				b.ReportMetric(float64(peak)/(1<<20), "peakMiB")
				b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			})
		}
	}
	b.Run("baseline-sha256-2n/log2n=16", func(b *testing.B) {
		recv, send := benchSets(1 << 16)
		for range b.N {
			for _, x := range recv {
				sha256.Sum256(x)
			}
			for _, x := range send {
				sha256.Sum256(x)
			}
		}
		b.ReportMetric(float64(1<<16)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	})
}

// cpuTime is the process's user+system CPU time: on a shared machine it is
// a steadier figure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// conns returns a connected receiver/sender pair of the given kind.
func conns(b *testing.B, kind string) (transport.Conn, transport.Conn) {
	if kind == "pipe" {
		return transport.Pipe("receiver", "sender", transport.Options{})
	}
	ms, err := transport.NewTLSLoopbackMesh(context.Background(), 2, transport.Options{})
	require.NoError(b, err)
	ra, err := ms[0].Conn(1)
	require.NoError(b, err)
	sa, err := ms[1].Conn(0)
	require.NoError(b, err)
	return ra, sa
}

func runConns(b *testing.B, ra, sa transport.Conn, recv, send [][]byte) (*Result, *SendResult) {
	ctx := context.Background()
	var st *SendResult
	errc := make(chan error, 1)
	go func() {
		var err error
		st, err = Send(ctx, sa, send, Config{})
		errc <- err
	}()
	res, err := Receive(ctx, ra, recv, Config{})
	require.NoError(b, err)
	require.NoError(b, <-errc)
	return res, st
}
