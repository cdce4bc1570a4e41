package dp

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"sync"
)

// Accountant tracks a total (epsilon, delta) budget under basic sequential
// composition: spends add up in epsilon and in delta. Sums are kept as exact
// rationals (every float64 is one), so no rounding can let a spend through
// that exceeds the budget, nor refuse one that fits.
//
// An [Accountant] is safe for concurrent use.
type Accountant struct {
	mu                       sync.Mutex
	epsBudget, deltaBudget   float64
	epsSpent, deltaSpent     big.Rat
	epsBudgetR, deltaBudgetR big.Rat
}

// NewAccountant returns an accountant with the given total budget: epsilon > 0
// and delta in [0, 1).
func NewAccountant(epsilon, delta float64) (*Accountant, error) {
	if err := checkEpsilon(epsilon); err != nil {
		return nil, err
	}
	if err := checkDelta(delta); err != nil {
		return nil, err
	}
	a := &Accountant{epsBudget: epsilon, deltaBudget: delta}
	a.epsBudgetR.SetFloat64(epsilon)
	a.deltaBudgetR.SetFloat64(delta)
	return a, nil
}

// Spend records a spend of (epsilon, delta), epsilon >= 0 and delta in [0, 1),
// if the totals stay within the budget. Otherwise it spends nothing and returns
// an error wrapping [ErrBudgetExceeded].
func (a *Accountant) Spend(epsilon, delta float64) error {
	if !finite(epsilon) || epsilon < 0 {
		return invalid("spent epsilon must be finite and >= 0, got %v", epsilon)
	}
	if err := checkDelta(delta); err != nil {
		return err
	}
	e := new(big.Rat).SetFloat64(epsilon)
	d := new(big.Rat).SetFloat64(delta)
	a.mu.Lock()
	defer a.mu.Unlock()
	e.Add(e, &a.epsSpent)
	d.Add(d, &a.deltaSpent)
	if e.Cmp(&a.epsBudgetR) > 0 || d.Cmp(&a.deltaBudgetR) > 0 {
		se, _ := a.epsSpent.Float64()
		sd, _ := a.deltaSpent.Float64()
		return fmt.Errorf("dp: %w: spending (%v, %v) on top of (%v, %v) exceeds the budget (%v, %v)",
			ErrBudgetExceeded, epsilon, delta, se, sd, a.epsBudget, a.deltaBudget)
	}
	a.epsSpent.Set(e)
	a.deltaSpent.Set(d)
	return nil
}

// Spent returns the totals spent so far (rounded to float64).
func (a *Accountant) Spent() (epsilon, delta float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	epsilon, _ = a.epsSpent.Float64()
	delta, _ = a.deltaSpent.Float64()
	return epsilon, delta
}

// Remaining returns the budget left (rounded down to float64).
func (a *Accountant) Remaining() (epsilon, delta float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := new(big.Rat).Sub(&a.epsBudgetR, &a.epsSpent)
	d := new(big.Rat).Sub(&a.deltaBudgetR, &a.deltaSpent)
	return ratFloorFloat(e), ratFloorFloat(d)
}

// Budget returns the total budget.
func (a *Accountant) Budget() (epsilon, delta float64) { return a.epsBudget, a.deltaBudget }

func ratFloorFloat(r *big.Rat) float64 {
	f, exact := r.Float64()
	if !exact && new(big.Rat).SetFloat64(f).Cmp(r) > 0 {
		f = nextDown(f)
	}
	return f
}

// accountantVersion is the first byte of a serialized [Accountant].
const accountantVersion = 1

// maxRatBytes bounds each serialized numerator or denominator: sums of
// float64 values never need more than ~1100 bits.
const maxRatBytes = 512

// MarshalBinary encodes the budget and the exact totals spent.
func (a *Accountant) MarshalBinary() ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []byte{accountantVersion}
	out = binary.BigEndian.AppendUint64(out, f64bits(a.epsBudget))
	out = binary.BigEndian.AppendUint64(out, f64bits(a.deltaBudget))
	for _, r := range []*big.Rat{&a.epsSpent, &a.deltaSpent} {
		for _, x := range []*big.Int{r.Num(), r.Denom()} {
			b := x.Bytes()
			out = binary.BigEndian.AppendUint16(out, uint16(len(b)))
			out = append(out, b...)
		}
	}
	return out, nil
}

// UnmarshalBinary restores a state written by MarshalBinary. It rejects
// malformed input, invalid budgets and totals outside [0, budget] with an
// error wrapping [ErrMalformed].
func (a *Accountant) UnmarshalBinary(data []byte) error {
	if len(data) < 17 || data[0] != accountantVersion {
		return fmt.Errorf("dp: %w: accountant state: bad length or version", ErrMalformed)
	}
	eb := f64frombits(binary.BigEndian.Uint64(data[1:]))
	db := f64frombits(binary.BigEndian.Uint64(data[9:]))
	if checkEpsilon(eb) != nil || checkDelta(db) != nil {
		return fmt.Errorf("dp: %w: accountant state: invalid budget (%v, %v)", ErrMalformed, eb, db)
	}
	rest := data[17:]
	var rats [2]big.Rat
	for i := range rats {
		var parts [2]big.Int
		for j := range parts {
			if len(rest) < 2 {
				return fmt.Errorf("dp: %w: accountant state: truncated", ErrMalformed)
			}
			n := int(binary.BigEndian.Uint16(rest))
			rest = rest[2:]
			if n > maxRatBytes || len(rest) < n {
				return fmt.Errorf("dp: %w: accountant state: bad number length %d", ErrMalformed, n)
			}
			parts[j].SetBytes(rest[:n])
			rest = rest[n:]
		}
		if parts[1].Sign() == 0 {
			return fmt.Errorf("dp: %w: accountant state: zero denominator", ErrMalformed)
		}
		rats[i].SetFrac(&parts[0], &parts[1])
	}
	if len(rest) != 0 {
		return fmt.Errorf("dp: %w: accountant state: %d trailing bytes", ErrMalformed, len(rest))
	}
	var ebR, dbR big.Rat
	ebR.SetFloat64(eb)
	dbR.SetFloat64(db)
	if rats[0].Cmp(&ebR) > 0 || rats[1].Cmp(&dbR) > 0 {
		return fmt.Errorf("dp: %w: accountant state: spent exceeds budget", ErrMalformed)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.epsBudget, a.deltaBudget = eb, db
	a.epsBudgetR.Set(&ebR)
	a.deltaBudgetR.Set(&dbR)
	a.epsSpent.Set(&rats[0])
	a.deltaSpent.Set(&rats[1])
	return nil
}
