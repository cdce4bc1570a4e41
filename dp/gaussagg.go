package dp

import "math"

// Noise selects the noise of an aggregation.
type Noise int

const (
	// LaplaceNoise (the zero value): discrete Laplace noise calibrated for
	// the L1 sensitivity MaxPartitions * MaxPerPartition; Epsilon-DP.
	LaplaceNoise Noise = iota
	// GaussianNoise: discrete Gaussian noise calibrated for the L2
	// sensitivity sqrt(MaxPartitions) * MaxPerPartition (doubled under
	// [ReplaceOne]), which grows with the square root of the partitions a
	// unit may touch instead of linearly. The release is rho-zCDP for the
	// largest rho whose [ZCDPToDP] at Delta is within Epsilon (Canonne,
	// Kamath & Steinke 2020: the multivariate discrete Gaussian of parameter
	// sigma is (l2^2 / (2 sigma^2))-zCDP), so (Epsilon, Delta)-DP; a Budget
	// that has a SpendRho method ([ZCDPFilter]) is charged rho, any other
	// (Epsilon, Delta).
	GaussianNoise
)

// rhoSpender is a budget that takes zCDP spends.
type rhoSpender interface{ SpendRho(rho float64) error }

// gaussNoise is the discrete Gaussian of a Gaussian aggregation.
type gaussNoise struct {
	source
	g     *dgauss
	sigma float64
	rho   float64
}

// newGaussNoise calibrates the discrete Gaussian for an (epsilon, delta)
// release of L2 sensitivity l2 through zCDP.
func newGaussNoise(epsilon, delta, l2 float64) (*gaussNoise, error) {
	if err := checkEpsilon(epsilon); err != nil {
		return nil, err
	}
	if !finite(delta) || delta <= 0 || delta >= 1 {
		return nil, invalid("Gaussian noise needs Delta in (0, 1), got %v", delta)
	}
	// The largest rho with ZCDPToDP(rho, delta) <= epsilon (increasing in
	// rho), by bisection, kept on the safe side.
	lo, hi := 0.0, epsilon
	for {
		e, err := ZCDPToDP(hi, delta)
		if err != nil {
			return nil, err
		}
		if e > epsilon {
			break
		}
		hi *= 2
	}
	for i := 0; i < 200 && hi-lo > 1e-15*hi; i++ {
		mid := lo + (hi-lo)/2
		if e, _ := ZCDPToDP(mid, delta); e <= epsilon {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo <= 0 {
		return nil, invalid("no rho meets epsilon %v at delta %v", epsilon, delta)
	}
	sigma := l2 / math.Sqrt(2*lo)
	sigma = math.Nextafter(sigma, math.Inf(1))
	g, err := dgaussFor(sigma)
	if err != nil {
		return nil, err
	}
	n := &gaussNoise{g: g, sigma: sigma, rho: lo}
	return withSource(n, &n.source, 0)
}

func (n *gaussNoise) sample() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.g.sample(n.r)
}

// gaussCI returns k with P(|Z| > k) <= 1 - confidence for the discrete
// Gaussian of parameter sigma, by its sub-Gaussian tail 2 exp(-k^2/(2
// sigma^2)) (CKS20).
func gaussCI(sigma, confidence float64) (int64, error) {
	if !finite(confidence) || confidence <= 0 || confidence >= 1 {
		return 0, invalid("confidence must be in (0, 1), got %v", confidence)
	}
	k := math.Ceil(sigma * math.Sqrt(2*math.Log(2/(1-confidence))))
	if k > 1<<62 {
		return 0, invalid("confidence interval too wide")
	}
	return int64(k), nil
}

// l2PerUnit returns sqrt(L0) * Linf, doubled under ReplaceOne.
func (c Contribution) l2PerUnit() float64 {
	v := math.Sqrt(float64(c.MaxPartitions)) * float64(c.MaxPerPartition)
	if c.Neighbours == ReplaceOne {
		v *= 2
	}
	return v
}

// spendRho charges rho to a zCDP budget; it reports false when the
// aggregation is not Gaussian or the budget takes no rho.
func (o *oneShot) spendRho() (bool, error) {
	if o.rho == 0 {
		return false, nil
	}
	if rs, ok := o.budget.(rhoSpender); ok {
		return true, rs.SpendRho(o.rho)
	}
	return false, nil
}

func checkNoise(n Noise) error {
	if n != LaplaceNoise && n != GaussianNoise {
		return invalid("unknown noise %d", int(n))
	}
	return nil
}
