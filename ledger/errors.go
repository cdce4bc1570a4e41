package ledger

import (
	"errors"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/transport"
)

// The sentinels of package ledger. Errors wrap them (test with [errors.Is]).
var (
	// ErrInvalidParams reports an unusable argument: a receipt without
	// parties, a NaN epsilon, an empty dataset name. The message names it.
	ErrInvalidParams = errs.ErrInvalidParams
	// ErrMalformed reports bytes that do not decode: a receipt, a signed
	// receipt or a peer's signature message.
	ErrMalformed = errs.ErrMalformed
	// ErrMismatch reports parties that disagree: a peer signed a different
	// receipt, or a certificate is not the party the receipt names.
	ErrMismatch = errs.ErrMismatch
	// ErrBudgetExceeded reports a spend that does not fit what is left of a
	// dataset's budget (or a dataset that has no budget). Nothing is spent.
	ErrBudgetExceeded = errs.ErrBudgetExceeded
	// ErrBadSignature reports a signature that does not verify.
	ErrBadSignature = transport.ErrBadSignature
	// ErrPeerIdentity reports a certificate chain that does not verify
	// against the CA.
	ErrPeerIdentity = transport.ErrPeerIdentity
	// ErrMissingSignature reports a receipt that lacks a party's signature.
	ErrMissingSignature = errors.New("signature missing")
	// ErrChainBroken reports a ledger whose hash chain does not verify: a
	// row was modified, deleted or inserted outside the ledger.
	ErrChainBroken = errors.New("ledger hash chain broken")
	// ErrPolicy reports a run that no rule of the owner's usage policy
	// allows; the error names the rule (or says that none applies) and the
	// condition.
	ErrPolicy = errors.New("refused by usage policy")
	// ErrAborted reports an exchange that party 0 ended because it could
	// not collect every record or signature.
	ErrAborted = errs.ErrAborted
)
