package dp

import (
	"math/big"
	"math/bits"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/internal/prg"
)

// The reference below is CKS20 Algorithm 3 as the sampler was written before
// its hot path was optimized (commit 5979e23), kept verbatim apart from the
// names, but for its geometric draws: X with P(X >= m) = exp(-m/t) and the
// trials Bern(exp(-q)) compare one word with thresholds floor(exp(-j/t)
// 2^64) that refThresholds computes here from the alternating series of
// exp(-x) at two high precisions (not with the package's interval
// arithmetic on 1/exp(x)), and the trials of exp(-r/den) in the
// acceptance step are Bern(r/(den k)) in one word (refBernExpFrac) instead
// of Bern(r/den) and Bern(1/k) in two. The optimized sampler must return the
// same draws from the same random stream.

func (p *rng) refUint64() uint64 {
	if p.pos == len(p.buf) {
		p.src.FillUint64(p.buf)
		p.pos = 0
	}
	v := p.buf[p.pos]
	p.pos++
	return v
}

func (p *rng) refBit() bool {
	if p.nbits == 0 {
		p.bits = p.refUint64()
		p.nbits = 64
	}
	b := p.bits & 1
	p.bits >>= 1
	p.nbits--
	return b == 1
}

func (p *rng) refUniform(n uint64) uint64 {
	hi, lo := bits.Mul64(p.refUint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(p.refUint64(), n)
		}
	}
	return hi
}

func (p *rng) refBernRatK(num, den, k uint64) bool {
	if hi, lo := bits.Mul64(den, k); hi == 0 {
		return p.refUniform(lo) < num
	}
	return p.refUniform(den) < num && p.refUniform(k) == 0
}

func (p *rng) refBernExpNeg1() bool {
	k := uint64(2)
	for p.refUniform(k) == 0 {
		k++
	}
	return k&1 == 1
}

func (p *rng) refBernExpFrac(num, den uint64) bool {
	k := uint64(1)
	for p.refBernRatK(num, den, k) {
		k++
	}
	return k&1 == 1
}

func (p *rng) refUniform128(n u128) u128 {
	if n.hi == 0 {
		return u128{0, p.refUniform(n.lo)}
	}
	mask := ^uint64(0) >> bits.LeadingZeros64(n.hi)
	for {
		v := u128{p.refUint64() & mask, p.refUint64()}
		if v.less(n) {
			return v
		}
	}
}

func (p *rng) refBernExp128(num, den u128) bool {
	if den.hi == 0 && num.hi < den.lo {
		q, r := bits.Div64(num.hi, num.lo, den.lo)
		return p.refBernExpInt(q) && p.refBernExpFrac(r, den.lo)
	}
	for !num.less(den) {
		if !p.refBernExpNeg1() {
			return false
		}
		num = num.sub(den)
	}
	k := uint64(1)
	for p.refUniform128(den).less(num) && p.refUniform(k) == 0 {
		k++
	}
	return k&1 == 1
}

// refExpNeg64 returns floor(exp(-x) 2^64) and the next 64 bits of the
// fraction of exp(-x) 2^64, x = num/den <= 64, from the alternating series
// sum (-x)^k/k! summed in big.Float at 640 and at 768 bits (the
// cancellation costs about 1.45 x bits, the rounding about 10): both must
// agree on the 128 bits returned, or the test stops.
func refExpNeg64(num, den uint64) (floor, next uint64) {
	at := func(prec uint) *big.Int {
		x := new(big.Float).SetPrec(prec).SetUint64(num)
		x.Quo(x, new(big.Float).SetPrec(prec).SetUint64(den))
		sum := new(big.Float).SetPrec(prec).SetInt64(1)
		term := new(big.Float).SetPrec(prec).SetInt64(1)
		tiny := new(big.Float).SetMantExp(big.NewFloat(1), -int(prec))
		for k := int64(1); ; k++ {
			term.Mul(term, x)
			term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(k))
			term.Neg(term)
			sum.Add(sum, term)
			if float64(k) > 2*float64(num)/float64(den)+2 && new(big.Float).Abs(term).Cmp(tiny) < 0 {
				break
			}
		}
		v, _ := new(big.Float).SetMantExp(sum, 128).Int(nil)
		return v
	}
	v := at(640)
	if v.Cmp(at(768)) != 0 {
		panic("reference exp(-x) not settled at 640 bits")
	}
	lo := new(big.Int).And(v, new(big.Int).SetUint64(^uint64(0))).Uint64()
	hi := new(big.Int).Rsh(v, 64).Uint64()
	return hi, lo
}

// refThresholds returns floor(exp(-j/t) 2^64) for j = 1..32 t.
var refThresholdCache = map[uint64][]uint64{}

func refThresholds(t uint64) []uint64 {
	if c, ok := refThresholdCache[t]; ok {
		return c
	}
	c := make([]uint64, geoTableSpan*t)
	for j := range c {
		c[j], _ = refExpNeg64(uint64(j+1), t)
	}
	refThresholdCache[t] = c
	return c
}

// refGeo is X with P(X >= m) = exp(-m/t): X = #{j : U < exp(-j/t)}, by a
// linear scan of the reference thresholds (a tie, of probability 2^-64,
// fails the test instead).
func (p *rng) refGeo(t uint64) uint64 {
	c := refThresholds(t)
	var base uint64
	for {
		a := p.refUint64()
		x := 0
		for x < len(c) && a <= c[x] {
			if a == c[x] {
				panic("tie with a threshold")
			}
			x++
		}
		if x < len(c) {
			return base + uint64(x)
		}
		base += uint64(len(c))
	}
}

// refBernExpInt is Bern(exp(-q)), one word per 32 units of q.
func (p *rng) refBernExpInt(q uint64) bool {
	c := refThresholds(1)
	for q > 0 {
		j := min(q, uint64(len(c)))
		a := p.refUint64()
		if a == c[j-1] {
			panic("tie with a threshold")
		}
		if a > c[j-1] {
			return false
		}
		q -= j
	}
	return true
}

func (p *rng) refUniformBig(n *big.Int) *big.Int {
	nbytes := (n.BitLen() + 7) / 8
	buf := make([]byte, nbytes+8)
	excess := uint(nbytes*8 - n.BitLen())
	v := new(big.Int)
	for {
		for i := 0; i < nbytes; i += 8 {
			x := p.refUint64()
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

func (p *rng) refBernExpBig(num, den *big.Int) bool {
	num = new(big.Int).Set(num)
	for num.Cmp(den) >= 0 {
		if !p.refBernExpNeg1() {
			return false
		}
		num.Sub(num, den)
	}
	k := uint64(1)
	for p.refUniformBig(den).Cmp(num) < 0 && p.refUniform(k) == 0 {
		k++
	}
	return k&1 == 1
}

func (p *rng) refDiscreteLaplace(t uint64, shift uint) int64 {
	for {
		var x uint64
		if t <= maxGeoTableT {
			x = p.refGeo(t)
		} else {
			u := p.refUniform(t)
			if !p.refBernExpFrac(u, t) {
				continue
			}
			v := p.refGeo(1)
			hi, tv := bits.Mul64(t, v)
			var carry uint64
			x, carry = bits.Add64(tv, u, 0)
			if hi != 0 || carry != 0 {
				continue
			}
		}
		if x>>shift > 1<<62 {
			continue
		}
		y := int64(x >> shift)
		neg := p.refBit()
		if neg && y == 0 {
			continue
		}
		if neg {
			return -y
		}
		return y
	}
}

// refDGaussSample is the reference sampler of N_Z(0, n/d), with the
// constants of g (which must represent the same n/d).
func refDGaussSample(g *dgauss, p *rng) int64 {
	nBig := new(big.Int).SetUint64(g.n)
	dtBig := new(big.Int).SetUint64(g.dt)
	denBig := new(big.Int).Mul(nBig, dtBig)
	denBig.Mul(denBig, new(big.Int).SetUint64(2*g.t))
	den, ok := u128FromBig(denBig)
	if !ok {
		panic("den")
	}
	for {
		y := p.refDiscreteLaplace(g.t, 0)
		ay := uint64(y)
		if y < 0 {
			ay = uint64(-y)
		}
		hi, prod := bits.Mul64(ay, g.dt)
		if hi == 0 {
			var a uint64
			if prod >= g.n {
				a = prod - g.n
			} else {
				a = g.n - prod
			}
			nh, nl := bits.Mul64(a, a)
			if p.refBernExp128(u128{nh, nl}, den) {
				return y
			}
			continue
		}
		a := new(big.Int).Mul(new(big.Int).SetUint64(ay), dtBig)
		a.Sub(a, nBig)
		a.Mul(a, a)
		if p.refBernExpBig(a, denBig) {
			return y
		}
	}
}

// TestDiscreteGaussianMatchesReference draws from the optimized sampler and
// from the reference on two copies of one random stream: the draws must be
// the same, one by one, so the distribution is the same exactly.
func TestDiscreteGaussianMatchesReference(t *testing.T) {
	sigmas := []float64{MinDiscreteGaussianSigma, 0.3, 0.5, 1, 1.5, 2, 3.7306316385, 10, 17.25, 100, 1234.5, 1e6, MaxDiscreteGaussianSigma}
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for i, sigma := range sigmas {
		g, err := dgaussFor(sigma)
		require.NoError(t, err)
		var seed prg.Seed
		seed[0], seed[1] = byte(i), 0x5a
		a, b := newRNGSeed(seed), newRNGSeed(seed)
		for j := 0; j < n; j++ {
			x, y := g.sample(a), refDGaussSample(g, b)
			if x != y {
				t.Fatalf("sigma %v: draw %d: optimized %d, reference %d", sigma, j, x, y)
			}
		}
		// The streams were consumed alike, to the word and the bit.
		require.Equal(t, b.pos, a.pos, "sigma %v", sigma)
		require.Equal(t, b.nbits, a.nbits, "sigma %v", sigma)
		require.Equal(t, b.refUint64(), a.uint64(), "sigma %v", sigma)
	}
}

// TestDiscreteLaplaceMatchesReference: the discrete Laplace alone, at scales
// with and without a table, shifts 0 and above, the same draws from the same
// stream.
func TestDiscreteLaplaceMatchesReference(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for i, c := range []struct {
		t     uint64
		shift uint
	}{{1, 0}, {1, 3}, {3, 1}, {11, 0}, {18, 5}, {65, 0}, {100, 2}, {1 << 40, 40}, {3<<41 + 1, 41}, {maxLaplaceT, 10}} {
		var seed prg.Seed
		seed[0], seed[1] = byte(i), 0xa5
		a, b := newRNGSeed(seed), newRNGSeed(seed)
		for j := 0; j < n; j++ {
			x, y := a.discreteLaplace(c.t, c.shift), b.refDiscreteLaplace(c.t, c.shift)
			if x != y {
				t.Fatalf("%+v: draw %d: optimized %d, reference %d", c, j, x, y)
			}
		}
		require.Equal(t, b.pos, a.pos, "%+v", c)
		require.Equal(t, b.nbits, a.nbits, "%+v", c)
	}
}

// TestDGaussLowestTerms: newDGauss keeps n/d (so the distribution) and
// stores it in lowest terms.
func TestDGaussLowestTerms(t *testing.T) {
	for _, c := range []struct{ n, d, wn, wd uint64 }{
		{100 << 34, 1 << 34, 100, 1}, {9 << 40, 4 << 40, 9, 4}, {7, 1, 7, 1}, {3 << 41, 1 << 42, 3, 2},
	} {
		g, ok := newDGauss(c.n, c.d)
		require.True(t, ok)
		require.Equal(t, [2]uint64{c.wn, c.wd}, [2]uint64{g.n, g.d})
	}
}
