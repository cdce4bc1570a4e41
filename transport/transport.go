package transport

import (
	"context"
	"math"
	"time"
)

// DefaultMaxMessageSize is the largest message a connection accepts unless
// [Options.MaxMessageSize] says otherwise: 256 MiB.
const DefaultMaxMessageSize = 256 << 20

// DefaultMaxQueuedBytes is how many bytes of received messages a
// connection holds for [Conn.Recv] unless [Options.MaxQueuedBytes] says
// otherwise: 64 MiB.
const DefaultMaxQueuedBytes = 64 << 20

// DefaultMaxQueuedMessages is how many received messages a connection holds
// for [Conn.Recv] unless [Options.MaxQueuedMessages] says otherwise.
const DefaultMaxQueuedMessages = 1024

// DefaultHandshakeTimeout is the TLS setup bound used when
// [Options.HandshakeTimeout] is 0.
const DefaultHandshakeTimeout = 10 * time.Second

// frameHeaderSize is the length prefix that precedes every message on the
// wire. Byte counts include it, so in-memory and TLS connections report the
// same figures for the same traffic (TLS record overhead aside).
const frameHeaderSize = 4

// Conn is a connection to one peer that moves whole messages. It is the
// extension point of Veil: every protocol runs over a Conn (or a [Mesh] of
// them), so an implementation of Conn over another transport (HTTP, a
// message queue) runs every protocol. The conformance suite
// [github.com/veil-go/veil/transport/transporttest.TestConn] checks an
// implementation against the contract below.
//
// Send and Recv may be called concurrently with each other; concurrent calls
// to Send (or to Recv) are serialised, and messages from one goroutine
// arrive in the order it sent them. A message handed to Send may be reused
// by the caller once Send returns; a message returned by Recv belongs to the
// caller and is never nil (an empty message is an empty slice).
//
// Send does not wait for the peer to call Recv while the peer's receive
// queue has room ([Options.MaxQueuedBytes], [Options.MaxQueuedMessages]);
// once it is full, Send waits until the peer takes messages or ctx ends.
// A Send whose ctx has already ended fails with ctx's error and leaves the
// connection as it was.
type Conn interface {
	// Send delivers msg to the peer as one message.
	Send(ctx context.Context, msg []byte) error
	// Recv returns the next message from the peer. After the peer closes,
	// Recv returns the messages sent before the close and then an error
	// wrapping [ErrClosed].
	Recv(ctx context.Context) ([]byte, error)
	// Peer names the peer: its certificate's common name over TLS, the name
	// given at construction in memory.
	Peer() string
	// Stats reports the traffic so far.
	Stats() Stats
	// Close ends the connection in both directions, and may be called
	// more than once. Later Sends on this side fail with [ErrClosed], and
	// so do Recvs once the messages already queued are taken; the peer's
	// Recv returns what was sent before the close and then ErrClosed
	// (waking a Recv that waits), after which the peer's Sends fail with
	// ErrClosed too.
	Close() error
}

// Stats counts traffic on a connection or a mesh. Bytes include the 4-byte
// frame header of each message. A message counts as sent when Send returns
// nil and as received when Recv returns it.
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
	// Conn returns the connection to party j, or an error wrapping
	// [ErrNoLink].
	Conn(j int) (Conn, error)
	// Stats sums the traffic of all this party's connections.
	Stats() Stats
	// Close closes all this party's connections.
	Close() error
}

// Options tune a connection. The zero value is usable: every field left 0
// takes its default.
type Options struct {
	// MaxMessageSize bounds each message, sent or received; 0 means
	// [DefaultMaxMessageSize]. Values above 4 GiB - 1 (what the 4-byte
	// length prefix carries) act as 4 GiB - 1.
	MaxMessageSize int
	// MaxQueuedBytes bounds the payload bytes of the messages that have
	// arrived on a connection and that Recv has not taken yet; 0 means
	// [DefaultMaxQueuedBytes]. When the queue is full the connection stops
	// reading from the network (over TCP the peer's Send then blocks) until
	// Recv makes room. A single message larger than the bound (but within
	// MaxMessageSize) is taken in when nothing else is queued, so a
	// connection holds at most the larger of MaxQueuedBytes and one message.
	MaxQueuedBytes int
	// MaxQueuedMessages bounds the number of such messages; 0 means
	// [DefaultMaxQueuedMessages].
	MaxQueuedMessages int
	// HandshakeTimeout bounds a TLS connection's setup (handshake and
	// acceptance) in addition to the caller's context, so that a peer that
	// connects and then says nothing cannot hold Accept; 0 means
	// [DefaultHandshakeTimeout]. In-memory connections ignore it.
	HandshakeTimeout time.Duration
}

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

func (o Options) maxQueuedBytes() int {
	if o.MaxQueuedBytes <= 0 {
		return DefaultMaxQueuedBytes
	}
	return o.MaxQueuedBytes
}

func (o Options) maxQueuedMessages() int {
	if o.MaxQueuedMessages <= 0 {
		return DefaultMaxQueuedMessages
	}
	return o.MaxQueuedMessages
}
