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
// names: the optimized sampler must return the same draws from the same
// random stream.

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
		u := p.refUniform(t)
		if !p.refBernExpFrac(u, t) {
			continue
		}
		var v uint64
		for p.refBernExpNeg1() {
			v++
		}
		hi, tv := bits.Mul64(t, v)
		x, carry := bits.Add64(tv, u, 0)
		if hi != 0 || carry != 0 || x>>shift > 1<<62 {
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
