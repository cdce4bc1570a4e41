package transport

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prompt is how long a fault may take to surface as an error. It is far
// above what it takes; it only keeps a broken test from hanging.
const prompt = 3 * time.Second

// roguePair sets up a real TLS connection between "alice" (dialing, a raw
// *tls.Conn the test drives byte by byte) and "bob" (accepting, the Conn
// under test, whose Peer is "alice").
func roguePair(t *testing.T, opts Options) (Conn, *tls.Conn) {
	t.Helper()
	ca := newTestCA(t)
	alice, bob := issue(t, ca, "alice"), issue(t, ca, "bob")
	l, err := Listen("127.0.0.1:0", bob, opts)
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch := make(chan Conn, 1)
	go func() {
		c, err := l.Accept(ctx)
		assert.NoError(t, err)
		ch <- c
	}()
	raw, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	tc := tls.Client(raw, clientConfig(alice, "bob"))
	require.NoError(t, tc.HandshakeContext(ctx))
	var reply [1]byte
	_, err = io.ReadFull(tc, reply[:])
	require.NoError(t, err)
	require.Equal(t, setupAccepted, reply[0])
	_, err = tc.Write([]byte{setupConfirmed})
	require.NoError(t, err)
	c := <-ch
	require.NotNil(t, c)
	t.Cleanup(func() { _ = tc.Close(); _ = c.Close() })
	return c, tc
}

func header(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

// TestTLSReceiveFaults: a peer that misbehaves on the wire makes Recv fail
// promptly with the right sentinel, naming the peer.
func TestTLSReceiveFaults(t *testing.T) {
	good := appendFrame(nil, []byte("fine"))
	for _, tc := range []struct {
		name    string
		opts    Options
		act     func(t *testing.T, rogue *tls.Conn)
		goodMsg bool  // a good message arrives first
		want    error // the Recv error after it
	}{
		{"DisconnectBetweenMessages", Options{}, func(t *testing.T, r *tls.Conn) {
			_, _ = r.Write(good)
			_ = r.Close()
		}, true, ErrClosed},
		{"DisconnectMidMessage", Options{}, func(t *testing.T, r *tls.Conn) {
			_, _ = r.Write(append(good, append(header(100), make([]byte, 10)...)...))
			_ = r.Close()
		}, true, ErrTruncated},
		{"DisconnectMidHeader", Options{}, func(t *testing.T, r *tls.Conn) {
			_, _ = r.Write([]byte{0, 0})
			_ = r.Close()
		}, false, ErrTruncated},
		{"ResetMidMessage", Options{}, func(t *testing.T, r *tls.Conn) {
			_, _ = r.Write(append(header(1000), make([]byte, 10)...))
			time.Sleep(20 * time.Millisecond)
			_ = r.NetConn().(*net.TCPConn).SetLinger(0) // close sends RST
			_ = r.NetConn().Close()
		}, false, ErrTruncated},
		{"OversizedHeader", Options{MaxMessageSize: 1024}, func(t *testing.T, r *tls.Conn) {
			_, _ = r.Write(append(good, header(1025)...))
		}, true, ErrMessageTooLarge},
		{"HugeHeader", Options{}, func(t *testing.T, r *tls.Conn) {
			_, _ = r.Write(header(0xFFFFFFFF))
		}, false, ErrMessageTooLarge},
		{"NotTLS", Options{}, func(t *testing.T, r *tls.Conn) {
			_, _ = r.NetConn().Write([]byte("GET / HTTP/1.0\r\n\r\n"))
		}, false, ErrClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := goroutines()
			c, rogue := roguePair(t, tc.opts)
			tc.act(t, rogue)
			ctx, cancel := context.WithTimeout(context.Background(), prompt)
			defer cancel()
			if tc.goodMsg {
				got, err := c.Recv(ctx)
				require.NoError(t, err)
				require.Equal(t, "fine", string(got))
			}
			_, err := c.Recv(ctx)
			requirePeerErr(t, err, "alice", "recv", tc.want)
			require.NoError(t, ctx.Err(), "the fault surfaced only at the deadline")
			// The connection is dead for sending too.
			requirePeerErr(t, c.Send(ctx, []byte("x")), "alice", "send", ErrClosed)
			require.NoError(t, c.Close())
			_ = rogue.Close()
			requireGoroutinesBack(t, base)
		})
	}
}

// TestTLSStalls: a peer that stops talking, or stops reading, costs the
// caller its deadline and no more.
func TestTLSStalls(t *testing.T) {
	checkLeaks(t)
	t.Run("RecvSilentPeer", func(t *testing.T) {
		c, _ := roguePair(t, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Recv(ctx)
		requirePeerErr(t, err, "alice", "recv", context.DeadlineExceeded)
	})
	t.Run("RecvPeerStallsMidMessage", func(t *testing.T) {
		c, rogue := roguePair(t, Options{})
		_, err := rogue.Write(append(header(1000), make([]byte, 10)...))
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err = c.Recv(ctx)
		requirePeerErr(t, err, "alice", "recv", context.DeadlineExceeded)
	})

	// The rogue never reads: a big enough Send fills the socket buffers and
	// blocks until its context ends.
	big := make([]byte, 64<<20)
	t.Run("SendPastDeadline", func(t *testing.T) {
		base := goroutines()
		c, rogue := roguePair(t, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		requirePeerErr(t, c.Send(ctx, big), "alice", "send", context.DeadlineExceeded)
		assert.Less(t, time.Since(start), prompt)
		// A torn frame leaves the connection closed.
		requirePeerErr(t, c.Send(context.Background(), []byte("x")), "alice", "send", ErrClosed)
		require.NoError(t, c.Close())
		_ = rogue.Close()
		requireGoroutinesBack(t, base)
	})
	t.Run("SendCancelled", func(t *testing.T) {
		c, _ := roguePair(t, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		requirePeerErr(t, c.Send(ctx, big), "alice", "send", context.Canceled)
		assert.Less(t, time.Since(start), prompt)
	})
	t.Run("SendPeerDisconnects", func(t *testing.T) {
		c, rogue := roguePair(t, Options{})
		time.AfterFunc(100*time.Millisecond, func() { _ = rogue.NetConn().Close() })
		ctx, cancel := context.WithTimeout(context.Background(), prompt)
		defer cancel()
		requirePeerErr(t, c.Send(ctx, big), "alice", "send", ErrClosed)
		require.NoError(t, ctx.Err(), "the disconnect surfaced only at the deadline")
	})
	t.Run("SendQueuedBehindStalledSend", func(t *testing.T) {
		// A second Send waiting for the first honours its own context.
		c, _ := roguePair(t, Options{})
		long, cancel := context.WithTimeout(context.Background(), prompt)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- c.Send(long, big) }()
		time.Sleep(50 * time.Millisecond)
		short, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel2()
		requirePeerErr(t, c.Send(short, []byte("x")), "alice", "send", context.DeadlineExceeded)
		require.NoError(t, c.Close())
		require.ErrorIs(t, <-done, ErrClosed)
	})
}

// TestTLSIdentityFaults: a party that is not who it should be is refused
// at setup, on both sides, with ErrPeerIdentity.
func TestTLSIdentityFaults(t *testing.T) {
	ca, otherCA := newTestCA(t), newTestCA(t)
	alice, bob := issue(t, ca, "alice"), issue(t, ca, "bob")
	fakeAlice, fakeBob := issue(t, otherCA, "alice"), issue(t, otherCA, "bob")

	for _, tc := range []struct {
		name        string
		server      *Identity
		dial        func(ctx context.Context, addr string) error
		dialPeer    string // the peer named in the dialer's error
		wantDialErr error
	}{
		{"ServerHasWrongName", bob, func(ctx context.Context, addr string) error {
			_, err := Dial(ctx, addr, alice, "carol", Options{})
			return err
		}, "carol", ErrPeerIdentity},
		{"ServerFromOtherCA", fakeBob, func(ctx context.Context, addr string) error {
			_, err := Dial(ctx, addr, alice, "bob", Options{})
			return err
		}, "bob", ErrPeerIdentity},
		{"ClientFromOtherCA", bob, func(ctx context.Context, addr string) error {
			_, err := Dial(ctx, addr, fakeAlice, "bob", Options{})
			return err
		}, "bob", ErrPeerIdentity},
		{"ClientWithoutCertificate", bob, func(ctx context.Context, addr string) error {
			return rawTLSDial(ctx, addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
		}, "", nil},
		{"ClientTLS12", bob, func(ctx context.Context, addr string) error {
			return rawTLSDial(ctx, addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12,
				Certificates: []tls.Certificate{alice.cert}})
		}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := goroutines()
			l, err := Listen("127.0.0.1:0", tc.server, Options{})
			require.NoError(t, err)
			defer l.Close()
			ctx, cancel := context.WithTimeout(context.Background(), prompt)
			defer cancel()
			acceptErr := make(chan error, 1)
			go func() {
				c, err := l.Accept(ctx)
				if c != nil {
					_ = c.Close()
				}
				acceptErr <- err
			}()
			err = tc.dial(ctx, l.Addr().String())
			if tc.wantDialErr != nil {
				requirePeerErr(t, err, tc.dialPeer, "handshake", tc.wantDialErr)
			} else {
				require.Error(t, err)
			}
			err = <-acceptErr
			require.ErrorIs(t, err, ErrPeerIdentity)
			var pe *PeerError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "handshake", pe.Op)
			assert.NotEmpty(t, pe.Peer, "names the peer by address before it is authenticated")
			require.NoError(t, ctx.Err())
			require.NoError(t, l.Close())
			requireGoroutinesBack(t, base)
		})
	}
}

// rawTLSDial does a TLS handshake with cfg and waits for the setup reply,
// as a client that does not use this package would.
func rawTLSDial(ctx context.Context, addr string, cfg *tls.Config) error {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer raw.Close()
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return err
	}
	_, err = tc.Read(make([]byte, 1))
	return err
}

func TestTLSAcceptTimeouts(t *testing.T) {
	checkLeaks(t)
	ca := newTestCA(t)
	bob := issue(t, ca, "bob")
	l, err := Listen("127.0.0.1:0", bob, Options{HandshakeTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	defer l.Close()

	// A client that connects and says nothing.
	raw, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer raw.Close()
	start := time.Now()
	_, err = l.Accept(context.Background())
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var pe *PeerError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, raw.LocalAddr().String(), pe.Peer)
	assert.Less(t, time.Since(start), prompt)

	// Nobody connects: Accept ends with its context.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = l.Accept(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// A listener still works after an Accept's deadline fired.
	require.NoError(t, l.Close())
	l, err = Listen("127.0.0.1:0", bob, Options{})
	require.NoError(t, err)
	defer l.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	_, err = l.Accept(ctx2)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	alice := issue(t, ca, "alice")
	go func() {
		c, err := Dial(context.Background(), l.Addr().String(), alice, "bob", Options{})
		if err == nil {
			_ = c.Close()
		}
	}()
	c, err := l.Accept(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "alice", c.Peer())
	require.NoError(t, c.Close())

	// A closed listener: Accept fails with ErrClosed.
	require.NoError(t, l.Close())
	_, err = l.Accept(context.Background())
	require.ErrorIs(t, err, ErrClosed)
}

func TestTLSDialErrors(t *testing.T) {
	checkLeaks(t)
	ca := newTestCA(t)
	alice := issue(t, ca, "alice")
	// Nobody listens on a port just released.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = Dial(context.Background(), addr, alice, "bob", Options{})
	requirePeerErr(t, err, "bob", "dial", ErrClosed)

	_, err = Dial(context.Background(), addr, nil, "bob", Options{})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = Dial(context.Background(), addr, alice, "", Options{})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = Listen("127.0.0.1:0", nil, Options{})
	require.ErrorIs(t, err, ErrInvalidParams)
}

// TestListenerConcurrentAccept: several goroutines may Accept at once, and
// one party that stalls its handshake does not hold up the others.
func TestListenerConcurrentAccept(t *testing.T) {
	checkLeaks(t)
	const n = 4
	ca := newTestCA(t)
	hub := issue(t, ca, "hub")
	l, err := Listen("127.0.0.1:0", hub, Options{HandshakeTimeout: prompt})
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*prompt)
	defer cancel()

	silent, err := net.Dial("tcp", l.Addr().String()) // connects, never speaks
	require.NoError(t, err)
	defer silent.Close()

	accepted := make(chan string, n+1)
	for range n + 1 {
		go func() {
			c, err := l.Accept(ctx)
			if err != nil {
				accepted <- "error"
				return
			}
			accepted <- c.Peer()
			_ = c.Close()
		}()
	}
	for i := range n {
		id := issue(t, ca, PartyName(i))
		go func() {
			c, err := Dial(ctx, l.Addr().String(), id, "hub", Options{})
			if assert.NoError(t, err) {
				_ = c.Close()
			}
		}()
	}
	got := map[string]bool{}
	for range n {
		select {
		case name := <-accepted:
			got[name] = true
		case <-time.After(prompt):
			t.Fatal("accepts held up by a silent client")
		}
	}
	for i := range n {
		assert.True(t, got[PartyName(i)], "accepted %v", got)
	}
	_ = silent.Close()
	select {
	case name := <-accepted: // the silent one's Accept fails
		assert.Equal(t, "error", name)
	case <-time.After(2 * prompt):
		t.Fatal("Accept of a closed silent client did not end")
	}
}
