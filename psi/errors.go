package psi

import (
	"errors"

	"github.com/veil-go/veil/internal/errs"
)

// Sentinel errors. Errors returned by this package wrap one of these, a
// transport error or a context error; test with [errors.Is]. The shared
// ones are those of every Veil package: errors.Is(err, psi.ErrMalformed)
// and errors.Is(err, he.ErrMalformed) test for the same cause.
var (
	// ErrInvalidParams: an unusable [Config] or input (a negative batch
	// size, payloads that do not match the items, a value out of range,
	// ...). The message names the limit.
	ErrInvalidParams = errs.ErrInvalidParams
	// ErrMalformed: a peer's message could not be decoded, has the wrong
	// size or kind for this step, or holds an invalid group element.
	ErrMalformed = errs.ErrMalformed
	// ErrMismatch: the two parties were run with different protocol, mode,
	// reveal or tag-length settings, or different protocol versions.
	ErrMismatch = errs.ErrMismatch
	// ErrUnsupported: the protocol does not offer the requested mode.
	ErrUnsupported = errs.ErrUnsupported
	// ErrOutOfRange: the sum over the intersection is larger in magnitude
	// than Config.MaxSum, so the receiver could not decrypt it.
	ErrOutOfRange = errs.ErrOutOfRange
	// ErrDuplicate: the sender gave one item twice with different join
	// payloads, so the receiver could not be told which one belongs to it.
	ErrDuplicate = errors.New("duplicate item with conflicting payloads")
	// ErrInvalidItem: a normalisation helper was given an ID it cannot
	// normalise (an email without '@', a phone number without digits, ...).
	ErrInvalidItem = errors.New("invalid item")
)
