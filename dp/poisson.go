package dp

import (
	"math"
	"math/big"
	"math/bits"
)

// Exact Poisson sampling for a rational mean lambda = a/b (b = 2^20), by
// integer comparisons only.
//
// Small lambda (<= 4): lambda is split into m = ceil(2 lambda) pieces
// p = lambda/m <= 1/2, and Poisson(p) is drawn by rejection from the geometric
// proposal q(k) = (1-p) p^k, accepting k with probability 1/k! (a product of
// Bernoulli(1/j)); the acceptance rate is (1-p) e^p >= 0.82.
//
// Large lambda: rejection from a two-sided geometric proposal centred at the
// mode m = floor(lambda), Q(m+j) proportional to rho^|j| with rho = 1 - 1/r,
// r = ceil(sqrt(2 lambda)). With R(k) = P(k)/P(m), R(m+j)/rho^j is the product
// of g_i = lambda/(rho (m+i)), i = 1..j, and R(m-j)/rho^j the product of
// h_i = (m-i)/(rho lambda), i = 0..j-1; both products are maximal (C+ and C-)
// where their factors cross 1. Accepting k with probability
// R(k) / (C+ C- rho^|k-m|) <= 1 gives exactly Poisson(lambda); that
// probability is a product of rationals each <= 1 (the g_i or 1/g_i, h_i or
// 1/h_i). It is decided exactly by bernProduct: floats with rigorous error
// bounds (tables of prefix products make it O(1)), and adaptive-precision
// arithmetic on the rare ties. The geometric proposal is drawn exactly in O(1)
// (geometricRational). The acceptance rate is about 0.5.
type poisson struct {
	a, b   uint64
	pieces uint64 // small method: number of pieces; 0 selects the large method
	// large method
	m, r          uint64
	jPlus, jMinus uint64
	numG          u128 // g_i = numG / (denGi * (m+i))
	denGi         uint64
	denH          u128 // h_i = (m-i) * numHi / denH
	numHi         uint64
	tab           *poissonTables
}

// poissonTables hold float64 products of runs of factors, each with a
// relative error below 5 * (number of factors) * 2^-53, so that most
// acceptance tests of the large-lambda sampler cost O(1) (see bernProduct for
// why floats are safe here). Runs beyond the tables use the factor loop.
type poissonTables struct {
	invCm, invCp float64   // prod 1/h_i (i < jMinus), prod 1/g_i (1 <= i <= jPlus)
	gTab         []float64 // gTab[d] = prod_{i=jPlus+1}^{jPlus+d} g_i
	sG           []float64 // sG[j] = prod_{i=j+1}^{jPlus} 1/g_i, or nil
	hTab         []float64 // hTab[d] = prod_{i=jMinus}^{jMinus+d-1} h_i
	sH           []float64 // sH[j] = prod_{i=j}^{jMinus-1} 1/h_i, or nil
}

// maxPoissonTable caps each table (8 bytes an entry).
const maxPoissonTable = 1 << 16

func (ps *poisson) factorFloat(kind uint8, i uint64) float64 {
	n, d := ps.factor(kind, i)
	return u128Float(n) / u128Float(d)
}

func (ps *poisson) buildTables() {
	t := &poissonTables{invCm: 1, invCp: 1}
	for i := uint64(0); i < ps.jMinus; i++ {
		t.invCm *= ps.factorFloat(segInvH, i)
	}
	for i := uint64(1); i <= ps.jPlus; i++ {
		t.invCp *= ps.factorFloat(segInvG, i)
	}
	span := min(20*ps.r, maxPoissonTable)
	t.gTab = []float64{1}
	for d := uint64(1); d < span && t.gTab[d-1] > 0x1p-600; d++ {
		t.gTab = append(t.gTab, t.gTab[d-1]*ps.factorFloat(segG, ps.jPlus+d))
	}
	if ps.jPlus < maxPoissonTable {
		t.sG = make([]float64, ps.jPlus+1)
		t.sG[ps.jPlus] = 1
		for j := ps.jPlus; j > 0; j-- {
			t.sG[j-1] = t.sG[j] * ps.factorFloat(segInvG, j)
		}
	}
	t.hTab = []float64{1}
	for d := uint64(1); d < span && ps.jMinus+d <= ps.m && t.hTab[d-1] > 0x1p-600; d++ {
		t.hTab = append(t.hTab, t.hTab[d-1]*ps.factorFloat(segH, ps.jMinus+d-1))
	}
	if ps.jMinus < maxPoissonTable {
		t.sH = make([]float64, ps.jMinus+1)
		t.sH[ps.jMinus] = 1
		for j := ps.jMinus; j > 0; j-- {
			t.sH[j-1] = t.sH[j] * ps.factorFloat(segInvH, j-1)
		}
	}
	ps.tab = t
}

// lookup returns the float product of the acceptance test of m+j (high) or
// m-j and its number of rounded factors, or ok = false outside the tables.
func (ps *poisson) lookup(j uint64, high bool) (prod float64, ops int, ok bool) {
	t := ps.tab
	if high {
		switch {
		case j >= ps.jPlus && j-ps.jPlus < uint64(len(t.gTab)):
			prod, ops = t.gTab[j-ps.jPlus], int(j-ps.jPlus)
		case j < ps.jPlus && t.sG != nil:
			prod, ops = t.sG[j], int(ps.jPlus-j)
		default:
			return 0, 0, false
		}
		return prod * t.invCm, ops + int(ps.jMinus) + 1, true
	}
	switch {
	case j >= ps.jMinus && j-ps.jMinus < uint64(len(t.hTab)):
		prod, ops = t.hTab[j-ps.jMinus], int(j-ps.jMinus)
	case j < ps.jMinus && t.sH != nil:
		prod, ops = t.sH[j], int(ps.jMinus-j)
	default:
		return 0, 0, false
	}
	return prod * t.invCp, ops + int(ps.jPlus) + 1, true
}

const (
	poissonDenBits   = 20
	maxPoissonLambda = 1 << 40
	poissonSmall     = 4
)

func newPoisson(lambda float64) (*poisson, error) {
	if !finite(lambda) || lambda <= 0 || lambda > maxPoissonLambda {
		return nil, invalid("Poisson mean must be in (0, 2^40], got %v", lambda)
	}
	b := uint64(1) << poissonDenBits
	a := uint64(math.Ceil(math.Ldexp(lambda, poissonDenBits))) // exact: scaling by 2^20
	ps := &poisson{a: a, b: b}
	if a <= poissonSmall*b {
		ps.pieces = (2*a + b - 1) / b // ceil(2 lambda)
		return ps, nil
	}
	ps.m = a / b
	ps.r = uint64(math.Ceil(math.Sqrt(2 * float64(a) / float64(b))))
	r := ps.r
	bigA, bigB, bigR := new(big.Int).SetUint64(a), new(big.Int).SetUint64(b), new(big.Int).SetUint64(r)
	bigR1 := new(big.Int).SetUint64(r - 1)
	// jPlus = floor(a r / (b (r-1))) - m
	q := new(big.Int).Mul(bigA, bigR)
	q.Quo(q, new(big.Int).Mul(bigB, bigR1))
	ps.jPlus = q.Uint64() - ps.m
	// jMinus = m - ceil(a (r-1) / (b r)) + 1, or 0
	num := new(big.Int).Mul(bigA, bigR1)
	den := new(big.Int).Mul(bigB, bigR)
	c, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Sign() != 0 {
		c.Add(c, big.NewInt(1))
	}
	if c.Uint64() <= ps.m {
		ps.jMinus = ps.m - c.Uint64() + 1
	}
	hi, lo := bits.Mul64(a, r)
	ps.numG = u128{hi, lo}
	ps.denGi = b * (r - 1) // <= 2^20 * 2^21
	hi, lo = bits.Mul64(a, r-1)
	ps.denH = u128{hi, lo}
	ps.numHi = b * r
	ps.buildTables()
	return ps, nil
}

func mul128(x u128, y uint64) u128 {
	hi, lo := bits.Mul64(x.lo, y)
	return u128{hi + x.hi*y, lo}
}

// g returns the numerator and denominator of g_i.
func (ps *poisson) g(i uint64) (u128, u128) {
	return ps.numG, mul128(u128{0, ps.denGi}, ps.m+i)
}

// h returns the numerator and denominator of h_i.
func (ps *poisson) h(i uint64) (u128, u128) {
	return mul128(u128{0, ps.numHi}, ps.m-i), ps.denH
}

func (ps *poisson) sample(p *rng) uint64 {
	if ps.pieces > 0 {
		var k uint64
		for i := uint64(0); i < ps.pieces; i++ {
			k += ps.smallPiece(p)
		}
		return k
	}
	for {
		j := p.geometricRational(ps.r)
		neg := p.bit()
		if neg && (j == 0 || j > ps.m) {
			continue
		}
		if neg {
			if ps.acceptLow(p, j) {
				return ps.m - j
			}
		} else if ps.acceptHigh(p, j) {
			return ps.m + j
		}
	}
}

// smallPiece draws Poisson(a/(b*pieces)).
func (ps *poisson) smallPiece(p *rng) uint64 {
	den := ps.b * ps.pieces
	for {
		var k uint64
		for p.uniform(den) < ps.a {
			k++
		}
		ok := true
		for j := uint64(2); j <= k && ok; j++ {
			ok = p.uniform(j) == 0
		}
		if ok {
			return k
		}
	}
}

// A factorSeg is the run of factors i in [from, to] of one kind.
type factorSeg struct {
	from, to uint64
	kind     uint8
}

const (
	segG    = iota // g_i
	segInvG        // 1/g_i
	segH           // h_i
	segInvH        // 1/h_i
)

func (ps *poisson) factor(kind uint8, i uint64) (num, den u128) {
	switch kind {
	case segG:
		return ps.g(i)
	case segInvG:
		n, d := ps.g(i)
		return d, n
	case segH:
		return ps.h(i)
	default:
		n, d := ps.h(i)
		return d, n
	}
}

// acceptHigh accepts the proposal m+j: the product of g_i (i = jPlus+1..j) or
// 1/g_i (i = j+1..jPlus), times 1/h_i (i = 0..jMinus-1).
func (ps *poisson) acceptHigh(p *rng, j uint64) bool {
	var segs [2]factorSeg
	if j >= ps.jPlus {
		segs[0] = factorSeg{ps.jPlus + 1, j, segG}
	} else {
		segs[0] = factorSeg{j + 1, ps.jPlus, segInvG}
	}
	segs[1] = factorSeg{1, 0, segInvH} // empty unless jMinus > 0
	if ps.jMinus > 0 {
		segs[1] = factorSeg{0, ps.jMinus - 1, segInvH}
	}
	return p.bernProductFast(ps, segs[:], j, true)
}

// acceptLow accepts the proposal m-j, j >= 1: the product of h_i
// (i = jMinus..j-1) or 1/h_i (i = j..jMinus-1), times 1/g_i (i = 1..jPlus).
func (ps *poisson) acceptLow(p *rng, j uint64) bool {
	var segs [2]factorSeg
	if j >= ps.jMinus {
		segs[0] = factorSeg{ps.jMinus, j - 1, segH}
	} else {
		segs[0] = factorSeg{j, ps.jMinus - 1, segInvH}
	}
	segs[1] = factorSeg{1, ps.jPlus, segInvG}
	return p.bernProductFast(ps, segs[:], j, false)
}

// u128Float returns x as a float64 within a relative 1.002 * 2^-53.
func u128Float(x u128) float64 {
	if x.hi == 0 {
		return float64(x.lo)
	}
	s := uint(bits.Len64(x.hi))
	top := x.hi<<(64-s) | x.lo>>s
	return math.Ldexp(float64(top), int(s))
}

// bernProduct returns true with probability equal to the product of the
// factors of segs (each a rational <= 1), exactly. It draws the first 53 bits
// a of a uniform V in [0, 1), so V is in [a/2^53, (a+1)/2^53), and evaluates
// the product in floating point with a rigorous error bound: every IEEE
// operation is correctly rounded, so after k factors (two conversions, a
// division and a multiplication each) the relative error is below
// 5k * 2^-53. As the exact product can only decrease, the answer is "no" as
// soon as its upper bound is <= a/2^53, and "yes" if at the end its lower
// bound is >= (a+1)/2^53; otherwise (probability about 1e-12) the product is
// computed exactly with big rationals and compared with V's further bits.
func (p *rng) bernProduct(ps *poisson, segs []factorSeg) bool {
	a := p.uint64() >> 11
	vlo := float64(a) * 0x1p-53
	vhi := float64(a+1) * 0x1p-53
	prod := 1.0
	k := 0
	for _, s := range segs {
		if s.from > s.to {
			continue
		}
		for i := s.from; ; i++ {
			n, d := ps.factor(s.kind, i)
			prod *= u128Float(n) / u128Float(d)
			k++
			if prod*(1+float64(5*k+2)*0x1p-53) <= vlo {
				return false
			}
			if prod < 0x1p-600 {
				return p.bernProductExact(ps, segs, a)
			}
			if i == s.to {
				break
			}
		}
	}
	if prod*(1-float64(5*k+2)*0x1p-53) >= vhi {
		return true
	}
	return p.bernProductExact(ps, segs, a)
}

// bernProductFast is bernProduct with the product taken from the tables
// when they cover it.
func (p *rng) bernProductFast(ps *poisson, segs []factorSeg, j uint64, high bool) bool {
	prod, ops, ok := ps.lookup(j, high)
	if !ok || prod < 0x1p-600 {
		return p.bernProduct(ps, segs)
	}
	a := p.uint64() >> 11
	e := float64(5*ops+2) * 0x1p-53
	if prod*(1+e) <= float64(a)*0x1p-53 {
		return false
	}
	if prod*(1-e) >= float64(a+1)*0x1p-53 {
		return true
	}
	return p.bernProductExact(ps, segs, a)
}

func u128Big(x u128) *big.Int {
	v := new(big.Int).SetUint64(x.hi)
	v.Lsh(v, 64)
	return v.Or(v, new(big.Int).SetUint64(x.lo))
}

// bernProductExact decides V < product exactly, V = (a + V')/2^53 with the
// further digits V' drawn as needed, evaluating the product at increasing
// precision with a rigorous error bound (two roundings per factor).
func (p *rng) bernProductExact(ps *poisson, segs []factorSeg, a uint64) bool {
	var ops uint64
	for _, s := range segs {
		if s.from <= s.to {
			ops += s.to - s.from + 1
		}
	}
	l := &lazyUniform{p: p, v: new(big.Int).SetUint64(a), n: 53}
	return l.lessApprox(func(prec uint) (*big.Float, *big.Float) {
		prod := new(big.Float).SetPrec(prec).SetInt64(1)
		f := new(big.Float).SetPrec(prec)
		nb, db := new(big.Float).SetPrec(128), new(big.Float).SetPrec(128)
		for _, s := range segs {
			if s.from > s.to {
				continue
			}
			for i := s.from; ; i++ {
				n, d := ps.factor(s.kind, i)
				nb.SetInt(u128Big(n)) // exact at 128 bits
				db.SetInt(u128Big(d))
				f.Quo(nb, db)
				prod.Mul(prod, f)
				if i == s.to {
					break
				}
			}
		}
		return prod, errBound(3*ops+3, prec)
	})
}

// lambda returns the mean actually used (>= the requested one, by < 2^-20).
func (ps *poisson) lambda() float64 { return float64(ps.a) / float64(ps.b) }
