package main

import (
	"fmt"

	"github.com/veil-go/veil/dp"
	"github.com/veil-go/veil/internal/csvio"
)

// release adds the differential-privacy noise to the decrypted totals
// before they are published, with package dp: exact discrete Laplace noise
// on the integer totals (count; sum in cents; sum of squares in cents
// squared), each with a third of the budget, tracked by a dp.Accountant.
// Values are clamped to the public bounds [lo, hi] and shifted by their
// public centre c, so the sensitivities (adding or removing one row) are
// 1, (hi-lo)/2 and ((hi-lo)/2)^2. With epsilon 0 nothing is added.
type release struct {
	epsilon          float64
	count, sum, sqr  *dp.DiscreteLaplace
	sensSum, sensSqr int64
	acct             *dp.Accountant
}

func newRelease(cfg *config, centre int64, testSeed []byte) (*release, error) {
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
	if r.count, err = dp.NewDiscreteLaplace(each, 1); err != nil {
		return nil, fmt.Errorf("count noise: %w", err)
	}
	if r.sum, err = dp.NewDiscreteLaplace(each, r.sensSum); err != nil {
		return nil, fmt.Errorf("sum noise: %w", err)
	}
	if r.sqr, err = dp.NewDiscreteLaplace(each, r.sensSqr); err != nil {
		return nil, fmt.Errorf("sum of squares noise: %w", err)
	}
	if testSeed != nil {
		r.count.SetTestSeed(append(testSeed, 'c'))
		r.sum.SetTestSeed(append(testSeed, 's'))
		r.sqr.SetTestSeed(append(testSeed, 'q'))
	}
	return r, nil
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// finish returns the totals to publish, spending the budget.
func (r *release) finish(t totals) (totals, error) {
	if r.epsilon == 0 {
		return t, nil
	}
	for range 3 {
		if err := r.acct.Spend(r.epsilon/3, 0); err != nil {
			return totals{}, err
		}
	}
	return totals{
		count: r.count.AddNoise(t.count),
		sum:   r.sum.AddNoise(t.sum),
		sumSq: r.sqr.AddNoise(t.sumSq),
	}, nil
}

// describe says how the budget was spent, for the report.
func (r *release) describe(cfg *config) string {
	if r.epsilon == 0 {
		return "No differential-privacy noise (-epsilon 0): the figures are exact."
	}
	spent, _ := r.acct.Spent()
	return fmt.Sprintf("Differential privacy (package dp): budget epsilon = %g in all (spent %g), a third each on count, sum and sum of squares,\n"+
		"  exact discrete Laplace noise of scale %.3g, %.3g and %.3g (values clamped to [%s, %s]); mean and variance are derived from them.",
		r.epsilon, spent, r.count.Scale(), r.sum.Scale()/csvio.Scale, r.sqr.Scale()/(csvio.Scale*csvio.Scale),
		csvio.FormatDecimal(cfg.lo), csvio.FormatDecimal(cfg.hi))
}
