package ledger

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/veil-go/veil/psi"
	"github.com/veil-go/veil/transport"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReceiptCost runs a 2^16 x 2^16 PSI (KKRT intersection and ECDH
// cardinality, one sub-benchmark each) over an in-memory pipe, alternately
// without receipts and with them, and reports the wall and CPU time of
// each and the overhead in percent. "With" is everything a party of
// examples/psi -ledger does per run: transcript hashing on both parties'
// connections, an input commitment, FinishConn (records, then signatures),
// checking every signature, and appending the receipt to an SQLite ledger
// (synchronous=FULL: on disk before it returns). Interleaving the two
// keeps a loaded machine's drift out of the ratio.
//
// plain-cpu-ms is the CPU time of a run without receipts (both parties).
// The parts of the "with" arm, per run and party: hash-ms is the
// transcript's hashing of the bytes this party exchanged (timed apart, in
// CPU time, on the same number of bytes, with nothing else running),
// finish-ms is FinishConn and Verify, append-ms the ledger append; path-ms
// is the receiver's time in the transcript's Send and Recv beyond the
// pipe's, the hashing its protocol waited for. set-digest-ms is one party's
// SHA-256(SetEncoding(input)), which a deployment computes once per dataset
// version and which is outside the per-run figures.
//
//	go test ./ledger -run XXX -bench ReceiptCost -benchtime 4x
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
	for _, bc := range []struct {
		name string
		cfg  psi.Config
		reps int // interleaved rounds per iteration: KKRT's run is short
	}{
		{"KKRT", psi.Config{Protocol: psi.KKRT, Mode: psi.Intersection}, 8},
		{"ECDH", psi.Config{Protocol: psi.ECDH, Mode: psi.Cardinality}, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			var ls [2]*Ledger
			for i := range ls {
				l, err := Open(ctx, Config{DSN: filepath.Join(dir, fmt.Sprintf("party%d.ledger", i))})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				ls[i] = l
			}
			var finish, appendT, recording time.Duration // recording: the receiver's time in the transcript's Send and Recv beyond the pipe's
			var exchanged int64
			// arm 0: no receipt; 1: with receipts.
			run := func(arm int) {
				withReceipt := arm > 0
				a, c := transport.Pipe(ps[0].Name(), ps[1].Name(), transport.Options{}) // a: the sender's end
				defer a.Close()
				defer c.Close()
				var ta, tc Transcript
				var raw, outer time.Duration
				ca, cc := a, transport.Conn(c)
				defer func() { recording += outer - raw }()
				if withReceipt {
					ca = ta.Conn(ps[0].Name(), a)
					inner := &timedConn{Conn: c, in: &raw}
					cc = &timedConn{Conn: tc.Conn(ps[1].Name(), inner), in: &outer}
				}
				party := func(self int, conn transport.Conn, tr *Transcript, run func() (*psi.Result, error), digest [32]byte, start time.Time) (time.Duration, time.Duration, error) {
					res, err := run()
					if err != nil || !withReceipt {
						return 0, 0, err
					}
					t := time.Now()
					s, err := finishReceipt(ctx, ps, self, conn, tr, res, digest, start)
					if err == nil {
						err = s.Verify(ps[self])
					}
					f := time.Since(t)
					if err != nil {
						return 0, 0, err
					}
					t = time.Now()
					_, err = ls[self].AppendReceipt(ctx, s)
					if self == 1 {
						exchanged += res.Stats.BytesSent + res.Stats.BytesReceived
					}
					return f, time.Since(t), err
				}
				var wg sync.WaitGroup
				var errS error
				start := time.Now()
				wg.Go(func() {
					_, _, errS = party(0, ca, &ta, func() (*psi.Result, error) {
						return psi.RunSender(ctx, ca, psi.Set{Items: send}, bc.cfg)
					}, sendDigest, start)
				})
				f, ap, err := party(1, cc, &tc, func() (*psi.Result, error) { return psi.RunReceiver(ctx, cc, psi.Set{Items: recv}, bc.cfg) }, recvDigest, start)
				wg.Wait()
				if err != nil || errS != nil {
					b.Fatal(err, errS)
				}
				if arm == 1 {
					finish += f
					appendT += ap
				}
			}
			var wall, cpu [2]time.Duration
			b.ResetTimer()
			runs := 0
			for i := 0; i < b.N*bc.reps; i++ {
				runs++
				for j := range 2 {
					k := (i + j) % 2 // alternate the order
					w, c := time.Now(), cpuTime()
					run(k)
					wall[k] += time.Since(w)
					cpu[k] += cpuTime() - c
				}
			}
			b.StopTimer()
			// The transcript's hashing, timed apart on as many bytes as one
			// party hashed per run (in messages of 1 MiB).
			buf := make([]byte, 1<<20)
			var tr Transcript
			t := cpuTime() // nothing else runs now: CPU time is robust to the load
			for left := exchanged / int64(runs); left > 0; left -= int64(len(buf)) {
				tr.Record("a", "b", buf[:min(left, int64(len(buf)))])
			}
			tr.Sum()
			hash := cpuTime() - t
			per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(runs) }
			b.ReportMetric(per(wall[0]), "plain-ms")
			b.ReportMetric(per(cpu[0]), "plain-cpu-ms")
			b.ReportMetric(per(wall[1]), "receipt-ms")
			b.ReportMetric(100*float64(wall[1]-wall[0])/float64(wall[0]), "wall-overhead-%")
			b.ReportMetric(100*float64(cpu[1]-cpu[0])/float64(cpu[0]), "cpu-overhead-%")
			b.ReportMetric(float64(hash.Microseconds())/1000, "hash-ms")
			b.ReportMetric(per(finish), "finish-ms")
			b.ReportMetric(per(appendT), "append-ms")
			b.ReportMetric(per(recording), "path-ms")
			b.ReportMetric(float64(exchanged)/float64(runs)/(1<<20), "MiB/run")
			b.ReportMetric(float64(setDigest.Microseconds())/1000, "set-digest-ms")
		})
	}
}

// timedConn adds the time its Send and Recv take to *in. One around a
// Transcript's Conn and one inside it time the transcript's work on the
// caller's path (path-ms: the outer's time less the inner's). The
// receiver calls Send and Recv from one goroutine at a time.
type timedConn struct {
	transport.Conn
	in *time.Duration
}

func (c *timedConn) Send(ctx context.Context, msg []byte) error {
	t := time.Now()
	err := c.Conn.Send(ctx, msg)
	*c.in += time.Since(t)
	return err
}

func (c *timedConn) Recv(ctx context.Context) ([]byte, error) {
	t := time.Now()
	msg, err := c.Conn.Recv(ctx)
	*c.in += time.Since(t)
	return msg, err
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
