package dp

import (
	"math"
	"math/big"
	"math/bits"
)

// lazyUniform is a uniform V in [0, 1) whose binary digits are drawn only as
// far as comparisons need: V is in [v/2^n, (v+1)/2^n).
type lazyUniform struct {
	p *rng
	v *big.Int
	n uint
}

// approxFunc returns an approximation x of a number X > 0 at the given
// binary precision, and a bound e >= 0 with X in [x(1-e), x(1+e)].
type approxFunc func(prec uint) (x, e *big.Float)

// lessApprox reports whether V < X, exactly, refining both V (64 more digits)
// and X (doubled precision) until the intervals separate. V differs from X
// with probability 1, so this ends with probability 1, and quickly: each
// round fails with probability about 2^-64.
func (l *lazyUniform) lessApprox(approx approxFunc) bool {
	for prec := uint(128); ; prec *= 2 {
		x, e := approx(prec)
		wp := prec + 64
		// Widen by 2e to absorb the rounding of these two products.
		e2 := new(big.Float).SetPrec(wp).Mul(e, big.NewFloat(2))
		one := new(big.Float).SetPrec(wp).SetInt64(1)
		xlo := new(big.Float).SetPrec(wp).Sub(one, e2)
		xlo.Mul(xlo, x)
		xhi := new(big.Float).SetPrec(wp).Add(one, e2)
		xhi.Mul(xhi, x)
		if e2.Cmp(one) < 0 {
			vlo := new(big.Float).SetPrec(l.n + 64).SetInt(l.v)
			vlo.SetMantExp(vlo, -int(l.n))
			vhi := new(big.Float).SetPrec(l.n + 64).SetInt(new(big.Int).Add(l.v, big.NewInt(1)))
			vhi.SetMantExp(vhi, -int(l.n))
			if vhi.Cmp(xlo) <= 0 {
				return true
			}
			if vlo.Cmp(xhi) >= 0 {
				return false
			}
		}
		l.v.Lsh(l.v, 64)
		l.v.Or(l.v, new(big.Int).SetUint64(l.p.uint64()))
		l.n += 64
	}
}

// errBound returns c * 2^-prec as a big.Float.
func errBound(c uint64, prec uint) *big.Float {
	e := new(big.Float).SetUint64(c)
	return e.SetMantExp(e, -int(prec))
}

// geometricRational returns J with P(J >= j) = ((r-1)/r)^j, r >= 2, exactly,
// in O(1) expected time: J = floor(log V / log rho) for a uniform V, with
// rho = (r-1)/r. A float estimate of J is checked against
// rho^J > V >= rho^(J+1) using rigorous error bounds (rho^j is computed by
// repeated squaring of the correctly rounded rho: relative error below
// (2j + 4 bitlen(j) + 4) 2^-53); when V is too close to a bound to decide
// (probability ~ 1e-12), exact big rationals and further digits of V decide.
func (p *rng) geometricRational(r uint64) uint64 {
	if r <= 8 {
		var j uint64
		for p.uniform(r) != 0 {
			j++
		}
		return j
	}
	return p.geometricFrom(r, p.uint64()>>11)
}

// geometricFrom is geometricRational given the first 53 digits a of V:
// V in [a/2^53, (a+1)/2^53); further digits are drawn from p when needed.
func (p *rng) geometricFrom(r, a uint64) uint64 {
	rho := float64(r-1) / float64(r)
	est := math.Log((float64(a)+0.5)*0x1p-53) / math.Log(rho)
	if !(est >= 0) || est > 1<<50 {
		est = 0
	}
	j := uint64(est)
	var lazy *lazyUniform
	// less reports V < rho^k.
	less := func(k uint64) bool {
		if k == 0 {
			return true
		}
		x := powFloat(rho, k)
		e := float64(2*k+4*uint64(bits.Len64(k))+4) * 0x1p-53
		if x > 0x1p-900 && e < 1e-3 {
			if float64(a+1)*0x1p-53 <= x*(1-e) {
				return true
			}
			if float64(a)*0x1p-53 >= x*(1+e) {
				return false
			}
		}
		if lazy == nil {
			lazy = &lazyUniform{p: p, v: new(big.Int).SetUint64(a), n: 53}
		}
		return lazy.lessApprox(func(prec uint) (*big.Float, *big.Float) {
			// rho rounded once, then at most 2 bitlen(k) roundings: relative
			// error below 2 (k + 2 bitlen(k) + 2) 2^-prec.
			rhoB := new(big.Float).SetPrec(prec).Quo(
				new(big.Float).SetPrec(prec).SetUint64(r-1), new(big.Float).SetPrec(prec).SetUint64(r))
			res := new(big.Float).SetPrec(prec).SetInt64(1)
			for kk := k; kk > 0; kk >>= 1 {
				if kk&1 == 1 {
					res.Mul(res, rhoB)
				}
				rhoB.Mul(rhoB, rhoB)
			}
			return res, errBound(2*(k+2*uint64(bits.Len64(k))+2), prec)
		})
	}
	for {
		if !less(j) { // J < j
			j--
			continue
		}
		if less(j + 1) { // J >= j+1
			j++
			continue
		}
		return j
	}
}

// powFloat returns x^k by repeated squaring (2 bitlen(k) roundings at most).
func powFloat(x float64, k uint64) float64 {
	res := 1.0
	for k > 0 {
		if k&1 == 1 {
			res *= x
		}
		x *= x
		k >>= 1
	}
	return res
}
