package transporttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/veil-go/veil/transport"
)

// frameHeaderSize is what [transport.Stats] counts per message on top of
// its payload.
const frameHeaderSize = 4

// waitLimit keeps a broken implementation from hanging the suite: every
// call that should return promptly gets this long.
const waitLimit = 10 * time.Second

// TestConn tests that a [transport.Conn] implementation meets the contract
// that the [transport.Conn] documentation states, as
// golang.org/x/net/nettest.TestConn does for a net.Conn: messages arrive
// whole, in order and unaliased; Stats count them with their 4-byte
// headers; Send does not wait for the peer's Recv while the peer's queue
// has room; contexts end calls; Close delivers what was sent before it and
// then [transport.ErrClosed], on both sides.
//
// makePair returns the two ends of a fresh connection, a's end first, with
// their default settings (which must let each side send 6 MiB, in 24
// messages, before the other receives). It is called once per subtest;
// the suite closes both ends when the subtest ends, and makePair may
// register the release of anything else with t.Cleanup.
//
// A user who adapts Veil to another transport runs it in a test of the
// adapter:
//
//	func TestMyConn(t *testing.T) {
//		transporttest.TestConn(t, func(t *testing.T) (a, b transport.Conn) {
//			return myconn.Pair(t)
//		})
//	}
func TestConn(t *testing.T, makePair func(t *testing.T) (a, b transport.Conn)) {
	t.Helper()
	for _, st := range []struct {
		name string
		fn   func(t *testing.T, a, b transport.Conn)
	}{
		{"RoundTripSizes", testRoundTripSizes},
		{"SendCopiesMessage", testSendCopiesMessage},
		{"BothSendThenReceive", testBothSendThenReceive},
		{"ConcurrentSenders", testConcurrentSenders},
		{"SlowReader", testSlowReader},
		{"ContextEnds", testContextEnds},
		{"Close", testClose},
		{"CloseWakesRecv", testCloseWakesRecv},
	} {
		t.Run(st.name, func(t *testing.T) {
			a, b := makePair(t)
			if a == nil || b == nil {
				t.Fatal("makePair returned a nil Conn")
			}
			defer func() {
				_ = a.Close()
				_ = b.Close()
			}()
			st.fn(t, a, b)
		})
	}
}

// bounded returns a context that ends after waitLimit, so that a call
// which should return does not hang the test.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

func mustSend(t *testing.T, ctx context.Context, c transport.Conn, msg []byte) {
	t.Helper()
	if err := c.Send(ctx, msg); err != nil {
		t.Fatalf("Send of %d bytes to %q: %v", len(msg), c.Peer(), err)
	}
}

func mustRecv(t *testing.T, ctx context.Context, c transport.Conn) []byte {
	t.Helper()
	m, err := c.Recv(ctx)
	if err != nil {
		t.Fatalf("Recv from %q: %v", c.Peer(), err)
	}
	if m == nil {
		t.Fatalf("Recv from %q returned a nil message", c.Peer())
	}
	return m
}

// wantErr checks that err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one wrapping %v", what, err, target)
	}
}

// pattern is a message of n bytes whose content depends on seed and on
// the position of each byte.
func pattern(seed, n int) []byte {
	m := make([]byte, n)
	for i := range m {
		m[i] = byte(seed*31 + i*7 + i>>8)
	}
	return m
}

func testRoundTripSizes(t *testing.T, a, b transport.Conn) {
	ctx := bounded(t)
	if a.Peer() == "" || b.Peer() == "" {
		t.Fatalf("empty peer names: %q, %q", a.Peer(), b.Peer())
	}
	if got := a.Stats(); got != (transport.Stats{}) {
		t.Fatalf("fresh connection has Stats %+v", got)
	}
	sizes := []int{0, 1, 3, 4, 5, 1000, 64 << 10, 64<<10 + 1, 1 << 20}
	var want int64
	for i, n := range sizes {
		mustSend(t, ctx, a, pattern(i, n))
		want += int64(n + frameHeaderSize)
	}
	for i, n := range sizes {
		got := mustRecv(t, ctx, b)
		if !bytes.Equal(got, pattern(i, n)) {
			t.Fatalf("message %d: got %d bytes, want %d bytes of its pattern", i, len(got), n)
		}
	}
	msgs := int64(len(sizes))
	if got, want := a.Stats(), (transport.Stats{BytesSent: want, MessagesSent: msgs}); got != want {
		t.Errorf("sender Stats %+v, want %+v", got, want)
	}
	if got, want := b.Stats(), (transport.Stats{BytesReceived: want, MessagesReceived: msgs}); got != want {
		t.Errorf("receiver Stats %+v, want %+v", got, want)
	}
	// And back the other way.
	mustSend(t, ctx, b, []byte("back"))
	if got := mustRecv(t, ctx, a); string(got) != "back" {
		t.Fatalf("got %q, want %q", got, "back")
	}
}

func testSendCopiesMessage(t *testing.T, a, b transport.Conn) {
	ctx := bounded(t)
	msg := []byte("hello")
	mustSend(t, ctx, a, msg)
	copy(msg, "XXXXX")
	mustSend(t, ctx, a, []byte("next"))
	got := mustRecv(t, ctx, b)
	if string(got) != "hello" {
		t.Fatalf("got %q: the message changed with the caller's buffer after Send", got)
	}
	copy(got, "YYYYY") // the received message is the caller's
	if got := mustRecv(t, ctx, b); string(got) != "next" {
		t.Fatalf("got %q, want %q", got, "next")
	}
}

func testBothSendThenReceive(t *testing.T, a, b transport.Conn) {
	// Each side sends 6 MiB before it receives, more than socket buffers
	// hold: Sends must not wait for the peer's Recv.
	ctx := bounded(t)
	const count, size = 24, 256 << 10
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	for _, c := range []transport.Conn{a, b} {
		wg.Go(func() {
			msg := make([]byte, size)
			for i := range count {
				msg[0] = byte(i)
				if err := c.Send(ctx, msg); err != nil {
					errc <- fmt.Errorf("send %d to %q: %w", i, c.Peer(), err)
					return
				}
			}
			for i := range count {
				got, err := c.Recv(ctx)
				if err != nil {
					errc <- fmt.Errorf("recv %d from %q: %w", i, c.Peer(), err)
					return
				}
				if len(got) != size || got[0] != byte(i) {
					errc <- fmt.Errorf("message %d from %q: %d bytes, first %d", i, c.Peer(), len(got), got[0])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func testConcurrentSenders(t *testing.T, a, b transport.Conn) {
	ctx := bounded(t)
	const senders, each = 4, 50
	var wg sync.WaitGroup
	errc := make(chan error, senders)
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				if err := a.Send(ctx, fmt.Appendf(nil, "%d:%d", s, i)); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	next := make([]int, senders) // per sender, messages stay in order
	for range senders * each {
		got := mustRecv(t, ctx, b)
		var s, i int
		if _, err := fmt.Sscanf(string(got), "%d:%d", &s, &i); err != nil || s < 0 || s >= senders {
			t.Fatalf("message %q is none of those sent", got)
		}
		if i != next[s] {
			t.Fatalf("sender %d: got message %d, want %d", s, i, next[s])
		}
		next[s]++
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func testSlowReader(t *testing.T, a, b transport.Conn) {
	// A reader that pauses now and then still gets every message, whole and
	// in order.
	ctx := bounded(t)
	const count = 200
	size := func(i int) int { return (i * 7919) % (96 << 10) }
	errc := make(chan error, 1)
	go func() {
		for i := range count {
			if err := a.Send(ctx, pattern(i, size(i))); err != nil {
				errc <- fmt.Errorf("send %d: %w", i, err)
				return
			}
		}
		errc <- nil
	}()
	for i := range count {
		if i%20 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
		got := mustRecv(t, ctx, b)
		if !bytes.Equal(got, pattern(i, size(i))) {
			t.Fatalf("message %d: %d bytes, not the %d sent", i, len(got), size(i))
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func testContextEnds(t *testing.T, a, b transport.Conn) {
	ctx := bounded(t)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := b.Recv(short)
	wantErr(t, "Recv past its deadline", err, context.DeadlineExceeded)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Recv took %v past a 50ms deadline", d)
	}

	cancelled, cancel2 := context.WithCancel(ctx)
	time.AfterFunc(20*time.Millisecond, cancel2)
	_, err = b.Recv(cancelled)
	wantErr(t, "Recv cancelled", err, context.Canceled)
	wantErr(t, "Send with a cancelled context", a.Send(cancelled, []byte("x")), context.Canceled)

	// The connection still works afterwards, and nothing of the refused
	// Send arrives.
	mustSend(t, ctx, a, []byte("after"))
	if got := mustRecv(t, ctx, b); string(got) != "after" {
		t.Fatalf("got %q, want %q", got, "after")
	}
}

func testClose(t *testing.T, a, b transport.Conn) {
	ctx := bounded(t)
	mustSend(t, ctx, a, []byte("last words"))
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if got := mustRecv(t, ctx, b); string(got) != "last words" {
		t.Fatalf("got %q: messages sent before Close must arrive", got)
	}
	_, err := b.Recv(ctx)
	wantErr(t, "peer's Recv after Close", err, transport.ErrClosed)
	_, err = a.Recv(ctx)
	wantErr(t, "Recv after Close", err, transport.ErrClosed)
	wantErr(t, "Send after Close", a.Send(ctx, []byte("x")), transport.ErrClosed)
	// b has seen the end (its Recv failed): its sends fail too.
	wantErr(t, "peer's Send after Close", b.Send(ctx, []byte("x")), transport.ErrClosed)
	if err := b.Close(); err != nil {
		t.Fatalf("peer's Close: %v", err)
	}
}

func testCloseWakesRecv(t *testing.T, a, b transport.Conn) {
	ctx := bounded(t)
	errc := make(chan error, 2)
	go func() { _, err := a.Recv(ctx); errc <- err }()
	go func() { _, err := b.Recv(ctx); errc <- err }()
	time.Sleep(20 * time.Millisecond)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for range 2 {
		select {
		case err := <-errc:
			wantErr(t, "Recv blocked when a side closed", err, transport.ErrClosed)
		case <-time.After(5 * time.Second):
			t.Fatal("Recv not woken by Close")
		}
	}
}

// TestMesh tests that meshes, one [transport.Mesh] per party of one group
// (meshes[i] is party i's view), agree with each other and carry messages:
// each view's Self is its index and Size the group's; party i reaches party
// j exactly when j reaches i, and never itself or an index outside the
// group ([transport.ErrNoLink]); the peers a party sees have distinct,
// non-empty names, and every party that reaches party j calls it by the
// same name; every link carries a message both ways, from the right
// party; and a mesh's Stats are the sum of its connections'. It leaves the
// meshes open.
func TestMesh(t *testing.T, meshes []transport.Mesh) {
	t.Helper()
	conns := meshLinks(t, meshes)
	before := make([]transport.Stats, len(meshes))
	for i, m := range meshes {
		before[i] = m.Stats()
	}
	want := meshExchange(t, conns)
	for i, m := range meshes {
		var sum transport.Stats
		for _, c := range conns[i] {
			if c != nil {
				sum = sum.Add(c.Stats())
			}
		}
		got := m.Stats()
		if got != sum {
			t.Errorf("party %d: mesh Stats %+v, its connections' sum %+v", i, got, sum)
		}
		b := before[i]
		delta := transport.Stats{
			BytesSent: got.BytesSent - b.BytesSent, BytesReceived: got.BytesReceived - b.BytesReceived,
			MessagesSent: got.MessagesSent - b.MessagesSent, MessagesReceived: got.MessagesReceived - b.MessagesReceived,
		}
		if delta != want[i] {
			t.Errorf("party %d: the exchange counted %+v, want %+v", i, delta, want[i])
		}
	}
}

// meshLinks checks the meshes' indices, links and peer names, and returns
// conns[i][j], party i's connection to party j (nil where there is no
// link).
func meshLinks(t *testing.T, meshes []transport.Mesh) [][]transport.Conn {
	t.Helper()
	n := len(meshes)
	if n < 2 {
		t.Fatalf("a group of %d parties", n)
	}
	conns := make([][]transport.Conn, n)
	names := make([]string, n) // party j's name as its peers see it
	for i, m := range meshes {
		if m.Self() != i || m.Size() != n {
			t.Fatalf("meshes[%d]: Self %d, Size %d; want %d, %d", i, m.Self(), m.Size(), i, n)
		}
		for _, j := range []int{-1, i, n} {
			if _, err := m.Conn(j); !errors.Is(err, transport.ErrNoLink) {
				t.Fatalf("party %d: Conn(%d) gave error %v, want one wrapping ErrNoLink", i, j, err)
			}
		}
		conns[i] = make([]transport.Conn, n)
		seen := map[string]int{}
		for j := range n {
			c, err := m.Conn(j)
			if err != nil {
				if !errors.Is(err, transport.ErrNoLink) {
					t.Fatalf("party %d: Conn(%d): %v", i, j, err)
				}
				continue
			}
			name := c.Peer()
			if name == "" {
				t.Fatalf("party %d: peer %d has an empty name", i, j)
			}
			if k, dup := seen[name]; dup {
				t.Fatalf("party %d: peers %d and %d are both named %q", i, k, j, name)
			}
			seen[name] = j
			if names[j] == "" {
				names[j] = name
			} else if names[j] != name {
				t.Fatalf("party %d calls party %d %q, another party calls it %q", i, j, name, names[j])
			}
			conns[i][j] = c
		}
	}
	for i := range n {
		for j := range n {
			if (conns[i][j] == nil) != (conns[j][i] == nil) {
				t.Fatalf("party %d reaches party %d: %v, but party %d reaches party %d: %v",
					i, j, conns[i][j] != nil, j, i, conns[j][i] != nil)
			}
		}
	}
	return conns
}

// meshExchange sends a message both ways over every link, checks what
// arrives and from whom, and returns the traffic it made, per party.
func meshExchange(t *testing.T, conns [][]transport.Conn) []transport.Stats {
	t.Helper()
	ctx := bounded(t)
	msg := func(from, to int) []byte { return fmt.Appendf(nil, "%d->%d", from, to) }
	want := make([]transport.Stats, len(conns))
	for i := range conns {
		for j, c := range conns[i] {
			if c != nil {
				mustSend(t, ctx, c, msg(i, j))
				want[i].MessagesSent++
				want[i].BytesSent += int64(len(msg(i, j)) + frameHeaderSize)
			}
		}
	}
	for i := range conns {
		for j, c := range conns[i] {
			if c == nil {
				continue
			}
			got := mustRecv(t, ctx, c)
			if !bytes.Equal(got, msg(j, i)) {
				t.Fatalf("party %d got %q from party %d, want %q", i, got, j, msg(j, i))
			}
			want[i].MessagesReceived++
			want[i].BytesReceived += int64(len(got) + frameHeaderSize)
		}
	}
	return want
}
