package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Setup bytes. After the TLS handshake the accepting side writes one byte
// saying whether it accepts the dialer's identity, so that Dial returns only
// once the other side has taken the connection; a dialer that is accepted
// answers with one byte, so that the accepting side counts the connection
// only if the dialer is still there (it may have given up waiting).
const (
	setupAccepted  byte = 1
	setupRejected  byte = 2
	setupConfirmed byte = 3
)

// smallFrame is the size up to which Send copies header and payload into
// one buffer, so that they travel in one TLS record.
const smallFrame = 64 << 10

// pastDeadline is a deadline already gone, used to unblock I/O at once.
var pastDeadline = time.Unix(1, 0)

// bindDeadline makes set's deadline follow ctx: ctx's deadline (or none)
// now, and a past one as soon as ctx is cancelled. The returned function
// stops following ctx and returns once no callback is running any more.
func bindDeadline(ctx context.Context, set func(time.Time) error) (release func()) {
	d, _ := ctx.Deadline()
	_ = set(d)
	if ctx.Done() == nil {
		return func() {}
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = set(pastDeadline)
		close(fired)
	})
	return func() {
		if !stop() {
			<-fired
		}
	}
}

// identityError marks a failed certificate check.
func identityError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrPeerIdentity, fmt.Sprintf(format, args...))
}

// verifyPeer checks the certificate the peer presented in cs against roots
// for the given usage and returns the peer's name, its common name.
func verifyPeer(cs tls.ConnectionState, roots *x509.CertPool, usage x509.ExtKeyUsage) (string, error) {
	if len(cs.PeerCertificates) == 0 {
		return "", identityError("peer presented no certificate")
	}
	leaf := cs.PeerCertificates[0]
	name, err := verifyChain(leaf, cs.PeerCertificates[1:], roots, usage)
	if err != nil {
		return "", identityError("certificate %q: %v", leaf.Subject.CommonName, err)
	}
	return name, nil
}

func serverConfig(id *Identity) *tls.Config {
	return &tls.Config{
		MinVersion:             tls.VersionTLS13,
		Certificates:           []tls.Certificate{id.cert},
		ClientAuth:             tls.RequireAnyClientCert, // verified below, against id.cas
		SessionTicketsDisabled: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, err := verifyPeer(cs, id.cas, x509.ExtKeyUsageClientAuth)
			return err
		},
	}
}

func clientConfig(id *Identity, peer string) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.cert},
		// The standard check matches a host name against the certificate's
		// DNS names; a party is named by its common name instead, so the
		// chain and the name are checked in VerifyConnection, which always
		// runs. Nothing is skipped.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			name, err := verifyPeer(cs, id.cas, x509.ExtKeyUsageServerAuth)
			if err != nil {
				return err
			}
			if name != peer {
				return identityError("expected %q, certificate names %q", peer, name)
			}
			return nil
		},
	}
}

// setupCause turns an error met while setting a connection up into one
// that wraps a sentinel or a context error.
func setupCause(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, ErrPeerIdentity):
		return err
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return context.DeadlineExceeded
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE):
		return fmt.Errorf("%w: %v", ErrClosed, err)
	}
	// Anything else is the TLS layer refusing: a certificate the peer
	// rejected (alert), no certificate, a protocol version below 1.3.
	return fmt.Errorf("%w: %v", ErrPeerIdentity, err)
}

// Listener accepts mutually authenticated TLS 1.3 connections.
type Listener struct {
	tcp  *net.TCPListener
	id   *Identity
	opts Options
	cfg  *tls.Config
	sem  chan struct{} // serialises the raw accept, whose deadline is shared
}

// Listen listens on the TCP address addr ("host:port"; port 0 picks a free
// one, see [Listener.Addr]) for parties that present a certificate chaining
// to id's CA pool, and presents id's certificate to them.
func Listen(addr string, id *Identity, opts Options) (*Listener, error) {
	if id == nil {
		return nil, invalidParams("listen needs an identity")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: listen on %s: %w", addr, err)
	}
	return &Listener{tcp: ln.(*net.TCPListener), id: id, opts: opts, cfg: serverConfig(id), sem: make(chan struct{}, 1)}, nil
}

// Addr is the address the listener listens on.
func (l *Listener) Addr() net.Addr { return l.tcp.Addr() }

// Close stops listening. Connections already accepted stay open.
func (l *Listener) Close() error { return l.tcp.Close() }

// Accept waits for a party to connect, completes the TLS handshake
// (bounded by ctx and [Options.HandshakeTimeout]) and returns the
// connection, whose Peer is the common name of the party's verified
// certificate. A party whose certificate does not chain to the CA pool is
// refused with an error wrapping [ErrPeerIdentity]; call Accept again for the
// next party. Accept may be called from several goroutines at once.
func (l *Listener) Accept(ctx context.Context) (Conn, error) {
	tc, name, err := l.handshake(ctx)
	if err != nil {
		return nil, err
	}
	return l.finish(ctx, tc, name, true)
}

// handshake accepts one TCP connection and runs the server side of the
// TLS handshake; it returns the peer's verified name.
func (l *Listener) handshake(ctx context.Context) (*tls.Conn, string, error) {
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, "", peerErr("", "accept", ctx.Err())
	}
	release := bindDeadline(ctx, l.tcp.SetDeadline)
	raw, err := l.tcp.Accept()
	release()
	<-l.sem
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", peerErr("", "accept", ctx.Err())
		}
		if errors.Is(err, os.ErrDeadlineExceeded) { // ctx's deadline, just before ctx saw it
			return nil, "", peerErr("", "accept", context.DeadlineExceeded)
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, "", peerErr("", "accept", fmt.Errorf("%w: listener closed", ErrClosed))
		}
		return nil, "", peerErr("", "accept", err)
	}
	hctx, cancel := context.WithTimeout(ctx, l.opts.handshakeTimeout())
	defer cancel()
	tc := tls.Server(raw, l.cfg)
	if err := tc.HandshakeContext(hctx); err != nil {
		_ = raw.Close()
		return nil, "", peerErr(raw.RemoteAddr().String(), "handshake", setupCause(hctx, err))
	}
	// VerifyConnection has checked the chain; the name is the common name.
	return tc, tc.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
}

// finish tells the dialer whether it is accepted and, if so, wraps the
// connection.
func (l *Listener) finish(ctx context.Context, tc *tls.Conn, name string, accept bool) (*streamConn, error) {
	hctx, cancel := context.WithTimeout(ctx, l.opts.handshakeTimeout())
	defer cancel()
	reply := setupAccepted
	if !accept {
		reply = setupRejected
	}
	release := bindDeadline(hctx, tc.SetWriteDeadline)
	_, err := tc.Write([]byte{reply})
	release()
	if err == nil && !accept {
		err = identityError("unexpected party %q", name)
	}
	if err == nil {
		// A fresh bound: the dialer answers at once if it is still there.
		cctx, cancel := context.WithTimeout(ctx, l.opts.handshakeTimeout())
		defer cancel()
		hctx = cctx
		var confirm [1]byte
		release := bindDeadline(hctx, tc.SetReadDeadline)
		_, err = io.ReadFull(tc, confirm[:])
		release()
		if err == nil && confirm[0] != setupConfirmed {
			err = fmt.Errorf("%w: unexpected setup answer %d", ErrPeerIdentity, confirm[0])
		}
	}
	if err != nil {
		_ = tc.NetConn().Close()
		return nil, peerErr(name, "accept", setupCause(hctx, err))
	}
	_ = tc.SetDeadline(time.Time{})
	return newStreamConn(tc, tc.NetConn(), name, l.opts), nil
}

// Dial connects to the party listening at addr, which must present a
// certificate chaining to id's CA pool with common name peer (else the
// error wraps [ErrPeerIdentity]), presents id's certificate, and returns once
// the other side has accepted the connection. ctx bounds the whole setup,
// as does [Options.HandshakeTimeout] once the TCP connection is made. If
// nothing answers at addr the error wraps [ErrClosed].
func Dial(ctx context.Context, addr string, id *Identity, peer string, opts Options) (Conn, error) {
	c, err := dial(ctx, addr, id, peer, opts)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func dial(ctx context.Context, addr string, id *Identity, peer string, opts Options) (*streamConn, error) {
	if id == nil || peer == "" {
		return nil, peerErr(peer, "dial", fmt.Errorf("%w: dial needs an identity and the peer's name", ErrInvalidParams))
	}
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		cause := ctx.Err()
		if cause == nil {
			cause = fmt.Errorf("%w: cannot connect to %s: %v", ErrClosed, addr, err)
		}
		return nil, peerErr(peer, "dial", cause)
	}
	hctx, cancel := context.WithTimeout(ctx, opts.handshakeTimeout())
	defer cancel()
	tc := tls.Client(raw, clientConfig(id, peer))
	if err := tc.HandshakeContext(hctx); err != nil {
		_ = raw.Close()
		return nil, peerErr(peer, "handshake", setupCause(hctx, err))
	}
	var reply [1]byte
	release := bindDeadline(hctx, tc.SetReadDeadline)
	_, err = io.ReadFull(tc, reply[:])
	release()
	if err == nil {
		switch reply[0] {
		case setupAccepted:
		case setupRejected:
			err = identityError("%s does not accept party %q here", peer, id.Name())
		default:
			err = fmt.Errorf("%w: unexpected setup reply %d", ErrPeerIdentity, reply[0])
		}
	}
	if err == nil {
		release := bindDeadline(hctx, tc.SetWriteDeadline)
		_, err = tc.Write([]byte{setupConfirmed})
		release()
	}
	if err != nil {
		_ = raw.Close()
		return nil, peerErr(peer, "handshake", setupCause(hctx, err))
	}
	_ = tc.SetDeadline(time.Time{})
	return newStreamConn(tc, tc.NetConn(), peer, opts), nil
}

// streamConn is a Conn over a stream: a TLS connection (or, in tests, plain
// TCP). A background reader moves incoming frames into the inbox, so that
// the peer's sends never wait for our Recv; it ends when the connection
// closes or fails.
type streamConn struct {
	peer    string
	maxSize int
	tc      net.Conn // the stream frames travel on: a *tls.Conn
	raw     net.Conn // the connection under it, closed to end everything
	in      *inbox
	counters

	sendSem chan struct{} // one Send at a time
	wbuf    []byte        // guarded by sendSem

	closing    atomic.Bool
	closeOnce  sync.Once
	readerDone chan struct{}
}

func newStreamConn(stream, raw net.Conn, peer string, opts Options) *streamConn {
	c := &streamConn{
		peer:       peer,
		maxSize:    opts.maxSize(),
		tc:         stream,
		raw:        raw,
		in:         newInbox(opts),
		sendSem:    make(chan struct{}, 1),
		readerDone: make(chan struct{}),
	}
	go c.readLoop()
	return c
}

// readLoop moves frames from the stream into the inbox. Before it reads a
// frame's payload it waits for room in the inbox, so that a peer that sends
// faster than Recv takes finds the stream not read (TCP back-pressure) and
// memory stays within the inbox's bounds.
func (c *streamConn) readLoop() {
	defer close(c.readerDone)
	for {
		size, midFrame, err := readHeader(c.tc, c.maxSize)
		if err == nil {
			if c.in.reserve(context.Background(), size) != nil {
				return // closed locally, or a send failed
			}
			var msg []byte
			if msg, err = readPayload(c.tc, size); err == nil {
				if c.in.commit(msg) != nil {
					return
				}
				continue
			}
			midFrame = true
		}
		c.in.fail(c.readCause(err, midFrame))
		// The stream is unusable past a bad or missing frame: drop it,
		// which also ends a Send blocked on a peer that is gone.
		_ = c.raw.Close()
		return
	}
}

func (c *streamConn) readCause(err error, midFrame bool) error {
	switch {
	case c.closing.Load():
		return ErrClosed
	case errors.Is(err, ErrClosed), errors.Is(err, ErrTruncated), errors.Is(err, ErrMessageTooLarge):
		return err
	case midFrame:
		return fmt.Errorf("%w: %v", ErrTruncated, err)
	}
	return fmt.Errorf("%w: %v", ErrClosed, err)
}

// Send writes msg as one frame. If ctx ends or the network fails while the
// frame is being written, the peer would see a torn frame, so the
// connection is closed: later Sends and, once the queued messages are
// taken, Recvs return ErrClosed.
func (c *streamConn) Send(ctx context.Context, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return peerErr(c.peer, "send", err)
	}
	if len(msg) > c.maxSize {
		return peerErr(c.peer, "send", fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, len(msg), c.maxSize))
	}
	select {
	case c.sendSem <- struct{}{}:
	case <-ctx.Done():
		return peerErr(c.peer, "send", ctx.Err())
	}
	defer func() { <-c.sendSem }()
	if err := c.in.failed(); err != nil {
		return peerErr(c.peer, "send", asClosed(err))
	}
	release := bindDeadline(ctx, c.tc.SetWriteDeadline)
	err := c.write(msg)
	release()
	if err != nil {
		cause := c.sendCause(ctx, err)
		c.in.fail(fmt.Errorf("%w: a send failed: %v", ErrClosed, cause))
		_ = c.raw.Close()
		return peerErr(c.peer, "send", cause)
	}
	c.sent(len(msg))
	return nil
}

func (c *streamConn) write(msg []byte) error {
	if len(msg) <= smallFrame {
		c.wbuf = appendFrame(c.wbuf[:0], msg)
		_, err := c.tc.Write(c.wbuf)
		return err
	}
	c.wbuf = binary.BigEndian.AppendUint32(c.wbuf[:0], uint32(len(msg)))
	if _, err := c.tc.Write(c.wbuf); err != nil {
		return err
	}
	_, err := c.tc.Write(msg)
	return err
}

func (c *streamConn) sendCause(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return context.DeadlineExceeded
	}
	if failed := c.in.failed(); failed != nil {
		return asClosed(failed)
	}
	return fmt.Errorf("%w: %v", ErrClosed, err)
}

// asClosed reports a connection's failure to a sender: ErrClosed, with the
// reason if it was something else.
func asClosed(err error) error {
	if errors.Is(err, ErrClosed) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrClosed, err)
}

func (c *streamConn) Recv(ctx context.Context) ([]byte, error) {
	m, err := c.in.pop(ctx)
	if err != nil {
		return nil, peerErr(c.peer, "recv", err)
	}
	c.recv(len(m))
	return m, nil
}

func (c *streamConn) Peer() string { return c.peer }

func (c *streamConn) Stats() Stats { return c.counters.stats() }

// Close closes the connection and waits for its reader to end. Messages
// already queued can still be taken by Recv; then it returns ErrClosed.
func (c *streamConn) Close() error {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		c.in.fail(ErrClosed)
		_ = c.raw.Close()
		<-c.readerDone
	})
	return nil
}
