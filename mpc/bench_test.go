package mpc

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/veil-go/veil/transport"
)

func benchParties(b *testing.B, n int, tls bool) []*Party {
	b.Helper()
	var meshes []transport.Mesh
	var err error
	if tls {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		meshes, err = transport.NewTLSLoopbackMesh(ctx, n, transport.Options{})
	} else {
		meshes, err = transport.NewMemMesh(n, transport.Options{})
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		for _, m := range meshes {
			_ = m.Close()
		}
	})
	d, err := NewTrustedDealer(n, DealerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ps := make([]*Party, n)
	for i := range ps {
		di, err := d.Party(i)
		if err != nil {
			b.Fatal(err)
		}
		if ps[i], err = NewParty(meshes[i], di, Config{}); err != nil {
			b.Fatal(err)
		}
	}
	return ps
}

func runAll(b *testing.B, ps []*Party, prog func(p *Party) error) {
	var wg sync.WaitGroup
	errs := make([]error, len(ps))
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = prog(p)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

func pattern(size int) []uint64 {
	x := make([]uint64, size)
	for i := range x {
		x[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	return x
}

// benchVector runs op on a vector of size elements on every party, b.N
// times, and returns the elements processed and the bytes party 0 sent. It
// also reports the CPU time of all parties per element (cpu-ns/elem),
// which other load on a shared machine disturbs less than wall time.
func benchVector(b *testing.B, ps []*Party, size int, op func(ctx context.Context, p *Party, x Share) error) (float64, float64) {
	x := Share(pattern(size))
	ctx := context.Background()
	before := ps[0].Stats()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		runAll(b, ps, func(p *Party) error { return op(ctx, p, x) })
	}
	b.StopTimer()
	elems := float64(b.N) * float64(size)
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/elems, "cpu-ns/elem")
	return elems, float64(ps[0].Stats().BytesSent - before.BytesSent)
}

func benchMul(b *testing.B, n, size int, tls bool) {
	mults, sent := benchVector(b, benchParties(b, n, tls), size, func(ctx context.Context, p *Party, x Share) error {
		_, err := p.Mul(ctx, x, x)
		return err
	})
	b.ReportMetric(mults/b.Elapsed().Seconds(), "mults/s")
	b.ReportMetric(sent/mults, "bytes/mult/party")
	b.ReportMetric(float64(2*(n-1)*8), "theory-bytes/mult/party")
}

// BenchmarkMul measures vectorised Beaver multiplication, dealer triple
// generation included; compare with BenchmarkPlainMul in the same run.
func BenchmarkMul(b *testing.B) {
	b.Run("2party-mem-1M", func(b *testing.B) { benchMul(b, 2, 1<<20, false) })
	b.Run("3party-mem-1M", func(b *testing.B) { benchMul(b, 3, 1<<20, false) })
	b.Run("3party-tls-1M", func(b *testing.B) { benchMul(b, 3, 1_000_000, true) })
}

// BenchmarkPlainMul is the baseline: the same products in the clear.
func BenchmarkPlainMul(b *testing.B) {
	const size = 1 << 20
	x, z := pattern(size), make([]uint64, size)
	for b.Loop() {
		for i := range x {
			z[i] = x[i] * x[i]
		}
	}
	b.ReportMetric(float64(b.N)*size/b.Elapsed().Seconds(), "mults/s")
}

// BenchmarkLTZ measures secure comparison (sign) for 3 parties in memory.
func BenchmarkLTZ(b *testing.B) {
	cmps, sent := benchVector(b, benchParties(b, 3, false), 1<<15, func(ctx context.Context, p *Party, x Share) error {
		_, err := p.LTZ(ctx, x)
		return err
	})
	b.ReportMetric(cmps/b.Elapsed().Seconds(), "cmps/s")
	b.ReportMetric(sent/cmps, "bytes/cmp/party")
}

// BenchmarkPlainCompare is the baseline for BenchmarkLTZ.
func BenchmarkPlainCompare(b *testing.B) {
	const size = 1 << 15
	x, z := pattern(size), make([]uint64, size)
	for b.Loop() {
		for i := range x {
			z[i] = x[i] >> 63
		}
	}
	b.ReportMetric(float64(b.N)*size/b.Elapsed().Seconds(), "cmps/s")
}

// BenchmarkTrunc measures fixed-point truncation (3 parties in memory).
func BenchmarkTrunc(b *testing.B) {
	truncs, _ := benchVector(b, benchParties(b, 3, false), 1<<20, func(ctx context.Context, p *Party, x Share) error {
		_, err := p.Trunc(ctx, x, 16)
		return err
	})
	b.ReportMetric(truncs/b.Elapsed().Seconds(), "truncs/s")
}

// BenchmarkOTTriples measures dealer-free triples (OTDealer, base OTs not
// timed) beside the trusted dealer's, with the CPU time of all parties per
// triple (cpu-ns/triple) and the bytes party 0 sent per triple.
func BenchmarkOTTriples(b *testing.B) {
	const size = 1 << 14
	triples := func(ctx context.Context, d Dealer, n int) error { _, err := d.Triples(ctx, n); return err }
	for _, n := range []int{2, 3} {
		benchDealers(b, n, fmt.Sprintf("%dparty", n), func(b *testing.B, mesh0 transport.Mesh, dealer func(i int) Dealer) {
			benchCorr(b, size, mesh0, dealer, n, "triple", triples)
		})
	}
}

// benchDealers runs bench as name+"-ot" on n OT dealers in memory (base OTs
// not timed; mesh0 is party 0's mesh) and as name+"-trusted" on the n
// views of a trusted dealer (mesh0 nil).
func benchDealers(b *testing.B, n int, name string, bench func(b *testing.B, mesh0 transport.Mesh, dealer func(i int) Dealer)) {
	b.Run(name+"-ot", func(b *testing.B) {
		meshes, err := transport.NewMemMesh(n, transport.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer func() {
			for _, m := range meshes {
				_ = m.Close()
			}
		}()
		ds := otDealers(b, context.Background(), meshes)
		bench(b, meshes[0], func(i int) Dealer { return ds[i] })
	})
	b.Run(name+"-trusted", func(b *testing.B) {
		td, err := NewTrustedDealer(n, DealerConfig{})
		if err != nil {
			b.Fatal(err)
		}
		views := make([]Dealer, n)
		for i := range views {
			if views[i], err = td.Party(i); err != nil {
				b.Fatal(err)
			}
		}
		bench(b, nil, func(i int) Dealer { return views[i] })
	})
}

// BenchmarkShamirMul measures dealer-free Shamir multiplication, 3 parties
// in memory, threshold 2, with the CPU time of all parties per product.
func BenchmarkShamirMul(b *testing.B) {
	const size = 1 << 18
	ps := benchParties(b, 3, false)
	x := pattern(size)
	for i := range x {
		x[i] %= ShamirPrime
	}
	sh, err := ShamirSplit(x, 2, 3)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	before := ps[0].Stats().BytesSent
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		runAll(b, ps, func(p *Party) error {
			_, err := p.ShamirMul(ctx, sh[p.Self()], sh[p.Self()], 2)
			return err
		})
	}
	b.StopTimer()
	mults := float64(b.N) * size
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/mults, "cpu-ns/mult")
	b.ReportMetric(mults/b.Elapsed().Seconds(), "mults/s")
	b.ReportMetric(float64(ps[0].Stats().BytesSent-before)/mults, "bytes/mult/party")
}

// BenchmarkOTCorrelations measures the OT dealer's other correlations
// beside the trusted dealer's in the same run, 2 and 3 parties in memory
// (base OTs not timed): daBits, edaBits, division pairs for a power of two
// (truncation) and for another divisor (exact division, with its
// comparisons), with the CPU time of all parties and the bytes party 0
// sent per item.
func BenchmarkOTCorrelations(b *testing.B) {
	kinds := []struct {
		name string
		size int
		do   func(ctx context.Context, d Dealer, n int) error
	}{
		{"dabits", 1 << 16, func(ctx context.Context, d Dealer, n int) error { _, err := d.DaBits(ctx, n); return err }},
		{"edabits", 1 << 12, func(ctx context.Context, d Dealer, n int) error { _, err := d.EdaBits(ctx, n); return err }},
		{"divpairs-pow2", 1 << 12, func(ctx context.Context, d Dealer, n int) error { _, err := d.DivPairs(ctx, n, 1<<16); return err }},
		{"divpairs-odd", 1 << 6, func(ctx context.Context, d Dealer, n int) error { _, err := d.DivPairs(ctx, n, 100003); return err }},
	}
	for _, n := range []int{2, 3} {
		for _, k := range kinds {
			benchDealers(b, n, fmt.Sprintf("%dparty-%s", n, k.name), func(b *testing.B, mesh0 transport.Mesh, dealer func(i int) Dealer) {
				benchCorr(b, k.size, mesh0, dealer, n, "item", k.do)
			})
		}
	}
}

// benchCorr times size correlations made by do on each of the n parties'
// dealers at once and reports, per unit, the CPU time of all parties
// (cpu-ns/UNIT), the rate (UNITs/s) and, with mesh0, the bytes party 0
// sent (bytes/UNIT/party).
func benchCorr(b *testing.B, size int, mesh0 transport.Mesh, dealer func(i int) Dealer, n int, unit string, do func(ctx context.Context, d Dealer, n int) error) {
	ctx := context.Background()
	var before int64
	if mesh0 != nil {
		before = mesh0.Stats().BytesSent
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { errs[i] = do(ctx, dealer(i), size) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	items := float64(b.N) * float64(size)
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/items, "cpu-ns/"+unit)
	b.ReportMetric(items/b.Elapsed().Seconds(), unit+"s/s")
	if mesh0 != nil {
		b.ReportMetric(float64(mesh0.Stats().BytesSent-before)/items, "bytes/"+unit+"/party")
	}
}
