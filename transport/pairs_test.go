package transport

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/internal/errs"
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

// TestPeerErrorFormat checks the error text names peer and operation, and
// says "transport" once.
func TestPeerErrorFormat(t *testing.T) {
	err := peerErr("party-3", "recv", ErrTruncated)
	assert.EqualError(t, err, `transport: recv peer "party-3": truncated frame`)
	assert.True(t, errors.Is(err, ErrTruncated))
	err = peerErr("", "accept", ErrClosed)
	assert.EqualError(t, err, "transport: accept: connection closed")
	_, err = NewMemMesh(1, Options{})
	assert.EqualError(t, err, "transport: invalid parameters: a mesh needs at least 2 parties, got 1")
	assert.ErrorIs(t, err, errs.ErrInvalidParams, "the sentinel Veil's packages share")
}

// TestPeerErrors: every implementation's errors are *PeerError values that
// name the peer and the operation, with "transport" said once.
func TestPeerErrors(t *testing.T) {
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := context.Background()
			a, b := impl.pair(t, Options{MaxMessageSize: 100})
			defer b.Close()
			requirePeerErr(t, a.Send(ctx, make([]byte, 101)), "bob", "send", ErrMessageTooLarge)
			require.NoError(t, a.Send(ctx, make([]byte, 100)), "the connection survives a refused send")
			got, err := b.Recv(ctx)
			require.NoError(t, err)
			assert.Len(t, got, 100)
			assert.Equal(t, int64(1), a.Stats().MessagesSent)

			short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			_, err = b.Recv(short)
			requirePeerErr(t, err, "alice", "recv", context.DeadlineExceeded)

			require.NoError(t, a.Close())
			_, err = b.Recv(ctx)
			requirePeerErr(t, err, "alice", "recv", ErrClosed)
			err = a.Send(ctx, []byte("x"))
			requirePeerErr(t, err, "bob", "send", ErrClosed)
			assert.Equal(t, 1, strings.Count(err.Error(), "transport"), "error %q", err)
			assert.True(t, strings.HasPrefix(err.Error(), `transport: send peer "bob": connection closed`), "error %q", err)
		})
	}
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
