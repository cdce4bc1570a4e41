package he

import (
	"math"
	"math/bits"

	"github.com/tuneinsight/lattigo/v5/ring"
)

// crtFloat converts RNS coefficients at levels >= 1 to centred float64
// values without big integers (lattigo's decoder goes through math/big at
// every level above 0, which made flooded CKKS decryption 25x slower).
// Garner's mixed-radix digits v_0 + q_0 (v_1 + q_1 (v_2 + ...)) are exact;
// the centred value is evaluated from them, or from the digits of Q - 1 - x
// for the negative half, so that no cancellation occurs: each output has a
// relative error of a few 2^-53.
type crtFloat struct {
	q   []uint64
	inv [][]uint64 // inv[i][j] = q_j^-1 mod q_i, j < i
}

func newCRTFloat(q []uint64) *crtFloat {
	c := &crtFloat{q: q, inv: make([][]uint64, len(q))}
	for i := range q {
		c.inv[i] = make([]uint64, i)
		for j := 0; j < i; j++ {
			c.inv[i][j] = ring.ModExp(q[j]%q[i], q[i]-2, q[i])
		}
	}
	return c
}

func mulMod(a, b, q uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return bits.Rem64(hi, lo, q)
}

// value returns the centred value of the coefficient whose residues are
// res (len(res) == len(c.q)), using digits as scratch.
func (c *crtFloat) value(res, digits []uint64) float64 {
	q := c.q
	for i := range q {
		v := res[i] % q[i]
		for j := 0; j < i; j++ {
			// v = (v - digits[j]) * q_j^-1 mod q_i
			d := digits[j] % q[i]
			if v >= d {
				v -= d
			} else {
				v = v + q[i] - d
			}
			v = mulMod(v, c.inv[i][j], q[i])
		}
		digits[i] = v
	}
	top := len(q) - 1
	neg := digits[top] >= (q[top]+1)/2
	if neg {
		// Q - 1 - x has digits q_i - 1 - v_i.
		for i := range digits {
			digits[i] = q[i] - 1 - digits[i]
		}
	}
	f := float64(digits[top])
	for i := top - 1; i >= 0; i-- {
		f = f*float64(q[i]) + float64(digits[i])
	}
	if neg {
		return -(f + 1)
	}
	return f
}

// decodeFloatsCRT decodes a CKKS plaintext polynomial (NTT domain, at
// level >= 1, all slots) into c.fbuf, as lattigo's decoder would.
func (c *codec) decodeFloatsCRT(pol ring.Poly) error {
	p := c.p
	r := p.rlwe.RingQ().AtLevel(p.level)
	if c.coeffs.Level() != p.level {
		c.coeffs = r.NewPoly()
		c.crt = newCRTFloat(p.qAt())
		c.cbuf = make([]complex128, p.slots)
	}
	r.INTT(pol, c.coeffs)
	limbs := p.level + 1
	res := make([]uint64, limbs)
	digits := make([]uint64, limbs)
	n := p.slots
	get := func(j int) float64 {
		for i := range limbs {
			res[i] = c.coeffs.Coeffs[i][j]
		}
		return math.Ldexp(c.crt.value(res, digits), -p.logScale)
	}
	for i := 0; i < n; i++ {
		c.cbuf[i] = complex(get(i), get(i+n))
	}
	if err := c.fenc.FFT(c.cbuf, bits.Len(uint(n))-1); err != nil {
		return err
	}
	for i := range c.fbuf {
		c.fbuf[i] = real(c.cbuf[i])
	}
	return nil
}
