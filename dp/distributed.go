package dp

import (
	"math"
)

// Distributed noise for secure aggregation.
//
// Each of n parties adds a share of noise to its integer input before secure
// aggregation (mpc/secagg, he); the aggregate reveals only the sum, whose noise
// is the sum of the shares. Two noise families are closed under sums:
//
//   - Skellam: each party adds Poisson(lambda) - Poisson(lambda); the sum of h
//     shares is exactly Skellam(h*lambda, h*lambda), variance 2*h*lambda.
//     Privacy by the RDP bound of Agarwal, Kairouz & Liu (NeurIPS 2021,
//     arXiv 2110.04995), see SkellamRDP.
//   - Distributed discrete Gaussian: each party adds N_Z(0, s^2); the sum of h
//     shares is close to N_Z(0, h s^2), with the RDP bound of Kairouz, Liu &
//     Steinke (ICML 2021, arXiv 2102.06387), see DistributedDiscreteGaussianRDP.
//
// Honest parties: colluding parties know their own shares and can subtract
// them, and a party that drops out before adding its share adds nothing. The
// guarantee therefore rests on the shares of the parties that are honest AND
// present. The constructors take MinHonest, the number of such parties the
// deployment assumes (at most Parties), and size each share so that MinHonest
// shares alone carry the target noise; when more parties are honest the noise
// is larger (privacy is only better, accuracy a little worse). With
// MinHonest = Parties, one corrupt or dropped party voids the calibration.

// SkellamParams configures Skellam noise shares.
type SkellamParams struct {
	// Mu is the Poisson mean of each side of the aggregate noise
	// Skellam(Mu, Mu), of variance 2*Mu (see CalibrateSkellam).
	Mu float64
	// Parties is the number of parties adding shares.
	Parties int
	// MinHonest is the number of honest, present parties the guarantee
	// assumes; 0 means Parties.
	MinHonest int
}

// SkellamShare draws one party's share of Skellam noise: each coordinate is
// Poisson(Mu/MinHonest) - Poisson(Mu/MinHonest), sampled exactly (the Poisson
// mean rounded up by < 2^-20, at most 2^40). A coordinate costs about 0.2 us
// at mean 1 and 1-2 us at means 1e4-1e6 (BenchmarkSkellamShare); for means
// above 16 the sampler keeps tables of O(sqrt(mean)) float64s, at most 2 MiB.
// A SkellamShare is safe for concurrent use.
type SkellamShare struct {
	source
	params SkellamParams
	pois   *poisson
}

// NewSkellamShare returns the share sampler of one of parties parties, all
// assumed honest and present, for aggregate noise Skellam(mu, mu).
func NewSkellamShare(mu float64, parties int) (*SkellamShare, error) {
	return NewSkellamShareParams(SkellamParams{Mu: mu, Parties: parties})
}

// NewSkellamShareParams returns a share sampler for p.
func NewSkellamShareParams(p SkellamParams) (*SkellamShare, error) {
	h, err := checkParties(p.Parties, p.MinHonest)
	if err != nil {
		return nil, err
	}
	p.MinHonest = h
	if err := checkPositive("Skellam mu", p.Mu); err != nil {
		return nil, err
	}
	pois, err := newPoisson(p.Mu / float64(h))
	if err != nil {
		return nil, err
	}
	s := &SkellamShare{params: p, pois: pois}
	return withSource(s, &s.source)
}

func checkParties(parties, minHonest int) (int, error) {
	if parties < 1 {
		return 0, invalid("parties must be >= 1, got %d", parties)
	}
	if minHonest == 0 {
		minHonest = parties
	}
	if minHonest < 1 || minHonest > parties {
		return 0, invalid("MinHonest must be in [1, %d], got %d", parties, minHonest)
	}
	return minHonest, nil
}

// Params returns the parameters, with MinHonest filled in.
func (s *SkellamShare) Params() SkellamParams { return s.params }

// Lambda returns the per-party Poisson mean actually used.
func (s *SkellamShare) Lambda() float64 { return s.pois.lambda() }

// Sample returns one coordinate of the share.
func (s *SkellamShare) Sample() int64 { return s.vec(1, s.draw)[0] }

func (s *SkellamShare) draw(r *prg) int64 {
	return int64(s.pois.sample(r)) - int64(s.pois.sample(r))
}

// Noise returns dim coordinates of the share (nil for dim <= 0).
func (s *SkellamShare) Noise(dim int) []int64 { return s.vec(dim, s.draw) }

// AddNoise adds the share to v in place (saturating at the int64 range).
func (s *SkellamShare) AddNoise(v []int64) { s.addTo(v, s.draw) }

// SkellamRDP returns the RDP at integer order alpha >= 2 of adding
// Skellam(mu, mu) noise (variance 2 mu) to an integer vector of L1 and L2
// sensitivities l1, l2 (Agarwal, Kairouz & Liu 2021, Theorem 3.5, in the
// variance parametrisation v = 2 mu:
// alpha l2^2/(2v) + min(((2alpha-1) l2^2 + 6 l1)/(4 v^2), 3 l1/(2v))).
// It returns +Inf for non-integer orders.
func SkellamRDP(alpha, mu, l1, l2 float64) float64 {
	if alpha != math.Trunc(alpha) || alpha < 2 {
		return math.Inf(1)
	}
	v := 2 * mu
	return alpha*l2*l2/(2*v) + math.Min(((2*alpha-1)*l2*l2+6*l1)/(4*v*v), 3*l1/(2*v))
}

// SkellamEpsilon returns the epsilon at delta of one release with
// Skellam(mu, mu) noise.
func SkellamEpsilon(mu, delta, l1, l2 float64) (float64, error) {
	return curveEpsilon(func(a float64) float64 { return SkellamRDP(a, mu, l1, l2) }, delta)
}

func curveEpsilon(curve func(float64) float64, delta float64) (float64, error) {
	rdp := make([]float64, len(rdpOrders))
	for i, a := range rdpOrders {
		rdp[i] = curve(a)
	}
	e, _, err := RDPToDP(rdpOrders, rdp, delta)
	return e, err
}

func checkDistributedParams(epsilon, delta, l1, l2 float64) error {
	if err := checkEpsilon(epsilon); err != nil {
		return err
	}
	if err := checkDelta(delta); err != nil {
		return err
	}
	if delta == 0 {
		return invalid("distributed noise needs delta > 0")
	}
	if err := checkSensitivity("l1", l1); err != nil {
		return err
	}
	return checkSensitivity("l2", l2)
}

// CalibrateSkellam returns the smallest mu (within a relative 1e-9, rounded
// up) such that Skellam(mu, mu) noise on integer data of L1 and L2
// sensitivities l1, l2 is (epsilon, delta)-DP.
func CalibrateSkellam(epsilon, delta, l1, l2 float64) (float64, error) {
	if err := checkDistributedParams(epsilon, delta, l1, l2); err != nil {
		return 0, err
	}
	return bisectUp(func(mu float64) bool {
		e, err := SkellamEpsilon(mu, delta, l1, l2)
		return err == nil && e <= epsilon
	}, l2*l2)
}

// SkellamParamsFor returns the parameters of Skellam shares for an
// (epsilon, delta)-DP release of an integer vector of L1 and L2 sensitivities
// l1, l2, summed over parties parties of whom at least minHonest (0 means
// all) are honest and present.
func SkellamParamsFor(epsilon, delta, l1, l2 float64, parties, minHonest int) (SkellamParams, error) {
	h, err := checkParties(parties, minHonest)
	if err != nil {
		return SkellamParams{}, err
	}
	mu, err := CalibrateSkellam(epsilon, delta, l1, l2)
	if err != nil {
		return SkellamParams{}, err
	}
	return SkellamParams{Mu: mu, Parties: parties, MinHonest: h}, nil
}

// bisectUp finds the smallest x > 0 (relative precision 1e-12, returned on the
// safe side, then inflated by 1e-9) with ok(x), ok being monotone.
func bisectUp(ok func(float64) bool, start float64) (float64, error) {
	hi := start
	if !finite(hi) || hi <= 0 {
		hi = 1
	}
	for i := 0; !ok(hi); i++ {
		if i > 2000 || math.IsInf(hi, 0) {
			return 0, invalid("no parameter satisfies the privacy target")
		}
		hi *= 2
	}
	lo := hi / 2
	for i := 0; ok(lo); i++ {
		if i > 2000 || lo == 0 {
			break
		}
		hi, lo = lo, lo/2
	}
	for i := 0; i < 200 && hi-lo > hi*1e-12; i++ {
		mid := lo + (hi-lo)/2
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi * calibrationSafety, nil
}

// DistributedDiscreteGaussianRDP returns the RDP at order alpha of the sum of
// honest independent discrete Gaussians N_Z(0, localSigma^2) added to an
// integer vector of dimension dim with L1 and L2 sensitivities l1, l2
// (Kairouz, Liu & Steinke 2021, Theorem 1 and Proposition 14):
// with tau = 10 sum_{k=1}^{n-1} exp(-2 pi^2 s^2 k/(k+1)), and l1, l2 divided
// by sqrt(n) s, the minimum of alpha/2 l2^2 + tau dim,
// alpha/2 (l2^2 + 2 l1 tau + tau^2 dim) and alpha/2 (l2 + sqrt(dim) tau)^2.
func DistributedDiscreteGaussianRDP(alpha, localSigma float64, honest, dim int, l1, l2 float64) float64 {
	n := float64(honest)
	tau := 0.0
	for k := 1; k < honest; k++ {
		tau += math.Exp(-2 * math.Pi * math.Pi * localSigma * localSigma * float64(k) / float64(k+1))
	}
	tau *= 10
	s := math.Sqrt(n) * localSigma
	a1, a2 := l1/s, l2/s
	d := float64(dim)
	t1 := alpha/2*a2*a2 + tau*d
	t2 := alpha / 2 * (a2*a2 + 2*a1*tau + tau*tau*d)
	t3 := alpha / 2 * (a2 + math.Sqrt(d)*tau) * (a2 + math.Sqrt(d)*tau)
	return math.Min(t1, math.Min(t2, t3))
}

// CalibrateDistributedDiscreteGaussian returns the smallest local sigma (a
// relative 1e-9 on the safe side) such that the sum of honest shares
// N_Z(0, sigma^2) on integer vectors of dimension dim and L1, L2
// sensitivities l1, l2 is (epsilon, delta)-DP.
func CalibrateDistributedDiscreteGaussian(epsilon, delta, l1, l2 float64, dim, honest int) (float64, error) {
	if err := checkDistributedParams(epsilon, delta, l1, l2); err != nil {
		return 0, err
	}
	if dim < 1 || honest < 1 {
		return 0, invalid("dim and honest must be >= 1, got %d, %d", dim, honest)
	}
	return bisectUp(func(s float64) bool {
		e, err := curveEpsilon(func(a float64) float64 {
			return DistributedDiscreteGaussianRDP(a, s, honest, dim, l1, l2)
		}, delta)
		return err == nil && e <= epsilon
	}, l2)
}

// DiscreteGaussianShareParams configures distributed discrete Gaussian shares.
type DiscreteGaussianShareParams struct {
	// LocalSigma is each share's sigma (see CalibrateDistributedDiscreteGaussian,
	// called with honest = MinHonest).
	LocalSigma float64
	Parties    int
	// MinHonest is the number of honest, present parties assumed; 0 means
	// Parties. Informational: LocalSigma must be calibrated for it.
	MinHonest int
}

// DiscreteGaussianShare draws one party's share of distributed discrete
// Gaussian noise, exactly. It is safe for concurrent use.
type DiscreteGaussianShare struct {
	source
	params DiscreteGaussianShareParams
	g      *dgauss
}

// NewDiscreteGaussianShare returns a share sampler for p.
func NewDiscreteGaussianShare(p DiscreteGaussianShareParams) (*DiscreteGaussianShare, error) {
	h, err := checkParties(p.Parties, p.MinHonest)
	if err != nil {
		return nil, err
	}
	p.MinHonest = h
	g, err := dgaussFor(p.LocalSigma)
	if err != nil {
		return nil, err
	}
	s := &DiscreteGaussianShare{params: p, g: g}
	return withSource(s, &s.source)
}

// Params returns the parameters, with MinHonest filled in.
func (s *DiscreteGaussianShare) Params() DiscreteGaussianShareParams { return s.params }

// Noise returns dim coordinates of the share (nil for dim <= 0).
func (s *DiscreteGaussianShare) Noise(dim int) []int64 { return s.vec(dim, s.g.sample) }

// AddNoise adds the share to v in place (saturating at the int64 range).
func (s *DiscreteGaussianShare) AddNoise(v []int64) { s.addTo(v, s.g.sample) }
