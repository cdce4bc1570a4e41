package dp

import (
	"fmt"
	"math"
	"math/big"
)

// bernExpRatBig returns true with probability exp(-g), g >= 0 an exact
// rational, through the 128-bit path when it fits.
func (p *rng) bernExpRatBig(g *big.Rat) bool {
	if n, ok := u128FromBig(g.Num()); ok {
		if d, ok := u128FromBig(g.Denom()); ok {
			return p.bernExp128(n, d)
		}
	}
	return p.bernExpBig(g.Num(), g.Denom())
}

// RandomizedResponse is binary randomized response (Warner 1965): a bit is
// reported truthfully with probability e^eps/(1+e^eps) and flipped otherwise,
// which is epsilon-DP for the bit (neighbouring inputs: the bit flipped).
// The flip is drawn exactly (rejection between "keep", weight 1, and "flip",
// weight exp(-epsilon), the latter by the exact Bernoulli(exp(-gamma))
// sampler). Safe for concurrent use.
type RandomizedResponse struct {
	source
	meter
	eps    float64
	epsRat *big.Rat
}

// RandomizedResponseConfig configures a [RandomizedResponse]. All fields
// must be set.
type RandomizedResponseConfig struct {
	// Epsilon is the privacy parameter of one report, finite and > 0.
	Epsilon float64
	// Budget is what every report spends Epsilon from: in local DP, the
	// budget of the respondent whose value is reported (reporting the same
	// value twice spends twice).
	Budget Budget
}

// NewRandomizedResponse returns binary randomized response configured by
// cfg.
func NewRandomizedResponse(cfg RandomizedResponseConfig) (*RandomizedResponse, error) {
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	epsilon := cfg.Epsilon
	if err := checkEpsilon(epsilon); err != nil {
		return nil, err
	}
	r := &RandomizedResponse{meter: meter{budget: cfg.Budget, eps: epsilon}, eps: epsilon, epsRat: new(big.Rat).SetFloat64(epsilon)}
	return withSource(r, &r.source, 0)
}

// Respond spends Epsilon from the Budget and returns the randomized report
// of truth (nothing is reported when the spend is refused).
func (r *RandomizedResponse) Respond(truth bool) (bool, error) {
	if err := r.spend(); err != nil {
		return false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if !r.r.bit() {
			return truth, nil
		}
		if r.r.bernExpRatBig(r.epsRat) {
			return !truth, nil
		}
	}
}

// TruthProbability returns e^eps/(1+e^eps), the probability of a truthful report.
func (r *RandomizedResponse) TruthProbability() float64 { return 1 / (1 + math.Exp(-r.eps)) }

// EstimateProportion returns the unbiased estimate of the fraction of true
// bits among n respondents of whom reportedTrue reported true:
// (reportedTrue/n - (1-p)) / (2p - 1). It may fall outside [0, 1].
func (r *RandomizedResponse) EstimateProportion(reportedTrue, n int) (float64, error) {
	if n <= 0 || reportedTrue < 0 || reportedTrue > n {
		return 0, invalid("need 0 <= reportedTrue <= n, n > 0 (got %d, %d)", reportedTrue, n)
	}
	p := r.TruthProbability()
	return (float64(reportedTrue)/float64(n) - (1 - p)) / (2*p - 1), nil
}

// KRandomizedResponse is k-ary randomized response: a value in [0, k) is
// reported truthfully with probability e^eps/(e^eps+k-1), and as each other
// value with probability 1/(e^eps+k-1); epsilon-DP for the value
// (neighbouring inputs: any two values). Sampling is exact and takes O(1)
// expected time whatever k and epsilon: "truth or other" is one exact
// Bernoulli draw (a lazily refined uniform compared with rigorous interval
// bounds on the probability), then an other value is uniform. Epsilon above
// ln(k-1) + 1100 ln 2 is sampled as that value (only more private; the
// probability of a lie moves by less than 2^-1100). Safe for concurrent use.
type KRandomizedResponse struct {
	source
	meter
	eps    float64
	epsUse float64 // min(eps, ln(k-1) + 1100 ln 2)
	k      int
	pf     float64 // the truth probability in float64, for the fast path
}

// KRandomizedResponseConfig configures a [KRandomizedResponse]. All
// fields must be set.
type KRandomizedResponseConfig struct {
	// Epsilon is the privacy parameter of one report, finite and > 0.
	Epsilon float64
	// K is the number of values, >= 2.
	K int
	// Budget is what every report spends Epsilon from (in local DP, the
	// respondent's budget).
	Budget Budget
}

// NewKRandomizedResponse returns k-ary randomized response configured by
// cfg.
func NewKRandomizedResponse(cfg KRandomizedResponseConfig) (*KRandomizedResponse, error) {
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	epsilon, k := cfg.Epsilon, cfg.K
	if err := checkEpsilon(epsilon); err != nil {
		return nil, err
	}
	if k < 2 {
		return nil, invalid("k must be >= 2, got %d", k)
	}
	use := math.Min(epsilon, math.Floor(math.Log(float64(k-1))+1100*math.Ln2))
	r := &KRandomizedResponse{meter: meter{budget: cfg.Budget, eps: epsilon}, eps: epsilon, epsUse: use, k: k}
	r.pf = 1 / (1 + float64(k-1)*math.Exp(-use))
	return withSource(r, &r.source, 0)
}

// Respond spends Epsilon from the Budget and returns the randomized report
// of v in [0, k) (a value out of range is an error, checked before
// spending).
func (r *KRandomizedResponse) Respond(v int) (int, error) {
	if v < 0 || v >= r.k {
		return 0, invalid("value %d outside [0, %d)", v, r.k)
	}
	if err := r.spend(); err != nil {
		return 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.truth() {
		return v, nil
	}
	u := int(r.r.uniform(uint64(r.k - 1)))
	if u >= v {
		u++
	}
	return u, nil
}

// truth draws Bernoulli(1/(1+(k-1)e^-eps)) exactly: V < p for a uniform V,
// decided on 53 bits of V when float64 bounds on p separate (all but about
// 2^-40 of the draws), and otherwise by lessApprox with rigorous big-float
// bounds.
func (r *KRandomizedResponse) truth() bool {
	a := r.r.uint64() >> 11
	const e = 0x1p-40 // far above the float64 error of pf
	if float64(a+1)*0x1p-53 <= r.pf*(1-e) {
		return true
	}
	if float64(a)*0x1p-53 >= r.pf*(1+e) {
		return false
	}
	l := &lazyUniform{p: r.r, v: new(big.Int).SetUint64(a), n: 53}
	return l.lessApprox(func(prec uint) (*big.Float, *big.Float) {
		w := prec + 64
		ex, eta := expNegBig(r.epsUse, w)
		c := new(big.Float).SetPrec(w).SetInt64(int64(r.k - 1))
		c.Mul(c, ex)
		c.Add(c, new(big.Float).SetPrec(w).SetInt64(1))
		p := new(big.Float).SetPrec(w).Quo(new(big.Float).SetPrec(w).SetInt64(1), c)
		// Relative error: eta from e^-eps, 3 roundings; 1/(1+c) at most
		// doubles a small relative error of c.
		errs := new(big.Float).SetPrec(w).Mul(eta, big.NewFloat(2))
		return p, errs.Add(errs, errBound(8, w))
	})
}

// expNegBig returns e^-x (0 <= x <= 2^20) at precision w with a bound on its
// relative error: e^-y for y = x/2^j <= 1/4 by its alternating Taylor
// series (remainder below the first omitted term), then squared j times
// (each squaring doubles the relative error and adds one rounding).
func expNegBig(x float64, w uint) (val, relErr *big.Float) {
	j := 0
	if x > 0.25 {
		_, ex := math.Frexp(x / 0.25)
		j = ex
	}
	wp := w + uint(j) + 16
	y := new(big.Float).SetPrec(wp).SetFloat64(x)
	y.SetMantExp(y, -j) // exact
	sum := new(big.Float).SetPrec(wp).SetInt64(1)
	term := new(big.Float).SetPrec(wp).SetInt64(1)
	tiny := new(big.Float).SetMantExp(big.NewFloat(1), -int(wp))
	n := 0
	for i := int64(1); ; i++ {
		term.Mul(term, y)
		term.Quo(term, new(big.Float).SetPrec(wp).SetInt64(i))
		term.Neg(term)
		sum.Add(sum, term)
		n++
		if new(big.Float).Abs(term).Cmp(tiny) < 0 {
			break
		}
	}
	// Taylor part: 3 roundings per term plus the remainder (< tiny), over
	// sum >= e^-1/4 > 1/2: relative error < (6n + 4) 2^-wp.
	for range j {
		sum.Mul(sum, sum)
	}
	// After j squarings: < 2^j (6n + 6) 2^-wp.
	return sum, new(big.Float).SetMantExp(new(big.Float).SetInt64(int64(6*n+6)), j-int(wp))
}

// Probabilities returns (p, q): the probability of the true value and of each
// other value.
func (r *KRandomizedResponse) Probabilities() (p, q float64) {
	// e^eps/(e^eps+k-1) computed as 1/(1+(k-1)e^-eps) to avoid overflow.
	em := math.Exp(-r.epsUse)
	p = 1 / (1 + float64(r.k-1)*em)
	q = em / (1 + float64(r.k-1)*em)
	return p, q
}

// EstimateCounts returns unbiased estimates of the true counts of each value
// from the counts of reports: (c_j - n q)/(p - q), n = sum of counts.
func (r *KRandomizedResponse) EstimateCounts(reported []int64) ([]float64, error) {
	if len(reported) != r.k {
		return nil, invalid("need %d counts, got %d", r.k, len(reported))
	}
	var n float64
	for _, c := range reported {
		if c < 0 {
			return nil, invalid("negative count %d", c)
		}
		n += float64(c)
	}
	p, q := r.Probabilities()
	out := make([]float64, r.k)
	for j, c := range reported {
		out[j] = (float64(c) - n*q) / (p - q)
	}
	return out, nil
}

// ExponentialMechanism selects an index with a high score, epsilon-DP for
// scores of the given sensitivity, in one of two ways with the same privacy:
// [ExponentialMechanism.PermuteAndFlip] (McKenna & Sheldon, NeurIPS 2020),
// whose expected error is never worse, and
// [ExponentialMechanism.SelectExponential], the classic exponential mechanism
// (McSherry & Talwar 2007). The coins are exact: their exponents are
// computed as exact rationals from the float64 inputs. Safe for concurrent
// use.
type ExponentialMechanism struct {
	source
	meter
	eps, sens float64
	factor    *big.Rat // epsilon / (2 sensitivity)
}

// ExponentialMechanismConfig configures an [ExponentialMechanism]. All
// fields must be set.
type ExponentialMechanismConfig struct {
	// Epsilon is the privacy parameter of one selection, finite and > 0.
	Epsilon float64
	// Sensitivity is the most any one score can change between
	// neighbouring datasets, finite and > 0.
	Sensitivity float64
	// Budget is what every selection spends Epsilon from.
	Budget Budget
}

// NewExponentialMechanism returns the selector configured by cfg.
func NewExponentialMechanism(cfg ExponentialMechanismConfig) (*ExponentialMechanism, error) {
	epsilon, sensitivity := cfg.Epsilon, cfg.Sensitivity
	if err := checkBudget(cfg.Budget); err != nil {
		return nil, err
	}
	if err := checkEpsilon(epsilon); err != nil {
		return nil, err
	}
	if err := checkSensitivity("score", sensitivity); err != nil {
		return nil, err
	}
	e := &ExponentialMechanism{meter: meter{budget: cfg.Budget, eps: epsilon}, eps: epsilon, sens: sensitivity, factor: pfFactor(epsilon, sensitivity)}
	return withSource(e, &e.source, 0)
}

// pfFactor returns epsilon / (2 sensitivity) as an exact rational (2 is
// applied to the rational, so a sensitivity near MaxFloat64 cannot overflow).
func pfFactor(epsilon, sensitivity float64) *big.Rat {
	f := new(big.Rat).SetFloat64(epsilon)
	d := new(big.Rat).SetFloat64(sensitivity)
	return f.Quo(f, d.Mul(d, big.NewRat(2, 1)))
}

// PermuteAndFlip returns the index of a high score by permute-and-flip:
// candidates are visited in uniformly random order and candidate r is taken
// with probability exp(-epsilon (max - score_r) / (2 sensitivity)); the best
// is always taken when reached. Each selection spends Epsilon from the
// Budget first (a refused spend selects nothing). Scores must be finite; an
// empty or invalid list is an error wrapping [ErrInvalidParams], checked
// before anything is spent.
func (e *ExponentialMechanism) PermuteAndFlip(scores []float64) (int, error) {
	if _, err := maxScore(scores); err != nil {
		return 0, err
	}
	if err := e.spend(); err != nil {
		return 0, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return permuteAndFlip(e.r, scores, e.factor)
}

// SelectExponential returns an index drawn by the classic exponential
// mechanism (McSherry & Talwar 2007), P(i) proportional to
// exp(epsilon score_i / (2 sensitivity)), exactly: rejection sampling with a
// uniform candidate accepted with probability
// exp(-epsilon (max - score_i) / (2 sensitivity)), in expected
// len(scores) / sum_i exp(-epsilon (max - score_i)/(2 sensitivity)) draws.
// [ExponentialMechanism.PermuteAndFlip] has the same privacy and never worse
// utility. Each selection spends Epsilon from the Budget first.
func (e *ExponentialMechanism) SelectExponential(scores []float64) (int, error) {
	best, err := maxScore(scores)
	if err != nil {
		return 0, err
	}
	if err := e.spend(); err != nil {
		return 0, err
	}
	bestR := new(big.Rat).SetFloat64(best)
	g := new(big.Rat)
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		c := int(e.r.uniform(uint64(len(scores))))
		if scores[c] == best {
			return c, nil
		}
		g.SetFloat64(scores[c])
		g.Sub(bestR, g)
		g.Mul(g, e.factor)
		if e.r.bernExpRatBig(g) {
			return c, nil
		}
	}
}

// maxScore validates scores and returns the largest.
func maxScore(scores []float64) (float64, error) {
	if len(scores) == 0 {
		return 0, invalid("no candidates")
	}
	best := math.Inf(-1)
	for i, s := range scores {
		if !finite(s) {
			return 0, invalid("score %d is %v", i, s)
		}
		best = math.Max(best, s)
	}
	return best, nil
}

// permuteAndFlip selects an index with coins exp(-factor (max - score)).
func permuteAndFlip(r *rng, scores []float64, factor *big.Rat) (int, error) {
	best, err := maxScore(scores)
	if err != nil {
		return 0, err
	}
	bestR := new(big.Rat).SetFloat64(best)
	perm := make([]int, len(scores))
	for i := range perm {
		perm[i] = i
	}
	g := new(big.Rat)
	for i := range perm {
		// Lazy Fisher-Yates: pick the next candidate uniformly among the rest.
		j := i + int(r.uniform(uint64(len(perm)-i)))
		perm[i], perm[j] = perm[j], perm[i]
		c := perm[i]
		if scores[c] == best {
			return c, nil
		}
		g.SetFloat64(scores[c])
		g.Sub(bestR, g)
		g.Mul(g, factor)
		if r.bernExpRatBig(g) {
			return c, nil
		}
	}
	// Unreachable: the best candidate is always accepted.
	return 0, fmt.Errorf("dp: permute-and-flip found no candidate")
}
