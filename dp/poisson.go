package dp

import (
	"math"
	"math/big"
	"math/bits"
)

// Exact Poisson sampling for a rational mean lambda = a/b (b = 2^20), by
// integer comparisons only.
//
// Small lambda (<= 16): lambda is split into m = ceil(2 lambda) pieces
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
// 1/h_i), drawn as independent Bernoulli trials that stop at the first
// failure. The acceptance rate is about 0.5 and the cost O(sqrt(lambda)).
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
}

const (
	poissonDenBits   = 20
	maxPoissonLambda = 1 << 40
	poissonSmall     = 16
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
	return ps, nil
}

// bern128 returns true with probability num/den, num <= den.
func (p *prg) bern128(num, den u128) bool { return p.uniform128(den).less(num) }

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

func (ps *poisson) sample(p *prg) uint64 {
	if ps.pieces > 0 {
		var k uint64
		for i := uint64(0); i < ps.pieces; i++ {
			k += ps.smallPiece(p)
		}
		return k
	}
	for {
		var j uint64
		for p.uniform(ps.r) != 0 {
			j++
		}
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
func (ps *poisson) smallPiece(p *prg) uint64 {
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

func (ps *poisson) acceptHigh(p *prg, j uint64) bool {
	if j >= ps.jPlus {
		for i := ps.jPlus + 1; i <= j; i++ {
			if n, d := ps.g(i); !p.bern128(n, d) {
				return false
			}
		}
	} else {
		for i := j + 1; i <= ps.jPlus; i++ {
			if n, d := ps.g(i); !p.bern128(d, n) {
				return false
			}
		}
	}
	for i := uint64(0); i < ps.jMinus; i++ {
		if n, d := ps.h(i); !p.bern128(d, n) {
			return false
		}
	}
	return true
}

func (ps *poisson) acceptLow(p *prg, j uint64) bool {
	if j >= ps.jMinus {
		for i := ps.jMinus; i < j; i++ {
			if n, d := ps.h(i); !p.bern128(n, d) {
				return false
			}
		}
	} else {
		for i := j; i < ps.jMinus; i++ {
			if n, d := ps.h(i); !p.bern128(d, n) {
				return false
			}
		}
	}
	for i := uint64(1); i <= ps.jPlus; i++ {
		if n, d := ps.g(i); !p.bern128(d, n) {
			return false
		}
	}
	return true
}

// lambda returns the mean actually used (>= the requested one, by < 2^-20).
func (ps *poisson) lambda() float64 { return float64(ps.a) / float64(ps.b) }
