// Package errs holds the sentinel errors that Veil's packages share by name
// and the one format of a protocol error.
//
// Each public package re-exports the sentinels it uses in its errors.go
// (var ErrMalformed = errs.ErrMalformed), so errors.Is(err, he.ErrMalformed)
// and errors.Is(err, psi.ErrMalformed) test for the same cause. Sentinel
// texts carry no package prefix: the package and role come from the error
// that wraps them, once.
package errs

import (
	"errors"
	"fmt"
)

// The shared sentinels.
var (
	// ErrInvalidParams: a constructor or a run was given unusable
	// parameters (NaN, a threshold above the party count, unsafe HE
	// parameters, ...). The message names the limit.
	ErrInvalidParams = errors.New("invalid parameters")
	// ErrMalformed: a peer's message does not decode, has the wrong size,
	// or breaks the protocol's rules.
	ErrMalformed = errors.New("malformed message")
	// ErrOutOfRange: a value, or a result computed from values, falls
	// outside what the encoding can carry exactly.
	ErrOutOfRange = errors.New("value out of range")
	// ErrAborted: the run was ended: another party said it failed, or this
	// party failed earlier and the object cannot be used again.
	ErrAborted = errors.New("aborted")
	// ErrUnsupported: a valid request the chosen protocol or mode does not
	// offer.
	ErrUnsupported = errors.New("not supported")
	// ErrBudgetExceeded: a differentially private release does not fit
	// what is left of its privacy budget.
	ErrBudgetExceeded = errors.New("privacy budget exceeded")
	// ErrMismatch: parties or operands disagree on what should be the same
	// (options, parameters, lengths).
	ErrMismatch = errors.New("mismatch")
)

// StepError is the error of one party's step in a run, printed in the one
// format of Veil's protocol errors:
//
//	psi receiver, step hello, peer "shop": mismatch: peer runs cardinality, we run intersection
//
// Pkg, Role and Step are always set; Peer is empty when the step involves no
// single peer.
type StepError struct {
	Pkg  string // "he", "psi", "mpc", "secagg"
	Role string // "receiver", "hub", "party 2", ...
	Step string // the protocol's name for the step
	Peer string // the peer's name, if one is involved
	Err  error  // the cause
}

func (e *StepError) Error() string {
	if e.Peer == "" {
		return fmt.Sprintf("%s %s, step %s: %v", e.Pkg, e.Role, e.Step, e.Err)
	}
	return fmt.Sprintf("%s %s, step %s, peer %q: %v", e.Pkg, e.Role, e.Step, e.Peer, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// Step wraps err as a [StepError], unless err is nil or already one (an
// inner step's error is not wrapped twice).
func Step(pkg, role, step, peer string, err error) error {
	if err == nil {
		return nil
	}
	var se *StepError
	if errors.As(err, &se) {
		return err
	}
	return &StepError{Pkg: pkg, Role: role, Step: step, Peer: peer, Err: err}
}
