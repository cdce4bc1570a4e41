package mpc

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these, a
// transport error (a *transport.PeerError naming the peer) or a context
// error, so callers can test the cause with errors.Is.
var (
	// ErrInvalidParams: a constructor or operation got unusable arguments
	// (a party count below 2, a threshold out of range, a zero divisor,
	// vectors of different lengths, ...).
	ErrInvalidParams = errors.New("mpc: invalid parameters")
	// ErrMalformed: a peer sent a message that is not what the protocol
	// expects at this step (bad header, wrong length, wrong step or kind).
	ErrMalformed = errors.New("mpc: malformed message from peer")
	// ErrOutOfRange: a value does not fit the fixed-point encoding.
	ErrOutOfRange = errors.New("mpc: value out of fixed-point range")
	// ErrInconsistent: Shamir shares do not lie on one polynomial of the
	// stated degree.
	ErrInconsistent = errors.New("mpc: inconsistent shares")
	// ErrDegenerate: a statistic is undefined for the data (a constant
	// column has no correlation or slope).
	ErrDegenerate = errors.New("mpc: degenerate data")
	// ErrAborted: this party already failed; it refuses further work.
	ErrAborted = errors.New("mpc: party aborted after an earlier error")
)
