package dp

import (
	"errors"
	"fmt"
	"math"
)

var (
	// ErrInvalidParams reports an invalid parameter: NaN, ±Inf, a non-positive
	// epsilon or sensitivity, a delta outside its range, a party count < 1, ...
	ErrInvalidParams = errors.New("dp: invalid parameters")
	// ErrBudgetExceeded reports that a spend would exceed an accountant's budget.
	ErrBudgetExceeded = errors.New("dp: privacy budget exceeded")
	// ErrMalformed reports a serialized state that cannot be decoded.
	ErrMalformed = errors.New("dp: malformed input")
	// ErrOverflow reports a value that does not fit the fixed-point or integer
	// range it must be encoded in.
	ErrOverflow = errors.New("dp: value out of range")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidParams}, args...)...)
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
