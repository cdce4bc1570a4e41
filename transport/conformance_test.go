package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pairMaker returns the two ends of a fresh connection between parties
// "alice" (first end, whose Peer is "bob") and "bob".
type pairMaker func(t testing.TB, opts Options) (Conn, Conn)

func memPair(t testing.TB, opts Options) (Conn, Conn) {
	return Pipe("alice", "bob", opts)
}

// tlsPair connects alice (dialing) to bob (accepting) over mutual TLS on
// 127.0.0.1.
func tlsPair(t testing.TB, opts Options) (Conn, Conn) {
	t.Helper()
	ca := newTestCA(t)
	alice, bob := issue(t, ca, "alice"), issue(t, ca, "bob")
	l, err := Listen("127.0.0.1:0", bob, opts)
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type accepted struct {
		c   Conn
		err error
	}
	ch := make(chan accepted, 1)
	go func() {
		c, err := l.Accept(ctx)
		ch <- accepted{c, err}
	}()
	a, err := Dial(ctx, l.Addr().String(), alice, "bob", opts)
	require.NoError(t, err)
	got := <-ch
	require.NoError(t, got.err)
	return a, got.c
}

func newTestCA(t testing.TB) *CA {
	t.Helper()
	ca, err := NewCA("test CA")
	require.NoError(t, err)
	return ca
}

func issue(t testing.TB, ca *CA, name string) *Identity {
	t.Helper()
	id, err := ca.Issue(name)
	require.NoError(t, err)
	return id
}

var implementations = []struct {
	name string
	pair pairMaker
}{
	{"mem", memPair},
	{"tcp", tcpPair}, // framing over plain TCP, no TLS: a baseline
	{"tls", tlsPair},
}

// TestConformance runs the same behavioural suite on every Conn
// implementation.
func TestConformance(t *testing.T) {
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			base := goroutines()
			conformance(t, impl.pair)
			requireGoroutinesBack(t, base)
		})
	}
}

// requirePeerErr checks that err is a *PeerError naming peer and op and
// wrapping target.
func requirePeerErr(t *testing.T, err error, peer, op string, target error) {
	t.Helper()
	require.Error(t, err)
	var pe *PeerError
	require.ErrorAs(t, err, &pe, "error %v", err)
	assert.Equal(t, peer, pe.Peer, "error %v", err)
	assert.Equal(t, op, pe.Op, "error %v", err)
	require.ErrorIs(t, err, target)
	assert.Contains(t, err.Error(), peer)
}

func conformance(t *testing.T, newPair pairMaker) {
	ctx := context.Background()

	t.Run("RoundTripSizes", func(t *testing.T) {
		a, b := newPair(t, Options{})
		defer a.Close()
		defer b.Close()
		assert.Equal(t, "bob", a.Peer())
		assert.Equal(t, "alice", b.Peer())
		sizes := []int{0, 1, 3, 4, 5, 1000, smallFrame, smallFrame + 1, 1 << 20}
		var want int64
		for _, n := range sizes {
			msg := bytes.Repeat([]byte{byte(n)}, n)
			require.NoError(t, a.Send(ctx, msg))
			want += int64(n + frameHeaderSize)
		}
		for _, n := range sizes {
			got, err := b.Recv(ctx)
			require.NoError(t, err)
			require.NotNil(t, got)
			require.Len(t, got, n)
			require.Equal(t, bytes.Repeat([]byte{byte(n)}, n), got)
		}
		assert.Equal(t, Stats{BytesSent: want, MessagesSent: int64(len(sizes))}, a.Stats())
		assert.Equal(t, Stats{BytesReceived: want, MessagesReceived: int64(len(sizes))}, b.Stats())
	})

	t.Run("SendCopiesMessage", func(t *testing.T) {
		a, b := newPair(t, Options{})
		defer a.Close()
		defer b.Close()
		msg := []byte("hello")
		require.NoError(t, a.Send(ctx, msg))
		copy(msg, "XXXXX")
		got, err := b.Recv(ctx)
		require.NoError(t, err)
		assert.Equal(t, "hello", string(got))
	})

	t.Run("BothSendThenReceive", func(t *testing.T) {
		// Each side sends more than socket buffers hold before receiving:
		// sends must not wait for the peer's Recv.
		a, b := newPair(t, Options{})
		defer a.Close()
		defer b.Close()
		const count, size = 24, 256 << 10
		var wg sync.WaitGroup
		for _, c := range []Conn{a, b} {
			wg.Go(func() {
				msg := make([]byte, size)
				for i := range count {
					msg[0] = byte(i)
					assert.NoError(t, c.Send(ctx, msg))
				}
				for i := range count {
					got, err := c.Recv(ctx)
					if assert.NoError(t, err) {
						assert.Equal(t, byte(i), got[0])
					}
				}
			})
		}
		wg.Wait()
	})

	t.Run("ConcurrentSenders", func(t *testing.T) {
		a, b := newPair(t, Options{})
		defer a.Close()
		defer b.Close()
		const senders, each = 4, 50
		var wg sync.WaitGroup
		for s := range senders {
			wg.Go(func() {
				for i := range each {
					assert.NoError(t, a.Send(ctx, fmt.Appendf(nil, "%d:%d", s, i)))
				}
			})
		}
		next := make([]int, senders) // per sender, messages must stay in order
		for range senders * each {
			got, err := b.Recv(ctx)
			require.NoError(t, err)
			var s, i int
			_, err = fmt.Sscanf(string(got), "%d:%d", &s, &i)
			require.NoError(t, err)
			require.Equal(t, next[s], i)
			next[s]++
		}
		wg.Wait()
	})

	t.Run("TooLargeToSend", func(t *testing.T) {
		a, b := newPair(t, Options{MaxMessageSize: 100})
		defer a.Close()
		defer b.Close()
		requirePeerErr(t, a.Send(ctx, make([]byte, 101)), "bob", "send", ErrMessageTooLarge)
		require.NoError(t, a.Send(ctx, make([]byte, 100)), "the connection survives a refused send")
		got, err := b.Recv(ctx)
		require.NoError(t, err)
		assert.Len(t, got, 100)
		assert.Equal(t, int64(1), a.Stats().MessagesSent)
	})

	t.Run("ContextEnds", func(t *testing.T) {
		a, b := newPair(t, Options{})
		defer a.Close()
		defer b.Close()
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := b.Recv(short)
		requirePeerErr(t, err, "alice", "recv", context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 3*time.Second)

		cancelled, cancel2 := context.WithCancel(ctx)
		time.AfterFunc(20*time.Millisecond, cancel2)
		_, err = b.Recv(cancelled)
		requirePeerErr(t, err, "alice", "recv", context.Canceled)
		requirePeerErr(t, a.Send(cancelled, []byte("x")), "bob", "send", context.Canceled)

		// The connection still works afterwards.
		require.NoError(t, a.Send(ctx, []byte("after")))
		got, err := b.Recv(ctx)
		require.NoError(t, err)
		assert.Equal(t, "after", string(got))
	})

	t.Run("Close", func(t *testing.T) {
		a, b := newPair(t, Options{})
		require.NoError(t, a.Send(ctx, []byte("last words")))
		require.NoError(t, a.Close())
		require.NoError(t, a.Close(), "Close twice is fine")
		got, err := b.Recv(ctx)
		require.NoError(t, err, "messages sent before Close arrive")
		assert.Equal(t, "last words", string(got))
		_, err = b.Recv(ctx)
		requirePeerErr(t, err, "alice", "recv", ErrClosed)
		_, err = a.Recv(ctx)
		requirePeerErr(t, err, "bob", "recv", ErrClosed)
		requirePeerErr(t, a.Send(ctx, []byte("x")), "bob", "send", ErrClosed)
		// b has seen the end (its Recv failed): its sends fail too.
		requirePeerErr(t, b.Send(ctx, []byte("x")), "alice", "send", ErrClosed)
		require.NoError(t, b.Close())
	})

	t.Run("CloseWakesRecv", func(t *testing.T) {
		a, b := newPair(t, Options{})
		defer a.Close()
		errc := make(chan error, 2)
		go func() { _, err := a.Recv(ctx); errc <- err }()
		go func() { _, err := b.Recv(ctx); errc <- err }()
		time.Sleep(20 * time.Millisecond)
		require.NoError(t, b.Close())
		for range 2 {
			select {
			case err := <-errc:
				require.ErrorIs(t, err, ErrClosed)
			case <-time.After(5 * time.Second):
				t.Fatal("Recv not woken by Close")
			}
		}
	})
}

// TestPeerErrorFormat checks the error text names peer and operation.
func TestPeerErrorFormat(t *testing.T) {
	err := peerErr("party-3", "recv", ErrTruncated)
	assert.Contains(t, err.Error(), `recv peer "party-3"`)
	assert.Contains(t, err.Error(), ErrTruncated.Error())
	assert.True(t, errors.Is(err, ErrTruncated))
	err = peerErr("", "accept", ErrClosed)
	assert.NotContains(t, err.Error(), `peer ""`)
	assert.Contains(t, err.Error(), "accept")
}

// tcpPair connects alice and bob with the TLS connection's framing over
// plain TCP on 127.0.0.1, without TLS: a baseline for the benchmarks, and a
// check that framing does not depend on TLS record boundaries.
func tcpPair(t testing.TB, opts Options) (Conn, Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		assert.NoError(t, err)
		accepted <- c
	}()
	ca, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	cb := <-accepted
	require.NotNil(t, cb)
	return newStreamConn(ca, ca, "bob", opts), newStreamConn(cb, cb, "alice", opts)
}
