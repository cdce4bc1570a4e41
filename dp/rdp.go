package dp

import (
	"fmt"
	"math"
	"sync"
)

// RDPOrders returns (a copy of) the Rényi orders alpha tracked by an
// [RDPAccountant] and used by the calibration helpers. The subsampled Gaussian
// and Skellam bounds are evaluated at integer orders only.
func RDPOrders() []float64 { return append([]float64(nil), rdpOrders...) }

var rdpOrders = func() []float64 {
	o := []float64{1.25, 1.5, 1.75}
	for a := 2; a <= 64; a++ {
		o = append(o, float64(a))
	}
	return append(o, 80, 96, 128, 192, 256, 384, 512, 1024)
}()

// RDPToDP converts an RDP curve (epsilon(alpha) at the given orders) into
// (epsilon, delta)-DP: the minimum over alpha of
// rdp(alpha) + log((alpha-1)/alpha) - (log(delta) + log(alpha))/(alpha-1)
// (Canonne, Kamath & Steinke 2020, Proposition 12; Balle et al. 2020), never
// worse than Mironov's rdp(alpha) + log(1/delta)/(alpha-1). It also returns
// the best order.
func RDPToDP(orders, rdp []float64, delta float64) (epsilon, bestOrder float64, err error) {
	if len(orders) != len(rdp) || len(orders) == 0 {
		return 0, 0, invalid("need as many RDP values as orders (%d vs %d)", len(rdp), len(orders))
	}
	if !finite(delta) || delta <= 0 || delta >= 1 {
		return 0, 0, invalid("delta must be in (0, 1), got %v", delta)
	}
	epsilon = math.Inf(1)
	for i, a := range orders {
		if !(a > 1) || math.IsNaN(rdp[i]) || rdp[i] < 0 {
			return 0, 0, invalid("bad RDP point (%v, %v)", a, rdp[i])
		}
		e := rdp[i] + math.Log1p(-1/a) - (math.Log(delta)+math.Log(a))/(a-1)
		if e < epsilon {
			epsilon, bestOrder = e, a
		}
	}
	return math.Max(epsilon, 0), bestOrder, nil
}

// GaussianRDP returns the RDP of the Gaussian mechanism with noise multiplier
// z = sigma/l2Sensitivity at order alpha: alpha / (2 z^2) (Mironov 2017).
func GaussianRDP(alpha, noiseMultiplier float64) float64 {
	return alpha / (2 * noiseMultiplier * noiseMultiplier)
}

// LaplaceRDP returns the RDP of the Laplace mechanism with scale
// b = ratio * l1Sensitivity at order alpha > 1 (Mironov 2017, Proposition 6):
// 1/(alpha-1) log( alpha/(2alpha-1) e^((alpha-1)/ratio) + (alpha-1)/(2alpha-1) e^(-alpha/ratio) ).
func LaplaceRDP(alpha, ratio float64) float64 {
	x := math.Log(alpha/(2*alpha-1)) + (alpha-1)/ratio
	y := math.Log((alpha-1)/(2*alpha-1)) - alpha/ratio
	return logAddExp(x, y) / (alpha - 1)
}

// SubsampledGaussianRDP returns the RDP at integer order alpha >= 2 of the
// Gaussian mechanism with noise multiplier z applied to a Poisson subsample
// of rate q: log(sum_k C(alpha,k) (1-q)^(alpha-k) q^k exp((k^2-k)/(2z^2)))/(alpha-1)
// (Mironov, Talwar & Zhang 2019, Section 3.3; exact for integer orders). It
// returns +Inf for non-integer orders, for which it has no bound.
func SubsampledGaussianRDP(alpha, q, noiseMultiplier float64) float64 {
	if alpha != math.Trunc(alpha) || alpha < 2 {
		return math.Inf(1)
	}
	if q == 0 {
		return 0
	}
	if q == 1 {
		return GaussianRDP(alpha, noiseMultiplier)
	}
	n := int(alpha)
	logA := math.Inf(-1)
	for k := 0; k <= n; k++ {
		t := logBinom(n, k) + float64(n-k)*math.Log1p(-q) + float64(k)*math.Log(q) +
			float64(k*k-k)/(2*noiseMultiplier*noiseMultiplier)
		logA = logAddExp(logA, t)
	}
	return math.Max(logA/(alpha-1), 0)
}

func logBinom(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

func logAddExp(x, y float64) float64 {
	if math.IsInf(x, -1) {
		return y
	}
	if math.IsInf(y, -1) {
		return x
	}
	if x < y {
		x, y = y, x
	}
	return x + math.Log1p(math.Exp(y-x))
}

// RDPAccountant composes mechanisms by adding their Rényi-DP curves at a fixed
// set of orders, and converts the total to (epsilon, delta). It is safe for
// concurrent use.
type RDPAccountant struct {
	mu     sync.Mutex
	orders []float64
	rdp    []float64
}

// NewRDPAccountant returns an accountant tracking [RDPOrders].
func NewRDPAccountant() *RDPAccountant {
	o := RDPOrders()
	return &RDPAccountant{orders: o, rdp: make([]float64, len(o))}
}

// AddCurve composes count runs of a mechanism whose RDP at order alpha is
// curve(alpha) (+Inf where unknown).
func (a *RDPAccountant) AddCurve(curve func(alpha float64) float64, count int) error {
	if count < 0 {
		return invalid("count must be >= 0, got %d", count)
	}
	if count == 0 {
		return nil // nothing composed (and no Inf * 0 = NaN)
	}
	vals := make([]float64, len(a.orders))
	for i, o := range a.orders {
		v := curve(o)
		if math.IsNaN(v) || v < 0 {
			return invalid("RDP curve gives %v at order %v", v, o)
		}
		vals[i] = v * float64(count)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range vals {
		a.rdp[i] += vals[i]
	}
	return nil
}

func checkPositive(name string, x float64) error {
	if !finite(x) || x <= 0 {
		return invalid("%s must be finite and > 0, got %v", name, x)
	}
	return nil
}

// AddGaussian composes count Gaussian mechanisms of noise multiplier
// sigma/l2Sensitivity.
func (a *RDPAccountant) AddGaussian(noiseMultiplier float64, count int) error {
	if err := checkPositive("noise multiplier", noiseMultiplier); err != nil {
		return err
	}
	return a.AddCurve(func(o float64) float64 { return GaussianRDP(o, noiseMultiplier) }, count)
}

// AddLaplace composes count Laplace mechanisms of scale ratio*l1Sensitivity
// (ratio = 1/epsilon for an epsilon-DP Laplace mechanism).
func (a *RDPAccountant) AddLaplace(ratio float64, count int) error {
	if err := checkPositive("Laplace scale ratio", ratio); err != nil {
		return err
	}
	return a.AddCurve(func(o float64) float64 { return LaplaceRDP(o, ratio) }, count)
}

// AddSubsampledGaussian composes steps runs of the Gaussian mechanism with the
// given noise multiplier on Poisson subsamples of rate q in [0, 1] (DP-SGD).
func (a *RDPAccountant) AddSubsampledGaussian(q, noiseMultiplier float64, steps int) error {
	if !finite(q) || q < 0 || q > 1 {
		return invalid("sampling rate must be in [0, 1], got %v", q)
	}
	if err := checkPositive("noise multiplier", noiseMultiplier); err != nil {
		return err
	}
	return a.AddCurve(func(o float64) float64 { return SubsampledGaussianRDP(o, q, noiseMultiplier) }, steps)
}

// Epsilon returns the epsilon of the composition at the given delta in (0, 1).
func (a *RDPAccountant) Epsilon(delta float64) (float64, error) {
	a.mu.Lock()
	rdp := append([]float64(nil), a.rdp...)
	a.mu.Unlock()
	e, _, err := RDPToDP(a.orders, rdp, delta)
	return e, err
}

// ZCDPToDP converts rho-zCDP to (epsilon, delta)-DP through the RDP curve
// rho*alpha, optimising alpha continuously with the conversion of [RDPToDP].
// The result is at most the classic rho + 2 sqrt(rho log(1/delta)) (Bun &
// Steinke 2016).
func ZCDPToDP(rho, delta float64) (float64, error) {
	if !finite(rho) || rho < 0 {
		return 0, invalid("rho must be finite and >= 0, got %v", rho)
	}
	if !finite(delta) || delta <= 0 || delta >= 1 {
		return 0, invalid("delta must be in (0, 1), got %v", delta)
	}
	if rho == 0 {
		return 0, nil
	}
	f := func(a float64) float64 {
		return rho*a + math.Log1p(-1/a) - (math.Log(delta)+math.Log(a))/(a-1)
	}
	// The function is convex-like in alpha; golden-section search on log(alpha-1).
	lo, hi := math.Log(1e-9), math.Log(1e12)
	g := func(u float64) float64 { return f(1 + math.Exp(u)) }
	const phi = 0.6180339887498949
	x1, x2 := hi-phi*(hi-lo), lo+phi*(hi-lo)
	f1, f2 := g(x1), g(x2)
	for i := 0; i < 200; i++ {
		if f1 < f2 {
			hi, x2, f2 = x2, x1, f1
			x1 = hi - phi*(hi-lo)
			f1 = g(x1)
		} else {
			lo, x1, f1 = x1, x2, f2
			x2 = lo + phi*(hi-lo)
			f2 = g(x2)
		}
	}
	best := math.Min(f1, f2)
	classic := rho + 2*math.Sqrt(rho*math.Log(1/delta))
	return math.Max(0, math.Min(best, classic)), nil
}

// ZCDPAccountant composes mechanisms under zero-concentrated DP (Bun &
// Steinke 2016): rho adds up. It is safe for concurrent use.
type ZCDPAccountant struct {
	mu  sync.Mutex
	rho float64
}

// AddRho composes a rho-zCDP mechanism.
func (z *ZCDPAccountant) AddRho(rho float64) error {
	if !finite(rho) || rho < 0 {
		return invalid("rho must be finite and >= 0, got %v", rho)
	}
	z.mu.Lock()
	z.rho += rho
	z.mu.Unlock()
	return nil
}

// AddGaussian composes a Gaussian (or discrete Gaussian, CKS20) mechanism of
// noise multiplier z = sigma/l2Sensitivity: rho = 1/(2 z^2).
func (z *ZCDPAccountant) AddGaussian(noiseMultiplier float64) error {
	if err := checkPositive("noise multiplier", noiseMultiplier); err != nil {
		return err
	}
	return z.AddRho(1 / (2 * noiseMultiplier * noiseMultiplier))
}

// AddPureDP composes an epsilon-DP mechanism: rho = epsilon^2/2.
func (z *ZCDPAccountant) AddPureDP(epsilon float64) error {
	if err := checkEpsilon(epsilon); err != nil {
		return err
	}
	return z.AddRho(epsilon * epsilon / 2)
}

// Rho returns the total rho.
func (z *ZCDPAccountant) Rho() float64 {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.rho
}

// Epsilon returns the epsilon of the composition at delta in (0, 1).
func (z *ZCDPAccountant) Epsilon(delta float64) (float64, error) { return ZCDPToDP(z.Rho(), delta) }

// AdvancedComposition returns the (epsilon', k*delta + deltaPrime) guarantee
// of k-fold adaptive composition of (epsilon, delta)-DP mechanisms (Dwork,
// Rothblum & Vadhan 2010): epsilon' = sqrt(2k ln(1/deltaPrime)) epsilon +
// k epsilon (e^epsilon - 1). It returns the smaller of that and k*epsilon
// (basic composition, which needs no deltaPrime).
func AdvancedComposition(epsilon, delta float64, k int, deltaPrime float64) (totalEpsilon, totalDelta float64, err error) {
	if err := checkEpsilon(epsilon); err != nil {
		return 0, 0, err
	}
	if err := checkDelta(delta); err != nil {
		return 0, 0, err
	}
	if k < 1 {
		return 0, 0, invalid("k must be >= 1, got %d", k)
	}
	if !finite(deltaPrime) || deltaPrime <= 0 || deltaPrime >= 1 {
		return 0, 0, invalid("deltaPrime must be in (0, 1), got %v", deltaPrime)
	}
	kf := float64(k)
	adv := math.Sqrt(2*kf*math.Log(1/deltaPrime))*epsilon + kf*epsilon*math.Expm1(epsilon)
	basic := kf * epsilon
	if basic <= adv {
		if kf*delta >= 1 {
			return 0, 0, invalid("total delta %v >= 1", kf*delta)
		}
		return basic, kf * delta, nil
	}
	td := kf*delta + deltaPrime
	if td >= 1 {
		return 0, 0, invalid("total delta %v >= 1", td)
	}
	return adv, td, nil
}

// String describes the accountant.
func (a *RDPAccountant) String() string {
	e, _ := a.Epsilon(1e-6)
	return fmt.Sprintf("RDPAccountant(eps at delta=1e-6: %.4g)", e)
}
