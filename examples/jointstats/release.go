package main

import (
	"fmt"

	"github.com/veil-go/veil/dp"
	"github.com/veil-go/veil/internal/csvio"
)

// release is the differential-privacy side, with package dp. Every
// hospital adds its own exact discrete Laplace noise to its integer totals
// (count; sum in cents; sum of squares in cents squared) before encrypting
// them, each figure with a third of the budget, so nobody (not the
// aggregator, not the decryptors) ever sees an exact joint total. The
// release carries the sum of the hospitals' noises: any one honest
// hospital's noise alone gives the guarantee, at the price of n times the
// variance of a trusted curator's noise. Values are clamped to the public bounds [lo, hi] and shifted by
// their public centre, so the sensitivities (adding or removing one row)
// are 1, (hi-lo)/2 and ((hi-lo)/2)^2. A dp.Accountant checks the budget.
// With epsilon 0 nothing is added. The noise comes from crypto/rand: no two
// runs release the same figures.
type release struct {
	epsilon          float64
	parties          []noise // one per hospital
	sensSum, sensSqr int64
	acct             *dp.Accountant
	// mine, with -role, says which hospital's noise this process adds (its
	// own; none for the hub); nil adds every hospital's (one process).
	mine func(i int) bool
}

type noise struct{ count, sum, sqr *dp.DiscreteLaplace }

func newRelease(cfg *config, centre int64, n int) (*release, error) {
	r := &release{epsilon: cfg.epsilon}
	if cfg.epsilon == 0 {
		return r, nil
	}
	var err error
	if r.acct, err = dp.NewAccountant(cfg.epsilon, 0); err != nil {
		return nil, fmt.Errorf("-epsilon %v: %w", cfg.epsilon, err)
	}
	each := cfg.epsilon / 3
	absMax := max(abs(cfg.lo-centre), abs(cfg.hi-centre), 1)
	r.sensSum = absMax
	r.sensSqr = absMax * absMax // bounds are limited in parseBounds so this fits
	r.parties = make([]noise, n)
	for i := range r.parties {
		var z noise
		if z.count, err = dp.NewDiscreteLaplace(dp.DiscreteLaplaceConfig{Epsilon: each, Sensitivity: 1, Budget: r.acct}); err != nil {
			return nil, fmt.Errorf("count noise: %w", err)
		}
		if z.sum, err = dp.NewDiscreteLaplace(dp.DiscreteLaplaceConfig{Epsilon: each, Sensitivity: r.sensSum, Budget: r.acct}); err != nil {
			return nil, fmt.Errorf("sum noise: %w", err)
		}
		if z.sqr, err = dp.NewDiscreteLaplace(dp.DiscreteLaplaceConfig{Epsilon: each, Sensitivity: r.sensSqr, Budget: r.acct}); err != nil {
			return nil, fmt.Errorf("sum of squares noise: %w", err)
		}
		r.parties[i] = z
	}
	for range 3 {
		if err := r.acct.Spend(each, 0); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// noisy returns hospital i's totals with its noise added (its own
// computation, before encryption). Each hospital's noise is a share of one
// release per figure, whose epsilon newRelease spent once from r.acct; so
// the shares are drawn with Sample, which spends nothing.
func (r *release) noisy(i int, t totals) totals {
	if r.epsilon == 0 || r.mine != nil && !r.mine(i) {
		return t
	}
	z := r.parties[i]
	return totals{count: t.count + z.count.Sample(), sum: t.sum + z.sum.Sample(), sumSq: t.sumSq + z.sqr.Sample()}
}

// describe says how the budget was spent, for the report.
func (r *release) describe(cfg *config) string {
	if r.epsilon == 0 {
		return "No differential-privacy noise (-epsilon 0): the figures are exact."
	}
	spent, _ := r.acct.Spent()
	z := r.parties[0]
	return fmt.Sprintf("Differential privacy (package dp): epsilon = %g in all (spent %g), a third each on count, sum and sum of squares.\n"+
		"  Each hospital added exact discrete Laplace noise (scales %.3g, %.3g, %.3g) to its own totals before encrypting,\n"+
		"  so no one ever saw exact joint totals; values were clamped to [%s, %s]. Mean and variance derive from the noisy totals.",
		r.epsilon, spent, z.count.Scale(), z.sum.Scale()/csvio.Scale, z.sqr.Scale()/(csvio.Scale*csvio.Scale),
		csvio.FormatDecimal(cfg.lo), csvio.FormatDecimal(cfg.hi))
}
