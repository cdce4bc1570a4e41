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
//     arXiv 2110.04995), see [SkellamRDP].
//   - Distributed discrete Gaussian: each party adds N_Z(0, s^2); the sum of h
//     shares is close to N_Z(0, h s^2), with the RDP bound of Kairouz, Liu &
//     Steinke (ICML 2021, arXiv 2102.06387), see [DistributedDiscreteGaussianRDP].
//
// Honest parties: colluding parties know their own shares and can subtract
// them, and a party that drops out before adding its share adds nothing. The
// guarantee therefore rests on the shares of the parties that are honest AND
// present. The constructors take MinHonest, the number of such parties the
// deployment assumes (at most Parties), and size each share so that MinHonest
// shares alone carry the target noise; when more parties are honest the noise
// is larger (privacy is only better, accuracy a little worse). With
// MinHonest = Parties, one corrupt or dropped party voids the calibration.

// SkellamShareConfig configures a [SkellamShare].
type SkellamShareConfig struct {
	// Mu is the Poisson mean of each side of the aggregate noise
	// Skellam(Mu, Mu), of variance 2*Mu (see [CalibrateSkellam]); > 0.
	Mu float64
	// Parties is the number of parties adding shares, >= 1.
	Parties int
	// MinHonest is the number of honest, present parties the guarantee
	// assumes, in [1, Parties]; 0 means Parties.
	MinHonest int
	// Workers is how many goroutines draw a vector longer than 4096
	// coordinates; 0 means GOMAXPROCS. The noise drawn does not depend on
	// it.
	Workers int
}

// SkellamShare draws one party's share of Skellam noise: each coordinate is
// Poisson(Mu/MinHonest) - Poisson(Mu/MinHonest), sampled exactly (the Poisson
// mean rounded up by < 2^-20, at most 2^40). For means above 16 the sampler
// keeps tables of O(sqrt(mean)) float64s, at most 2 MiB. A [SkellamShare] is
// safe for concurrent use.
type SkellamShare struct {
	source
	cfg  SkellamShareConfig
	pois *poisson
}

// NewSkellamShare returns the share sampler configured by cfg.
func NewSkellamShare(cfg SkellamShareConfig) (*SkellamShare, error) {
	p := cfg
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
	s := &SkellamShare{cfg: p, pois: pois}
	return withSource(s, &s.source, p.Workers)
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

// Config returns the configuration, with MinHonest filled in.
func (s *SkellamShare) Config() SkellamShareConfig { return s.cfg }

// Lambda returns the per-party Poisson mean actually used.
func (s *SkellamShare) Lambda() float64 { return s.pois.lambda() }

// Sample returns one coordinate of the share.
func (s *SkellamShare) Sample() int64 { return s.vec(1, s.draw)[0] }

func (s *SkellamShare) draw(r *rng) int64 {
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
// Skellam(mu, mu) noise on integer data of L1 and L2 sensitivities l1, l2,
// from [SkellamRDP] at the orders of [RDPOrders].
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

// DistributedTarget is what distributed noise is calibrated for: an
// (Epsilon, Delta)-DP release of the sum of integer vectors, for
// neighbouring inputs that differ in one party's vector by at most L1 and L2
// (the sensitivities).
type DistributedTarget struct {
	// Epsilon and Delta are the privacy target: Epsilon finite and > 0,
	// Delta in (0, 1).
	Epsilon, Delta float64
	// L1 and L2 are the sensitivities of the sum, finite and > 0.
	L1, L2 float64
	// Dim is the dimension of the vector, >= 1. The Skellam calibration
	// does not use it.
	Dim int
	// Honest is the number of honest, present parties whose shares the
	// guarantee counts (the shares' MinHonest), >= 1. The Skellam
	// calibration, which is for the aggregate, does not use it.
	Honest int
}

// CalibrateSkellam returns the smallest mu (within a relative 1e-9, rounded
// up) such that aggregate Skellam(mu, mu) noise meets t (Dim and Honest are
// not used); give it to [SkellamShareConfig].Mu with MinHonest set to the
// number of honest, present parties assumed.
func CalibrateSkellam(t DistributedTarget) (float64, error) {
	epsilon, delta, l1, l2 := t.Epsilon, t.Delta, t.L1, t.L2
	if err := checkDistributedParams(epsilon, delta, l1, l2); err != nil {
		return 0, err
	}
	return bisectUp(func(mu float64) bool {
		e, err := SkellamEpsilon(mu, delta, l1, l2)
		return err == nil && e <= epsilon
	}, l2*l2)
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

// MinLocalSigma is the smallest local sigma of distributed discrete
// Gaussian shares: Kairouz, Liu & Steinke state their Theorem 1 and
// Proposition 14 for sigma >= 1/2.
const MinLocalSigma = 0.5

// CalibrateDistributedDiscreteGaussian returns the smallest local sigma (a
// relative 1e-9 on the safe side), and at least [MinLocalSigma], such that
// the sum of t.Honest shares N_Z(0, sigma^2) meets t. A
// [DiscreteGaussianShareConfig] with this Target and MinHonest = t.Honest
// calibrates to the same sigma.
func CalibrateDistributedDiscreteGaussian(t DistributedTarget) (float64, error) {
	s, err := calibrateDDG(t)
	if err != nil {
		return 0, err
	}
	// The bound decreases in sigma, so raising sigma keeps the target.
	return math.Max(s, MinLocalSigma), nil
}

// ddgMeets reports whether shares of local sigma s meet t.
func ddgMeets(t DistributedTarget, s float64) bool {
	e, err := curveEpsilon(func(a float64) float64 {
		return DistributedDiscreteGaussianRDP(a, s, t.Honest, t.Dim, t.L1, t.L2)
	}, t.Delta)
	return err == nil && e <= t.Epsilon
}

func calibrateDDG(t DistributedTarget) (float64, error) {
	epsilon, delta, l1, l2, dim, honest := t.Epsilon, t.Delta, t.L1, t.L2, t.Dim, t.Honest
	if err := checkDistributedParams(epsilon, delta, l1, l2); err != nil {
		return 0, err
	}
	if dim < 1 || honest < 1 {
		return 0, invalid("Dim and Honest must be >= 1, got %d, %d", dim, honest)
	}
	return bisectUp(func(s float64) bool { return ddgMeets(t, s) }, l2)
}

// DiscreteGaussianShareConfig configures a [DiscreteGaussianShare]. As for
// Skellam shares, the guarantee is stated for the aggregate and MinHonest
// sizes the shares: the local sigma is calibrated (or checked) for Target
// with Honest = MinHonest.
type DiscreteGaussianShareConfig struct {
	// Target is the guarantee of the sum of MinHonest honest shares
	// (Epsilon, Delta, L1, L2, Dim); its Honest field must be 0 or equal
	// to MinHonest.
	Target DistributedTarget
	// LocalSigma, if not 0, is each share's sigma, checked against Target
	// (a sigma calibrated for more honest parties than MinHonest is
	// refused); 0 calibrates it with [CalibrateDistributedDiscreteGaussian].
	// At least [MinLocalSigma] and at most [MaxDiscreteGaussianSigma].
	LocalSigma float64
	// Parties is the number of parties adding shares, >= 1.
	Parties int
	// MinHonest is the number of honest, present parties assumed, in
	// [1, Parties]; 0 means Parties.
	MinHonest int
	// Workers is how many goroutines draw a vector longer than 4096
	// coordinates; 0 means GOMAXPROCS. The noise drawn does not depend on
	// it.
	Workers int
}

// DiscreteGaussianShare draws one party's share of distributed discrete
// Gaussian noise, exactly. Like every share of distributed noise it spends
// no budget: the release of the aggregate does. It is safe for concurrent
// use.
type DiscreteGaussianShare struct {
	source
	cfg DiscreteGaussianShareConfig
	g   *dgauss
}

// NewDiscreteGaussianShare returns the share sampler configured by cfg.
func NewDiscreteGaussianShare(cfg DiscreteGaussianShareConfig) (*DiscreteGaussianShare, error) {
	p := cfg
	h, err := checkParties(p.Parties, p.MinHonest)
	if err != nil {
		return nil, err
	}
	p.MinHonest = h
	if p.Target.Honest != 0 && p.Target.Honest != h {
		return nil, invalid("Target.Honest %d differs from MinHonest %d", p.Target.Honest, h)
	}
	p.Target.Honest = h
	if p.LocalSigma == 0 {
		if p.LocalSigma, err = CalibrateDistributedDiscreteGaussian(p.Target); err != nil {
			return nil, err
		}
	} else {
		if !finite(p.LocalSigma) || p.LocalSigma < MinLocalSigma {
			return nil, invalid("LocalSigma must be >= %v, got %v", MinLocalSigma, p.LocalSigma)
		}
		if err := checkDistributedParams(p.Target.Epsilon, p.Target.Delta, p.Target.L1, p.Target.L2); err != nil {
			return nil, err
		}
		if p.Target.Dim < 1 {
			return nil, invalid("Target.Dim must be >= 1, got %d", p.Target.Dim)
		}
		if !ddgMeets(p.Target, p.LocalSigma) {
			return nil, invalid("LocalSigma %v does not meet (epsilon %v, delta %v) with %d honest shares",
				p.LocalSigma, p.Target.Epsilon, p.Target.Delta, h)
		}
	}
	g, err := dgaussFor(p.LocalSigma)
	if err != nil {
		return nil, err
	}
	s := &DiscreteGaussianShare{cfg: p, g: g}
	return withSource(s, &s.source, p.Workers)
}

// Config returns the configuration, with MinHonest, Target.Honest and
// LocalSigma filled in.
func (s *DiscreteGaussianShare) Config() DiscreteGaussianShareConfig { return s.cfg }

// Noise returns dim coordinates of the share (nil for dim <= 0).
func (s *DiscreteGaussianShare) Noise(dim int) []int64 { return s.vec(dim, s.g.sample) }

// AddNoise adds the share to v in place (saturating at the int64 range).
func (s *DiscreteGaussianShare) AddNoise(v []int64) { s.addTo(v, s.g.sample) }
