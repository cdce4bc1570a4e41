package transport

import (
	"errors"
	"fmt"

	"github.com/veil-go/veil/internal/errs"
)

// Sentinel errors. Errors returned by this package wrap one of these (or a
// context error) so that callers can test for the cause with [errors.Is].
// Their texts carry no package prefix: the error that wraps them says
// "transport" once, as in
//
//	transport: send peer "shop": connection closed
var (
	// ErrClosed: the connection was closed, locally or by the peer.
	ErrClosed = errors.New("connection closed")
	// ErrMessageTooLarge: a message exceeds the maximum message size
	// ([Options.MaxMessageSize]), on send or as announced by a peer's frame
	// header. It is this package's specific kind of "value out of range".
	ErrMessageTooLarge = errors.New("message too large")
	// ErrTruncated: the peer's stream ended in the middle of a frame.
	ErrTruncated = errors.New("truncated frame")
	// ErrPeerIdentity: the peer's certificate does not name the party
	// expected at that index, or does not chain to the trusted CAs.
	ErrPeerIdentity = errors.New("unexpected peer identity")
	// ErrNoLink: the mesh has no link between the two parties (a spoke of a
	// star asking for another spoke, or a party asking for itself).
	ErrNoLink = errors.New("no link to that party")
	// ErrBadSignature: a signature made with an identity key does not
	// verify against the certificate that comes with it.
	ErrBadSignature = errors.New("signature does not verify")
	// ErrInvalidParams: a constructor was given unusable arguments. It is
	// the sentinel that Veil's packages share: errors.Is(err,
	// transport.ErrInvalidParams) and errors.Is(err, he.ErrInvalidParams)
	// test for the same cause.
	ErrInvalidParams = errs.ErrInvalidParams
)

// invalidParams is a constructor's error, "transport: invalid parameters:
// detail"; format may use %w.
func invalidParams(format string, args ...any) error {
	return fmt.Errorf("transport: %w: "+format, append([]any{ErrInvalidParams}, args...)...)
}

// PeerError is the error of an operation that involved a peer, as
// [net.OpError] is for the net package. It prints as
//
//	transport: recv peer "party-3": truncated frame: ...
type PeerError struct {
	Peer string // the peer's name, or its address before the handshake
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
