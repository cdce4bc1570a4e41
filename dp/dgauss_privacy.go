package dp

import "math"

// Privacy of the discrete Gaussian (Canonne, Kamath & Steinke 2020,
// Theorem 7): adding N_Z(0, sigma^2) to an integer of sensitivity k is
// (epsilon, delta)-DP with
//
//	delta = P[Y > eps sigma^2/k - k/2] - e^eps P[Y > eps sigma^2/k + k/2],  Y ~ N_Z(0, sigma^2).
//
// The tails of N_Z are computed exactly by summation for sigma < 2^10 and by
// the Euler-Maclaurin formula (with terms through the third derivative;
// remainder below 1e-15 relative for sigma >= 2^10) above.

const dgDirectSigma = 1024

// dgLogTailGE returns log P[Y >= m] for Y ~ N_Z(0, sigma^2) and integer m.
func dgLogTailGE(m, sigma float64) float64 {
	if sigma < dgDirectSigma {
		return math.Log(dgTailDirect(m, sigma))
	}
	if m <= 0 {
		return math.Log1p(-math.Exp(dgLogTailGE(1-m, sigma)))
	}
	x := m / sigma
	lp := logPhi(-x) // log of the integral part (the normaliser is sigma sqrt(2 pi) to within exp(-2 pi^2 sigma^2))
	s2 := sigma * sigma
	corr := 0.5 + m/(12*s2) + (3*m/(s2*s2)-m*m*m/(s2*s2*s2))/720
	logDens := -x*x/2 - math.Log(sigma*math.Sqrt(2*math.Pi))
	return lp + math.Log1p(math.Exp(logDens-lp)*corr)
}

// dgTailDirect returns P[Y >= m] by summation (sigma < 2^10).
func dgTailDirect(m, sigma float64) float64 {
	kmax := math.Ceil(40*sigma) + 40
	f := func(k float64) float64 { return math.Exp(-k * k / (2 * sigma * sigma)) }
	var norm, tail float64
	for k := kmax; k >= -kmax; k-- { // small terms first
		v := f(k)
		norm += v
		if k >= m {
			tail += v
		}
	}
	return tail / norm
}

// DiscreteGaussianDelta returns the exact delta at epsilon of adding
// N_Z(0, sigma^2) noise to an integer value of sensitivity k (CKS20
// Theorem 7).
func DiscreteGaussianDelta(epsilon float64, k int64, sigma float64) (float64, error) {
	if err := checkEpsilon(epsilon); err != nil {
		return 0, err
	}
	if k <= 0 || k > 1<<53 {
		return 0, invalid("sensitivity must be in [1, 2^53], got %d", k)
	}
	if !finite(sigma) || sigma <= 0 {
		return 0, invalid("sigma must be finite and > 0, got %v", sigma)
	}
	return dgDelta(epsilon, float64(k), sigma), nil
}

func dgDelta(eps, k, sigma float64) float64 {
	a1 := eps*sigma*sigma/k - k/2
	a2 := eps*sigma*sigma/k + k/2
	t1 := math.Exp(dgLogTailGE(math.Floor(a1)+1, sigma))
	t2 := math.Exp(eps + dgLogTailGE(math.Floor(a2)+1, sigma))
	return math.Max(t1-t2, 0)
}

// CalibrateDiscreteGaussian returns the smallest sigma (within a relative
// 1e-9, on the safe side) such that N_Z(0, sigma^2) noise on an integer of
// sensitivity k is (epsilon, delta)-DP, by bisection on the exact delta of
// CKS20 Theorem 7.
func CalibrateDiscreteGaussian(epsilon, delta float64, k int64) (float64, error) {
	if err := checkDelta(delta); err != nil {
		return 0, err
	}
	if delta == 0 {
		return 0, invalid("the discrete Gaussian needs delta > 0")
	}
	if _, err := DiscreteGaussianDelta(epsilon, k, 1); err != nil {
		return 0, err
	}
	start, err := AnalyticGaussianSigma(GaussianConfig{Epsilon: epsilon, Delta: delta, Sensitivity: float64(k)})
	if err != nil {
		return 0, err
	}
	// A relative margin of 1e-9 on delta absorbs the float error of dgDelta.
	return bisectUp(func(s float64) bool { return dgDelta(epsilon, float64(k), s) <= delta*(1-1e-9) }, start)
}
