package dp

import (
	"math"
	"math/big"
	"math/bits"
)

// lazyUniform is a uniform V in [0, 1) whose binary digits are drawn only as
// far as comparisons need: V is in [v/2^n, (v+1)/2^n).
type lazyUniform struct {
	p *prg
	v *big.Int
	n uint
}

// less reports whether V < x, exactly.
func (l *lazyUniform) less(x *big.Rat) bool {
	lo, hi := new(big.Int), new(big.Int)
	for {
		// Compare v*den and (v+1)*den with num*2^n.
		rhs := new(big.Int).Lsh(x.Num(), l.n)
		lo.Mul(l.v, x.Denom())
		hi.Add(lo, x.Denom())
		if hi.Cmp(rhs) <= 0 {
			return true
		}
		if lo.Cmp(rhs) >= 0 {
			return false
		}
		l.v.Lsh(l.v, 64)
		l.v.Or(l.v, new(big.Int).SetUint64(l.p.uint64()))
		l.n += 64
	}
}

// geometricRational returns J with P(J >= j) = ((r-1)/r)^j, r >= 2, exactly,
// in O(1) expected time: J = floor(log V / log rho) for a uniform V, with
// rho = (r-1)/r. A float estimate of J is checked against
// rho^J > V >= rho^(J+1) using rigorous error bounds (rho^j is computed by
// repeated squaring of the correctly rounded rho: relative error below
// (2j + 4 bitlen(j) + 4) 2^-53); when V is too close to a bound to decide
// (probability ~ 1e-12), exact big rationals and further digits of V decide.
func (p *prg) geometricRational(r uint64) uint64 {
	if r <= 32 {
		var j uint64
		for p.uniform(r) != 0 {
			j++
		}
		return j
	}
	a := p.uint64() >> 11 // V in [a/2^53, (a+1)/2^53)
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
		num := new(big.Int).Exp(new(big.Int).SetUint64(r-1), new(big.Int).SetUint64(k), nil)
		den := new(big.Int).Exp(new(big.Int).SetUint64(r), new(big.Int).SetUint64(k), nil)
		return lazy.less(new(big.Rat).SetFrac(num, den))
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
