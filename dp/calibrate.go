package dp

import "math"

// logPhi returns log(Phi(x)) for the standard normal CDF Phi, accurate in the
// far left tail too.
func logPhi(x float64) float64 {
	if x > -37 {
		return math.Log(0.5 * math.Erfc(-x/math.Sqrt2))
	}
	// Asymptotic series of the Mills ratio: Phi(x) ~ phi(x)/|x| (1 - 1/x^2 + 3/x^4 - 15/x^6).
	x2 := x * x
	return -x2/2 - math.Log(-x) - 0.5*math.Log(2*math.Pi) + math.Log1p(-1/x2+3/(x2*x2)-15/(x2*x2*x2))
}

// gaussianDelta returns the exact delta(epsilon) of the Gaussian mechanism with
// noise standard deviation sigma and L2 sensitivity sens (Balle & Wang 2018,
// Theorem 8): Phi(s/(2 sigma) - eps sigma/s) - e^eps Phi(-s/(2 sigma) - eps sigma/s).
func gaussianDelta(eps, sens, sigma float64) float64 {
	a := sens / (2 * sigma)
	b := eps * sigma / sens
	d := math.Exp(logPhi(a-b)) - math.Exp(eps+logPhi(-a-b))
	return math.Max(d, 0)
}

// calibrationSafety inflates a calibrated sigma a little to absorb the
// floating-point error of evaluating gaussianDelta.
const calibrationSafety = 1 + 1e-9

// AnalyticGaussianSigma returns the smallest sigma (up to a relative 1e-9, on
// the safe side) for which the continuous Gaussian mechanism with standard
// deviation sigma is (cfg.Epsilon, cfg.Delta)-DP for L2 sensitivity
// cfg.Sensitivity, by the analytic Gaussian mechanism of Balle and Wang
// (ICML 2018): a bisection on the exact condition (their Theorem 8), not
// the classic bound.
func AnalyticGaussianSigma(cfg GaussianConfig) (float64, error) {
	epsilon, delta, l2Sensitivity := cfg.Epsilon, cfg.Delta, cfg.Sensitivity
	// The bisection is on gaussianDelta(sigma) <= delta, decreasing in sigma.
	if err := checkEpsilon(epsilon); err != nil {
		return 0, err
	}
	if err := checkDelta(delta); err != nil {
		return 0, err
	}
	if delta == 0 {
		return 0, invalid("the Gaussian mechanism needs delta > 0")
	}
	if err := checkSensitivity("l2", l2Sensitivity); err != nil {
		return 0, err
	}
	// Work with sensitivity 1; sigma scales linearly with it.
	hi := 1.0
	for i := 0; gaussianDelta(epsilon, 1, hi) > delta; i++ {
		if i > 2000 {
			return 0, invalid("no sigma found for epsilon %v, delta %v", epsilon, delta)
		}
		hi *= 2
	}
	lo := hi / 2
	for i := 0; gaussianDelta(epsilon, 1, lo) <= delta; i++ {
		if i > 2000 {
			break
		}
		hi = lo
		lo /= 2
	}
	for i := 0; i < 200 && hi-lo > hi*1e-15; i++ {
		mid := lo + (hi-lo)/2
		if gaussianDelta(epsilon, 1, mid) <= delta {
			hi = mid
		} else {
			lo = mid
		}
	}
	sigma := hi * calibrationSafety * l2Sensitivity
	if !finite(sigma) || sigma <= 0 {
		return 0, invalid("sigma out of range for epsilon %v, delta %v, sensitivity %v", epsilon, delta, l2Sensitivity)
	}
	return sigma, nil
}

// ClassicGaussianSigma returns the classic bound sigma = sqrt(2 ln(1.25/delta))
// * sensitivity / epsilon (Dwork & Roth 2014, valid for epsilon < 1), for
// comparison only: [AnalyticGaussianSigma] is never larger where both apply.
// It does not validate cfg.
func ClassicGaussianSigma(cfg GaussianConfig) float64 {
	return math.Sqrt(2*math.Log(1.25/cfg.Delta)) * cfg.Sensitivity / cfg.Epsilon
}
