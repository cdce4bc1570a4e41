package dp

import "math"

// Noise selects the noise of an aggregation.
type Noise int

const (
	// LaplaceNoise (the zero value): discrete Laplace noise calibrated for
	// the L1 sensitivity MaxPartitions * MaxPerPartition * m (m the largest
	// magnitude of one value: 1 for counts, max(|Lower|, |Upper|) for sums,
	// (Upper-Lower)/2 for a mean's normalized sum); Epsilon-DP, Delta 0.
	LaplaceNoise Noise = iota
	// GaussianNoise: discrete Gaussian noise calibrated for the L2
	// sensitivity sqrt(MaxPartitions) * MaxPerPartition * m (doubled under
	// [ReplaceOne]), which grows with the square root of the partitions a
	// unit may touch instead of linearly. The release is rho-zCDP for the
	// largest rho whose [ZCDPToDP] at Delta is within Epsilon (Canonne,
	// Kamath & Steinke 2020: the multivariate discrete Gaussian of parameter
	// sigma is (l2^2 / (2 sigma^2))-zCDP), so (Epsilon, Delta)-DP; a release
	// in parts (a mean's count and sum, a variance's three sums) gives each
	// part an equal share of rho, and zCDP adds up over the parts. A Budget
	// that has a SpendRho method ([ZCDPFilter]) is charged rho, any other
	// (Epsilon, Delta), once.
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
	rho, err := rhoFor(epsilon, delta)
	if err != nil {
		return nil, err
	}
	return newGaussNoiseRho(rho, l2)
}

// rhoFor returns the largest rho whose [ZCDPToDP] at delta is within
// epsilon (a rho-zCDP release is then (epsilon, delta)-DP).
func rhoFor(epsilon, delta float64) (float64, error) {
	if err := checkEpsilon(epsilon); err != nil {
		return 0, err
	}
	if !finite(delta) || delta <= 0 || delta >= 1 {
		return 0, invalid("Gaussian noise needs Delta in (0, 1), got %v", delta)
	}
	// ZCDPToDP is increasing in rho: bisection, kept on the safe side.
	lo, hi := 0.0, epsilon
	for {
		e, err := ZCDPToDP(hi, delta)
		if err != nil {
			return 0, err
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
		return 0, invalid("no rho meets epsilon %v at delta %v", epsilon, delta)
	}
	return lo, nil
}

// gaussSigma returns the sigma of a rho-zCDP discrete Gaussian release of
// L2 sensitivity l2, rounded up: l2 / sqrt(2 rho).
func gaussSigma(rho, l2 float64) float64 {
	return math.Nextafter(l2/math.Sqrt(2*rho), math.Inf(1))
}

// newGaussNoiseRho returns the discrete Gaussian of a rho-zCDP release of
// L2 sensitivity l2 (CKS20: sigma = l2 / sqrt(2 rho)).
func newGaussNoiseRho(rho, l2 float64) (*gaussNoise, error) {
	if !finite(rho) || rho <= 0 || !finite(l2) || l2 <= 0 {
		return nil, invalid("Gaussian noise needs rho > 0 and an L2 sensitivity > 0, got %v and %v", rho, l2)
	}
	sigma := gaussSigma(rho, l2)
	g, err := dgaussFor(sigma)
	if err != nil {
		return nil, err
	}
	n := &gaussNoise{g: g, sigma: sigma, rho: rho}
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

// intNoise is the integer noise of an aggregation: discrete Laplace or
// discrete Gaussian.
type intNoise interface {
	sample() int64
	// scale is the discrete Laplace scale, or the discrete Gaussian's sigma.
	scale() float64
	// halfWidth returns k with P(|noise| > k) <= 1 - confidence.
	halfWidth(confidence float64) (int64, error)
}

func (d *DiscreteLaplace) sample() int64  { return d.Sample() }
func (d *DiscreteLaplace) scale() float64 { return d.Scale() }
func (d *DiscreteLaplace) halfWidth(confidence float64) (int64, error) {
	return laplaceCI(d.Scale(), confidence)
}

func (n *gaussNoise) scale() float64 { return n.sigma }
func (n *gaussNoise) halfWidth(confidence float64) (int64, error) {
	return gaussCI(n.sigma, confidence)
}

// calib is the privacy calibration of a bounded aggregation: Laplace noise
// spends eps (split evenly across the parts of the release), Gaussian noise
// spends rho (split evenly), the largest rho-zCDP within (eps, delta).
type calib struct {
	noise      Noise
	eps, delta float64
	rho        float64 // GaussianNoise
}

// newCalib checks the privacy parameters of an aggregation.
func newCalib(noise Noise, epsilon, delta float64) (calib, error) {
	if err := checkNoise(noise); err != nil {
		return calib{}, err
	}
	if err := checkEpsilon(epsilon); err != nil {
		return calib{}, err
	}
	c := calib{noise: noise, eps: epsilon, delta: delta}
	if noise == LaplaceNoise {
		if delta != 0 {
			return calib{}, invalid("Delta %v is for GaussianNoise; Laplace releases are pure DP", delta)
		}
		return c, nil
	}
	rho, err := rhoFor(epsilon, delta)
	if err != nil {
		return calib{}, err
	}
	c.rho = rho
	return c, nil
}

// share returns the calibration of a fraction f in (0, 1) of the release,
// rounded down (the parts never add up to more than the whole).
func (c calib) share(f float64) calib {
	c.eps = math.Nextafter(c.eps*f, 0)
	c.rho = math.Nextafter(c.rho*f, 0)
	return c
}

// part returns the noise of a release (or a share of one) of an integer
// statistic of L1 sensitivity l1 and L2 sensitivity l2.
func (c calib) part(l1 int64, l2 float64) (intNoise, error) {
	if c.noise == GaussianNoise {
		return newGaussNoiseRho(c.rho, l2)
	}
	return newDiscreteLaplace(c.eps, l1, 0)
}

// sigma is the sigma that part gives a Gaussian release (for choosing
// fixed-point grids before the noise is made).
func (c calib) sigma(l2 float64) float64 { return gaussSigma(c.rho, l2) }

// gate returns the release gate that spends the whole calibration from b.
func (c calib) gate(b Budget) oneShot {
	return oneShot{budget: b, eps: c.eps, delta: c.delta, rho: c.rho}
}

// maxGridSigma is the largest sigma, in units of a fixed-point grid, that a
// Gaussian aggregation keeps: a coarser grid is chosen above it (the grid's
// rounding is then below 2^-26 of the noise).
const maxGridSigma = 1 << 26
