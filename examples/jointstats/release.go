package main

import (
	"fmt"
	"math"
	"math/big"

	"github.com/veil-go/veil/dp"
	"github.com/veil-go/veil/he"
	"github.com/veil-go/veil/internal/csvio"
)

// release is the differential-privacy side, on the library path: an
// he.Noise built from dp's distributed noise. Each hospital's he spoke adds
// its own share of Skellam (or distributed discrete Gaussian) noise to its
// integer totals inside the round, before encrypting them, so nobody (not
// the aggregator, not the decryptors) ever sees an exact joint total; the
// decrypted totals are the noisy ones. The shares are calibrated so that
// -min-honest honest hospitals' shares alone meet (-epsilon, -delta) for the
// three figures together (their RDP curves add up): no split of the budget,
// and about sqrt(n) times less noise than every hospital adding a whole
// release's worth. Values are clamped to the public bounds [lo, hi] and
// shifted by their public centre, so adding or removing one row changes a
// hospital's totals by at most 1, h and h^2 (h the largest |x - centre|).
// The sum and the sum of squares go in public units u1 ~ h/2^10 and
// u2 ~ h^2/2^10 (each hospital rounds its total, which adds at most one unit
// to the sensitivity), so that the noise fits dp's samplers and the HE
// plaintext space; the noise is hundreds of units, the rounding half a
// unit. With epsilon 0 nothing is added and the totals travel exactly, in
// he.MomentsEncoding's wide limbs. The noise comes from crypto/rand: no two
// runs release the same figures.
type release struct {
	epsilon, delta float64
	noise          *he.Noise // nil with epsilon 0
	units          [3]*big.Int
	acct           *dp.Accountant
}

// coarse is the sensitivity granularity of the sum and the sum of squares.
const coarseBits = 10

func newRelease(cfg *config, centre int64, n int) (*release, error) {
	r := &release{epsilon: cfg.epsilon, delta: cfg.delta}
	if cfg.epsilon == 0 {
		return r, nil
	}
	var err error
	if r.acct, err = dp.NewAccountant(cfg.epsilon, cfg.delta); err != nil {
		return nil, fmt.Errorf("-epsilon %v -delta %v: %w", cfg.epsilon, cfg.delta, err)
	}
	h := big.NewInt(max(abs(cfg.lo-centre), abs(cfg.hi-centre), 1))
	sens := [3]*big.Int{big.NewInt(1), h, new(big.Int).Mul(h, h)}
	rows := big.NewInt(maxRows)
	var maxAbs, sensQ [3]int64
	for k, s := range sens {
		u := new(big.Int).Rsh(s, coarseBits)
		if u.Sign() == 0 {
			u.SetInt64(1)
		}
		r.units[k] = u
		q := new(big.Int).Add(s, new(big.Int).Sub(u, big.NewInt(1)))
		q.Quo(q, u) // ceil(s/u)
		m := new(big.Int).Mul(rows, q)
		if u.Cmp(big.NewInt(1)) > 0 {
			q.Add(q, big.NewInt(1)) // a party rounds its total: one unit more
			m.Add(m, big.NewInt(1))
		}
		sensQ[k], maxAbs[k] = q.Int64(), m.Int64()
	}
	mech := he.Skellam
	if cfg.noise == "gaussian" {
		mech = he.DistributedGaussian
	}
	r.noise, err = he.NewNoise(he.NoiseConfig{Mechanism: mech, Epsilon: cfg.epsilon, Delta: cfg.delta,
		MaxAbs: maxAbs[:], Sensitivity: sensQ[:], Parties: n, MinHonest: cfg.minHonest, Budget: r.acct})
	if err != nil {
		return nil, fmt.Errorf("calibrating the noise: %w", err)
	}
	return r, nil
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// quantize is a hospital's (clamped, centred) totals in the release's
// units, rounded to the nearest.
func (r *release) quantize(t totals) []int64 {
	out := make([]int64, 3)
	for k, v := range []*big.Int{t.count, t.sum, t.sumSq} {
		u := r.units[k]
		q := new(big.Int).Mul(v, big.NewInt(2))
		q.Add(q, u)
		q.Div(q, new(big.Int).Mul(u, big.NewInt(2))) // floor((2v+u)/2u)
		out[k] = q.Int64()
	}
	return out
}

// dequantize reads the noisy totals back in cents.
func (r *release) dequantize(v []int64) (totals, error) {
	if len(v) != 3 {
		return totals{}, fmt.Errorf("decrypted %d values, want 3", len(v))
	}
	var t [3]*big.Int
	for k := range t {
		t[k] = new(big.Int).Mul(big.NewInt(v[k]), r.units[k])
	}
	return totals{count: t[0], sum: t[1], sumSq: t[2]}, nil
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
	u1, _ := new(big.Rat).SetFrac(r.units[1], big.NewInt(csvio.Scale)).Float64()
	u2, _ := new(big.Rat).SetFrac(r.units[2], big.NewInt(csvio.Scale*csvio.Scale)).Float64()
	return fmt.Sprintf("Differential privacy (package dp through he.Noise): %s noise, (epsilon %g, delta %g)-DP for count, sum and sum of squares together\n"+
		"  (add/remove one row; spent %g, %g once from this process's budget). Each hospital added its share inside the HE round, before\n"+
		"  encrypting, so no one ever saw exact joint totals; the shares of any %d honest hospitals of %d carry the guarantee\n"+
		"  (noise sd with all %d shares %.3g, %.3g, %.3g; sum and sum of squares in units of %g and %g). Values were clamped to [%s, %s];\n"+
		"  mean and variance derive from the noisy totals.",
		nc.Mechanism, r.epsilon, r.delta, spent, spentDelta, nc.MinHonest, nc.Parties,
		nc.Parties, sd[0], sd[1]*u1, sd[2]*u2, u1, u2, csvio.FormatDecimal(cfg.lo), csvio.FormatDecimal(cfg.hi))
}
