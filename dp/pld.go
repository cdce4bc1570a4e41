package dp

import (
	"math"
	"math/bits"
	"math/cmplx"
	"sync"
)

// PLD accounting: privacy loss distributions (Meiser & Mohammadi 2018;
// Koskela, Jälkö & Honkela 2020; Doroshenko, Ghazi, Kamath, Kumar &
// Manurangsi 2022, the "connect the dots" paper behind Google's
// dp_accounting), discretized pessimistically and composed by FFT.
//
// For a mechanism and one direction of neighbouring datasets (D, D'), the
// privacy loss L = log(P(o)/Q(o)), o drawn from the output distribution P
// on D, determines delta(epsilon) = E[(1 - e^(epsilon - L))+] plus the
// probability of outputs impossible on D'. Composition adds independent
// losses. The accountant
//   - rounds every loss up to a multiple of the interval h (pessimistic:
//     delta(epsilon) can only grow, by at most the composed rounding, under
//     Steps * h in epsilon), puts the tail beyond its support at +infinity
//     (pessimistic) and the tail below at its lowest point (rounded up);
//   - composes by FFT on a window of the sum chosen from Chernoff bounds on
//     the discretized losses, and adds that bound on the mass outside the
//     window to delta (the FFT folds that mass into the window, which also
//     only raises delta);
//   - reports the larger epsilon of the two directions (add and remove one
//     unit).
// So its epsilon is never below the true epsilon of the composition (up to
// float64 rounding, at about 1e-12 of delta), and above it by at most
// about Steps * h.

// PLDConfig sets the discretization of a [PLDAccountant]. Zero fields take
// the defaults.
type PLDConfig struct {
	// Interval is the discretization interval h of the privacy loss, in
	// (0, 0.1]; 0 means [DefaultPLDInterval]. The epsilon reported exceeds
	// the true one by less than (number of composed steps) * Interval.
	Interval float64
	// TailMass bounds the probability each truncation moves (added to
	// delta), in (0, 1e-6]; 0 means 1e-14.
	TailMass float64
}

// DefaultPLDInterval is [PLDConfig.Interval] when it is 0.
const DefaultPLDInterval = 1e-4

// maxPLDSize is the largest FFT (2^22 complex128: 64 MiB).
const maxPLDSize = 1 << 22

// pmfDir is a discretized privacy loss distribution of one direction:
// P(L = (lo+i) h) = p[i], P(L = +inf) = inf; lost bounds the mass moved out
// by truncations (counted into delta).
type pmfDir struct {
	lo   int64
	p    []float64
	inf  float64
	lost float64
}

// lossCDF describes one direction of a mechanism: F(x) = P(L <= x) and
// S(x) = P(x < L < inf) (both accurate in their tails), the mass at +inf,
// and a support [lo, hi] outside of which the masses are below the tail
// target.
type lossCDF struct {
	F, S   func(x float64) float64
	inf    float64
	lo, hi float64
}

// discretize rounds the loss up to multiples of h on [lo, hi]: bin k holds
// P((k-1)h < L <= kh), the lowest bin everything below, +inf everything
// above hi.
func (c lossCDF) discretize(h float64) (pmfDir, error) { return c.discretizeRound(h, true) }

// discretizeRound discretizes pessimistically (losses rounded up, the top
// tail at +inf) or, for tests, optimistically (rounded down, the top tail
// in the top bin, the bottom tail in the bottom bin): the two bracket the
// true delta(epsilon).
func (c lossCDF) discretizeRound(h float64, pessimistic bool) (pmfDir, error) {
	klo := int64(math.Floor(c.lo / h))
	khi := int64(math.Ceil(c.hi / h))
	if khi < klo {
		khi = klo
	}
	if khi-klo+1 > maxPLDSize {
		return pmfDir{}, invalid("PLD Interval %v too fine for a loss range [%v, %v]", h, c.lo, c.hi)
	}
	n := int(khi - klo + 1)
	p := make([]float64, n)
	// Use F below the median and S above it, so that small masses are
	// differences of small numbers.
	mass := func(a, b float64) float64 { // P(a < L <= b)
		if fb := c.F(b); fb < 0.5 {
			return math.Max(0, fb-c.F(a))
		}
		return math.Max(0, c.S(a)-c.S(b))
	}
	p[0] = c.F(float64(klo) * h)
	for i := 1; i < n; i++ {
		k := klo + int64(i)
		p[i] = mass(float64(k-1)*h, float64(k)*h)
	}
	top := c.S(float64(khi) * h) // finite losses above the support
	if !pessimistic {
		// Bin k held (k-1, k]: shift down by one bin.
		p[n-1] += top
		return pmfDir{lo: klo - 1, p: p, inf: c.inf}, nil
	}
	return pmfDir{lo: klo, p: p, inf: c.inf + top}, nil
}

func phi(x float64) float64  { return 0.5 * math.Erfc(-x/math.Sqrt2) }
func phiC(x float64) float64 { return 0.5 * math.Erfc(x/math.Sqrt2) }

// pldR is the number of standard deviations of the Gaussian output kept in
// the support: Phi(-9.5) ~ 1e-21.
const pldR = 9.5

// subsampledGaussianLoss returns the two directions of the Poisson
// subsampled Gaussian mechanism (rate q in (0, 1], noise multiplier sigma,
// sensitivity 1; q = 1 is the Gaussian mechanism). Remove: o ~ (1-q) N(0,
// s^2) + q N(1, s^2) against N(0, s^2), L(o) = log(1 - q + q e^((2o-1)/(2
// s^2))). Add: o ~ N(0, s^2) against the mixture, the loss negated.
func subsampledGaussianLoss(q, sigma float64) [2]lossCDF {
	s2 := sigma * sigma
	// oStar(y): the o with L_remove(o) = y, for y > log(1-q).
	oStar := func(y float64) float64 {
		return s2*math.Log((math.Expm1(y)+q)/q) + 0.5
	}
	lRem := func(o float64) float64 {
		return math.Log1p(q * math.Expm1((2*o-1)/(2*s2)))
	}
	minL := math.Log1p(-q) // -Inf at q = 1
	rem := lossCDF{
		F: func(x float64) float64 {
			if x <= minL {
				return 0
			}
			o := oStar(x)
			return (1-q)*phi(o/sigma) + q*phi((o-1)/sigma)
		},
		S: func(x float64) float64 {
			if x <= minL {
				return 1
			}
			o := oStar(x)
			return (1-q)*phiC(o/sigma) + q*phiC((o-1)/sigma)
		},
		lo: lRem(-pldR * sigma), hi: lRem(1 + pldR*sigma),
	}
	add := lossCDF{
		// L = -L_remove(o), o ~ N(0, s^2): L <= x iff o >= oStar(-x).
		F: func(x float64) float64 {
			if -x <= minL {
				return 1
			}
			return phiC(oStar(-x) / sigma)
		},
		S: func(x float64) float64 {
			if -x <= minL {
				return 0
			}
			return phi(oStar(-x) / sigma)
		},
		lo: -lRem(pldR * sigma), hi: -lRem(-pldR * sigma),
	}
	return [2]lossCDF{rem, add}
}

// laplaceLoss returns the (symmetric) loss of the Laplace mechanism of
// scale b = ratio * sensitivity: L in [-1/ratio, 1/ratio], P(L = 1/ratio)
// = 1/2, P(L <= x) = exp(-(1 - ratio x)/(2 ratio))/2 below.
func laplaceLoss(ratio float64) [2]lossCDF {
	m := 1 / ratio
	c := lossCDF{
		F: func(x float64) float64 {
			switch {
			case x < -m:
				return 0
			case x >= m:
				return 1
			}
			return 0.5 * math.Exp(-(1-ratio*x)/(2*ratio))
		},
		S: func(x float64) float64 {
			switch {
			case x < -m:
				return 1
			case x >= m:
				return 0
			}
			return 1 - 0.5*math.Exp(-(1-ratio*x)/(2*ratio))
		},
		lo: -m, hi: m,
	}
	return [2]lossCDF{c, c}
}

// pldEvent is count compositions of one mechanism, discretized.
type pldEvent struct {
	dirs  [2]pmfDir
	count int
}

// PLDAccountant composes mechanisms by their privacy loss distributions
// (see the package documentation, "Accounting"): tighter than
// [RDPAccountant] and, by its pessimistic discretization, never below the
// true epsilon. It is safe for concurrent use.
type PLDAccountant struct {
	mu     sync.Mutex
	h, tau float64
	events []pldEvent
}

// NewPLDAccountant returns an empty accountant.
func NewPLDAccountant(cfg PLDConfig) (*PLDAccountant, error) {
	h, tau := cfg.Interval, cfg.TailMass
	if h == 0 {
		h = DefaultPLDInterval
	}
	if tau == 0 {
		tau = 1e-14
	}
	if !finite(h) || h <= 0 || h > 0.1 {
		return nil, invalid("PLD Interval must be in (0, 0.1], got %v", h)
	}
	if !finite(tau) || tau <= 0 || tau > 1e-6 {
		return nil, invalid("PLD TailMass must be in (0, 1e-6], got %v", tau)
	}
	return &PLDAccountant{h: h, tau: tau}, nil
}

func (a *PLDAccountant) add(c [2]lossCDF, count int) error {
	if count < 0 {
		return invalid("count must be >= 0, got %d", count)
	}
	if count == 0 {
		return nil
	}
	var ev pldEvent
	for i := range c {
		d, err := c[i].discretize(a.h)
		if err != nil {
			return err
		}
		ev.dirs[i] = d
	}
	ev.count = count
	a.mu.Lock()
	a.events = append(a.events, ev)
	a.mu.Unlock()
	return nil
}

// AddGaussian composes count Gaussian mechanisms of noise multiplier
// sigma/l2Sensitivity.
func (a *PLDAccountant) AddGaussian(noiseMultiplier float64, count int) error {
	if err := checkPositive("noise multiplier", noiseMultiplier); err != nil {
		return err
	}
	return a.add(subsampledGaussianLoss(1, noiseMultiplier), count)
}

// AddLaplace composes count Laplace mechanisms of scale ratio *
// l1Sensitivity (ratio = 1/epsilon for an epsilon-DP Laplace mechanism).
func (a *PLDAccountant) AddLaplace(ratio float64, count int) error {
	if err := checkPositive("Laplace scale ratio", ratio); err != nil {
		return err
	}
	if 1/ratio > 1e3 {
		return invalid("Laplace scale ratio %v too small (epsilon above 1000)", ratio)
	}
	return a.add(laplaceLoss(ratio), count)
}

// AddSubsampledGaussian composes steps runs of the Gaussian mechanism with
// the given noise multiplier on Poisson subsamples of rate q in (0, 1]
// (DP-SGD), under add/remove-one neighbouring.
func (a *PLDAccountant) AddSubsampledGaussian(q, noiseMultiplier float64, steps int) error {
	if !finite(q) || q <= 0 || q > 1 {
		return invalid("sampling rate must be in (0, 1], got %v", q)
	}
	if err := checkPositive("noise multiplier", noiseMultiplier); err != nil {
		return err
	}
	if noiseMultiplier < 0.1 {
		return invalid("noise multiplier %v below the supported 0.1", noiseMultiplier)
	}
	return a.add(subsampledGaussianLoss(q, noiseMultiplier), steps)
}

// Epsilon returns the epsilon of the composition at delta in (0, 1): the
// larger of the two directions. It is an error when the discretization's
// infinite and truncated mass alone exceed delta.
func (a *PLDAccountant) Epsilon(delta float64) (float64, error) {
	if !finite(delta) || delta <= 0 || delta >= 1 {
		return 0, invalid("delta must be in (0, 1), got %v", delta)
	}
	a.mu.Lock()
	events := append([]pldEvent(nil), a.events...)
	a.mu.Unlock()
	if len(events) == 0 {
		return 0, nil
	}
	best := 0.0
	for dir := 0; dir < 2; dir++ {
		c, err := composeDir(events, dir, a.h, a.tau)
		if err != nil {
			return 0, err
		}
		e, err := c.epsilon(delta, a.h)
		if err != nil {
			return 0, err
		}
		best = math.Max(best, e)
	}
	return best, nil
}

// Delta returns the delta of the composition at epsilon >= 0: the larger of
// the two directions.
func (a *PLDAccountant) Delta(epsilon float64) (float64, error) {
	if !finite(epsilon) || epsilon < 0 {
		return 0, invalid("epsilon must be finite and >= 0, got %v", epsilon)
	}
	a.mu.Lock()
	events := append([]pldEvent(nil), a.events...)
	a.mu.Unlock()
	best := 0.0
	for dir := 0; dir < 2 && len(events) > 0; dir++ {
		c, err := composeDir(events, dir, a.h, a.tau)
		if err != nil {
			return 0, err
		}
		best = math.Max(best, c.delta(epsilon, a.h))
	}
	return best, nil
}

// logMGF returns log E[e^(t L)] over the finite part of d, L in units of h.
func (d pmfDir) logMGF(t float64) float64 {
	m := math.Inf(-1)
	for i, p := range d.p {
		if p > 0 {
			m = math.Max(m, t*float64(d.lo+int64(i)))
		}
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for i, p := range d.p {
		if p > 0 {
			s += p * math.Exp(t*float64(d.lo+int64(i))-m)
		}
	}
	return m + math.Log(s)
}

// composeDir composes the events' distributions of one direction on a
// window [l, u] (in units of h) outside of which the composed mass is below
// tau by a Chernoff bound; that bound is added to lost.
func composeDir(events []pldEvent, dir int, h, tau float64) (pmfDir, error) {
	var minS, maxS float64
	noInf := 1.0
	lost := 0.0
	for _, ev := range events {
		d := ev.dirs[dir]
		c := float64(ev.count)
		minS += c * float64(d.lo)
		maxS += c * float64(d.lo+int64(len(d.p))-1)
		noInf *= math.Pow(1-d.inf, c)
		lost += c * d.lost
	}
	logTau := math.Log(tau / 2)
	u, l := maxS, minS
	// S is the composed loss in units of h; for t > 0 (per unit of loss),
	// P(S > x) <= exp(sum count logM(t h) - t h x) <= tau/2 once x >=
	// (sum count logM(t h) - log(tau/2)) / (t h), and likewise below.
	for t := 0.05; t < 300; t *= 1.5 {
		up, down := 0.0, 0.0
		for _, ev := range events {
			d := ev.dirs[dir]
			up += float64(ev.count) * d.logMGF(t*h)
			down += float64(ev.count) * d.logMGF(-t*h)
		}
		u = math.Min(u, math.Ceil((up-logTau)/(t*h)))
		l = math.Max(l, math.Floor(-(down-logTau)/(t*h)))
	}
	if u < l {
		u = l
	}
	width := u - l + 1
	if width > maxPLDSize {
		return pmfDir{}, invalid("PLD composition needs %v points; use a coarser Interval", width)
	}
	n := 1 << bits.Len64(uint64(width-1))
	if n < 2 {
		n = 2
	}
	acc := make([]complex128, n)
	for i := range acc {
		acc[i] = 1
	}
	buf := make([]complex128, n)
	for _, ev := range events {
		d := ev.dirs[dir]
		clear(buf)
		for i, p := range d.p {
			idx := d.lo + int64(i)
			buf[((idx%int64(n))+int64(n))%int64(n)] += complex(p, 0)
		}
		fft(buf, false)
		for i := range acc {
			acc[i] *= cmplx.Pow(buf[i], complex(float64(ev.count), 0))
		}
	}
	fft(acc, true)
	li := int64(l)
	out := pmfDir{lo: li, p: make([]float64, int(width)), inf: 1 - noInf, lost: lost + tau}
	for i := range out.p {
		idx := li + int64(i)
		v := real(acc[((idx%int64(n))+int64(n))%int64(n)])
		out.p[i] = math.Max(v, 0)
	}
	return out, nil
}

// delta returns inf + lost + sum p_i (1 - e^(eps - L_i))+.
func (d pmfDir) delta(eps, h float64) float64 {
	s := d.inf + d.lost
	for i, p := range d.p {
		L := float64(d.lo+int64(i)) * h
		if L > eps && p > 0 {
			s += p * -math.Expm1(eps-L)
		}
	}
	return math.Min(s, 1)
}

// epsilon returns the smallest epsilon >= 0 with delta(epsilon) <= delta,
// by bisection (delta decreases in epsilon), rounded up.
func (d pmfDir) epsilon(delta, h float64) (float64, error) {
	if d.inf+d.lost >= delta {
		return 0, invalid("delta %v is below the mass the PLD cannot bound (%v); use a larger TailMass margin or a coarser Interval", delta, d.inf+d.lost)
	}
	if d.delta(0, h) <= delta {
		return 0, nil
	}
	lo, hi := 0.0, float64(d.lo+int64(len(d.p)))*h
	for i := 0; i < 100 && hi-lo > 1e-12*math.Max(1, hi); i++ {
		mid := lo + (hi-lo)/2
		if d.delta(mid, h) <= delta {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, nil
}

// fft is an in-place radix-2 FFT (inverse: conjugate kernel, scaled by 1/n).
func fft(a []complex128, inverse bool) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		ang := 2 * math.Pi / float64(size)
		if !inverse {
			ang = -ang
		}
		w := complex(math.Cos(ang), math.Sin(ang))
		half := size / 2
		// Twiddles by direct evaluation every 64 steps, to bound drift.
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := 0; k < half; k++ {
				if k%64 == 0 {
					wk = cmplx.Rect(1, ang*float64(k))
				}
				u, v := a[start+k], a[start+k+half]*wk
				a[start+k], a[start+k+half] = u+v, u-v
				wk *= w
			}
		}
	}
	if inverse {
		inv := complex(1/float64(n), 0)
		for i := range a {
			a[i] *= inv
		}
	}
}

// SGDTarget is a DP-SGD privacy target for [CalibrateSubsampledGaussian].
type SGDTarget struct {
	// Epsilon and Delta: Epsilon > 0, Delta in (0, 1).
	Epsilon, Delta float64
	// SamplingRate is the Poisson sampling rate q in (0, 1].
	SamplingRate float64
	// Steps is the number of steps, >= 1.
	Steps int
}

// CalibrateSubsampledGaussian returns the smallest noise multiplier (within
// a relative 1e-3, rounded up) for which Steps Poisson-subsampled Gaussian
// steps are (Epsilon, Delta)-DP by the [PLDAccountant] configured by cfg.
func CalibrateSubsampledGaussian(t SGDTarget, cfg PLDConfig) (float64, error) {
	if err := checkEpsilon(t.Epsilon); err != nil {
		return 0, err
	}
	if !finite(t.Delta) || t.Delta <= 0 || t.Delta >= 1 {
		return 0, invalid("delta must be in (0, 1), got %v", t.Delta)
	}
	if !finite(t.SamplingRate) || t.SamplingRate <= 0 || t.SamplingRate > 1 {
		return 0, invalid("sampling rate must be in (0, 1], got %v", t.SamplingRate)
	}
	if t.Steps < 1 {
		return 0, invalid("steps must be >= 1, got %d", t.Steps)
	}
	ok := func(z float64) (bool, error) {
		a, err := NewPLDAccountant(cfg)
		if err != nil {
			return false, err
		}
		if err := a.AddSubsampledGaussian(t.SamplingRate, z, t.Steps); err != nil {
			return false, err
		}
		e, err := a.Epsilon(t.Delta)
		if err != nil {
			return false, nil // not enough noise to bound delta: too small
		}
		return e <= t.Epsilon, nil
	}
	hi := 1.0
	for {
		good, err := ok(hi)
		if err != nil {
			return 0, err
		}
		if good {
			break
		}
		if hi *= 2; hi > 1e6 {
			return 0, invalid("no noise multiplier up to 1e6 meets the target")
		}
	}
	lo := hi / 2
	if lo < 0.1 {
		lo = 0.1
	}
	if good, err := ok(lo); err != nil {
		return 0, err
	} else if good {
		return lo, nil
	}
	for hi-lo > 1e-3*hi {
		mid := lo + (hi-lo)/2
		good, err := ok(mid)
		if err != nil {
			return 0, err
		}
		if good {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, nil
}
