package mpc

import (
	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/internal/shamir"
)

// Sentinel errors. Errors returned by this package wrap one of these, a
// transport error (a *transport.PeerError naming the peer) or a context
// error, so callers can test the cause with errors.Is. The shared ones are
// the same values as in Veil's other packages.
var (
	// ErrInvalidParams: a constructor or operation got unusable arguments
	// (a party count below 2, a threshold out of range, a zero divisor, a
	// vector above the length limit, ...).
	ErrInvalidParams = errs.ErrInvalidParams
	// ErrMalformed: a peer sent a message that is not what the protocol
	// expects at this step (bad header, wrong length, wrong step or kind).
	ErrMalformed = errs.ErrMalformed
	// ErrOutOfRange: a value does not fit the fixed-point encoding.
	ErrOutOfRange = errs.ErrOutOfRange
	// ErrMismatch: operands that must have the same length do not.
	ErrMismatch = errs.ErrMismatch
	// ErrAborted: this party already failed; it refuses further work.
	ErrAborted = errs.ErrAborted
	// ErrUnsupported: a valid request the chosen dealer does not serve
	// (the [OTDealer] makes Beaver and AND triples, and daBits for 2
	// parties, only).
	ErrUnsupported = errs.ErrUnsupported
	// ErrInconsistent: Shamir shares do not lie on one polynomial of the
	// degree their threshold implies, so at least one is wrong.
	ErrInconsistent = shamir.ErrInconsistent
)
