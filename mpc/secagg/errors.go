package secagg

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these with
// context; test for them with errors.Is.
var (
	// ErrInvalidParams reports a bad configuration or argument.
	ErrInvalidParams = errors.New("secagg: invalid parameters")
	// ErrMalformed reports a message that cannot be decoded or that does
	// not fit the configuration (wrong sizes, unknown or repeated ids).
	ErrMalformed = errors.New("secagg: malformed message")
	// ErrProtocol reports a step called out of order or a request that an
	// honest party refuses (for example, to reveal both secrets of a client).
	ErrProtocol = errors.New("secagg: protocol violation")
	// ErrTooManyDropouts reports that too few clients remain for the round
	// to finish; the round is aborted and no sum is revealed.
	ErrTooManyDropouts = errors.New("secagg: too many dropouts")
	// ErrAborted is returned to a client whose server aborted the round or
	// excluded it from the round.
	ErrAborted = errors.New("secagg: round aborted")
	// ErrOverflow reports a value outside the range of a fixed-point
	// encoding.
	ErrOverflow = errors.New("secagg: value out of range")
	// ErrDecrypt reports a share ciphertext that fails authentication.
	ErrDecrypt = errors.New("secagg: share decryption failed")
)
