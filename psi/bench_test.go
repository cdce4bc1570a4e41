package psi

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gtank/ristretto255"
	"github.com/veil-go/veil/transport"
)

// benchSets makes n receiver items and n sender items, half of them shared.
func benchSets(n int, mode Mode) (Set, [][]byte) {
	set := Set{Items: make([][]byte, n)}
	ys := make([][]byte, n)
	for i := range n {
		set.Items[i] = fmt.Appendf(nil, "customer-%09d@example.com", i)
		ys[i] = fmt.Appendf(nil, "customer-%09d@example.com", i+n/2)
	}
	switch mode {
	case Join:
		set.Payloads = make([][]byte, n)
		for i := range set.Payloads {
			set.Payloads[i] = []byte("payload-0123456789")
		}
	case Sum:
		set.Values = make([]int64, n)
		for i := range set.Values {
			set.Values[i] = int64(i % 1000)
		}
	}
	return set, ys
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// floorPerItem measures the primitive floor on one goroutine, in CPU time
// (the protocol's cost is measured in CPU time too, so that other load on
// the machine does not count): one hash to the group and two variable-base
// scalar multiplications.
func floorPerItem(iters int) time.Duration {
	var seed [64]byte
	seed[0] = 7
	s := ristretto255.NewScalar().FromUniformBytes(seed[:])
	p := ristretto255.NewElement()
	start := cpuTime()
	for i := range iters {
		h := hashToGroup([]byte("customer-" + strconv.Itoa(i)))
		p.ScalarMult(s, h)
		p.ScalarMult(s, p)
	}
	return (cpuTime() - start) / time.Duration(iters)
}

// BenchmarkPrimitiveFloor is the floor alone.
func BenchmarkPrimitiveFloor(b *testing.B) {
	var seed [64]byte
	seed[0] = 7
	s := ristretto255.NewScalar().FromUniformBytes(seed[:])
	p := ristretto255.NewElement()
	item := []byte("customer-000000001@example.com")
	for b.Loop() {
		p.ScalarMult(s, hashToGroup(item))
		p.ScalarMult(s, p)
	}
}

// BenchmarkPerItemPerParty runs each mode with 2^10 items per side and
// reports the CPU time per item per party (both parties' CPU time over
// 2*2^10) next to the primitive floor measured in the same run; the goal is
// ratio <= 1.3 (Intersection, Cardinality; Join adds AES-GCM and Sum adds
// two fixed-base multiplications per sender item).
func BenchmarkPerItemPerParty(b *testing.B) {
	for _, mode := range []Mode{Intersection, Cardinality, Join, Sum} {
		b.Run(mode.String(), func(b *testing.B) {
			const n = 1 << 10
			set, ys := benchSets(n, mode)
			floor := floorPerItem(1000)
			var cpu time.Duration
			b.ResetTimer()
			for b.Loop() {
				c0 := cpuTime()
				pr := runPair(b, set, ys, Config{Mode: mode}, Config{Mode: mode})
				cpu += cpuTime() - c0
				if pr.recvErr != nil || pr.sendErr != nil {
					b.Fatal(pr.recvErr, pr.sendErr)
				}
			}
			per := cpu / time.Duration(b.N*2*n)
			b.ReportMetric(float64(per.Nanoseconds())/1e3, "us/item/party")
			b.ReportMetric(float64(floor.Nanoseconds())/1e3, "floor_us")
			b.ReportMetric(float64(per)/float64(floor), "ratio")
		})
	}
}

// heapPeak samples HeapInuse until stop is closed.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var ms runtime.MemStats
		var peak uint64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// BenchmarkEndToEnd runs both parties in this process over an in-memory
// pipe (the transport's loopback TLS when available, see psi_tls_test.go)
// with n items per side. VEIL_PSI_BENCH_MAXLOG raises the largest size
// (default 2^16; 2^20 needs a quiet machine with many cores).
func BenchmarkEndToEnd(b *testing.B) {
	maxLog := 16
	if v, err := strconv.Atoi(os.Getenv("VEIL_PSI_BENCH_MAXLOG")); err == nil {
		maxLog = v
	}
	for _, mode := range []Mode{Intersection, Cardinality, Join, Sum} {
		for lg := 12; lg <= maxLog; lg += 2 {
			b.Run(fmt.Sprintf("%s/2^%d", mode, lg), func(b *testing.B) {
				benchEndToEnd(b, mode, 1<<lg, func() (transport.Conn, transport.Conn) {
					return transport.Pipe("sender", "receiver", transport.Options{})
				})
			})
		}
	}
}

func benchEndToEnd(b *testing.B, mode Mode, n int, conns func() (transport.Conn, transport.Conn)) {
	set, ys := benchSets(n, mode)
	runtime.GC()
	stop := make(chan struct{})
	peak := heapPeak(stop)
	var bytes int64
	var once sync.Once
	b.ResetTimer()
	for b.Loop() {
		cs, cr := conns()
		pr := runPairOn(b, cs, cr, set, ys, Config{Mode: mode}, Config{Mode: mode})
		if pr.recvErr != nil || pr.sendErr != nil {
			b.Fatal(pr.recvErr, pr.sendErr)
		}
		if pr.recv.Cardinality != n/2 {
			b.Fatalf("cardinality %d, want %d", pr.recv.Cardinality, n/2)
		}
		bytes = pr.recv.Stats.BytesSent + pr.recv.Stats.BytesReceived
	}
	b.StopTimer()
	once.Do(func() { close(stop) })
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(bytes)/float64(2*n), "bytes/item")
	b.ReportMetric(float64(<-peak)/(1<<20), "peakMiB")
}

// BenchmarkEndToEndTLS is BenchmarkEndToEnd over mutual TLS 1.3 on
// 127.0.0.1 (Intersection and Cardinality).
func BenchmarkEndToEndTLS(b *testing.B) {
	maxLog := 16
	if v, err := strconv.Atoi(os.Getenv("VEIL_PSI_BENCH_MAXLOG")); err == nil {
		maxLog = v
	}
	for _, mode := range []Mode{Intersection, Cardinality} {
		for lg := 12; lg <= maxLog; lg += 2 {
			b.Run(fmt.Sprintf("%s/2^%d", mode, lg), func(b *testing.B) {
				var closers []func()
				defer func() {
					for _, c := range closers {
						c()
					}
				}()
				benchEndToEnd(b, mode, 1<<lg, func() (transport.Conn, transport.Conn) {
					cs, cr, closeAll := tlsPair(b)
					closers = append(closers, closeAll)
					return cs, cr
				})
			})
		}
	}
}

// BenchmarkSumLattice compares the two Sum paths on the same sets (n items
// per side, half shared, both parties in this process over a pipe):
// exponential ElGamal (|sum| <= 2^44) and Config.LatticeSum (|sum| <=
// 2^62). Metrics: bytes/item (both directions over 2n), CPU seconds per
// run (both parties).
func BenchmarkSumLattice(b *testing.B) {
	for _, lg := range []int{12, 16} {
		for _, lattice := range []bool{false, true} {
			name := map[bool]string{false: "elgamal", true: "lattice"}[lattice]
			b.Run(fmt.Sprintf("%s/2^%d", name, lg), func(b *testing.B) {
				n := 1 << lg
				set, ys := benchSets(n, Sum)
				o := Config{Mode: Sum, LatticeSum: lattice}
				var bytes int64
				c0 := cpuTime()
				for b.Loop() {
					pr := runPair(b, set, ys, o, o)
					if pr.recvErr != nil || pr.sendErr != nil {
						b.Fatal(pr.recvErr, pr.sendErr)
					}
					bytes = pr.recv.Stats.BytesSent + pr.recv.Stats.BytesReceived
				}
				b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
				b.ReportMetric(float64(bytes)/float64(2*n), "bytes/item")
			})
		}
	}
}
