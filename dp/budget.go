package dp

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sync"
)

// Budget is what every release spends from. A mechanism's AddNoise and an
// aggregation's Release call Spend with the release's whole cost before any
// noise is drawn, and release nothing when it fails.
//
// [Accountant] (basic composition), [RDPFilter] and [ZCDPFilter] implement
// it; a durable ledger (one budget per dataset, kept across processes) can
// implement it too. An implementation must be atomic: a spend that does not
// fit spends nothing and returns an error wrapping [ErrBudgetExceeded], and
// concurrent spends never together exceed the budget.
type Budget interface {
	// Spend records a release that is (epsilon, delta)-DP, epsilon >= 0 and
	// delta in [0, 1), under add/remove-one neighbouring (see
	// "Neighbouring datasets" in the package documentation), or refuses it.
	Spend(epsilon, delta float64) error
}

// ErrAlreadyReleased reports a second release of a one-shot aggregation.
// Errors that wrap it wrap [ErrBudgetExceeded] too: an aggregation's budget
// pays for exactly one release.
var ErrAlreadyReleased = errors.New("already released")

func checkBudget(b Budget) error {
	if b == nil {
		return invalid("Budget is required: an *Accountant, *RDPFilter, *ZCDPFilter or ledger that each release spends from")
	}
	return nil
}

// oneShot is the release gate of an aggregation: its first release spends
// (eps, delta) from the budget; every later one is refused.
type oneShot struct {
	mu         sync.Mutex
	released   bool
	budget     Budget
	eps, delta float64
	rho        float64 // > 0 for Gaussian noise: charged to a zCDP budget
}

func (o *oneShot) spend() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.spendLocked()
}

// spendDelta is spend with the release's delta set in the same critical
// section (a histogram's two releases spend different deltas).
func (o *oneShot) spendDelta(delta float64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.released {
		o.delta = delta
	}
	return o.spendLocked()
}

func (o *oneShot) spendLocked() error {
	if o.released {
		return fmt.Errorf("dp: %w: %w: an aggregation releases once", ErrBudgetExceeded, ErrAlreadyReleased)
	}
	if used, err := o.spendRho(); used {
		if err != nil {
			return err
		}
	} else if err := o.budget.Spend(o.eps, o.delta); err != nil {
		return err
	}
	o.released = true
	return nil
}

// meter is the spend of a mechanism: every AddNoise spends (eps, delta),
// or rho (when > 0) from a budget that takes zCDP spends.
type meter struct {
	budget     Budget
	eps, delta float64
	rho        float64
}

func (m *meter) spend() error {
	if m.budget == nil {
		return checkBudget(nil)
	}
	if rs, ok := m.budget.(rhoSpender); ok && m.rho > 0 {
		return rs.SpendRho(m.rho)
	}
	return m.budget.Spend(m.eps, m.delta)
}

// RDPFilter is a privacy filter for Rényi DP: a budget (Epsilon, Delta) that
// adaptively chosen mechanisms, each known by its RDP curve, spend until it
// is used up. A spend is accepted when some tracked order alpha still has
// total RDP <= B(alpha) = Epsilon - log(m/Delta)/(alpha-1), where m is the
// number of orders, and refused otherwise (nothing is spent then). The whole
// interaction, however adaptive, is (Epsilon, Delta)-DP: at each order the
// accepted spends form a Feldman-Zrnic filter (NeurIPS 2021), which is
// (alpha, B(alpha))-RDP, so its privacy loss exceeds Epsilon with
// probability <= Delta/m by Markov's inequality; the transcript is that of
// every order still open at the end, and a union bound over the m orders
// gives Delta.
//
// The (Epsilon, Delta) of an RDPFilter is a little looser than the
// [RDPAccountant]'s conversion of the same spends (log(m/Delta) against
// log(1/Delta)): that is the price of adaptivity over many orders.
//
// An RDPFilter is a [Budget] for pure-DP releases (delta 0: an epsilon-DP
// mechanism is (alpha, min(epsilon, alpha epsilon^2/2))-RDP, Bun & Steinke
// 2016). It is safe for concurrent use.
type RDPFilter struct {
	mu         sync.Mutex
	eps, delta float64
	orders     []float64
	bound      []float64 // B(alpha)
	spent      []float64
}

// NewRDPFilter returns an RDP filter with budget (epsilon, delta), epsilon
// > 0 and delta in (0, 1), over the orders of [RDPOrders].
func NewRDPFilter(epsilon, delta float64) (*RDPFilter, error) {
	if err := checkEpsilon(epsilon); err != nil {
		return nil, err
	}
	if !finite(delta) || delta <= 0 || delta >= 1 {
		return nil, invalid("RDP filter delta must be in (0, 1), got %v", delta)
	}
	o := RDPOrders()
	f := &RDPFilter{eps: epsilon, delta: delta, orders: o, bound: make([]float64, len(o)), spent: make([]float64, len(o))}
	lm := math.Log(float64(len(o))) - math.Log(delta)
	open := false
	for i, a := range o {
		f.bound[i] = epsilon - lm/(a-1)
		open = open || f.bound[i] > 0
	}
	if !open {
		return nil, invalid("RDP filter budget (%v, %v) leaves no order with a positive RDP budget", epsilon, delta)
	}
	return f, nil
}

// SpendCurve spends count runs of a mechanism whose RDP at order alpha is
// curve(alpha) (+Inf where unknown), or refuses with an error wrapping
// [ErrBudgetExceeded] and spends nothing.
func (f *RDPFilter) SpendCurve(curve func(alpha float64) float64, count int) error {
	if count < 0 {
		return invalid("count must be >= 0, got %d", count)
	}
	if count == 0 {
		return nil
	}
	vals := make([]float64, len(f.orders))
	for i, o := range f.orders {
		v := curve(o)
		if math.IsNaN(v) || v < 0 {
			return invalid("RDP curve gives %v at order %v", v, o)
		}
		vals[i] = v * float64(count)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fits := false
	for i := range vals {
		if f.spent[i]+vals[i] <= f.bound[i] {
			fits = true
			break
		}
	}
	if !fits {
		return fmt.Errorf("dp: %w: the RDP filter (%v, %v) has no order left with room for this spend",
			ErrBudgetExceeded, f.eps, f.delta)
	}
	for i := range vals {
		f.spent[i] += vals[i]
	}
	return nil
}

// SpendGaussian spends count Gaussian (or discrete Gaussian) mechanisms of
// noise multiplier sigma/l2Sensitivity.
func (f *RDPFilter) SpendGaussian(noiseMultiplier float64, count int) error {
	if err := checkPositive("noise multiplier", noiseMultiplier); err != nil {
		return err
	}
	return f.SpendCurve(func(o float64) float64 { return GaussianRDP(o, noiseMultiplier) }, count)
}

// SpendSubsampledGaussian spends steps runs of the Gaussian mechanism on
// Poisson subsamples of rate q (DP-SGD).
func (f *RDPFilter) SpendSubsampledGaussian(q, noiseMultiplier float64, steps int) error {
	if !finite(q) || q < 0 || q > 1 {
		return invalid("sampling rate must be in [0, 1], got %v", q)
	}
	if err := checkPositive("noise multiplier", noiseMultiplier); err != nil {
		return err
	}
	return f.SpendCurve(func(o float64) float64 { return SubsampledGaussianRDP(o, q, noiseMultiplier) }, steps)
}

// Spend implements [Budget] for pure-DP releases: delta must be 0.
func (f *RDPFilter) Spend(epsilon, delta float64) error {
	if !finite(epsilon) || epsilon < 0 {
		return invalid("spent epsilon must be finite and >= 0, got %v", epsilon)
	}
	if delta != 0 {
		return invalid("an RDP filter takes pure-DP spends (delta 0) through Spend, got delta %v; spend the mechanism's RDP curve instead", delta)
	}
	return f.SpendCurve(func(a float64) float64 { return math.Min(epsilon, a*epsilon*epsilon/2) }, 1)
}

// Budget returns the filter's (epsilon, delta).
func (f *RDPFilter) Budget() (epsilon, delta float64) { return f.eps, f.delta }

// ZCDPFilter is a privacy filter for zero-concentrated DP: adaptively chosen
// rho_i-zCDP mechanisms are accepted while the total rho stays within the
// budget Rho, and the whole interaction is Rho-zCDP (Whitehouse, Ramdas,
// Rogers & Wu 2023, fully adaptive composition; it is also a Feldman-Zrnic
// RDP filter at every order at once). Totals are exact rationals. A
// ZCDPFilter is a [Budget] for pure-DP releases (an epsilon-DP release is
// epsilon^2/2-zCDP). It is safe for concurrent use.
type ZCDPFilter struct {
	mu     sync.Mutex
	rho    float64
	rhoR   big.Rat
	spentR big.Rat
}

// NewZCDPFilter returns a zCDP filter with budget rho, finite and > 0.
func NewZCDPFilter(rho float64) (*ZCDPFilter, error) {
	if err := checkPositive("rho", rho); err != nil {
		return nil, err
	}
	z := &ZCDPFilter{rho: rho}
	z.rhoR.SetFloat64(rho)
	return z, nil
}

// SpendRho spends a rho-zCDP release, or refuses with an error wrapping
// [ErrBudgetExceeded] and spends nothing.
func (z *ZCDPFilter) SpendRho(rho float64) error {
	if !finite(rho) || rho < 0 {
		return invalid("rho must be finite and >= 0, got %v", rho)
	}
	r := new(big.Rat).SetFloat64(rho)
	z.mu.Lock()
	defer z.mu.Unlock()
	r.Add(r, &z.spentR)
	if r.Cmp(&z.rhoR) > 0 {
		s, _ := z.spentR.Float64()
		return fmt.Errorf("dp: %w: spending rho %v on top of %v exceeds the zCDP budget %v", ErrBudgetExceeded, rho, s, z.rho)
	}
	z.spentR.Set(r)
	return nil
}

// SpendGaussian spends a Gaussian (or discrete Gaussian) mechanism of noise
// multiplier z = sigma/l2Sensitivity: rho = 1/(2 z^2), rounded up.
func (z *ZCDPFilter) SpendGaussian(noiseMultiplier float64) error {
	if err := checkPositive("noise multiplier", noiseMultiplier); err != nil {
		return err
	}
	return z.SpendRho(math.Nextafter(1/(2*noiseMultiplier*noiseMultiplier), math.Inf(1)))
}

// Spend implements [Budget] for pure-DP releases (delta must be 0): rho =
// epsilon^2/2, rounded up.
func (z *ZCDPFilter) Spend(epsilon, delta float64) error {
	if !finite(epsilon) || epsilon < 0 {
		return invalid("spent epsilon must be finite and >= 0, got %v", epsilon)
	}
	if delta != 0 {
		return invalid("a zCDP filter takes pure-DP spends (delta 0) through Spend, got delta %v; use SpendRho", delta)
	}
	return z.SpendRho(math.Nextafter(epsilon*epsilon/2, math.Inf(1)))
}

// Spent returns the rho spent so far (rounded to float64).
func (z *ZCDPFilter) Spent() float64 {
	z.mu.Lock()
	defer z.mu.Unlock()
	s, _ := z.spentR.Float64()
	return s
}

// Rho returns the budget.
func (z *ZCDPFilter) Rho() float64 { return z.rho }

// Epsilon returns the (epsilon, delta)-DP guarantee of the whole budget at
// delta in (0, 1) ([ZCDPToDP] of Rho).
func (z *ZCDPFilter) Epsilon(delta float64) (float64, error) { return ZCDPToDP(z.rho, delta) }
