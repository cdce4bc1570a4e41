package he

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/veil-go/veil/dp"
)

// NoiseMechanism names the distributed noise a [Noise] adds.
type NoiseMechanism uint8

const (
	// Skellam noise: each client adds Poisson(mu/h) - Poisson(mu/h) to each
	// coordinate ([dp.NewSkellamShare]); h honest shares sum to exactly
	// Skellam(mu, mu). Privacy by [dp.SkellamRDP].
	Skellam NoiseMechanism = iota + 1
	// DistributedGaussian noise: each client adds N_Z(0, sigma^2)
	// ([dp.NewDiscreteGaussianShare]); h honest shares are close to
	// N_Z(0, h sigma^2). Privacy by [dp.DistributedDiscreteGaussianRDP].
	DistributedGaussian
)

func (m NoiseMechanism) String() string {
	switch m {
	case Skellam:
		return "Skellam"
	case DistributedGaussian:
		return "distributed discrete Gaussian"
	}
	return fmt.Sprintf("NoiseMechanism(%d)", uint8(m))
}

// DefaultNoiseFailure is the default probability that some client's noise
// share exceeds the tail bound its range is sized for.
const DefaultNoiseFailure = 0x1p-40

// NoiseConfig declares a differentially private BGV sum: what each client
// contributes, how one privacy unit can change it, the guarantee, the
// parties and the budget the release spends from.
type NoiseConfig struct {
	// Mechanism is the noise; 0 means Skellam.
	Mechanism NoiseMechanism
	// Epsilon and Delta are the guarantee of the released sum (finite
	// Epsilon > 0, Delta in (0, 1)), under the neighbouring relation the
	// Sensitivity describes.
	Epsilon, Delta float64
	// MaxAbs[k] bounds coordinate k of every client's vector before noise:
	// |v[k]| <= MaxAbs[k]. Its length is the round's Length (>= 1).
	MaxAbs []int64
	// Sensitivity[k] >= 1 bounds how much one privacy unit (a row, under
	// add/remove-one) changes coordinate k of the one client's vector that
	// holds it. The noise is calibrated for all coordinates together (their
	// RDP curves add up).
	Sensitivity []int64
	// Parties is the number of clients adding shares: the round's clients.
	Parties int
	// MinHonest is the number of clients, honest and present, whose shares
	// the guarantee counts: the noise is calibrated so that MinHonest shares
	// alone carry it. In [1, Parties]; 0 means Parties.
	MinHonest int
	// FailureProbability bounds the chance that some share (of any client,
	// any coordinate) exceeds the tail bound the plaintext range is sized
	// for; 0 means DefaultNoiseFailure (2^-40). It is in (0, 2^-10].
	FailureProbability float64
	// Budget is what the release spends (Epsilon, Delta) from, once per
	// party that runs the round with this Noise (see [Noise]). Required.
	Budget dp.Budget
}

// Noise is the bridge from package dp to a round: a calibrated aggregation
// whose clients add their shares of distributed noise inside the round, so
// that the decrypted sum is the noisy sum and nobody, not the hub and not
// the decryptors, sees the exact one. Put it in [Round].Noise and build the
// round's Params from [Noise.Config].
//
// Who adds what: every client adds one share, drawn in its own process from
// crypto/rand, to its vector before it encrypts (after checking the vector
// against MaxAbs). The hub and key holders add nothing (the smudging of the
// decryption is there for the key, not for DP). The decrypted sum is
// sum(v_i) + sum(share_i) over the counted clients.
//
// Dishonest and dropped clients: a client that leaves its share out, or
// colludes and subtracts its own, removes only its own share. A client that
// drops out before its ciphertext is counted removes its data and its share:
// the sum then carries one share fewer. The calibration counts MinHonest
// shares: the guarantee (Epsilon, Delta) holds whenever at least MinHonest
// of the counted clients are honest; with Parties - MinHonest clients
// over-provisioned it survives that many dropouts or dishonest clients
// (more honest shares than MinHonest only add noise). The hub refuses to
// decrypt a sum of fewer than MinHonest counted clients
// ([ErrTooFewShares]); it cannot tell an honest client from a dishonest
// one, so MinHonest is the deployment's assumption about the counted ones.
// On the verified path (the default) every key holder checks the same on
// the contributions it verified itself and makes no decryption share for
// fewer, so a hub that skips its check gets nothing; on the semi-honest
// path ([Round].SemiHonestContributions) the holders decrypt what the hub
// sends, and the check rests on the hub alone.
//
// Budget: each party running the round with a Noise spends (Epsilon, Delta)
// from its Budget once, before it draws or learns anything; a Noise serves
// one round ([RunInProcess] spends once for the whole round), and a second
// use is refused with an error wrapping [dp.ErrBudgetExceeded].
//
// Range: each share's coordinate k is within TailBound()[k] except with
// probability FailureProbability over all shares (a Chernoff bound on the
// Skellam share, the sub-Gaussian bound on the discrete Gaussian one); the
// Params from [Noise.Config] have Bound = max_k(MaxAbs[k] + TailBound[k])
// and MaxWeight = Parties, and [NewParams] refuses them with
// [ErrOutOfRange] when Parties of those cannot be summed exactly. A share
// beyond its tail bound makes that client fail before it sends anything;
// the event depends on the noise alone, not on the data.
type Noise struct {
	cfg    NoiseConfig
	dim    int
	tail   []int64
	scale  []float64 // per coordinate: the std of MinHonest shares together
	share  []func() int64
	mu     sync.Mutex // guards spent
	spent  bool
	bounds int64
}

// NewNoise validates cfg and calibrates the shares.
func NewNoise(cfg NoiseConfig) (*Noise, error) {
	if cfg.Mechanism == 0 {
		cfg.Mechanism = Skellam
	}
	if cfg.Mechanism != Skellam && cfg.Mechanism != DistributedGaussian {
		return nil, fmt.Errorf("he: %w: unknown noise mechanism %d", ErrInvalidParams, cfg.Mechanism)
	}
	if cfg.Budget == nil {
		return nil, fmt.Errorf("he: %w: NoiseConfig.Budget is required (a dp.Budget the release spends from)", ErrInvalidParams)
	}
	d := len(cfg.MaxAbs)
	if d < 1 || len(cfg.Sensitivity) != d {
		return nil, fmt.Errorf("he: %w: %d value bounds and %d sensitivities (need the same number, >= 1)", ErrInvalidParams, d, len(cfg.Sensitivity))
	}
	for k := range d {
		if cfg.MaxAbs[k] < 0 || cfg.Sensitivity[k] < 1 || cfg.MaxAbs[k] > 1<<62 || cfg.Sensitivity[k] > 1<<40 {
			return nil, fmt.Errorf("he: %w: coordinate %d: MaxAbs %d, Sensitivity %d (need 0 <= MaxAbs <= 2^62, 1 <= Sensitivity <= 2^40)", ErrInvalidParams, k, cfg.MaxAbs[k], cfg.Sensitivity[k])
		}
	}
	if cfg.Parties < 1 || cfg.Parties > 1<<20 {
		return nil, fmt.Errorf("he: %w: %d parties", ErrInvalidParams, cfg.Parties)
	}
	if cfg.MinHonest == 0 {
		cfg.MinHonest = cfg.Parties
	}
	if cfg.MinHonest < 1 || cfg.MinHonest > cfg.Parties {
		return nil, fmt.Errorf("he: %w: MinHonest %d outside [1, Parties %d]", ErrInvalidParams, cfg.MinHonest, cfg.Parties)
	}
	if cfg.FailureProbability == 0 {
		cfg.FailureProbability = DefaultNoiseFailure
	}
	if !(cfg.FailureProbability > 0 && cfg.FailureProbability <= 0x1p-10) {
		return nil, fmt.Errorf("he: %w: FailureProbability %v outside (0, 2^-10]", ErrInvalidParams, cfg.FailureProbability)
	}
	if !(cfg.Epsilon > 0) || math.IsInf(cfg.Epsilon, 0) || !(cfg.Delta > 0 && cfg.Delta < 1) {
		return nil, fmt.Errorf("he: %w: epsilon %v, delta %v (need epsilon > 0 finite, delta in (0, 1))", ErrInvalidParams, cfg.Epsilon, cfg.Delta)
	}
	cfg.MaxAbs, cfg.Sensitivity = slices.Clone(cfg.MaxAbs), slices.Clone(cfg.Sensitivity)
	n := &Noise{cfg: cfg, dim: d, tail: make([]int64, d), scale: make([]float64, d), share: make([]func() int64, d)}
	if err := n.calibrate(); err != nil {
		return nil, err
	}
	for k := range d {
		b := cfg.MaxAbs[k] + n.tail[k]
		if n.tail[k] < 0 || b < cfg.MaxAbs[k] {
			return nil, fmt.Errorf("he: %w: coordinate %d: MaxAbs %d plus the noise's tail overflows int64", ErrOutOfRange, k, cfg.MaxAbs[k])
		}
		n.bounds = max(n.bounds, b)
	}
	return n, nil
}

// groups are the coordinates with one sensitivity: they share a sampler.
type noiseGroup struct {
	sens float64
	dims []int
}

func (n *Noise) groups() []noiseGroup {
	var gs []noiseGroup
	for k, s := range n.cfg.Sensitivity {
		i := slices.IndexFunc(gs, func(g noiseGroup) bool { return g.sens == float64(s) })
		if i < 0 {
			gs = append(gs, noiseGroup{sens: float64(s)})
			i = len(gs) - 1
		}
		gs[i].dims = append(gs[i].dims, k)
	}
	return gs
}

// calibrate finds the noise of each group: with one group dp's calibration
// (CalibrateSkellam, CalibrateDistributedDiscreteGaussian) for the vector's
// L1 and L2 sensitivities; with several, the scale c of mu_g = c s_g^2
// (sigma_g = c s_g) at which the sum of the groups' RDP curves meets
// (Epsilon, Delta), found by bisection on the safe side. It sets each
// coordinate's sampler, scale and tail bound, once per group.
func (n *Noise) calibrate() error {
	cfg := n.cfg
	h := cfg.MinHonest
	gs := n.groups()
	target := func(g noiseGroup) dp.DistributedTarget {
		d := float64(len(g.dims))
		return dp.DistributedTarget{Epsilon: cfg.Epsilon, Delta: cfg.Delta, L1: g.sens * d, L2: g.sens * math.Sqrt(d), Dim: len(g.dims), Honest: h}
	}
	var c float64 // mu_g = c s_g^2 (Skellam) or sigma_g = c s_g (DDG)
	var err error
	switch {
	case len(gs) == 1 && cfg.Mechanism == Skellam:
		var mu float64
		if mu, err = dp.CalibrateSkellam(target(gs[0])); err == nil {
			c = mu / (gs[0].sens * gs[0].sens)
		}
	case len(gs) == 1:
		var s float64
		if s, err = dp.CalibrateDistributedDiscreteGaussian(target(gs[0])); err == nil {
			c = s / gs[0].sens
		}
	default:
		c, err = calibrateGroups(cfg, gs)
	}
	if err != nil {
		return fmt.Errorf("he: %w: calibrating %v noise: %w", ErrInvalidParams, cfg.Mechanism, err)
	}
	// Each share's tail bound holds but with probability beta, so all of
	// them together but with FailureProbability.
	beta := cfg.FailureProbability / float64(cfg.Parties) / float64(n.dim)
	for _, g := range gs {
		var draw func() int64
		var sd float64
		var tail int64
		if cfg.Mechanism == Skellam {
			mu := c * g.sens * g.sens
			s, err := dp.NewSkellamShare(dp.SkellamShareConfig{Mu: mu, Parties: cfg.Parties, MinHonest: h, Workers: 1})
			if err != nil {
				return fmt.Errorf("he: %w: coordinates of sensitivity %g need Skellam mu %.4g, beyond the sampler (quantize them): %w", ErrInvalidParams, g.sens, mu, err)
			}
			tail = skellamTail(s.Lambda(), beta)
			sd = math.Sqrt(2 * mu)
			draw = s.Sample
		} else {
			sigma := max(c*g.sens, dp.MinLocalSigma)
			s, err := dp.NewDiscreteGaussianShare(dp.DiscreteGaussianShareConfig{Target: target(g), LocalSigma: sigma, Parties: cfg.Parties, MinHonest: h, Workers: 1})
			if err != nil {
				return fmt.Errorf("he: %w: coordinates of sensitivity %g need local sigma %.4g: %w", ErrInvalidParams, g.sens, sigma, err)
			}
			tail = int64(math.Ceil(sigma * math.Sqrt(2*math.Log(2/beta))))
			sd = sigma * math.Sqrt(float64(h))
			draw = func() int64 { return s.Noise(1)[0] }
		}
		for _, k := range g.dims {
			n.scale[k], n.share[k], n.tail[k] = sd, draw, tail
		}
	}
	return nil
}

// groupsEpsilon is the epsilon at cfg.Delta of noise scale c on groups gs.
func groupsEpsilon(cfg NoiseConfig, gs []noiseGroup, c float64) float64 {
	orders := dp.RDPOrders()
	rdp := make([]float64, len(orders))
	for i, a := range orders {
		for _, g := range gs {
			d := float64(len(g.dims))
			l1, l2 := g.sens*d, g.sens*math.Sqrt(d)
			if cfg.Mechanism != DistributedGaussian {
				rdp[i] += dp.SkellamRDP(a, c*g.sens*g.sens, l1, l2)
			} else {
				rdp[i] += dp.DistributedDiscreteGaussianRDP(a, max(c*g.sens, dp.MinLocalSigma), cfg.MinHonest, len(g.dims), l1, l2)
			}
		}
	}
	e, _, err := dp.RDPToDP(orders, rdp, cfg.Delta)
	if err != nil {
		return math.Inf(1)
	}
	return e
}

func calibrateGroups(cfg NoiseConfig, gs []noiseGroup) (float64, error) {
	ok := func(c float64) bool { return groupsEpsilon(cfg, gs, c) <= cfg.Epsilon }
	hi := 1.0
	for i := 0; !ok(hi); i++ {
		if i > 200 {
			return 0, errors.New("no noise scale meets the target")
		}
		hi *= 2
	}
	lo := hi / 2
	for i := 0; ok(lo) && i < 200; i++ {
		hi, lo = lo, lo/2
	}
	for range 100 {
		if hi-lo <= hi*1e-12 {
			break
		}
		if mid := lo + (hi-lo)/2; ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi * (1 + 1e-9), nil
}

// skellamTail is the smallest t with P(|X| >= t) <= beta for X a share
// Poisson(lambda) - Poisson(lambda), by the Chernoff bound
// P(X >= t) <= exp(2 lambda (cosh s - 1) - s t) at s = asinh(t/(2 lambda)).
func skellamTail(lambda, beta float64) int64 {
	logBound := func(t float64) float64 {
		u := t / (2 * lambda)
		return math.Log(2) + 2*lambda*(math.Sqrt(1+u*u)-1) - t*math.Asinh(u)
	}
	lb := math.Log(beta)
	hi := 1.0
	for logBound(hi) > lb {
		hi *= 2
	}
	lo := hi / 2
	for hi-lo > 0.5 {
		if mid := (lo + hi) / 2; logBound(mid) > lb {
			lo = mid
		} else {
			hi = mid
		}
	}
	return int64(math.Ceil(hi))
}

// Config returns base with what the noise needs: Bound, the largest noisy
// value (max_k MaxAbs[k] + TailBound()[k]), and MaxWeight, the parties.
// NewParams then refuses the configuration with [ErrOutOfRange] when that
// many noisy vectors cannot be summed exactly.
func (n *Noise) Config(base Config) Config {
	base.Bound = n.bounds
	base.MaxWeight = int64(n.cfg.Parties)
	return base
}

// NoiseConfig returns the configuration with its defaults filled in.
func (n *Noise) NoiseConfig() NoiseConfig {
	c := n.cfg
	c.MaxAbs, c.Sensitivity = slices.Clone(c.MaxAbs), slices.Clone(c.Sensitivity)
	return c
}

// TailBound returns, per coordinate, the bound on one share that holds
// except with probability FailureProbability over all shares.
func (n *Noise) TailBound() []int64 { return slices.Clone(n.tail) }

// Scale returns, per coordinate, the standard deviation of the noise of
// MinHonest shares together (the calibrated noise; more honest shares add
// more).
func (n *Noise) Scale() []float64 { return slices.Clone(n.scale) }

// String describes the mechanism and its guarantee.
func (n *Noise) String() string {
	c := n.cfg
	return fmt.Sprintf("%v noise shares from %d clients, calibrated for %d honest: (epsilon %g, delta %g)-DP under add/remove-one of a privacy unit",
		c.Mechanism, c.Parties, c.MinHonest, c.Epsilon, c.Delta)
}

// spend spends the guarantee from the budget, once.
func (n *Noise) spend() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.spent {
		return fmt.Errorf("he: %w: %w: a Noise serves one round", dp.ErrBudgetExceeded, dp.ErrAlreadyReleased)
	}
	if err := n.cfg.Budget.Spend(n.cfg.Epsilon, n.cfg.Delta); err != nil {
		return fmt.Errorf("he: noise: %w", err)
	}
	n.spent = true
	return nil
}

// addShare checks v against MaxAbs and returns v plus one client's share.
func (n *Noise) addShare(v []int64) ([]int64, error) {
	if len(v) != n.dim {
		return nil, fmt.Errorf("he: %w: %d values, the noise is declared for %d", ErrMismatch, len(v), n.dim)
	}
	out := make([]int64, n.dim)
	for k, x := range v {
		if x < -n.cfg.MaxAbs[k] || x > n.cfg.MaxAbs[k] {
			return nil, fmt.Errorf("he: %w: value %d at %d outside the declared ±%d", ErrOutOfRange, x, k, n.cfg.MaxAbs[k])
		}
		z := n.share[k]()
		if z < -n.tail[k] || z > n.tail[k] {
			return nil, fmt.Errorf("he: %w: a noise share beyond its tail bound %d (probability at most %g)", ErrOutOfRange, n.tail[k], n.cfg.FailureProbability)
		}
		out[k] = x + z
	}
	return out, nil
}

// check validates the round and params against the noise.
func (n *Noise) check(p *Params, r Round) error {
	if p.scheme != BGV {
		return fmt.Errorf("he: %w: noise shares need BGV", ErrInvalidParams)
	}
	if len(r.Clients) != n.cfg.Parties {
		return fmt.Errorf("he: %w: the round has %d clients, the noise is calibrated for %d parties", ErrMismatch, len(r.Clients), n.cfg.Parties)
	}
	if r.Length != 0 && r.Length != n.dim {
		return fmt.Errorf("he: %w: round length %d, the noise is declared for %d values", ErrMismatch, r.Length, n.dim)
	}
	if p.cfg.Bound < n.bounds || p.cfg.MaxWeight < int64(n.cfg.Parties) {
		return fmt.Errorf("he: %w: Params (Bound %d, MaxWeight %d) do not hold the noisy values (Bound %d, MaxWeight %d): build them from Noise.Config", ErrMismatch, p.cfg.Bound, p.cfg.MaxWeight, n.bounds, n.cfg.Parties)
	}
	return nil
}
