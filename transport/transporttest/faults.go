package transporttest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/veil-go/veil/transport"
)

// The fault-injecting wrappers below turn a working [transport.Conn] into
// one that fails the way real peers fail: a party that crashes after its
// k-th message, one that goes silent or hangs, a message cut short or
// altered on the way, a slow link. Protocol tests and the examples' -drop
// flags use them instead of crash knobs in the protocols' APIs.
//
// Messages are counted per wrapped connection from 0, in the order Send
// is called; each wrapper changes only sends, so wrap the faulty party's
// side of each link (for a mesh, see [WrapMesh]).

// faultConn applies a per-message rule to Send.
type faultConn struct {
	transport.Conn
	mu   sync.Mutex
	sent int // messages passed to the rule so far
	// rule decides what happens to message i: the bytes to send (nil:
	// swallow it), an error to return instead, and whether to close the
	// connection after it.
	rule func(ctx context.Context, i int, msg []byte) (out []byte, err error, closeAfter bool)
}

func (c *faultConn) Send(ctx context.Context, msg []byte) error {
	c.mu.Lock()
	i := c.sent
	c.sent++
	c.mu.Unlock()
	out, err, closeAfter := c.rule(ctx, i, msg)
	if err == nil && out != nil {
		err = c.Conn.Send(ctx, out)
	}
	if closeAfter {
		_ = c.Conn.Close()
	}
	return err
}

// CloseAfter returns c wrapped so that it sends k messages and then closes,
// as a party that crashes right after its k-th message: the peer receives
// those k and then sees the connection closed; this side's later Sends fail
// with [transport.ErrClosed]. With k = 0 it closes at once.
func CloseAfter(c transport.Conn, k int) transport.Conn {
	if k <= 0 {
		_ = c.Close()
	}
	return &faultConn{Conn: c, rule: func(_ context.Context, i int, msg []byte) ([]byte, error, bool) {
		if i >= k {
			return nil, fmt.Errorf("transporttest: closed after %d messages: %w", k, transport.ErrClosed), true
		}
		return msg, nil, i == k-1
	}}
}

// SilentAfter returns c wrapped so that it sends k messages and then
// swallows every later one while staying connected, as a party that stops
// taking part without hanging up: the peer waits for a message that never
// comes, until its own deadline.
func SilentAfter(c transport.Conn, k int) transport.Conn {
	return &faultConn{Conn: c, rule: func(_ context.Context, i int, msg []byte) ([]byte, error, bool) {
		if i >= k {
			return nil, nil, false
		}
		return msg, nil, false
	}}
}

// StallAfter returns c wrapped so that it sends k messages and then blocks
// in every later Send until the caller's context ends, as a party that
// hangs.
func StallAfter(c transport.Conn, k int) transport.Conn {
	return &faultConn{Conn: c, rule: func(ctx context.Context, i int, msg []byte) ([]byte, error, bool) {
		if i >= k {
			<-ctx.Done()
			return nil, ctx.Err(), false
		}
		return msg, nil, false
	}}
}

// Truncate returns c wrapped so that message k is cut to its first n bytes
// (n at most the message's length).
func Truncate(c transport.Conn, k, n int) transport.Conn {
	return Corrupt(c, k, func(msg []byte) []byte { return msg[:min(n, len(msg))] })
}

// Corrupt returns c wrapped so that message k is replaced by fn of a copy of
// it; fn may change bytes, cut or extend it.
func Corrupt(c transport.Conn, k int, fn func(msg []byte) []byte) transport.Conn {
	return &faultConn{Conn: c, rule: func(_ context.Context, i int, msg []byte) ([]byte, error, bool) {
		if i == k {
			out := fn(append([]byte(nil), msg...))
			if out == nil {
				out = []byte{}
			}
			return out, nil, false
		}
		return msg, nil, false
	}}
}

// FlipBit returns c wrapped so that message k has bit 0 of byte pos
// inverted (pos counted from the end when negative); a message too short
// is sent unchanged.
func FlipBit(c transport.Conn, k, pos int) transport.Conn {
	return Corrupt(c, k, func(msg []byte) []byte {
		p := pos
		if p < 0 {
			p += len(msg)
		}
		if p >= 0 && p < len(msg) {
			msg[p] ^= 1
		}
		return msg
	})
}

// Delay returns c wrapped so that every Send first waits d (or until the
// caller's context ends), as a slow link.
func Delay(c transport.Conn, d time.Duration) transport.Conn {
	return &faultConn{Conn: c, rule: func(ctx context.Context, _ int, msg []byte) ([]byte, error, bool) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return msg, nil, false
		case <-ctx.Done():
			return nil, ctx.Err(), false
		}
	}}
}

// WrapMesh returns m with each of its connections wrapped by wrap(j, conn)
// the first time it is asked for (j is the peer's index), so a party of a
// mesh or star can be made faulty towards some or all of its peers. wrap
// may return the connection unchanged.
func WrapMesh(m transport.Mesh, wrap func(peer int, c transport.Conn) transport.Conn) transport.Mesh {
	return &faultMesh{Mesh: m, wrap: wrap, conns: map[int]transport.Conn{}}
}

type faultMesh struct {
	transport.Mesh
	wrap  func(int, transport.Conn) transport.Conn
	mu    sync.Mutex
	conns map[int]transport.Conn
}

func (m *faultMesh) Conn(j int) (transport.Conn, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.conns[j]; ok {
		return c, nil
	}
	c, err := m.Mesh.Conn(j)
	if err != nil {
		return nil, err
	}
	c = m.wrap(j, c)
	m.conns[j] = c
	return c, nil
}
