package he

import "errors"

// Sentinel errors. Every error returned by this package wraps one of these
// (or a transport or context error), so callers test the cause with
// errors.Is.
var (
	// ErrInvalidParams: a configuration or argument is unusable (unknown
	// preset, non-positive bound, threshold above the party count, ...).
	ErrInvalidParams = errors.New("he: invalid parameters")
	// ErrInsecure: the lattice parameters fall short of 128-bit security
	// (log2 QP above the HE standard's limit for the ring degree).
	ErrInsecure = errors.New("he: parameters below 128-bit security")
	// ErrNoiseBudget: fresh noise, aggregation and smudging together would
	// exceed the decryption bound (Q/(2t) for BGV, the requested precision
	// for CKKS): the result could decrypt wrong, so nothing is attempted.
	ErrNoiseBudget = errors.New("he: noise budget exceeded")
	// ErrBound: a value is outside the declared bound, or a sum (with its
	// weights) could overflow the plaintext space.
	ErrBound = errors.New("he: value or sum out of bound")
	// ErrMalformed: a message from a peer is truncated, oversized, of the
	// wrong kind or holds out-of-range data.
	ErrMalformed = errors.New("he: malformed message")
	// ErrMismatch: operands do not fit together (different lengths, levels,
	// parameters, parties or decryption sets).
	ErrMismatch = errors.New("he: mismatched operands")
	// ErrNotEnoughShares: fewer key holders answered than decryption needs.
	ErrNotEnoughShares = errors.New("he: not enough decryption shares")
)
