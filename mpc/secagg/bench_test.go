package secagg

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/transport"
)

var (
	benchDim = flag.Int("secagg.dim", 1000, "vector length of BenchmarkRound's table")
	benchBig = flag.Bool("secagg.big", false, "also run BenchmarkRound's 500 clients x 100,000 case")
	// With these, the big case runs on a graph of the given degree and
	// threshold instead of the defaults (to compare with a round of the
	// same graph before the consistency step: degree 92, threshold 47 is
	// the pre-v1 default graph at the lowest threshold now allowed).
	benchDegree    = flag.Int("secagg.degree", 0, "degree of BenchmarkRound's big case (0: the default)")
	benchThreshold = flag.Int("secagg.threshold", 0, "threshold of BenchmarkRound's big case (0: the default)")
)

// BenchmarkMaskExpansion measures the hot kernel (adding AES-128-CTR masks
// to a vector) next to its two floors: raw AES-CTR keystream and a plain
// uint64 vector addition.
func BenchmarkMaskExpansion(b *testing.B) {
	const dim = 100_000
	key := make([]byte, 16)
	for _, w := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("masks/workers=%d", w), func(b *testing.B) {
			job, _ := newMaskJob(key, false)
			jobs := []maskJob{job, job, job, job}
			dst := make([]uint64, dim)
			b.SetBytes(int64(8 * dim * len(jobs)))
			for b.Loop() {
				applyMasks(dst, jobs, w)
			}
			b.ReportMetric(float64(b.N*dim*len(jobs))/b.Elapsed().Seconds(), "values/s")
		})
	}
	b.Run("baseline/aes-ctr", func(b *testing.B) {
		blk, _ := aes.NewCipher(key)
		buf := make([]byte, 8*dim)
		var iv [16]byte
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			cipher.NewCTR(blk, iv[:]).XORKeyStream(buf, buf)
		}
		b.ReportMetric(float64(b.N*dim)/b.Elapsed().Seconds(), "values/s")
	})
	b.Run("baseline/uint64-add", func(b *testing.B) {
		x, y := make([]uint64, dim), make([]uint64, dim)
		b.SetBytes(8 * dim)
		for b.Loop() {
			for i := range x {
				x[i] += y[i]
			}
		}
		b.ReportMetric(float64(b.N*dim)/b.Elapsed().Seconds(), "values/s")
	})
}

// BenchmarkShamir measures splitting a 32-byte secret into k shares and
// reconstructing it from t, at a SecAgg+ size.
func BenchmarkShamir(b *testing.B) {
	const k, t = 92, 40
	xs := make([]int, k)
	for i := range xs {
		xs[i] = i + 1
	}
	secret := make([]byte, 32)
	b.Run("split", func(b *testing.B) {
		for b.Loop() {
			_, _ = splitSecrets([][]byte{secret}, xs, t)
		}
	})
	sh, _ := splitSecrets([][]byte{secret}, xs, t)
	ys := make([]shareValue, k)
	for i := range ys {
		ys[i] = sh[i][0]
	}
	b.Run("combine", func(b *testing.B) {
		for b.Loop() {
			_, _ = combineSecret(xs, ys, t)
		}
	})
}

// roundStats are the figures of one benchmarked round.
type roundStats struct {
	total, server   time.Duration
	cpu             time.Duration // user+system CPU time of the process
	consistCPU      time.Duration // of it, the consistency step: counted sets signed, sent, verified (t-1 per client)
	unmaskCPU       time.Duration // the unmask step after the consistency check, and Finish
	graphCPU        time.Duration // the enrolment and reveal steps (commit-reveal of the graph nonces)
	extraPerClient  float64       // bytes per client beyond its masked vector
	vectorBytes     int
	counted, degree int
}

// benchRound runs a whole round in process through the local steps:
// clients run in parallel (one worker pool over clients), the server's
// steps are timed separately. A fraction drop of the clients go offline
// after sharing their keys and before sending their masked input, the
// costliest case for the server (it regenerates their pairwise masks).
func benchRound(b *testing.B, p *Params, drop float64) roundStats {
	n, dim := p.Clients(), p.Length()
	ids := identities(b, n) // issued once: a deployment's setup, not a round's
	workers := runtime.GOMAXPROCS(0)
	r := rand.New(rand.NewPCG(uint64(n), uint64(dim)))
	dropped := make(map[int]bool)
	for _, p := range r.Perm(n)[:int(drop*float64(n))] {
		dropped[p+1] = true
	}
	input := randomInputs(r, 1, dim, 1<<20)[0]
	var (
		mu       sync.Mutex
		srvTime  time.Duration
		traffic  = make([]int64, n+1) // bytes sent+received per client, framed
		vecBytes int
	)
	count := func(id int, m message) {
		bs, err := m.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		atomic.AddInt64(&traffic[id], int64(len(bs)+4))
	}
	timed := func(f func() error) {
		t0 := time.Now()
		err := f()
		srvTime += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu0 := cpuTime()
	start := time.Now()
	srv, _ := NewServer(p, ids[0])
	cs := make([]*Client, n+1)
	clientsDo := func(f func(id int) error) {
		if err := parallel.Each(context.Background(), n, workers, func(k int) error { return f(k + 1) }); err != nil {
			b.Fatal(err)
		}
	}
	clientsDo(func(id int) error {
		c, err := NewClient(p, id, ids[id])
		if err != nil {
			return err
		}
		cs[id] = c
		m, err := c.Advertise()
		if err != nil {
			return err
		}
		count(id, m)
		mu.Lock()
		defer mu.Unlock()
		timed(func() error { return srv.AddAdvert(m) })
		return nil
	})
	cpuGraph := cpuTime()
	var enr map[int]*EnrolmentMsg
	timed(func() (err error) { enr, err = srv.Enrolment(); return })
	clientsDo(func(id int) error {
		count(id, enr[id])
		m, err := cs[id].Reveal(enr[id])
		if err != nil {
			return err
		}
		count(id, m)
		mu.Lock()
		defer mu.Unlock()
		timed(func() error { return srv.AddReveal(m) })
		return nil
	})
	var lists map[int]*KeyListMsg
	timed(func() (err error) { lists, err = srv.KeyLists(); return })
	cpuGraph = cpuTime() - cpuGraph
	clientsDo(func(id int) error {
		count(id, lists[id])
		m, err := cs[id].ShareKeys(lists[id])
		if err != nil {
			return err
		}
		count(id, m)
		mu.Lock()
		defer mu.Unlock()
		timed(func() error { return srv.AddShares(m) })
		return nil
	})
	var dels map[int]*ShareDeliveryMsg
	timed(func() (err error) { dels, err = srv.Deliveries(); return })
	clientsDo(func(id int) error {
		count(id, dels[id])
		if dropped[id] {
			return nil
		}
		m, err := cs[id].MaskInput(dels[id], input)
		if err != nil {
			return err
		}
		bs, _ := m.MarshalBinary()
		atomic.AddInt64(&traffic[id], int64(len(bs)+4))
		mu.Lock()
		defer mu.Unlock()
		vecBytes = 8 * dim
		timed(func() error { return srv.AddMaskedInput(m) })
		return nil
	})
	cpuConsist := cpuTime()
	var sets map[int]*CountedSetMsg
	timed(func() (err error) { sets, err = srv.CountedSets(); return })
	clientsDo(func(id int) error {
		if dropped[id] {
			return nil
		}
		count(id, sets[id])
		m, err := cs[id].SignCounted(sets[id])
		if err != nil {
			return err
		}
		count(id, m)
		if err := srv.checkCountedSig(m); err != nil { // the runner's concurrent check
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		timed(func() error { return srv.addCountedSig(m) })
		return nil
	})
	var reqs map[int]*UnmaskRequestMsg
	timed(func() (err error) { reqs, err = srv.UnmaskRequests(); return })
	clientsDo(func(id int) error {
		if dropped[id] {
			return nil
		}
		count(id, reqs[id])
		return cs[id].checkCountedSigs(reqs[id].Signatures) // Unmask's check, timed with the consistency step
	})
	cpuConsist = cpuTime() - cpuConsist
	cpuUnmask := cpuTime()
	clientsDo(func(id int) error {
		if dropped[id] {
			return nil
		}
		if err := cs[id].step(stageSigned, "Unmask"); err != nil {
			return err
		}
		m := cs[id].answer() // Unmask once its check has passed
		count(id, m)
		mu.Lock()
		defer mu.Unlock()
		timed(func() error { return srv.AddUnmaskResponse(m) })
		return nil
	})
	var res *Result
	timed(func() (err error) { res, err = srv.Finish(); return })
	cpuUnmask = cpuTime() - cpuUnmask
	total := time.Since(start)
	cpu := cpuTime() - cpu0
	// Check the sum, outside the timing.
	for k, v := range res.Sum {
		if v != input[k]*uint64(len(res.Counted)) {
			b.Fatalf("wrong sum at %d", k)
		}
	}
	var extra int64
	for _, id := range res.Counted {
		extra += traffic[id] - int64(8*dim+9+4)
	}
	return roundStats{total: total, server: srvTime, cpu: cpu, consistCPU: cpuConsist, unmaskCPU: cpuUnmask, graphCPU: cpuGraph, extraPerClient: float64(extra) / float64(len(res.Counted)),
		vectorBytes: vecBytes, counted: len(res.Counted), degree: p.Degree()}
}

// cpuTime returns the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRound(b *testing.B, s roundStats) {
	b.ReportMetric(s.total.Seconds(), "round-s")
	b.ReportMetric(s.server.Seconds(), "server-s")
	// On a shared machine wall time depends on the others' load; CPU time
	// divided by the cores gives what a quiet machine would take.
	b.ReportMetric(s.cpu.Seconds(), "cpu-s")
	// The consistency step: signing the counted set, checking t-1
	// signatures. The round without it is the rest ("without-cpu-s"), and
	// "consist-%" is what the step adds to that round, all measured in
	// the same round.
	b.ReportMetric(s.consistCPU.Seconds(), "consist-cpu-s")
	b.ReportMetric((s.cpu - s.consistCPU).Seconds(), "without-cpu-s")
	b.ReportMetric(100*s.consistCPU.Seconds()/(s.cpu-s.consistCPU).Seconds(), "consist-%")
	b.ReportMetric(s.graphCPU.Seconds(), "reveal-cpu-s")
	b.ReportMetric(s.extraPerClient, "extra-B/client")
	if s.vectorBytes > 0 {
		b.ReportMetric(100*s.extraPerClient/float64(s.vectorBytes), "extra-%")
	}
	b.ReportMetric(float64(s.degree), "degree")
}

// BenchmarkRound is the table of round time against clients and dropout
// rate (SecAgg+ graph, -secagg.dim values, default 1000), plus, with
// -secagg.big, the goal case: 500 clients x 100,000 values, 10% dropouts.
// Run with -benchtime=1x.
func BenchmarkRound(b *testing.B) {
	type bcase struct {
		n, dim int
		drop   float64
	}
	var cases []bcase
	if *benchBig {
		cases = append(cases, bcase{500, 100_000, 0.1})
	}
	for _, n := range []int{100, 300, 500, 1000} {
		for _, d := range []float64{0, 0.1, 0.3} {
			cases = append(cases, bcase{n, *benchDim, d})
		}
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("sparse/clients=%d/dim=%d/drop=%.0f%%", c.n, c.dim, 100*c.drop), func(b *testing.B) {
			cfg := Config{Clients: c.n, Length: c.dim, Graph: SparseGraph, DropoutRate: max(DefaultDropoutRate, c.drop+0.05)}
			if c.dim == 100_000 {
				cfg.Degree, cfg.Threshold = *benchDegree, *benchThreshold
			}
			p := newParams(b, cfg)
			var s roundStats
			for b.Loop() {
				s = benchRound(b, p, c.drop)
			}
			reportRound(b, s)
		})
	}
	// The complete graph at a size it suits, for comparison.
	b.Run(fmt.Sprintf("complete/clients=100/dim=%d/drop=10%%", *benchDim), func(b *testing.B) {
		p := newParams(b, Config{Clients: 100, Length: *benchDim})
		var s roundStats
		for b.Loop() {
			s = benchRound(b, p, 0.1)
		}
		reportRound(b, s)
	})
}

// BenchmarkRunnerMemStar runs whole rounds through RunServer and RunClient
// over an in-memory star (framing, copies, per-round collection), next to
// the same round through the local steps (BenchmarkRound's driver).
func BenchmarkRunnerMemStar(b *testing.B) {
	const n, dim = 100, 1000
	p := newParams(b, Config{Clients: n, Length: dim, Graph: SparseGraph})
	ids := identities(b, n)
	in := randomInputs(rand.New(rand.NewPCG(1, 1)), n, dim, 1000)
	b.Run("runner", func(b *testing.B) {
		var perClient float64
		for b.Loop() {
			meshes, err := transport.NewMemStar(n+1, transport.Options{})
			if err != nil {
				b.Fatal(err)
			}
			var wg sync.WaitGroup
			for i := 1; i <= n; i++ {
				wg.Go(func() {
					if _, err := RunClient(context.Background(), meshes[i], p, ids[i], in[i-1]); err != nil {
						b.Error(err)
					}
				})
			}
			res, err := RunServer(context.Background(), meshes[0], p, ids[0])
			wg.Wait()
			if err != nil {
				b.Fatal(err)
			}
			perClient = float64(res.Stats.BytesSent+res.Stats.BytesReceived) / n
			for _, m := range meshes {
				_ = m.Close()
			}
		}
		b.ReportMetric(perClient, "B/client")
	})
	b.Run("baseline/local-steps", func(b *testing.B) {
		var s roundStats
		for b.Loop() {
			s = benchRound(b, p, 0)
		}
		b.ReportMetric(s.extraPerClient+float64(8*dim+13), "B/client")
	})
}
