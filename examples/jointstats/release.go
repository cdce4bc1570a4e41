package main

import (
	"fmt"
	"math"
	"math/big"

	"github.com/veil-go/veil/dp"
	"github.com/veil-go/veil/he"
	"github.com/veil-go/veil/internal/csvio"
)

// release is the differential-privacy side, on the library path:
// he.NoisyMoments and its he.Noise, built from dp's distributed noise. Each
// hospital's he spoke adds its own share of Skellam (or distributed
// discrete Gaussian) noise to its totals inside the round, before
// encrypting them, so nobody (not the aggregator, not the decryptors) ever
// sees an exact joint total; the decrypted totals are the noisy ones. The
// shares are calibrated so that -min-honest honest hospitals' shares alone
// meet (-epsilon, -delta) for count, sum and sum of squares together
// (their RDP curves add up): no split of the budget, and about sqrt(n)
// times less noise than every hospital adding a whole release's worth.
// NoisyMoments clamps the values to the public bounds, centres them and
// rounds the sum and sum of squares to public units (see its doc). With
// epsilon 0 nothing is added and the totals travel exactly, in
// he.MomentsEncoding's wide limbs. The noise comes from crypto/rand: no two
// runs release the same figures.
type release struct {
	epsilon, delta float64
	moments        *he.NoisyMoments // nil with epsilon 0
	noise          *he.Noise
	acct           *dp.Accountant
}

func newRelease(cfg *config, n int) (*release, error) {
	r := &release{epsilon: cfg.epsilon, delta: cfg.delta}
	if cfg.epsilon == 0 {
		return r, nil
	}
	var err error
	if r.acct, err = dp.NewAccountant(cfg.epsilon, cfg.delta); err != nil {
		return nil, fmt.Errorf("-epsilon %v -delta %v: %w", cfg.epsilon, cfg.delta, err)
	}
	mech := he.Skellam
	if cfg.noise == "gaussian" {
		mech = he.DistributedGaussian
	}
	r.moments, err = he.NewNoisyMoments(he.NoisyMomentsConfig{Mechanism: mech, Epsilon: cfg.epsilon, Delta: cfg.delta,
		Parties: n, MinHonest: cfg.minHonest, Budget: r.acct, Lower: cfg.lo, Upper: cfg.hi, MaxRows: maxRows})
	if err != nil {
		return nil, fmt.Errorf("calibrating the noise: %w", err)
	}
	r.noise = r.moments.Noise()
	return r, nil
}

// describe says which mechanism and guarantee apply, for the report.
func (r *release) describe(cfg *config) string {
	if r.epsilon == 0 {
		return "No differential-privacy noise (-epsilon 0): the figures are exact."
	}
	spent, spentDelta := r.acct.Spent()
	nc := r.noise.NoiseConfig()
	sd := r.noise.Scale() // of MinHonest shares; all the parties' together:
	for k := range sd {
		sd[k] *= math.Sqrt(float64(nc.Parties) / float64(nc.MinHonest))
	}
	units := r.moments.Units()
	u1, _ := new(big.Rat).SetFrac(units[1], big.NewInt(csvio.Scale)).Float64()
	u2, _ := new(big.Rat).SetFrac(units[2], big.NewInt(csvio.Scale*csvio.Scale)).Float64()
	return fmt.Sprintf("Differential privacy (package dp through he.NoisyMoments): %s noise, (epsilon %g, delta %g)-DP for count, sum and sum of squares together\n"+
		"  (add/remove one row; spent %g, %g once from this process's budget). Each hospital added its share inside the HE round, before\n"+
		"  encrypting, so no one ever saw exact joint totals; the shares of any %d honest hospitals of %d carry the guarantee\n"+
		"  (noise sd with all %d shares %.3g, %.3g, %.3g; sum and sum of squares in units of %g and %g). Values were clamped to [%s, %s];\n"+
		"  mean and variance derive from the noisy totals.",
		nc.Mechanism, r.epsilon, r.delta, spent, spentDelta, nc.MinHonest, nc.Parties,
		nc.Parties, sd[0], sd[1]*u1, sd[2]*u2, u1, u2, csvio.FormatDecimal(cfg.lo), csvio.FormatDecimal(cfg.hi))
}
