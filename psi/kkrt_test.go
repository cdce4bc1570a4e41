package psi

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

// TestKKRTMatchesECDH is the cross-protocol property test: on random sets
// of many sizes and overlaps (duplicates included), KKRT and ECDH return
// exactly the same intersection, equal to the plaintext one, to the
// receiver and (RevealToBoth) to the sender.
func TestKKRTMatchesECDH(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	cases := []struct{ onlyX, onlyY, shared int }{
		{0, 0, 0}, {3, 0, 0}, {0, 4, 0}, {0, 0, 1}, {1, 1, 0}, {1, 0, 1},
		{17, 5, 3}, {5, 17, 3}, {60, 60, 0}, {0, 0, 90}, {200, 10, 40},
		{10, 200, 40}, {300, 300, 300},
	}
	for i := range 6 { // random sizes
		cases = append(cases, struct{ onlyX, onlyY, shared int }{r.IntN(400), r.IntN(400), r.IntN(300) * (i % 2)})
	}
	for ci, tc := range cases {
		dups := ci%3 == 2
		reveal := ci%2 == 1
		t.Run(fmt.Sprintf("%d-%d-%d-dups=%v-reveal=%v", tc.onlyX, tc.onlyY, tc.shared, dups, reveal), func(t *testing.T) {
			set, ys := genCase(r, tc.onlyX, tc.onlyY, tc.shared, dups, Intersection)
			want := reference(set, ys)
			var got [2]pairResult
			for k, p := range []Protocol{ECDH, KKRT} {
				o := Config{Protocol: p, RevealToBoth: reveal, BatchSize: 64, Workers: 1 + r.IntN(3)}
				got[k] = runPair(t, set, ys, o, o)
				require.NoError(t, got[k].recvErr, p.String())
				require.NoError(t, got[k].sendErr, p.String())
				require.Equal(t, p, got[k].recv.Protocol)
				require.Equal(t, want.recvIdx, got[k].recv.Indices, p.String())
				require.Equal(t, want.card, got[k].recv.Cardinality, p.String())
				require.Equal(t, reveal, got[k].send.Learned)
				if reveal {
					require.Equal(t, want.sendIdx, got[k].send.Indices, p.String())
					require.Equal(t, want.card, got[k].send.Cardinality, p.String())
				} else {
					require.Nil(t, got[k].send.Indices)
				}
				require.Equal(t, got[k].recv.Stats.BytesSent, got[k].send.Stats.BytesReceived)
			}
			require.Equal(t, got[0].recv.Indices, got[1].recv.Indices)
			require.Equal(t, got[0].send.Indices, got[1].send.Indices)
		})
	}
}

// TestKKRTLargerSets checks KKRT alone against the plaintext reference on
// sets big enough for several OT chunks and value messages.
func TestKKRTLargerSets(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	for _, tc := range []struct{ onlyX, onlyY, shared int }{{20000, 3000, 7000}, {1000, 30000, 0}} {
		set, ys := genCase(r, tc.onlyX, tc.onlyY, tc.shared, true, Intersection)
		o := Config{Protocol: KKRT, RevealToBoth: true}
		pr := runPair(t, set, ys, o, o)
		require.NoError(t, pr.recvErr)
		require.NoError(t, pr.sendErr)
		want := reference(set, ys)
		require.Equal(t, want.recvIdx, pr.recv.Indices)
		require.Equal(t, want.sendIdx, pr.send.Indices)
	}
}

// TestKKRTJoinMatchesECDH: in Join mode KKRT and ECDH return the same
// indices and payloads, equal to the plaintext join.
func TestKKRTJoinMatchesECDH(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	for ci, tc := range []struct{ onlyX, onlyY, shared int }{{0, 0, 0}, {5, 0, 0}, {0, 5, 0}, {0, 0, 1}, {30, 20, 25}, {150, 200, 100}} {
		set, ys := genCase(r, tc.onlyX, tc.onlyY, tc.shared, ci%2 == 1, Join)
		want := reference(set, ys)
		var got [2]pairResult
		for k, p := range []Protocol{ECDH, KKRT} {
			o := Config{Protocol: p, Mode: Join, RevealToBoth: ci%2 == 0}
			got[k] = runPair(t, set, ys, o, o)
			require.NoError(t, got[k].recvErr, p.String())
			require.NoError(t, got[k].sendErr, p.String())
			require.Equal(t, want.recvIdx, got[k].recv.Indices, p.String())
			require.Len(t, got[k].recv.Payloads, len(want.payloads), p.String())
			for j := range want.payloads {
				require.True(t, bytes.Equal(want.payloads[j], got[k].recv.Payloads[j]), "%s payload %d", p, j)
			}
			if o.RevealToBoth {
				require.Equal(t, want.sendIdx, got[k].send.Indices, p.String())
			}
			require.Nil(t, got[k].send.Payloads)
		}
		require.Equal(t, got[0].recv.Indices, got[1].recv.Indices)
	}
}

func TestKKRTUnsupportedModes(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	for _, mode := range []Mode{Cardinality, Sum} {
		set, ys := genCase(r, 5, 5, 5, false, mode)
		o := Config{Protocol: KKRT, Mode: mode}
		pr := runPair(t, set, ys, o, o)
		require.ErrorIs(t, pr.recvErr, ErrUnsupported, mode.String())
		require.ErrorIs(t, pr.sendErr, ErrUnsupported, mode.String())
	}
}

func TestKKRTOverTLSAndTagLen(t *testing.T) {
	r := rand.New(rand.NewPCG(67, 68))
	set, ys := genCase(r, 50, 40, 30, true, Intersection)
	cs, cr, closeAll := tlsPair(t)
	defer closeAll()
	var mu sync.Mutex // both parties share o, so Progress runs on two goroutines
	var calls, last int
	o := Config{Protocol: KKRT, TagLen: 16, RevealToBoth: true, Progress: func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		last = total - done
	}}
	pr := runPairOn(t, cs, cr, set, ys, o, o)
	require.NoError(t, pr.recvErr)
	require.NoError(t, pr.sendErr)
	want := reference(set, ys)
	require.Equal(t, want.recvIdx, pr.recv.Indices)
	require.Equal(t, want.sendIdx, pr.send.Indices)
	require.Equal(t, 2, calls, "once per party")
	require.Zero(t, last)
}

func TestKKRTPeerDropsOut(t *testing.T) {
	// The sender's connection closes mid-protocol: the receiver returns a
	// prompt error naming the step.
	r := rand.New(rand.NewPCG(69, 70))
	set, ys := genCase(r, 3000, 3000, 100, false, Intersection)
	cs, cr := transport.Pipe("sender", "receiver", transport.Options{})
	closer := &closeAfter{Conn: cs, n: 4}
	start := time.Now()
	o := Config{Protocol: KKRT}
	pr := runPairOn(t, closer, cr, set, ys, o, o)
	require.Error(t, pr.recvErr)
	require.ErrorIs(t, pr.recvErr, transport.ErrClosed)
	require.Contains(t, pr.recvErr.Error(), "kkrt")
	require.Less(t, time.Since(start), 20*time.Second)
}

// closeAfter closes the connection after n sends.
type closeAfter struct {
	transport.Conn
	n int
}

func (c *closeAfter) Send(ctx context.Context, msg []byte) error {
	if c.n == 0 {
		c.Conn.Close()
		return transport.ErrClosed
	}
	c.n--
	return c.Conn.Send(ctx, msg)
}

// BenchmarkKKRTvsECDH runs both protocols on the same inputs (2^k items per
// side, half shared; Intersection, and Join with 18-byte payloads) in one
// run: wall time, CPU seconds per run (steadier on a shared machine),
// items/s and bytes per item per side. 2^12 to 2^16 run by default; 2^18
// and 2^20 only when named, e.g. -bench 'KKRTvsECDH/intersection/2\^18'.
func BenchmarkKKRTvsECDH(b *testing.B) {
	for _, mode := range []Mode{Intersection, Join} {
		for lg := 12; lg <= 20; lg += 2 {
			for _, p := range []Protocol{KKRT, ECDH} {
				name := fmt.Sprintf("%s/2^%d/%s", mode, lg, p)
				b.Run(name, func(b *testing.B) {
					if lg > 16 && !benchNamed(fmt.Sprintf("2^%d", lg), fmt.Sprintf(`2\^%d`, lg)) {
						b.Skip("large size: name it in -bench to run it")
					}
					n := 1 << lg
					set, ys := benchSets(n, mode)
					o := Config{Protocol: p, Mode: mode}
					var bytes int64
					b.ResetTimer()
					cpu0 := cpuTime()
					for range b.N {
						cs, cr := transport.Pipe("sender", "receiver", transport.Options{})
						pr := runPairOn(b, cs, cr, set, ys, o, o)
						if pr.recvErr != nil || pr.sendErr != nil {
							b.Fatal(pr.recvErr, pr.sendErr)
						}
						if pr.recv.Cardinality != n/2 {
							b.Fatalf("cardinality %d, want %d", pr.recv.Cardinality, n/2)
						}
						bytes = pr.recv.Stats.BytesSent + pr.recv.Stats.BytesReceived
					}
					b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
					b.ReportMetric(float64(bytes)/float64(2*n), "bytes/item")
				})
			}
		}
	}
}

// benchNamed reports whether the -bench pattern contains one of names.
func benchNamed(names ...string) bool {
	f := flag.Lookup("test.bench")
	if f == nil {
		return false
	}
	for _, n := range names {
		if strings.Contains(f.Value.String(), n) {
			return true
		}
	}
	return false
}
