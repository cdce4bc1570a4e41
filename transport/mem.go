package transport

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// counters are a connection's traffic figures, updated atomically.
type counters struct {
	bytesSent, bytesRecv, msgsSent, msgsRecv atomic.Int64
}

func (c *counters) sent(n int) {
	c.bytesSent.Add(int64(n + frameHeaderSize))
	c.msgsSent.Add(1)
}

func (c *counters) recv(n int) {
	c.bytesRecv.Add(int64(n + frameHeaderSize))
	c.msgsRecv.Add(1)
}

func (c *counters) stats() Stats {
	return Stats{
		BytesSent:        c.bytesSent.Load(),
		BytesReceived:    c.bytesRecv.Load(),
		MessagesSent:     c.msgsSent.Load(),
		MessagesReceived: c.msgsRecv.Load(),
	}
}

// memConn is one end of an in-memory connection.
type memConn struct {
	peer    string
	maxSize int
	in, out *inbox // mine, and the peer's; Close fails both
	counters
	closeOnce sync.Once
}

// Pipe returns the two ends of an in-memory connection between parties named
// a and b: the first end is a's (its Peer is b), the second is b's. Each
// end's receive queue is bounded by opts as a TLS connection's is: a Send
// to a peer whose queue is full waits until the peer's Recv makes room, or
// until its ctx ends, in which case nothing is delivered and the connection
// stays usable.
func Pipe(a, b string, opts Options) (Conn, Conn) {
	qa, qb := newInbox(opts), newInbox(opts)
	ca := &memConn{peer: b, maxSize: opts.maxSize(), in: qa, out: qb}
	cb := &memConn{peer: a, maxSize: opts.maxSize(), in: qb, out: qa}
	return ca, cb
}

func (c *memConn) Send(ctx context.Context, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return peerErr(c.peer, "send", err)
	}
	if len(msg) > c.maxSize {
		return peerErr(c.peer, "send", fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, len(msg), c.maxSize))
	}
	// A close on either side fails c.out, so its reservation reports it.
	if err := c.out.reserve(ctx, len(msg)); err != nil {
		return peerErr(c.peer, "send", err)
	}
	m := make([]byte, len(msg))
	copy(m, msg)
	if err := c.out.commit(m); err != nil {
		return peerErr(c.peer, "send", err)
	}
	c.sent(len(msg))
	return nil
}

func (c *memConn) Recv(ctx context.Context) ([]byte, error) {
	m, err := c.in.pop(ctx)
	if err != nil {
		return nil, peerErr(c.peer, "recv", err)
	}
	c.recv(len(m))
	return m, nil
}

func (c *memConn) Peer() string { return c.peer }

func (c *memConn) Stats() Stats { return c.counters.stats() }

// Close ends both directions: the peer's later Sends (and one waiting for
// room) fail, and the peer's Recv returns ErrClosed once it has drained what
// we sent before closing.
func (c *memConn) Close() error {
	c.closeOnce.Do(func() {
		c.in.fail(ErrClosed)
		c.out.fail(ErrClosed)
	})
	return nil
}

// mesh is a Mesh over a slice of connections, nil where there is no link.
type mesh struct {
	self  int
	conns []Conn
}

// NewMesh returns the Mesh of party self whose connection to party j is
// conns[j] (nil where there is no link, and at self). It lets a caller
// assemble a mesh from connections made by other means, such as its own
// implementation of [Conn].
func NewMesh(self int, conns []Conn) (Mesh, error) {
	if self < 0 || self >= len(conns) {
		return nil, invalidParams("party %d of %d", self, len(conns))
	}
	if conns[self] != nil {
		return nil, invalidParams("party %d has a connection to itself", self)
	}
	return &mesh{self: self, conns: conns}, nil
}

func (m *mesh) Self() int { return m.self }
func (m *mesh) Size() int { return len(m.conns) }

func (m *mesh) Conn(j int) (Conn, error) {
	if j < 0 || j >= len(m.conns) || m.conns[j] == nil {
		return nil, fmt.Errorf("transport: %w: party %d to party %d (of %d)", ErrNoLink, m.self, j, len(m.conns))
	}
	return m.conns[j], nil
}

func (m *mesh) Stats() Stats {
	var s Stats
	for _, c := range m.conns {
		if c != nil {
			s = s.Add(c.Stats())
		}
	}
	return s
}

func (m *mesh) Close() error {
	var first error
	for _, c := range m.conns {
		if c != nil {
			if err := c.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// PartyName is the name this package gives party i in meshes it builds:
// "party-0", "party-1", and so on. TLS meshes issue certificates with these
// common names.
func PartyName(i int) string { return fmt.Sprintf("party-%d", i) }

// NewMemMesh connects n parties in memory, every pair directly, and returns
// each party's view.
func NewMemMesh(n int, opts Options) ([]Mesh, error) {
	return newMemMesh(n, opts, func(i, j int) bool { return true })
}

// NewMemStar connects n parties in memory as a star: party 0 is the hub and
// reaches every other party; the spokes 1..n-1 reach only the hub.
func NewMemStar(n int, opts Options) ([]Mesh, error) {
	return newMemMesh(n, opts, func(i, j int) bool { return i == 0 })
}

func newMemMesh(n int, opts Options, linked func(i, j int) bool) ([]Mesh, error) {
	if n < 2 {
		return nil, invalidParams("a mesh needs at least 2 parties, got %d", n)
	}
	conns := make([][]Conn, n)
	for i := range conns {
		conns[i] = make([]Conn, n)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if linked(i, j) {
				conns[i][j], conns[j][i] = Pipe(PartyName(i), PartyName(j), opts)
			}
		}
	}
	out := make([]Mesh, n)
	for i := range out {
		out[i] = &mesh{self: i, conns: conns[i]}
	}
	return out, nil
}
