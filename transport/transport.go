package transport

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// DefaultMaxMessageSize is the largest message a connection accepts unless
// [Options.MaxMessageSize] says otherwise: 256 MiB.
const DefaultMaxMessageSize = 256 << 20

// frameHeaderSize is the length prefix that precedes every message on the
// wire. Byte counts include it, so in-memory and TLS connections report the
// same figures for the same traffic (TLS record overhead aside).
const frameHeaderSize = 4

// Sentinel errors. Errors returned by this package wrap one of these (or a
// context error) so that callers can test for the cause with errors.Is.
var (
	// ErrClosed: the connection was closed, locally or by the peer.
	ErrClosed = errors.New("transport: connection closed")
	// ErrMessageTooLarge: a message exceeds the maximum message size, on send
	// or as announced by a peer's frame header.
	ErrMessageTooLarge = errors.New("transport: message too large")
	// ErrTruncated: the peer's stream ended in the middle of a frame.
	ErrTruncated = errors.New("transport: truncated frame")
	// ErrPeerIdentity: the peer's certificate does not name the party
	// expected at that index.
	ErrPeerIdentity = errors.New("transport: unexpected peer identity")
	// ErrNoLink: the mesh has no link between the two parties (a spoke of a
	// star asking for another spoke, or a party asking for itself).
	ErrNoLink = errors.New("transport: no link to that party")
	// ErrInvalidParams: a constructor was given unusable arguments.
	ErrInvalidParams = errors.New("transport: invalid parameters")
)

// Conn is a connection to one peer that moves whole messages.
//
// Send and Recv may be called concurrently with each other; concurrent calls
// to Send (or to Recv) are serialised. A message handed to Send may be reused
// by the caller once Send returns; a message returned by Recv belongs to the
// caller.
type Conn interface {
	// Send delivers msg to the peer as one message.
	Send(ctx context.Context, msg []byte) error
	// Recv returns the next message from the peer.
	Recv(ctx context.Context) ([]byte, error)
	// Peer names the peer: its certificate's common name over TLS, the name
	// given at construction in memory.
	Peer() string
	// Stats reports the traffic so far.
	Stats() Stats
	// Close ends the connection; a peer blocked in Recv gets ErrClosed.
	Close() error
}

// Stats counts traffic on a connection or a mesh. Bytes include the 4-byte
// frame header of each message.
type Stats struct {
	BytesSent, BytesReceived       int64
	MessagesSent, MessagesReceived int64
}

// Add returns the element-wise sum of two Stats.
func (s Stats) Add(o Stats) Stats {
	return Stats{
		BytesSent:        s.BytesSent + o.BytesSent,
		BytesReceived:    s.BytesReceived + o.BytesReceived,
		MessagesSent:     s.MessagesSent + o.MessagesSent,
		MessagesReceived: s.MessagesReceived + o.MessagesReceived,
	}
}

// Mesh is one party's view of a group of N parties numbered 0..N-1.
type Mesh interface {
	// Self is this party's index.
	Self() int
	// Size is the number of parties, N.
	Size() int
	// Conn returns the connection to party j, or an error wrapping ErrNoLink.
	Conn(j int) (Conn, error)
	// Stats sums the traffic of all this party's connections.
	Stats() Stats
	// Close closes all this party's connections.
	Close() error
}

// Options tune a connection. The zero value is usable.
type Options struct {
	// MaxMessageSize bounds each message, sent or received; 0 means
	// DefaultMaxMessageSize. Values above 4 GiB - 1 (what the 4-byte length
	// prefix carries) act as 4 GiB - 1.
	MaxMessageSize int
	// HandshakeTimeout bounds a TLS connection's setup (handshake and
	// acceptance) in addition to the caller's context, so that a peer that
	// connects and then says nothing cannot hold Accept; 0 means
	// DefaultHandshakeTimeout. In-memory connections ignore it.
	HandshakeTimeout time.Duration
}

// DefaultHandshakeTimeout is the TLS setup bound used when
// [Options.HandshakeTimeout] is 0.
const DefaultHandshakeTimeout = 10 * time.Second

func (o Options) handshakeTimeout() time.Duration {
	if o.HandshakeTimeout <= 0 {
		return DefaultHandshakeTimeout
	}
	return o.HandshakeTimeout
}

func (o Options) maxSize() int {
	switch {
	case o.MaxMessageSize <= 0:
		return DefaultMaxMessageSize
	case uint64(o.MaxMessageSize) > math.MaxUint32:
		return math.MaxUint32 // what a 4-byte length prefix can carry
	}
	return o.MaxMessageSize
}

// PeerError is the error of an operation that involved a peer.
type PeerError struct {
	Peer string // the peer's name
	Op   string // "send", "recv", "dial", "accept", "handshake"
	Err  error  // the cause
}

func (e *PeerError) Error() string {
	if e.Peer == "" { // not known yet: a listener's accept
		return fmt.Sprintf("transport: %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("transport: %s peer %q: %v", e.Op, e.Peer, e.Err)
}

func (e *PeerError) Unwrap() error { return e.Err }

func peerErr(peer, op string, err error) error {
	return &PeerError{Peer: peer, Op: op, Err: err}
}
