package he

import (
	"errors"

	"github.com/veil-go/veil/internal/errs"
)

// Sentinel errors. Every error returned by this package wraps one of these
// (or a transport or context error), so callers test the cause with
// [errors.Is]. The shared ones are the same values in every package of
// Veil: errors.Is(err, he.ErrMalformed) and errors.Is(err, psi.ErrMalformed)
// test for the same cause.
var (
	// ErrInvalidParams: a configuration or argument is unusable (unknown
	// preset, non-positive bound, threshold above the party count, ...).
	ErrInvalidParams = errs.ErrInvalidParams
	// ErrMalformed: a message from a peer is truncated, oversized, of the
	// wrong kind, holds out-of-range data or breaks the round's rules.
	ErrMalformed = errs.ErrMalformed
	// ErrOutOfRange: a value is outside the declared bound, or a sum (with
	// its weights) could overflow the plaintext space.
	ErrOutOfRange = errs.ErrOutOfRange
	// ErrMismatch: operands do not fit together (different lengths, levels,
	// parameters, parties or decryption sets).
	ErrMismatch = errs.ErrMismatch
	// ErrAborted: another party of the round reported that it failed, or
	// the round ended before this party's part was done.
	ErrAborted = errs.ErrAborted
)

// Sentinel errors of this package alone.
var (
	// ErrInsecure: the lattice parameters fall short of 128-bit security
	// (log2 QP above the HE standard's limit for the ring degree).
	ErrInsecure = errors.New("parameters below 128-bit security")
	// ErrNoiseBudget: fresh noise, aggregation and smudging together would
	// exceed the decryption bound (Q/(2t) for BGV, the requested precision
	// for CKKS): the result could decrypt wrong, so nothing is attempted.
	ErrNoiseBudget = errors.New("noise budget exceeded")
	// ErrNotEnoughShares: fewer key holders answered than decryption needs.
	ErrNotEnoughShares = errors.New("not enough decryption shares")
	// ErrNoInput: no client contributed within the collection window.
	ErrNoInput = errors.New("no client contributed")
	// ErrBadAdvert: a key holder's signed key advert, relayed by the hub,
	// does not verify: its signature, certificate or name is not the
	// holder's (a hub substituting keys is caught here).
	ErrBadAdvert = errors.New("key advert does not verify")
	// ErrUnverified: a round would decrypt an aggregate of contributions
	// that nobody verified is well formed, and the caller did not accept
	// the semi-honest model ([Round].SemiHonestContributions).
	ErrUnverified = errors.New("contributions not verified")
	// ErrBadProof: a contribution's proof of well-formedness ([Proof]) does
	// not verify: the ciphertext may be crafted, and is never decrypted.
	ErrBadProof = errors.New("proof of well-formedness does not verify")
	// ErrTooFewShares: a noisy round ([Round].Noise) counted fewer clients
	// than the MinHonest whose noise shares the guarantee needs, so the sum
	// is not decrypted.
	ErrTooFewShares = errors.New("too few noise shares")
)
