package dp

import (
	"fmt"
	"math"

	"github.com/veil-go/veil/internal/errs"
)

// The sentinels of package dp. Errors wrap them (test with [errors.Is]) and
// read "dp: <sentinel>: <detail>".
var (
	// ErrInvalidParams reports an invalid parameter: NaN, ±Inf, a
	// non-positive epsilon or sensitivity, a delta outside its range, a
	// party count < 1, a value beyond a stated supported range. The message
	// names the parameter and the limit.
	ErrInvalidParams = errs.ErrInvalidParams
	// ErrBudgetExceeded reports that a spend would exceed an [Accountant]'s
	// budget.
	ErrBudgetExceeded = errs.ErrBudgetExceeded
	// ErrMalformed reports a serialized state that cannot be decoded
	// ([Accountant.UnmarshalBinary]).
	ErrMalformed = errs.ErrMalformed
	// ErrOutOfRange reports a value, or an exact sum of values, that does
	// not fit the fixed-point or integer range it must be encoded in.
	ErrOutOfRange = errs.ErrOutOfRange
	// ErrUnsupported reports a valid combination that is not offered
	// (partition selection with Gaussian noise).
	ErrUnsupported = errs.ErrUnsupported
)

// invalid returns "dp: invalid parameters: <detail>", wrapping [ErrInvalidParams].
func invalid(format string, args ...any) error {
	return fmt.Errorf("dp: %w: "+format, append([]any{ErrInvalidParams}, args...)...)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// checkEpsilon accepts a finite epsilon > 0.
func checkEpsilon(eps float64) error {
	if !finite(eps) || eps <= 0 {
		return invalid("epsilon must be finite and > 0, got %v", eps)
	}
	return nil
}

// checkDelta accepts a delta in [0, 1).
func checkDelta(delta float64) error {
	if !finite(delta) || delta < 0 || delta >= 1 {
		return invalid("delta must be in [0, 1), got %v", delta)
	}
	return nil
}

// checkSensitivity accepts a finite sensitivity > 0.
func checkSensitivity(name string, s float64) error {
	if !finite(s) || s <= 0 {
		return invalid("%s sensitivity must be finite and > 0, got %v", name, s)
	}
	return nil
}

// checkWorkers accepts a Workers field >= 0 (0 means GOMAXPROCS).
func checkWorkers(n int) error {
	if n < 0 {
		return invalid("Workers must be >= 0 (0 means GOMAXPROCS), got %d", n)
	}
	return nil
}
