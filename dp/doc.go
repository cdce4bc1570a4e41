// Package dp turns exact results into differentially private releases: noise
// samplers that are safe against floating-point attacks, calibration, private
// aggregations, noise shares meant to be added inside secure aggregation, and
// privacy accountants. It imports nothing else of Veil.
//
// # Mechanisms
//
//	lap, err := dp.NewLaplace(epsilon, sensitivity)          // epsilon-DP, float64
//	noisy := lap.AddNoise(sum)
//	g, err := dp.NewGaussian(epsilon, delta, l2Sensitivity)   // analytic calibration, g.Sigma()
//	dl, err := dp.NewDiscreteLaplace(epsilon, intSensitivity) // integers, exact
//	dg, err := dp.NewDiscreteGaussian(sigma)                  // integers, exact: dg.Sample()
//	acct, err := dp.NewAccountant(totalEpsilon, totalDelta)
//	if err := acct.Spend(epsilon, 0); errors.Is(err, dp.ErrBudgetExceeded) { ... }
//
// Also: RandomizedResponse and KRandomizedResponse (with debiasing),
// ExponentialMechanism (permute-and-flip, and the classic exponential
// mechanism), AnalyticGaussianSigma,
// CalibrateDiscreteGaussian and DiscreteGaussianDelta.
//
// Invalid parameters (NaN, ±Inf, epsilon <= 0, delta outside [0, 1),
// sensitivity <= 0, values beyond a stated supported range) are errors
// wrapping ErrInvalidParams, never panics.
//
// # How the noise is sampled, and what it guarantees
//
// Integer noise is exact. The discrete Laplace (two-sided geometric) and the
// discrete Gaussian are sampled by Algorithms 1-3 of Canonne, Kamath and
// Steinke, "The Discrete Gaussian for Differential Privacy" (2020): Bernoulli
// trials of probability exp(-gamma) for rational gamma, built from uniform
// integers compared with integers. Poisson variates (for Skellam noise) come
// from rejection samplers whose acceptance probabilities are products of
// rationals: for small means, a geometric proposal accepted with probability
// 1/k!; for large means, a two-sided geometric proposal around the mode.
// Where such a product is long, it is compared with the uniform variate in
// floating point with a rigorous bound on the rounding error (each IEEE
// operation is correctly rounded), and any comparison the bound cannot
// settle is redone at increasing precision against further random digits.
// No decision ever depends on an unbounded floating-point error, so the
// output distribution is exactly the stated one. The only approximations are
// on the safe side and stated: a discrete Laplace scale Delta/epsilon is rounded up
// to a rational t/2^k by a relative 2^-40 at most (scales up to 2^52), sigma^2
// of a discrete Gaussian is rounded up by a relative 2^-40 at most (sigma in
// [2^-10, 2^28]), a Poisson mean is rounded up to a multiple of 2^-20. Far
// tails beyond magnitude 2^62 (probability below exp(-1000)) are resampled.
//
// Float noise uses the snapping/grid method (the approach of Google's secure
// noise and of Mironov's snapping mechanism, here with exact discrete noise):
// a power of two Lambda is fixed from the parameters (about 2^-20 of the
// sensitivity, and 2^-30 of the Laplace scale or 2^-20 of sigma); the input x
// is rounded to the nearest multiple of Lambda, and Lambda*Z is added, where Z
// is exact discrete noise calibrated for the integer sensitivity
// K = floor(Delta/Lambda)+1 of the rounded value (|round(x/L) - round(x'/L)|
// <= |x-x'|/L + 1). The released float is the correctly rounded value of
// Lambda*(round(x/Lambda)+Z), a function of that integer alone, hence
// post-processing of an exact discrete mechanism, with no floating-point
// loophole (Mironov 2012):
//
//   - Laplace: Z is discrete Laplace of scale >= K/epsilon: epsilon-DP.
//   - Gaussian: sigma is first calibrated by the analytic Gaussian mechanism
//     (Balle & Wang 2018, bisection on the exact condition, not the classic
//     bound) for sensitivity K; then sigma^2 in grid units is rounded up to an
//     integer and raised until the exact delta of the discrete Gaussian
//     (CKS20 Theorem 7) is <= delta; (epsilon, delta)-DP. (The discrete
//     Gaussian's delta can exceed the continuous one's slightly: at epsilon 1,
//     sigma 3.7306, sensitivity 1 it is 1.035e-5 where the continuous
//     Gaussian has 1e-5. The check matters.)
//
// The cost is noise larger by a relative 2^-20 or so (more only for extreme
// parameters: Laplace epsilon < 4e-9, Gaussian sigma/sensitivity > 2^8) and
// outputs on the grid of Lambda. NaN and ±Inf inputs are returned unchanged.
//
// # Randomness and speed
//
// Each sampler owns an AES-256-CTR keystream keyed from crypto/rand and read
// through an 8 KiB buffer: no lock shared between samplers and no system call
// on the hot path. Each sampler has its own mutex, so a sampler is safe for
// concurrent use; use one sampler per goroutine for throughput. Noise and
// AddNoise on vectors longer than 4096 coordinates draw chunks from derived
// AES-CTR streams on a bounded pool of SetWorkers goroutines (default
// GOMAXPROCS; the output does not depend on the count). SetTestSeed
// makes a sampler deterministic; it is for tests only, since whoever knows the
// seed knows the noise. A secure Laplace sample costs about 80 ns on one
// core (see BenchmarkLaplace, next to a naive inverse-CDF sampler on the same
// source).
//
// # Aggregations
//
// Count, BoundedSumInt, BoundedSumFloat (fixed point, so that the sensitivity
// is exact: float sums are not, Casacuberta et al. 2022), BoundedMean,
// BoundedVariance, Quantiles (exponential mechanism over a public grid) and
// Histogram (noisy counts per key, with partition selection by thresholding
// for keys that are not public). Contribution sets the bounds per privacy
// unit (partitions per unit, contributions per partition), and
// ContributionBounder enforces them on raw records. Each aggregation has a
// Release method that takes an exact total, so a sum computed by he or mpc on
// clamped, encoded inputs (BoundedSumFloat.Encode, BoundedMean.EncodeNormalized,
// BoundedVariance.Encode) is released the same way; ReleaseSum does it for a
// plain integer sum. Count and sums have ConfidenceInterval.
//
// # Distributed noise for secure aggregation
//
// With no trusted curator, each party adds a share of the noise before
// secure aggregation: SkellamShare (Poisson(lambda) - Poisson(lambda) per
// coordinate, sampled exactly; shares sum exactly to Skellam noise;
// CalibrateSkellam from epsilon, delta and the L1, L2 sensitivities) or
// DiscreteGaussianShare (CalibrateDistributedDiscreteGaussian). Security
// model: the output is the sum of the inputs plus the sum of the shares.
// Parties that collude know their own shares and can subtract them, and a
// party that drops out before contributing adds no noise, so the guarantee
// holds as long as at least MinHonest parties are honest (semi-honest:
// they sample and add their share as specified) and present; the shares are
// sized so that MinHonest of them alone carry the calibrated noise. With
// MinHonest = Parties (the default), a single corrupt or dropped party voids
// the calibration: choose MinHonest from the deployment's collusion and
// dropout assumptions. A malicious party can skip its own noise but cannot
// remove an honest party's. Inputs must be integers (fixed point) in the
// range the aggregation's modulus allows; noise does not wrap (it saturates
// at int64), but the secure aggregation's modulus must leave room for it.
//
// # Accounting
//
// Accountant enforces a total (epsilon, delta) under sequential composition,
// with exact rational sums (no float rounding lets a spend through or refuses
// one that fits); it has MarshalBinary/UnmarshalBinary. AdvancedComposition
// gives the Dwork-Rothblum-Vadhan bound. RDPAccountant (Gaussian, Laplace,
// subsampled Gaussian at integer orders, any RDP curve) and ZCDPAccountant
// convert to (epsilon, delta) with the conversion of CKS20 Proposition 12.
// All accountants are safe for concurrent use.
package dp
