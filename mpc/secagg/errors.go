package secagg

import (
	"errors"

	"github.com/veil-go/veil/internal/errs"
)

// The sentinels shared with Veil's other packages: errors.Is(err,
// secagg.ErrMalformed) and errors.Is(err, he.ErrMalformed) test for the same
// cause.
var (
	// ErrInvalidParams reports a bad configuration or argument; the message
	// names the limit.
	ErrInvalidParams = errs.ErrInvalidParams
	// ErrMalformed reports a message that cannot be decoded or that does
	// not fit the configuration (wrong sizes, unknown or repeated ids).
	ErrMalformed = errs.ErrMalformed
	// ErrOutOfRange reports a value outside the range of a fixed-point
	// encoding.
	ErrOutOfRange = errs.ErrOutOfRange
	// ErrAborted reports that the round was ended: the server aborted it
	// or excluded this client, a client gave up, or a [Server] that
	// aborted earlier was used again.
	ErrAborted = errs.ErrAborted
	// ErrMismatch reports parties that do not run the same [Params] (their
	// digests differ).
	ErrMismatch = errs.ErrMismatch
)

// The sentinels of this package.
var (
	// ErrProtocol reports a step called out of order or a request that an
	// honest party refuses: a counted set that leaves the client out or
	// names a neighbor that sent it nothing, an unmask request for another
	// set than the one it signed or without t signers on it, a second
	// request.
	ErrProtocol = errors.New("protocol violation")
	// ErrTooManyDropouts reports that too few clients remain for the round
	// to finish; the round is aborted and no sum is revealed.
	ErrTooManyDropouts = errors.New("too many dropouts")
	// ErrDecrypt reports a share ciphertext that fails authentication.
	ErrDecrypt = errors.New("share decryption failed")
	// ErrBadAdvert reports advertised keys whose signature, certificate or
	// name does not verify: the keys were not made by the client the roster
	// names, so a client that sees one refuses to go on.
	ErrBadAdvert = errors.New("advertised keys do not verify")
)
