package psi

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/gtank/ristretto255"
	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/internal/kkrt"
	"github.com/veil-go/veil/internal/ot"
	"github.com/veil-go/veil/transport"
)

// pairResult is what both parties returned.
type pairResult struct {
	send, recv       *Result
	sendErr, recvErr error
}

// runPair runs a sender and a receiver over an in-memory pipe. A party that
// fails closes its end so that the other one fails promptly too.
func runPair(t testing.TB, set Set, items [][]byte, so, ro Config) pairResult {
	t.Helper()
	cs, cr := transport.Pipe("sender", "receiver", transport.Options{})
	return runPairOn(t, cs, cr, set, items, so, ro)
}

func runPairOn(t testing.TB, cs, cr transport.Conn, set Set, items [][]byte, so, ro Config) pairResult {
	t.Helper()
	timeout := 60 * time.Second
	if _, ok := t.(*testing.B); ok {
		timeout = 30 * time.Minute // ECDH at 2^20 takes minutes on 2 cores
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var pr pairResult
	done := make(chan struct{})
	go func() {
		defer close(done)
		pr.send, pr.sendErr = RunSender(ctx, cs, set, so)
		if pr.sendErr != nil {
			cs.Close()
		}
	}()
	pr.recv, pr.recvErr = RunReceiver(ctx, cr, Set{Items: items}, ro)
	if pr.recvErr != nil {
		cr.Close()
	}
	<-done
	cs.Close()
	cr.Close()
	return pr
}

// plain is the plaintext reference.
type plain struct {
	card        int
	recvIdx     []int
	sendIdx     []int
	payloads    [][]byte
	sum         int64
	sumPayloads map[string][]byte
}

func reference(set Set, items [][]byte) plain {
	inX := map[string]int{}
	payload := map[string][]byte{}
	value := map[string]int64{}
	for i, x := range set.Items {
		if _, ok := inX[string(x)]; !ok {
			inX[string(x)] = i
			if set.Payloads != nil {
				payload[string(x)] = set.Payloads[i]
			}
		}
		if set.Values != nil {
			value[string(x)] += set.Values[i]
		}
	}
	inY := map[string]bool{}
	var p plain
	shared := map[string]bool{}
	for i, y := range items {
		inY[string(y)] = true
		if _, ok := inX[string(y)]; ok {
			p.recvIdx = append(p.recvIdx, i)
			if set.Payloads != nil {
				p.payloads = append(p.payloads, payload[string(y)])
			}
			if !shared[string(y)] {
				shared[string(y)] = true
				p.card++
				p.sum += value[string(y)]
			}
		}
	}
	for i, x := range set.Items {
		if inY[string(x)] {
			p.sendIdx = append(p.sendIdx, i)
		}
	}
	return p
}

// genCase builds sets with the given numbers of sender-only, receiver-only
// and shared distinct items, duplicated at random when dups is set.
func genCase(r *rand.Rand, onlyX, onlyY, shared int, dups bool, mode Mode) (Set, [][]byte) {
	item := func(tag string, i int) []byte { return fmt.Appendf(nil, "%s-%d-%d", tag, i, r.Uint64()) }
	var xs, ys [][]byte
	for i := range shared {
		it := item("s", i)
		xs, ys = append(xs, it), append(ys, it)
	}
	for i := range onlyX {
		xs = append(xs, item("x", i))
	}
	for i := range onlyY {
		ys = append(ys, item("y", i))
	}
	if dups && len(xs) > 0 && len(ys) > 0 {
		for range 1 + len(xs)/5 {
			xs = append(xs, xs[r.IntN(len(xs))])
		}
		for range 1 + len(ys)/5 {
			ys = append(ys, ys[r.IntN(len(ys))])
		}
	}
	r.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	r.Shuffle(len(ys), func(i, j int) { ys[i], ys[j] = ys[j], ys[i] })
	set := Set{Items: xs}
	switch mode {
	case Join:
		byItem := map[string][]byte{}
		for _, x := range xs {
			if _, ok := byItem[string(x)]; !ok {
				p := make([]byte, r.IntN(40))
				for k := range p {
					p[k] = byte(r.Uint32())
				}
				byItem[string(x)] = p
			}
			set.Payloads = append(set.Payloads, byItem[string(x)])
		}
	case Sum:
		for range xs {
			set.Values = append(set.Values, r.Int64N(2_000_001)-1_000_000)
		}
	}
	return set, ys
}

func TestPropertyAgainstPlaintext(t *testing.T) {
	cases := []struct {
		name                 string
		onlyX, onlyY, shared int
		dups                 bool
	}{
		{"empty-both", 0, 0, 0, false},
		{"empty-receiver", 7, 0, 0, false},
		{"empty-sender", 0, 9, 0, false},
		{"disjoint", 23, 31, 0, false},
		{"equal", 0, 0, 40, false},
		{"receiver-subset", 35, 0, 20, false},
		{"sender-subset", 0, 35, 20, false},
		{"unequal-sizes", 150, 3, 2, false},
		{"one-item-each", 0, 0, 1, false},
		{"duplicates", 20, 25, 15, true},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, mode := range []Mode{Intersection, Cardinality, Join, Sum} {
		for ci, tc := range cases {
			reveal := ci%2 == 1
			t.Run(fmt.Sprintf("%s/%s/reveal=%v", mode, tc.name, reveal), func(t *testing.T) {
				set, ys := genCase(r, tc.onlyX, tc.onlyY, tc.shared, tc.dups, mode)
				o := Config{Mode: mode, RevealToBoth: reveal, BatchSize: MinBatchSize + r.IntN(16), Window: 1 + r.IntN(3)}
				so, ro := o, o
				so.BatchSize = MinBatchSize + r.IntN(16) // batch sizes are local
				pr := runPair(t, set, ys, so, ro)
				require.NoError(t, pr.recvErr)
				require.NoError(t, pr.sendErr)
				want := reference(set, ys)
				got := pr.recv
				require.True(t, got.Learned)
				require.Equal(t, mode, got.Mode)
				require.Equal(t, want.card, got.Cardinality)
				switch mode {
				case Intersection, Join:
					require.Equal(t, want.recvIdx, got.Indices)
					if mode == Join {
						require.Len(t, got.Payloads, len(want.payloads))
						for k := range want.payloads {
							require.True(t, bytes.Equal(want.payloads[k], got.Payloads[k]), "payload %d", k)
						}
					}
				default:
					require.Nil(t, got.Indices, "no members are revealed in %s mode", mode)
					require.Nil(t, got.Payloads)
				}
				if mode == Sum {
					require.Equal(t, want.sum, got.Sum)
				}
				s := pr.send
				require.Equal(t, reveal, s.Learned)
				if reveal {
					require.Equal(t, want.card, s.Cardinality)
					if learnsMembers(mode) {
						require.Equal(t, want.sendIdx, s.Indices)
					}
					if mode == Sum {
						require.Equal(t, want.sum, s.Sum)
					}
				} else {
					require.Zero(t, s.Cardinality)
					require.Nil(t, s.Indices)
				}
				require.Nil(t, s.Payloads)
				require.Equal(t, got.Stats.BytesSent, s.Stats.BytesReceived)
				require.Equal(t, got.Stats.BytesReceived, s.Stats.BytesSent)
			})
		}
	}
}

// TestWireBytes checks the stated bytes per item.
func TestWireBytes(t *testing.T) {
	const n = 64
	r := rand.New(rand.NewPCG(3, 4))
	for _, mode := range []Mode{Intersection, Cardinality, Join, Sum} {
		set, ys := genCase(r, n, n, 0, false, mode)
		if mode == Join {
			for i := range set.Payloads {
				set.Payloads[i] = make([]byte, 10)
			}
		}
		o := Config{Mode: mode, BatchSize: n}
		pr := runPair(t, set, ys, o, o)
		require.NoError(t, pr.recvErr)
		// Per-item payload: see the package doc.
		recvPerItem := map[Mode]int{Intersection: 32, Cardinality: 32, Join: 32, Sum: 32}[mode]
		sendPerItemY := map[Mode]int{Intersection: 32, Cardinality: DefaultTagLen, Join: 32, Sum: DefaultTagLen}[mode]
		sendPerItemX := map[Mode]int{Intersection: DefaultTagLen, Cardinality: 32, Join: DefaultTagLen + 4 + 16 + 10, Sum: 96}[mode]
		overhead := int64(256) // hello, batch headers, acks, frames, final messages
		sent := pr.recv.Stats.BytesSent
		recvd := pr.recv.Stats.BytesReceived
		require.InDelta(t, float64(recvPerItem*len(ys)), float64(sent), float64(overhead), mode.String())
		require.InDelta(t, float64(sendPerItemY*len(ys)+sendPerItemX*len(set.Items)), float64(recvd), float64(overhead), mode.String())
	}
}

func TestOptionsValidation(t *testing.T) {
	bad := []Config{
		{Protocol: 7}, {Mode: -1}, {Mode: 9}, {Workers: -1}, {BatchSize: -2},
		{BatchSize: MaxBatchSize + 1}, {BatchSize: MinBatchSize - 1}, {TagLen: 4}, {TagLen: 17}, {Window: -1},
		{MaxSum: -1}, {MaxSum: MaxSumLimit + 1},
	}
	for _, o := range bad {
		_, err := o.withDefaults()
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", o)
		_, err = RunReceiver(context.Background(), nil, Set{}, o)
		require.ErrorIs(t, err, ErrInvalidParams)
	}
	o, err := Config{}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, DefaultBatchSize, o.BatchSize)
	require.Equal(t, DefaultTagLen, o.TagLen)
	require.Positive(t, o.Workers)

	_, err = RunReceiver(context.Background(), nil, Set{}, Config{})
	require.ErrorIs(t, err, ErrInvalidParams, "nil conn")

	c1, c2 := transport.Pipe("a", "b", transport.Options{})
	defer c1.Close()
	defer c2.Close()
	ctx := context.Background()
	items := Items([]string{"a", "b"})
	inputs := []struct {
		set  Set
		mode Mode
		want error
	}{
		{Set{Items: items}, Join, ErrInvalidParams},
		{Set{Items: items, Payloads: [][]byte{nil, nil}}, Intersection, ErrInvalidParams},
		{Set{Items: items}, Sum, ErrInvalidParams},
		{Set{Items: items, Values: []int64{1, 2}}, Cardinality, ErrInvalidParams},
		{Set{Items: items, Values: []int64{1, MaxValue + 1}}, Sum, ErrInvalidParams},
		{Set{Items: items, Payloads: [][]byte{nil, make([]byte, MaxPayload+1)}}, Join, ErrInvalidParams},
		{Set{Items: Items([]string{"a", "a"}), Payloads: [][]byte{{1}, {2}}}, Join, ErrDuplicate},
	}
	for i, in := range inputs {
		_, err := RunSender(ctx, c1, in.set, Config{Mode: in.mode})
		require.ErrorIs(t, err, in.want, "input %d", i)
	}
	// The receiver's set is items only, in every mode: payloads or values
	// (which only the sender's set carries) are refused, not ignored, before
	// anything is sent (on a closed connection a send would fail with
	// ErrClosed).
	closed, _ := transport.Pipe("a", "b", transport.Options{})
	closed.Close()
	for _, mode := range []Mode{Intersection, Cardinality, Join, Sum} {
		for _, set := range []Set{
			{Items: items, Payloads: [][]byte{{1}, {2}}},
			{Items: items, Values: []int64{1, 2}},
			{Items: items, Payloads: [][]byte{}},
			{Items: items, Values: []int64{}},
		} {
			_, err := RunReceiver(ctx, closed, set, Config{Mode: mode})
			require.ErrorIs(t, err, ErrInvalidParams, "%s %+v", mode, set)
			require.ErrorContains(t, err, "the receiver's set has")
		}
	}
	// KKRT's unsupported modes: see TestKKRTUnsupportedModes.
}

func TestMismatchedOptions(t *testing.T) {
	set := Set{Items: Items([]string{"a", "b"})}
	ys := Items([]string{"b", "c"})
	for _, tc := range []struct{ so, ro Config }{
		{Config{Mode: Intersection}, Config{Mode: Cardinality}},
		{Config{RevealToBoth: true}, Config{}},
		{Config{TagLen: 16}, Config{TagLen: 12}},
	} {
		pr := runPair(t, set, ys, tc.so, tc.ro)
		require.ErrorIs(t, pr.recvErr, ErrMismatch)
		require.ErrorIs(t, pr.sendErr, ErrMismatch)
	}
	// Two receivers.
	c1, c2 := transport.Pipe("r1", "r2", transport.Options{})
	errs := make(chan error, 1)
	go func() {
		_, err := RunReceiver(context.Background(), c1, Set{Items: ys}, Config{})
		errs <- err
	}()
	_, err := RunReceiver(context.Background(), c2, Set{Items: ys}, Config{})
	require.ErrorIs(t, err, ErrMismatch)
	require.ErrorIs(t, <-errs, ErrMismatch)
}

// tamperConn truncates or replaces the n-th message it sends.
type tamperConn struct {
	transport.Conn
	n      int
	sent   int
	tamper func([]byte) []byte
}

func (c *tamperConn) Send(ctx context.Context, msg []byte) error {
	if c.sent == c.n {
		msg = c.tamper(slices.Clone(msg))
	}
	c.sent++
	return c.Conn.Send(ctx, msg)
}

// TestTruncatedMessages truncates each message of each party in every mode
// and checks that the run fails with an error (ErrMalformed on the side that
// read it) rather than a panic, a hang or a wrong result.
func TestTruncatedMessages(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tampers := map[string]func([]byte) []byte{
		"drop-last-byte": func(b []byte) []byte { return b[:len(b)-1] },
		"half":           func(b []byte) []byte { return b[:len(b)/2] },
		"extra-byte":     func(b []byte) []byte { return append(b, 0) },
		"wrong-kind":     func(b []byte) []byte { b[0] = 0xee; return b },
	}
	for _, mode := range []Mode{Intersection, Cardinality, Join, Sum} {
		set, ys := genCase(r, 3, 3, 3, false, mode)
		o := Config{Mode: mode, RevealToBoth: true, BatchSize: MinBatchSize}
		// Count the messages of each side in a clean run.
		clean := runPair(t, set, ys, o, o)
		require.NoError(t, clean.recvErr)
		for side, count := range map[string]int64{"sender": clean.send.Stats.MessagesSent, "receiver": clean.recv.Stats.MessagesSent} {
			for n := range int(count) {
				for name, tf := range tampers {
					cs, cr := transport.Pipe("sender", "receiver", transport.Options{})
					var s, rc transport.Conn = cs, cr
					if side == "sender" {
						s = &tamperConn{Conn: cs, n: n, tamper: tf}
					} else {
						rc = &tamperConn{Conn: cr, n: n, tamper: tf}
					}
					pr := runPairOn(t, s, rc, set, ys, o, o)
					victim := pr.recvErr
					if side == "receiver" {
						victim = pr.sendErr
					}
					require.Error(t, victim, "%s: %s message %d %s", mode, side, n, name)
					require.ErrorIs(t, victim, ErrMalformed, "%s: %s message %d %s", mode, side, n, name)
				}
			}
		}
	}
}

func TestInvalidPointRejected(t *testing.T) {
	// A receiver that sends a non-canonical encoding as its blinded item.
	cs, cr := transport.Pipe("sender", "receiver", transport.Options{})
	defer cr.Close()
	ctx := context.Background()
	errc := make(chan error, 1)
	go func() {
		_, err := RunSender(ctx, cs, Set{Items: Items([]string{"a"})}, Config{})
		cs.Close()
		errc <- err
	}()
	hello, _ := (&helloMsg{Version: protocolVersion, role: roleReceiver, TagLen: DefaultTagLen, Count: 1}).MarshalBinary()
	require.NoError(t, cr.Send(ctx, hello))
	bad := bytes.Repeat([]byte{0xff}, 32)
	msg, _ := (&pointBatch{Points: bad}).MarshalBinary()
	require.NoError(t, cr.Send(ctx, msg))
	err := <-errc
	require.ErrorIs(t, err, ErrMalformed)
	require.Contains(t, err.Error(), `peer "receiver"`)
	require.Contains(t, err.Error(), "evaluate")
}

func TestContextCancel(t *testing.T) {
	cs, cr := transport.Pipe("sender", "receiver", transport.Options{})
	defer cs.Close()
	defer cr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// No sender: the receiver waits for its helloMsg and must give up.
	start := time.Now()
	_, err := RunReceiver(ctx, cr, Set{Items: Items([]string{"a"})}, Config{})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestProgress(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	set, ys := genCase(r, 40, 60, 20, false, Intersection)
	var sdone, stotal, rdone, rtotal, calls int
	so := Config{BatchSize: MinBatchSize, Progress: func(d, tot int) {
		require.GreaterOrEqual(t, d, sdone)
		sdone, stotal = d, tot
		calls++
	}}
	ro := Config{BatchSize: MinBatchSize, Progress: func(d, tot int) {
		require.GreaterOrEqual(t, d, rdone)
		rdone, rtotal = d, tot
	}}
	pr := runPair(t, set, ys, so, ro)
	require.NoError(t, pr.recvErr)
	require.Equal(t, len(set.Items)+len(ys), stotal)
	require.Equal(t, stotal, sdone)
	require.Equal(t, stotal, rtotal)
	require.Equal(t, rtotal, rdone)
	require.Greater(t, calls, 5)
}

func TestDeterministicUnderGlobalRandom(t *testing.T) {
	// With crypto/rand made deterministic, two runs with the same seed send
	// identical bytes and a run with another seed does not. The sender draws
	// its keys before its second Recv and the receiver draws after its first
	// Recv returns; the gate makes the receiver wait for the sender, so the
	// draws come in a fixed order.
	set := Set{Items: Items([]string{"a", "b", "c"})}
	ys := Items([]string{"c", "d"})
	runSeed := func(seed uint64) []byte {
		cryptotest.SetGlobalRandom(t, seed)
		cs, cr := transport.Pipe("sender", "receiver", transport.Options{})
		drawn := make(chan struct{})
		rec := &recordConn{Conn: cr, gate: drawn}
		pr := runPairOn(t, &signalConn{Conn: cs, signal: drawn}, rec, set, ys, Config{}, Config{})
		require.NoError(t, pr.recvErr)
		require.NoError(t, pr.sendErr)
		return rec.buf
	}
	first := runSeed(1)
	require.Equal(t, first, runSeed(1))
	require.NotEqual(t, first, runSeed(2))
}

// signalConn closes signal when its second Recv begins.
type signalConn struct {
	transport.Conn
	n      int
	signal chan struct{}
}

func (c *signalConn) Recv(ctx context.Context) ([]byte, error) {
	if c.n++; c.n == 2 {
		close(c.signal)
	}
	return c.Conn.Recv(ctx)
}

// recordConn records what it receives; if gate is set, its first Recv
// returns only once gate is closed.
type recordConn struct {
	transport.Conn
	buf  []byte
	gate chan struct{}
}

func (c *recordConn) Recv(ctx context.Context) ([]byte, error) {
	b, err := c.Conn.Recv(ctx)
	if c.gate != nil {
		<-c.gate
		c.gate = nil
	}
	c.buf = append(c.buf, b...)
	return b, err
}

func TestSolveSum(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 10))
	for _, v := range []int64{0, 1, -1, 255, 256, -65536, 1 << 20, -(1 << 20) - 7, r.Int64N(1 << 24), -r.Int64N(1 << 24)} {
		target := hashFreeMult(v)
		got, err := solveSum(ctx, target, 1<<30)
		require.NoError(t, err)
		require.Equal(t, v, got)
	}
	_, err := solveSum(ctx, hashFreeMult(5000), 4999)
	require.ErrorIs(t, err, ErrOutOfRange)
	_, err = solveSum(ctx, hashFreeMult(-70000), 65536)
	require.ErrorIs(t, err, ErrOutOfRange)
	// An element that is no small multiple of G.
	_, err = solveSum(ctx, hashToGroup([]byte("x")), 1<<16)
	require.ErrorIs(t, err, ErrOutOfRange)
}

func TestSumOutOfRange(t *testing.T) {
	set := Set{Items: Items([]string{"a", "b"}), Values: []int64{600, 500}}
	ys := Items([]string{"a", "b"})
	pr := runPair(t, set, ys, Config{Mode: Sum}, Config{Mode: Sum, MaxSum: 1000})
	require.ErrorIs(t, pr.recvErr, ErrOutOfRange)
	pr = runPair(t, set, ys, Config{Mode: Sum}, Config{Mode: Sum, MaxSum: 1100})
	require.NoError(t, pr.recvErr)
	require.EqualValues(t, 1100, pr.recv.Sum)
}

func TestPermAndShuffleUniform(t *testing.T) {
	// Each of the 6 permutations of 3 elements appears about 1/6 of the time:
	// chi-square with 5 degrees of freedom, critical value 20.5 (p = 0.001).
	rnd := rand.NewChaCha8([32]byte{3})
	counts := map[[3]int32]int{}
	const trials = 6000
	for range trials {
		p, err := randPerm(rnd, 3)
		require.NoError(t, err)
		counts[[3]int32(p)]++
	}
	require.Len(t, counts, 6)
	chi := 0.0
	for _, c := range counts {
		d := float64(c) - trials/6.0
		chi += d * d / (trials / 6.0)
	}
	require.Less(t, chi, 20.5)
}

func hashFreeMult(v int64) *ristretto255.Element {
	return ristretto255.NewElement().ScalarBaseMult(scalarFromInt64(v))
}

// TestHugeClaimedCount: a peer that claims 2^31 items and then goes away
// costs no memory in proportion to its claim, and gives a prompt error.
func TestHugeClaimedCount(t *testing.T) {
	for _, mode := range []Mode{Intersection, Cardinality} {
		for _, role := range []partyRole{roleSender, roleReceiver} {
			mine, theirs := transport.Pipe("me", "liar", transport.Options{})
			ctx := context.Background()
			var before runtime.MemStats
			runtime.ReadMemStats(&before) // before the hello, so nothing it triggers is missed
			errc := make(chan error, 1)
			o := Config{Mode: mode, RevealToBoth: true}
			go func() {
				var err error
				if role == roleSender {
					_, err = RunSender(ctx, mine, Set{Items: Items([]string{"a"})}, o)
				} else {
					_, err = RunReceiver(ctx, mine, Set{Items: Items([]string{"a"})}, o)
				}
				errc <- err
			}()
			peerRole := roleReceiver
			if role == roleReceiver {
				peerRole = roleSender
			}
			h := newHello(peerRole, 0, Config{Mode: mode, RevealToBoth: true, TagLen: DefaultTagLen})
			h.Count = MaxItems
			b, err := h.MarshalBinary()
			require.NoError(t, err)
			require.NoError(t, theirs.Send(ctx, b))
			theirs.Close()
			require.ErrorIs(t, <-errc, transport.ErrClosed)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "%s %v", mode, role)
			mine.Close()
		}
	}
}

// TestHugeClaimedCountKKRT (R1): a KKRT receiver that announces 2^24 items,
// runs the cheap base-OT bootstrap honestly and then stalls must not make
// the sender allocate the OT matrix of its claim (1.7 GiB): memory tracks
// the rows actually received.
func TestHugeClaimedCountKKRT(t *testing.T) {
	mine, theirs := transport.Pipe("me", "liar", transport.Options{})
	defer mine.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const claim = kkrt.DefaultMaxPeerItems
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	errc := make(chan error, 1)
	o := Config{Protocol: KKRT}
	go func() {
		_, err := RunSender(ctx, mine, Set{Items: Items([]string{"a", "b"})}, o)
		errc <- err
	}()
	h := newHello(roleReceiver, claim, Config{Protocol: KKRT, TagLen: DefaultTagLen})
	b, err := h.MarshalBinary()
	require.NoError(t, err)
	require.NoError(t, theirs.Send(ctx, b))
	_, err = theirs.Recv(ctx) // the sender's psi hello
	require.NoError(t, err)
	rh := kkrt.ReceiverHello{N: claim, Bins: kkrt.NumBins(claim)}
	b, err = rh.MarshalBinary()
	require.NoError(t, err)
	require.NoError(t, theirs.Send(ctx, b))
	_, err = theirs.Recv(ctx) // the kkrt sender hello
	require.NoError(t, err)
	_, err = ot.NewReceiver(ctx, theirs, ot.Config{Width: kkrt.CodeWidth, Workers: 1})
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond) // the sender now waits for OT rows
	theirs.Close()
	require.Error(t, <-errc)
	var after runtime.MemStats
	runtime.ReadMemStats(&after) // TotalAlloc counts what was allocated, even if freed since
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "allocated for a claim of %d items", claim)
}
