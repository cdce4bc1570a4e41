// Package dp turns exact results into differentially private releases: noise
// samplers that are safe against floating-point attacks, calibration, private
// aggregations, noise shares meant to be added inside secure aggregation, and
// privacy accountants. It imports no other public package of Veil.
//
// A mechanism M is (epsilon, delta)-differentially private when, for every
// pair of neighbouring inputs D, D' and every set S of outputs,
// P[M(D) in S] <= e^epsilon P[M(D') in S] + delta (epsilon-DP when delta is
// 0). Which inputs are neighbours is fixed by the sensitivity a mechanism is
// configured with: the most the exact value can change between two
// neighbours (in L1 or L2 norm). For distributed noise, neighbours differ by
// one party's vector.
//
// # Neighbouring datasets
//
// The aggregations protect one privacy unit (a person, a device), whose
// records are bounded by a [Contribution]. By default ([AddRemove])
// neighbouring datasets differ by adding or removing all the records of one
// unit: the number of units is itself private, and the sensitivities are
// Count: MaxPartitions*MaxPerPartition; BoundedSumInt: that times
// max(|Lower|, |Upper|); BoundedMean: (Upper-Lower)/2 on the normalized sum.
// [RDPAccountant.AddSubsampledGaussian] and the PLD accountant's subsampled
// Gaussian are for Poisson sampling under add/remove too. When the number of
// units is public and neighbours replace one unit's records
// (Contribution.Neighbours = [ReplaceOne], as for a fixed roster of
// hospitals), every sensitivity is doubled (a replacement is a removal and
// an addition): under replace-one, the add/remove sensitivities would be
// too small by up to 2x.
//
// # Budgets
//
// Every release spends from a [Budget] it was given, atomically, before any
// noise is drawn, and is refused with an error wrapping [ErrBudgetExceeded]
// when the spend does not fit; a refused release spends nothing and
// releases nothing:
//
//   - a mechanism ([Laplace], [DiscreteLaplace], [Gaussian],
//     [GaussianVector], [ExponentialMechanism], [RandomizedResponse],
//     [KRandomizedResponse], [NoisePool], [ReleaseSum]) spends its
//     (epsilon, delta) at every AddNoise, selection or report;
//   - an aggregation ([Count], the bounded sums, [BoundedMean],
//     [BoundedVariance], [Quantiles], [Histogram]) releases once: the first
//     release spends its whole (epsilon, delta), and a second is refused with
//     an error wrapping [ErrAlreadyReleased] (and [ErrBudgetExceeded]), so
//     averaging repeated releases cannot remove the noise.
//
// [Accountant] (sequential composition, exact rational sums),
// [RDPFilter] and [ZCDPFilter] implement [Budget]; so can a durable
// per-dataset ledger. Sample and Noise methods (and the shares of
// distributed noise) draw noise without spending: they are for releases the
// caller accounts for itself, such as one party's share of a distributed
// sum. Randomized response is a local randomizer: its budget is the
// respondent's, and each report spends from it.
//
// # Privacy filters
//
// A filter lets an analysis choose each next release from the results so
// far and still holds a total guarantee. [Accountant] is a filter for basic
// composition. [RDPFilter] accepts a spend of an RDP curve while some order
// alpha has room under Epsilon - log(m/Delta)/(alpha-1) (Feldman & Zrnic
// 2021 at each order, a union bound over the m orders), so the whole
// adaptive run is (Epsilon, Delta)-DP. [ZCDPFilter] adds up rho exactly and
// refuses what exceeds its cap (Whitehouse, Ramdas, Rogers & Wu 2023). Both
// take pure-DP spends through [Budget] and their own spends (an RDP curve, a
// Gaussian, a rho) directly; the Gaussian mechanisms and aggregations
// ([Gaussian], [GaussianVector], and every aggregation with
// [GaussianNoise]) charge a [ZCDPFilter] their rho instead of (epsilon,
// delta).
//
// # Mechanisms
//
// Every mechanism is built from a Config struct whose fields are named, so
// that an epsilon cannot be passed where a sensitivity is expected; the
// constructor validates it:
//
//	budget, err := dp.NewAccountant(2, 1e-6)
//	lap, err := dp.NewLaplace(dp.LaplaceConfig{Epsilon: 1, Sensitivity: 1, Budget: budget}) // epsilon-DP, float64
//	noisy, err := lap.AddNoise(sum) // spends 1 from budget
//
//	g, err := dp.NewGaussian(dp.GaussianConfig{Epsilon: 1, Delta: 1e-6, Sensitivity: 1, Budget: budget})
//	noisy, err = g.AddNoise(sum) // standard deviation g.Sigma(), analytic calibration
//
//	dl, err := dp.NewDiscreteLaplace(dp.DiscreteLaplaceConfig{Epsilon: 1, Sensitivity: 1, Budget: budget})
//	count, err := dl.AddNoise(exactCount) // integers, exact; refused: the budget is spent
//
//	dg, err := dp.NewDiscreteGaussian(dp.DiscreteGaussianConfig{Sigma: 3})
//	z := dg.Sample() // integers, exact
//
// The Gaussian mechanisms are calibrated by [AnalyticGaussianSigma] and
// [CalibrateDiscreteGaussian], and [DiscreteGaussianDelta] gives the exact
// delta of a discrete Gaussian. Also: [RandomizedResponse] and
// [KRandomizedResponse] (with debiasing, O(1) per report), and
// [ExponentialMechanism] for selection, by
// [ExponentialMechanism.PermuteAndFlip] or the classic
// [ExponentialMechanism.SelectExponential].
//
// Invalid parameters (NaN, ±Inf, epsilon <= 0, delta outside [0, 1),
// sensitivity <= 0, values beyond a stated supported range) are errors
// wrapping [ErrInvalidParams], never panics. Errors read
// "dp: <sentinel>: <detail>".
//
// # How the noise is sampled, and what it guarantees
//
// Integer noise is exact. The discrete Laplace (two-sided geometric) and the
// discrete Gaussian are sampled by Algorithms 1-3 of Canonne, Kamath and
// Steinke, "The Discrete Gaussian for Differential Privacy" (2020): Bernoulli
// trials of probability exp(-gamma) for rational gamma, built from uniform
// integers compared with integers. The geometric parts of these samplers (X
// with P(X >= m) = exp(-m/t) for small integers t, and trials of
// probability exp(-q) for integers q) compare one uniform word with the
// thresholds floor(exp(-j/t) 2^64), computed once by interval arithmetic;
// exp(-j/t) is irrational, so the word decides except when it equals a
// threshold (probability 2^-64), and then further random digits are
// compared with exp(-j/t) at growing precision. Poisson variates (for Skellam noise) come
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
// [[MinDiscreteGaussianSigma], [MaxDiscreteGaussianSigma]]), a Poisson mean
// is rounded up to a multiple of 2^-20. Far tails beyond magnitude 2^62
// (probability below exp(-1000)) are resampled.
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
//   - [Laplace]: Z is discrete Laplace of scale >= K/epsilon: epsilon-DP.
//   - [Gaussian]: sigma is first calibrated by the analytic Gaussian
//     mechanism (Balle & Wang 2018, bisection on the exact condition, not
//     the classic bound) for sensitivity K; then sigma^2 in grid units is
//     rounded up to an integer and raised until the exact delta of the
//     discrete Gaussian (CKS20 Theorem 7) is <= delta; (epsilon, delta)-DP.
//     (The discrete Gaussian's delta can exceed the continuous one's
//     slightly: at epsilon 1, sigma 3.7306, sensitivity 1 it is 1.035e-5
//     where the continuous Gaussian has 1e-5. The check matters.)
//
// The cost is noise larger by a relative 2^-20 or so (more only for extreme
// parameters: Laplace epsilon < 4e-9, Gaussian sigma/sensitivity > 2^8) and
// outputs on the grid of Lambda ([Laplace.Granularity],
// [Gaussian.Granularity]). NaN and ±Inf inputs are errors wrapping
// [ErrOutOfRange] (a statistic that overflowed on one dataset and not on
// its neighbour must not show it), and float sensitivities below 2^-980 are
// refused. One [Gaussian] is calibrated for one scalar: applied to each
// coordinate of a d-vector, the snapped vector's L2 sensitivity is up to
// Delta/Lambda + sqrt(d) grid units, so it is not a vector mechanism;
// [GaussianVector] is calibrated for that sensitivity.
//
// # Timing
//
// The samplers are exact but not constant-time: their rejection loops (the
// geometric loop of the discrete Laplace, which the discrete Gaussian also
// uses) run longer for larger |noise| (Jin et al., IEEE S&P 2022). Someone
// who can time one call learns roughly |Z|, so x is nearly one of y-|Z|,
// y+|Z|. Where releases can be timed, draw the noise off the request path:
// a [NoisePool] ([Laplace.NewPool]) stores draws made ahead of time and
// releases with them, spending at each release as AddNoise does; for
// integers, Sample and Noise draw ahead of time (and spend nothing).
//
// # Randomness and concurrency
//
// All noise comes from crypto/rand: each sampler owns an AES-256-CTR stream
// keyed from crypto/rand when it is made, read through a buffer, so that the
// hot path takes no lock shared between samplers and makes no system call.
// There is no way to seed a sampler: whoever knew the seed would know the
// noise. (Tests that need reproducible draws fix crypto/rand itself with
// testing/cryptotest.SetGlobalRandom.)
//
// Each sampler has its own mutex, so it is safe for concurrent use; use one
// sampler per goroutine for throughput. Noise and AddNoise on vectors longer
// than 4096 coordinates draw chunks from streams derived in order from the
// sampler's stream, on as many goroutines as the Config's Workers field says
// (0 means GOMAXPROCS); the noise drawn does not depend on it.
//
// # Aggregations
//
// [Count], [BoundedSumInt], [BoundedSumFloat] (fixed point, so that the
// sensitivity is exact: float sums are not, Casacuberta et al. 2022),
// [BoundedMean], [BoundedVariance], [Quantiles] (permute-and-flip over a
// public grid) and [Histogram] (noisy counts per key, with partition
// selection by thresholding for keys that are not public). Noise is
// pluggable: with [LaplaceNoise] (the default) a release is Epsilon-DP at
// the L1 sensitivity MaxPartitions * MaxPerPartition * m (m the largest
// magnitude of one value, 1 for counts); with [GaussianNoise] ([Count],
// the bounded sums, [BoundedMean], [BoundedVariance], and [Histogram] over
// public keys) it is (Epsilon, Delta)-DP with discrete Gaussian noise at the
// L2 sensitivity sqrt(MaxPartitions) * MaxPerPartition * m, calibrated
// through zCDP (the largest rho within (Epsilon, Delta) by [ZCDPToDP], split
// evenly between the parts of a mean or a variance), charging rho to a
// [ZCDPFilter] and (Epsilon, Delta) to any other [Budget]. [Quantiles] is
// permute-and-flip, pure DP only. A [Contribution] in each Config sets the
// bounds per privacy unit (partitions per unit, contributions per
// partition), and [ContributionBounder] enforces them on raw records.
//
// Exact and noisy results are named apart: ExactSum methods return exact,
// non-private sums (the input of a release); every Release method returns a
// noisy, private result. Each aggregation's Release takes exact totals, so a
// total computed by he or mpc on clamped, encoded inputs
// ([BoundedSumFloat.Encode], [BoundedMean.EncodeNormalized],
// [BoundedVariance.Encode]) is released the same way as one computed in the
// clear; [ReleaseSum] does it for a plain integer sum. [Count] and the sums
// have ConfidenceInterval methods.
//
//	mean, err := dp.NewBoundedMean(dp.BoundedMeanConfig{Epsilon: 1, Lower: 0, Upper: 100, Budget: budget})
//	released, err := mean.ReleaseValues(ages) // spends 1; a second release is refused
//
//	sum, err := dp.NewBoundedSumInt(dp.BoundedSumIntConfig{Epsilon: 1, Delta: 1e-6, Noise: dp.GaussianNoise,
//		Lower: 0, Upper: 10, Contribution: dp.Contribution{MaxPartitions: 16}, Budget: zcdpFilter})
//	total, err := sum.Release(exactSum) // sigma grows as sqrt(16), not 16; spends rho once
//
// Fixed-point ranges: [BoundedSumFloat] encodes |x| as at most 2^25 units
// ([BoundedSumFloat.EncodingRange], [BoundedMean.EncodingRange]; fewer with
// [GaussianNoise] when sigma would exceed 2^26 units), so sums of 2^36
// values fit an int64; [BoundedVariance] encodes its square
// term on a coarser grid chosen from MaxValues (2^32 by default) so that
// its sums are exact, and [BoundedVariance.EncodingRange] says what a secure
// sum's modulus must hold.
//
// # Distributed noise for secure aggregation
//
// With no trusted curator, each party adds a share of the noise before
// secure aggregation: [SkellamShare] (Poisson(lambda) - Poisson(lambda) per
// coordinate, sampled exactly; shares sum exactly to Skellam noise; mu from
// [CalibrateSkellam]) or [DiscreteGaussianShare] (local sigma calibrated,
// or checked, for its Target with MinHonest honest shares; sigma >=
// [MinLocalSigma], the range of the theorem). Both take a
// [DistributedTarget]: the (epsilon, delta) of the release, the L1 and L2
// sensitivities of one party's vector, and for the discrete Gaussian the
// dimension and the number of honest parties. A share spends no budget: the
// release of the aggregate does, once.
//
//	mu, err := dp.CalibrateSkellam(dp.DistributedTarget{Epsilon: 1, Delta: 1e-6, L1: 16, L2: 8})
//	share, err := dp.NewSkellamShare(dp.SkellamShareConfig{Mu: mu, Parties: 5, MinHonest: 3})
//	share.AddNoise(vector) // then sum the vectors with mpc/secagg or he
//
// # Security model of distributed noise
//
// Parties and trust: the parties that add shares, and whoever sees the
// aggregate. The guarantee holds as long as at least MinHonest parties are
// honest (semi-honest: they sample and add their share as specified) and
// present; the shares are sized so that MinHonest of them alone carry the
// calibrated noise. With MinHonest = Parties (the default), a single
// corrupt or dropped party voids the calibration: choose MinHonest from the
// deployment's collusion and dropout assumptions.
//
// What each party learns: the output is the sum of the inputs plus the sum
// of the shares. Parties that collude know their own shares and can
// subtract them from the output.
//
// What a deviating party can do: skip or shrink its own noise, which costs
// privacy only if fewer than MinHonest honest shares remain; it cannot
// remove an honest party's share. Nothing in dp checks what a party sends:
// an input out of range or a wrong share bias the output (correctness),
// which the secure aggregation must catch if it matters.
//
// Dropouts: a party that drops out before contributing adds no noise, and
// counts against MinHonest.
//
// Timing: sampling is not constant-time. The rejection samplers loop a
// number of times that depends on the noise drawn, so a peer who can time
// the making of a share learns something about its size.
//
// Range: inputs must be integers (fixed point) in the range the
// aggregation's modulus allows; noise does not wrap (it saturates at int64),
// but the secure aggregation's modulus must leave room for it.
//
// # Accounting
//
// [Accountant] enforces a total (epsilon, delta) under sequential
// composition, with exact rational sums (no float rounding lets a spend
// through or refuses one that fits); a spend that does not fit is an error
// wrapping [ErrBudgetExceeded]. It has MarshalBinary and UnmarshalBinary.
// [AdvancedComposition] gives the Dwork-Rothblum-Vadhan bound.
// [RDPAccountant] (Gaussian, Laplace, subsampled Gaussian at integer orders,
// any RDP curve) and [ZCDPAccountant] add up costs without a cap, for
// planning, and convert to (epsilon, delta) with the conversion of CKS20
// Proposition 12; [RDPFilter] and [ZCDPFilter] are their capped,
// spend-or-refuse counterparts.
//
// [PLDAccountant] composes privacy loss distributions (the approach of
// Google's dp_accounting): for the Laplace, Gaussian and Poisson-subsampled
// Gaussian mechanisms, each direction of neighbouring (add and remove) is
// discretized pessimistically (losses rounded up to multiples of
// [PLDConfig].Interval), composed by FFT, and the larger epsilon is
// reported. It is never below the true epsilon and above it by less than
// steps*Interval, and tighter than [RDPAccountant] for DP-SGD.
// [CalibrateSubsampledGaussian] finds the noise multiplier for a target
// (epsilon, delta, sampling rate, steps). All accountants are safe for
// concurrent use.
package dp
