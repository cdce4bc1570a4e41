package dp

// Exact samplers on integers: every decision below compares uniformly random
// integers with integers; no floating-point number takes part. The algorithms
// are those of Canonne, Kamath and Steinke, "The Discrete Gaussian for
// Differential Privacy" (NeurIPS 2020, arXiv 2004.00010), Algorithms 1-3.

import (
	"math/big"
	"math/bits"
)

// bernRatK returns true with probability num/(den*k), num <= den, den, k > 0.
func (p *rng) bernRatK(num, den, k uint64) bool {
	if hi, lo := bits.Mul64(den, k); hi == 0 {
		return p.uniform(lo) < num
	}
	// Bern(a/(bk)) = Bern(a/b) AND Bern(1/k), independent.
	return p.uniform(den) < num && p.uniform(k) == 0
}

// bernExpNeg1 returns true with probability exp(-1) (CKS20 Algorithm 1, gamma = 1).
func (p *rng) bernExpNeg1() bool {
	// K = 1 always continues (Bern(1/1) = 1); K = k continues while
	// p.uniform(k) == 0, written out here (the same draws) because this
	// loop is the hot path of both exact samplers.
	k := uint64(2)
	for {
		i := p.pos
		if i >= len(p.buf) {
			p.refill()
			i = 0
		}
		p.pos = i + 1
		hi, lo := bits.Mul64(p.buf[i], k)
		if lo < k {
			hi = p.uniformReject(k, hi, lo)
		}
		if hi != 0 {
			return k&1 == 1
		}
		k++
	}
}

// bernExpFrac returns true with probability exp(-num/den) for 0 <= num < den.
func (p *rng) bernExpFrac(num, den uint64) bool {
	k := uint64(1)
	for p.bernRatK(num, den, k) {
		k++
	}
	return k&1 == 1
}

// bernExpRat returns true with probability exp(-num/den), den > 0.
func (p *rng) bernExpRat(num, den uint64) bool {
	for num >= den {
		if !p.bernExpNeg1() {
			return false
		}
		num -= den
	}
	return p.bernExpFrac(num, den)
}

// u128 is an unsigned 128-bit integer.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

func (a u128) sub(b u128) u128 {
	lo, borrow := bits.Sub64(a.lo, b.lo, 0)
	hi, _ := bits.Sub64(a.hi, b.hi, borrow)
	return u128{hi, lo}
}

func u128FromBig(x *big.Int) (u128, bool) {
	if x.Sign() < 0 || x.BitLen() > 128 {
		return u128{}, false
	}
	lo := new(big.Int).And(x, new(big.Int).SetUint64(^uint64(0))).Uint64()
	hi := new(big.Int).Rsh(x, 64).Uint64()
	return u128{hi, lo}, true
}

// uniform128 returns a uniform integer in [0, n), n > 0.
func (p *rng) uniform128(n u128) u128 {
	if n.hi == 0 {
		return u128{0, p.uniform(n.lo)}
	}
	mask := ^uint64(0) >> bits.LeadingZeros64(n.hi)
	for {
		v := u128{p.uint64() & mask, p.uint64()}
		if v.less(n) {
			return v
		}
	}
}

// bernExp128 returns true with probability exp(-num/den), den > 0.
func (p *rng) bernExp128(num, den u128) bool {
	if den.hi == 0 && num.hi < den.lo {
		// exp(-num/den) = exp(-q) exp(-r/den): the integer part q of
		// num/den by one division and one table comparison per 32 units
		// ([rng.bernExpInt]), then the fractional part exp(-r/den) by
		// Algorithm 1 (bernExpFrac: each trial Bern(r/(den k)) one word
		// while den k fits one).
		q, r := bits.Div64(num.hi, num.lo, den.lo)
		return p.bernExpInt(q) && p.bernExpFrac(r, den.lo)
	}
	for !num.less(den) {
		if !p.bernExpNeg1() {
			return false
		}
		num = num.sub(den)
	}
	k := uint64(1)
	for p.uniform128(den).less(num) && p.uniform(k) == 0 {
		k++
	}
	return k&1 == 1
}

// uniformBig returns a uniform integer in [0, n), n > 0.
func (p *rng) uniformBig(n *big.Int) *big.Int {
	nbytes := (n.BitLen() + 7) / 8
	buf := make([]byte, nbytes+8)
	excess := uint(nbytes*8 - n.BitLen())
	v := new(big.Int)
	for {
		for i := 0; i < nbytes; i += 8 {
			x := p.uint64()
			for j := 0; j < 8; j++ {
				buf[i+j] = byte(x >> (8 * j))
			}
		}
		buf[0] &= 0xff >> excess
		v.SetBytes(buf[:nbytes])
		if v.Cmp(n) < 0 {
			return v
		}
	}
}

// bernExpBig returns true with probability exp(-num/den), den > 0. Slow path
// for the rare cases whose numbers exceed 128 bits.
func (p *rng) bernExpBig(num, den *big.Int) bool {
	num = new(big.Int).Set(num)
	for num.Cmp(den) >= 0 {
		if !p.bernExpNeg1() {
			return false
		}
		num.Sub(num, den)
	}
	k := uint64(1)
	for p.uniformBig(den).Cmp(num) < 0 && p.uniform(k) == 0 {
		k++
	}
	return k&1 == 1
}

// maxLaplaceT bounds the integer scale numerator of the discrete Laplace
// sampler so that U + t*V stays far from overflow.
const maxLaplaceT = 1 << 52

// discreteLaplace returns Z with P(Z = z) proportional to exp(-|z| * 2^shift / t),
// i.e. a discrete Laplace of scale t / 2^shift (CKS20 Algorithm 2 with s = 2^shift).
// It needs 1 <= t <= maxLaplaceT.
//
// Algorithm 2 draws X with P(X = x) proportional to exp(-x/t) as U + t V, U
// uniform on [0, t) kept with probability exp(-U/t) and V with P(V >= v) =
// exp(-v), and returns floor(X / s) with a random sign (rejecting -0). For
// t <= maxGeoTableT X is drawn directly by [rng.geoExp] (the same law, one
// word); otherwise V is ([rng.geoExp] with t = 1).
func (p *rng) discreteLaplace(t uint64, shift uint) int64 {
	var g, g1 *geoTable
	if t <= maxGeoTableT {
		g = geoTableFor(t)
	} else {
		g1 = geoTableFor(1)
	}
	for {
		var x uint64
		if g != nil {
			x = p.geoExp(g)
		} else {
			u := p.uniform(t)
			if !p.bernExpFrac(u, t) {
				continue
			}
			v := p.geoExp(g1)
			hi, tv := bits.Mul64(t, v)
			var carry uint64
			x, carry = bits.Add64(tv, u, 0)
			if hi != 0 || carry != 0 {
				continue // probability < exp(-2^10): the far tail, truncated
			}
		}
		if x>>shift > 1<<62 {
			// Only with probability < exp(-2^10): the magnitude would not
			// fit an int64. Resample (a truncation of the far tail).
			continue
		}
		y := int64(x >> shift)
		neg := p.bit()
		if neg && y == 0 {
			continue
		}
		if neg {
			return -y
		}
		return y
	}
}

// dgauss holds sigma^2 = n/d as a rational and the derived constants of
// CKS20 Algorithm 3.
type dgauss struct {
	n, d                uint64
	t                   uint64 // floor(sigma) + 1
	dt                  uint64 // d * t
	den                 u128   // 2 n d t^2
	nBig, denBig, dtBig *big.Int
}

func newDGauss(n, d uint64) (*dgauss, bool) {
	// Lowest terms: the distribution depends on n/d only, and the smaller
	// numbers keep gamma's fraction in fewer words (one for sigma 10, whose
	// n/d = 100 * 2^34 / 2^34 reduces to 100/1).
	if n != 0 && d != 0 {
		c := gcd64(n, d)
		n, d = n/c, d/c
	}
	sq := new(big.Int).Sqrt(new(big.Int).Div(new(big.Int).SetUint64(n), new(big.Int).SetUint64(d)))
	if !sq.IsUint64() || sq.Uint64() >= maxLaplaceT {
		return nil, false
	}
	t := sq.Uint64() + 1
	dtBig := new(big.Int).Mul(new(big.Int).SetUint64(d), new(big.Int).SetUint64(t))
	if !dtBig.IsUint64() {
		return nil, false
	}
	nBig := new(big.Int).SetUint64(n)
	denBig := new(big.Int).Mul(nBig, dtBig)
	denBig.Mul(denBig, new(big.Int).SetUint64(2*t))
	den, ok := u128FromBig(denBig)
	if !ok || den.hi>>63 != 0 {
		return nil, false
	}
	return &dgauss{n: n, d: d, t: t, dt: dtBig.Uint64(), den: den, nBig: nBig, denBig: denBig, dtBig: dtBig}, true
}

// sample returns a draw of the discrete Gaussian N_Z(0, n/d) (CKS20 Algorithm 3).
func (g *dgauss) sample(p *rng) int64 {
	for {
		y := p.discreteLaplace(g.t, 0)
		ay := uint64(y)
		if y < 0 {
			ay = uint64(-y)
		}
		// gamma = (|y| d t - n)^2 / (2 n d t^2)
		hi, prod := bits.Mul64(ay, g.dt)
		if hi == 0 {
			var a uint64
			if prod >= g.n {
				a = prod - g.n
			} else {
				a = g.n - prod
			}
			nh, nl := bits.Mul64(a, a)
			if p.bernExp128(u128{nh, nl}, g.den) {
				return y
			}
			continue
		}
		a := new(big.Int).Mul(new(big.Int).SetUint64(ay), g.dtBig)
		a.Sub(a, g.nBig)
		a.Mul(a, a)
		if p.bernExpBig(a, g.denBig) {
			return y
		}
	}
}

// gcd64 returns the greatest common divisor of a, b > 0.
func gcd64(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
