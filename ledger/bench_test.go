package ledger

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/veil-go/veil/psi"
	"github.com/veil-go/veil/transport"
)

var benchECDH = flag.Bool("ledger.ecdh", false, "BenchmarkReceiptCost: ECDH instead of KKRT")

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReceiptCost runs a 2^16 x 2^16 PSI (KKRT intersection, or ECDH
// cardinality with -ledger.ecdh) over an in-memory pipe, alternately without receipts
// and with them (transcript hashing on both parties' connections, input
// commitments to each input's digest, building the receipt and the
// signature exchange), and reports the wall and CPU time of each and the
// overhead in percent. set-digest-ms is the time of one party's
// SHA-256(SetEncoding(input)), which a deployment computes once per dataset
// version and which is outside the per-run figures.
// Interleaving the two keeps a loaded machine's drift out of the ratio.
//
//	go test ./ledger -run XXX -bench ReceiptCost -benchtime 5x
func BenchmarkReceiptCost(b *testing.B) {
	ps := identities(b, 2)
	const n = 1 << 16
	mk := func() [][]byte {
		s := make([][]byte, n)
		for i := range s {
			s[i] = make([]byte, 16)
			rand.Read(s[i])
		}
		return s
	}
	send, recv := mk(), mk()
	copy(recv[:n/2], send[:n/2])
	// A dataset's digest is computed once per dataset version, not per
	// run: the per-run commitment is over it (measured apart below).
	t0 := time.Now()
	sendDigest, recvDigest := sha256.Sum256(SetEncoding(send)), sha256.Sum256(SetEncoding(recv))
	setDigest := time.Since(t0) / 2
	cfg := psi.Config{Protocol: psi.KKRT, Mode: psi.Intersection}
	if *benchECDH {
		cfg = psi.Config{Protocol: psi.ECDH, Mode: psi.Cardinality}
	}
	ctx := context.Background()
	run := func(withReceipt bool) {
		a, c := transport.Pipe(ps[0].Name(), ps[1].Name(), transport.Options{}) // a: the sender's end
		defer a.Close()
		defer c.Close()
		var ta, tc Transcript
		ca, cc := a, c
		if withReceipt {
			ca, cc = ta.Conn(ps[0].Name(), a), tc.Conn(ps[1].Name(), c)
		}
		var wg sync.WaitGroup
		var rs *psi.Result
		var errS error
		start := time.Now()
		wg.Go(func() {
			rs, errS = psi.RunSender(ctx, ca, psi.SenderSet{Items: send}, cfg)
			if errS == nil && withReceipt {
				_, errS = finishReceipt(ctx, ps, 0, ca, &ta, rs, sendDigest, start)
			}
		})
		rr, err := psi.RunReceiver(ctx, cc, recv, cfg)
		if err == nil && withReceipt {
			_, err = finishReceipt(ctx, ps, 1, cc, &tc, rr, recvDigest, start)
		}
		wg.Wait()
		if err != nil || errS != nil {
			b.Fatal(err, errS)
		}
	}
	var wall, cpu [2]time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, with := range []bool{i%2 == 1, i%2 == 0} {
			k := 0
			if with {
				k = 1
			}
			w, c := time.Now(), cpuTime()
			run(with)
			wall[k] += time.Since(w)
			cpu[k] += cpuTime() - c
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(wall[0].Milliseconds())/float64(b.N), "plain-ms")
	b.ReportMetric(float64(wall[1].Milliseconds())/float64(b.N), "receipt-ms")
	b.ReportMetric(100*float64(wall[1]-wall[0])/float64(wall[0]), "wall-overhead-%")
	b.ReportMetric(100*float64(cpu[1]-cpu[0])/float64(cpu[0]), "cpu-overhead-%")
	b.ReportMetric(float64(setDigest.Microseconds())/1000, "set-digest-ms")
}

// finishReceipt is what a party does after a run: commit to its input,
// state the run's public facts and agree on the receipt with FinishConn.
func finishReceipt(ctx context.Context, ps []*transport.Identity, self int, c transport.Conn, tr *Transcript, res *psi.Result, inputDigest [32]byte, start time.Time) (*SignedReceipt, error) {
	com, _, err := Commit(inputDigest[:])
	if err != nil {
		return nil, err
	}
	r := &Receipt{
		Protocol: "psi", Version: 1, SecurityModel: "semi-honest",
		Transcript: tr.Sum(), Leakage: PublicLeakage(res.Leakage),
		Start: start.Truncate(time.Second), End: start.Truncate(time.Second),
	}
	return FinishConn(ctx, ps[self], c, self, r, Party{Role: []string{"sender", "receiver"}[self], Input: com, Stats: res.Stats})
}
