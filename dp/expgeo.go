package dp

import (
	"math/big"
	"math/bits"
	"sync"
)

// Geometric draws by table. The discrete Laplace and Gaussian samplers
// (CKS20 Algorithms 2 and 3) need X with P(X >= m) = exp(-m/t), t >= 1 an
// integer, and Bernoulli trials of probability exp(-q), q a positive
// integer. Both are comparisons of one uniform U in [0, 1) with exp(-j/t):
// X = #{j >= 1 : U < exp(-j/t)}, Bern(exp(-q)) = [U < exp(-q)]. With the
// thresholds c_j = floor(exp(-j/t) 2^64) precomputed exactly, the first 64
// bits a of U decide every comparison but a == c_j (exp(-j/t) is irrational,
// never a multiple of 2^-64): a < c_j gives U < (a+1)/2^64 <= c_j/2^64 <
// exp(-j/t), a > c_j gives U >= (c_j+1)/2^64 > exp(-j/t). The tie, of
// probability 2^-64 per comparison, draws further digits of U and compares
// them with exp(-j/t) bounded by interval arithmetic at growing precision
// ([rng.belowExpNeg]). So every draw has exactly the law of the definition,
// like the loops of Bernoulli(1/k) trials of CKS20 Algorithm 1 that it
// replaces, from one word of the stream instead of about five.
//
// X beyond the table (m > J = geoTableSpan t, probability exp(-32)) uses
// memorylessness: given X >= J, X - J has the law of X, drawn afresh.

// geoTableSpan is J/t: a table covers X up to 32 t.
const geoTableSpan = 32

// maxGeoTableT is the largest t with a table (2048 words); larger t (the
// scales of most discrete Laplace samplers) use CKS20 Algorithm 2 with the
// table of t = 1 for its geometric part.
const maxGeoTableT = 64

// geoTable holds c_j = floor(exp(-j/t) 2^64) for j = 1..J at c[j-1].
type geoTable struct {
	t uint64
	c []uint64
	// start[z] = #{j : c_j >= 2^(64-z)}: for a with z leading zeros (a <
	// 2^(64-z)), a < c_j for every j <= start[z], so X >= start[z].
	start [65]int
	// fine[z][m] = #{j : c_j >= (8+m+1) 2^(60-z)} for z <= 60: for a with z
	// leading zeros and the three bits m after its leading one, a < (8+m+1)
	// 2^(60-z), so X >= fine[z][m] (a start an eighth of an octave wide).
	fine [61][8]int
}

var geoTables [maxGeoTableT + 1]struct {
	once sync.Once
	g    *geoTable
}

// geoTableFor returns the table of t in [1, maxGeoTableT], built once per
// process.
func geoTableFor(t uint64) *geoTable {
	e := &geoTables[t]
	e.once.Do(func() { e.g = buildGeoTable(t) })
	return e.g
}

// buildGeoTable computes the thresholds from an interval [lo, hi] around
// exp(-1/t), raised to the powers j with outward rounding: c_j =
// floor(lo_j 2^64) when that equals floor(hi_j 2^64); the precision doubles
// until it does for every j.
func buildGeoTable(t uint64) *geoTable {
	n := geoTableSpan * int(t)
	for prec := uint(256); ; prec *= 2 {
		lo1, hi1 := expNegBounds(1, t, prec)
		lo := new(big.Float).SetPrec(prec).SetMode(big.ToNegativeInf).SetInt64(1)
		hi := new(big.Float).SetPrec(prec).SetMode(big.ToPositiveInf).SetInt64(1)
		c := make([]uint64, n)
		ok := true
		for j := range c {
			lo.Mul(lo, lo1)
			hi.Mul(hi, hi1)
			a, b := floor64(lo), floor64(hi)
			if a != b {
				ok = false
				break
			}
			c[j] = a
		}
		if ok {
			g := &geoTable{t: t, c: c}
			for z := 1; z <= 64; z++ {
				k := 0
				for k < n && (z == 64 && c[k] >= 1 || z < 64 && c[k] >= 1<<(64-z)) {
					k++
				}
				g.start[z] = k
			}
			for z := 0; z <= 60; z++ {
				for m := range 8 {
					if z == 0 && m == 7 {
						continue // the bound is 2^64: no c_j reaches it
					}
					lim := uint64(8+m+1) << (60 - z)
					k := 0
					for k < n && c[k] >= lim {
						k++
					}
					g.fine[z][m] = k
				}
			}
			return g
		}
	}
}

// floor64 returns floor(x 2^64) for x in (0, 1).
func floor64(x *big.Float) uint64 {
	y := new(big.Float).SetMantExp(x, 64)
	i, _ := y.Int(nil)
	return i.Uint64()
}

// expNegBounds returns lo <= exp(-num/den) <= hi at the given precision,
// num, den > 0, num/den <= 64: exp(x) is bounded by the partial sums of its
// series, S_N <= exp(x) <= S_N + 2 x^(N+1)/(N+1)! once N+2 >= 2x, every
// operation rounded outward.
func expNegBounds(num, den uint64, prec uint) (lo, hi *big.Float) {
	mk := func(m big.RoundingMode) *big.Float { return new(big.Float).SetPrec(prec).SetMode(m) }
	xd := mk(big.ToNegativeInf).SetUint64(num)
	xd.Quo(xd, mk(big.ToNegativeInf).SetUint64(den))
	xu := mk(big.ToPositiveInf).SetUint64(num)
	xu.Quo(xu, mk(big.ToPositiveInf).SetUint64(den))
	sd, su := mk(big.ToNegativeInf).SetInt64(1), mk(big.ToPositiveInf).SetInt64(1)
	td, tu := mk(big.ToNegativeInf).SetInt64(1), mk(big.ToPositiveInf).SetInt64(1)
	eps := mk(big.ToNegativeInf).SetMantExp(big.NewFloat(1), -int(prec)-8)
	x := float64(num) / float64(den)
	for k := uint64(1); ; k++ {
		td.Mul(td, xd)
		td.Quo(td, mk(big.ToPositiveInf).SetUint64(k))
		tu.Mul(tu, xu)
		tu.Quo(tu, mk(big.ToNegativeInf).SetUint64(k))
		sd.Add(sd, td)
		su.Add(su, tu)
		// The remainder after term k is below 2 * (next term) when k+2 >=
		// 2x (the later terms shrink by half at least): stop when that is
		// below 2^-(prec+8).
		if float64(k+2) >= 2*x+2 {
			next := mk(big.ToPositiveInf).Mul(tu, xu)
			next.Quo(next, mk(big.ToNegativeInf).SetUint64(k+1))
			next.Mul(next, mk(big.ToPositiveInf).SetInt64(2))
			if next.Cmp(eps) < 0 {
				su.Add(su, next)
				break
			}
		}
	}
	one := func(m big.RoundingMode) *big.Float { return mk(m).SetInt64(1) }
	lo = one(big.ToNegativeInf)
	lo.Quo(lo, su)
	hi = one(big.ToPositiveInf)
	hi.Quo(hi, sd)
	return lo, hi
}

// belowExpNeg reports U < exp(-j/t) for the uniform U whose first 64 bits
// are a, drawing its further digits from p as needed.
//
//go:noinline
func (p *rng) belowExpNeg(a, j, t uint64) bool {
	v := new(big.Int).SetUint64(a)
	n := 64
	for prec := uint(192); ; prec += 128 {
		lo, hi := expNegBounds(j, t, prec)
		// U in [v 2^-n, (v+1) 2^-n): exact big.Floats (SetInt keeps every bit).
		vlo := new(big.Float).SetInt(v)
		vlo.SetMantExp(vlo, -n)
		vhi := new(big.Float).SetInt(new(big.Int).Add(v, big.NewInt(1)))
		vhi.SetMantExp(vhi, -n)
		if vhi.Cmp(lo) <= 0 {
			return true
		}
		if vlo.Cmp(hi) >= 0 {
			return false
		}
		v.Lsh(v, 64)
		v.Or(v, new(big.Int).SetUint64(p.uint64()))
		n += 64
	}
}

// below reports U < exp(-j/g.t), 1 <= j <= len(g.c), for the uniform U whose
// first 64 bits are a.
func (p *rng) below(g *geoTable, a uint64, j int) bool {
	c := g.c[j-1]
	if a != c {
		return a < c
	}
	return p.belowExpNeg(a, uint64(j), g.t)
}

// geoExp returns X with P(X >= m) = exp(-m/g.t), exactly: X = #{j >= 1 :
// U < exp(-j/t)}. The leading zeros of a give a j that U is certainly below
// (g.start); the table decides the rest, climbing, each j tested once (so a
// tie is resolved once).
func (p *rng) geoExp(g *geoTable) uint64 {
	var base uint64
	J := len(g.c)
	for {
		a := p.uint64()
		z := bits.LeadingZeros64(a)
		var x int
		if z <= 60 {
			x = g.fine[z][(a<<z)>>60&7]
		} else {
			x = g.start[z]
		}
		// Climb while U < exp(-(x+1)/t); the tie a == c is rare (below).
		for x < J {
			c := g.c[x]
			if a < c {
				x++
				continue
			}
			if a == c && p.belowExpNeg(a, uint64(x+1), g.t) {
				x++
				continue
			}
			break
		}
		if x < J {
			return base + uint64(x)
		}
		base += uint64(J) // X >= J: the rest is a fresh X
	}
}

// bernExpInt returns true with probability exp(-q), q >= 0, from one word
// per 32 units of q.
func (p *rng) bernExpInt(q uint64) bool {
	g := geoTableFor(1)
	J := uint64(len(g.c))
	for q > 0 {
		j := min(q, J)
		if !p.below(g, p.uint64(), int(j)) {
			return false
		}
		q -= j
	}
	return true
}
