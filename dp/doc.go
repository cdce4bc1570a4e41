// Package dp turns exact results into differentially private releases: noise
// samplers that are safe against floating-point attacks, calibration, private
// aggregations, noise meant to be added inside secure aggregation, and privacy
// accountants. It imports nothing else of Veil.
//
// # Mechanisms
//
//	lap, err := dp.NewLaplace(epsilon, sensitivity)            // epsilon-DP, float64
//	noisy := lap.AddNoise(sum)
//	g, err := dp.NewGaussian(epsilon, delta, l2Sensitivity)     // analytic Gaussian calibration
//	dl, err := dp.NewDiscreteLaplace(epsilon, intSensitivity)   // integers, exact
//	dg, err := dp.NewDiscreteGaussian(sigma)                    // integers, exact
//	acct, err := dp.NewAccountant(totalEpsilon, totalDelta)
//	if err := acct.Spend(epsilon, 0); errors.Is(err, dp.ErrBudgetExceeded) { ... }
//
// Invalid parameters (NaN, ±Inf, epsilon <= 0, delta outside [0, 1),
// sensitivity <= 0) are errors wrapping ErrInvalidParams, never panics.
//
// # How the noise is sampled, and what it guarantees
//
// Integer noise is exact. The discrete Laplace (two-sided geometric) and the
// discrete Gaussian are sampled by Algorithms 1-3 of Canonne, Kamath and
// Steinke, "The Discrete Gaussian for Differential Privacy" (2020): Bernoulli
// trials of probability exp(-gamma) for rational gamma, built from uniform
// integers compared with integers. No floating-point number takes part in any
// decision, so the output distribution is exactly the stated one. The only
// approximations are on the safe side and stated: a discrete Laplace scale
// Delta/epsilon is rounded up to a rational t/2^k by a relative 2^-40 at most,
// and sigma^2 of a discrete Gaussian is rounded up by a relative 2^-40 at most
// (both only add noise). Far tails beyond magnitude 2^62 (probability below
// exp(-1000)) are resampled.
//
// Float noise uses the snapping/grid method (as in Google's "secure noise
// generation" and Mironov's snapping mechanism, with exact discrete noise): a
// power of two Lambda is fixed from the parameters (about 2^-20 of the
// sensitivity, and 2^-30 of the Laplace scale or 2^-20 of sigma); the input x
// is rounded to the nearest multiple of Lambda, and Lambda*Z is added, where Z
// is the exact discrete Laplace (or discrete Gaussian) noise for the integer
// sensitivity floor(Delta/Lambda)+1 of the rounded value. The released float is
// the correctly rounded value of Lambda*(round(x/Lambda)+Z), a function of
// that integer alone, so it is post-processing of an exact discrete mechanism:
// Laplace is epsilon-DP, Gaussian is (epsilon, delta)-DP, with no
// floating-point loophole (Mironov 2012). The cost is noise larger by a
// relative 2^-20 or less and outputs on the grid of Lambda.
//
// The Gaussian is calibrated by the analytic Gaussian mechanism (Balle & Wang
// 2018), a bisection on the exact condition, not by the loose classic bound.
// The float Gaussian adds a discrete Gaussian with sigma >= 2^20 grid units;
// the difference between the privacy curves of the discrete and continuous
// Gaussians at that sigma is of order exp(-2 pi^2 sigma^2), far below float
// precision (CKS20, Section 4).
//
// # Randomness
//
// Each sampler owns an AES-256-CTR keystream keyed from crypto/rand and read
// through an 8 KiB buffer: no lock shared between samplers and no system call
// on the hot path. Each sampler has its own mutex, so a sampler is safe for
// concurrent use (use one sampler per goroutine for throughput). SetTestSeed
// makes a sampler deterministic; it is for tests only, since whoever knows the
// seed knows the noise.
//
// # Accounting
//
// Accountant enforces a total (epsilon, delta) under sequential composition,
// with exact rational sums. It is safe for concurrent use.
package dp
