package mpc

import (
	"context"
	"fmt"
	"math"
	"math/bits"
)

// DefaultFracBits is the fixed-point scale exponent when
// [Config.FracBits] is 0: a real v is the ring element round(v * 2^16)
// (two's complement in Z_2^64).
const DefaultFracBits = 16

// maxFracBits is the largest scale exponent a Party accepts.
const maxFracBits = 30

// inputBits bounds encoded inputs: |v * 2^f| < 2^47, so that a product of
// two of them (< 2^94) is never needed, but products of values whose
// product stays below 2^(62-2f) (2^30 at f = 16) truncate exactly.
const inputBits = 47

// truncBound is the bound on |x| (as a signed ring element) under which
// division and truncation are correct: |x| < 2^62.
const truncBound = 62

// EncodeFixed encodes reals at scale 2^f (1 <= f <= 30) as ring elements.
// It rejects NaN, infinities and |v| >= 2^(47-f) with [ErrOutOfRange].
func EncodeFixed(vs []float64, f uint) ([]uint64, error) {
	if f < 1 || f > maxFracBits {
		return nil, fmt.Errorf("mpc: %w: %d fractional bits, need 1 to %d", ErrInvalidParams, f, maxFracBits)
	}
	limit := math.Ldexp(1, int(inputBits-f))
	out := make([]uint64, len(vs))
	for i, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= limit {
			return nil, fmt.Errorf("mpc: %w: element %d is %v, limit |v| < 2^%d", ErrOutOfRange, i, v, inputBits-f)
		}
		out[i] = uint64(int64(math.Round(math.Ldexp(v, int(f)))))
	}
	return out, nil
}

// DecodeFixed reads ring elements at scale 2^f as signed reals.
func DecodeFixed(xs []uint64, f uint) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Ldexp(float64(int64(x)), -int(f))
	}
	return out
}

// FixedParty is a [Party]'s fixed-point view: the operations on [Fixed]
// values, which it reads at the scale 2^f of the party ([Config.FracBits],
// [DefaultFracBits] when 0). Get it with [Party.Fixed]; it is a small value
// that shares the Party (and so its steps, errors and abort): every party
// uses it where its program computes on reals, in the same order as the
// rest of the program. The zero FixedParty is not usable.
//
// Like the Party's, its methods that take a context talk to the peers
// (every party must make the same call), and the others are local.
type FixedParty struct {
	p *Party
	f uint
}

// Fixed returns p's fixed-point view, at p's scale 2^f ([Config.FracBits]):
//
//	fx := p.Fixed()
//	x, err := fx.Input(ctx, 0, values)
//	z, err := fx.Mul(ctx, x, y) // a Beaver product, truncated back to scale 2^f
func (p *Party) Fixed() FixedParty { return FixedParty{p: p, f: p.frac} }

// FracBits is the scale exponent f: a real v is the ring element
// round(v * 2^f).
func (fx FixedParty) FracBits() uint { return fx.f }

// Input encodes the owner's reals at scale 2^f and shares them (see
// [Party.Input]: only the owner's values are read, and they must satisfy
// [EncodeFixed]'s bound).
func (fx FixedParty) Input(ctx context.Context, owner int, values []float64) (Fixed, error) {
	var enc []uint64
	if fx.p.self == owner {
		var err error
		if enc, err = EncodeFixed(values, fx.f); err != nil {
			return nil, err
		}
	}
	s, err := fx.p.Input(ctx, owner, enc)
	return Fixed(s), err
}

// Open opens x to all parties and decodes it at scale 2^f.
func (fx FixedParty) Open(ctx context.Context, x Fixed) ([]float64, error) {
	v, err := fx.p.Open(ctx, Share(x))
	if err != nil {
		return nil, err
	}
	return DecodeFixed(v, fx.f), nil
}

// OpenTo opens x to party `to` only and decodes it there (see
// [Party.OpenTo]): it returns the reals at party `to` and nil elsewhere.
func (fx FixedParty) OpenTo(ctx context.Context, x Fixed, to int) ([]float64, error) {
	v, err := fx.p.OpenTo(ctx, Share(x), to)
	if err != nil || fx.p.self != to {
		return nil, err
	}
	return DecodeFixed(v, fx.f), nil
}

// Public returns this party's shares of public reals encoded at scale
// 2^f (local: party 0 holds them, the others zero).
func (fx FixedParty) Public(vs []float64) (Fixed, error) {
	enc, err := EncodeFixed(vs, fx.f)
	if err != nil {
		return nil, err
	}
	return Fixed(fx.p.Public(enc)), nil
}

// AddPublic returns this party's shares of x + c for public reals c
// encoded at scale 2^f (local), or of x + c[0] for every element when
// len(c) == 1.
func (fx FixedParty) AddPublic(x Fixed, c []float64) (Fixed, error) {
	enc, err := EncodeFixed(c, fx.f)
	if err != nil {
		return nil, err
	}
	return addPublic(fx.p, x, enc)
}

// DivInt returns shares of floor(x / d) for shared signed x (|x| < 2^62)
// and a public integer d >= 1, in one round, with a dealer-made pair
// (r, floor(r/d), msb(r)): the parties open c = x + 2^62 + r, which is
// uniform and so reveals nothing, and correct the one possible wrap-around
// with the shared top bit of r. The result is exact up to one unit in the
// last place (the result is floor(x/d) or one more when d is a power of
// two; between floor(x/d)-1 and floor(x/d)+2 otherwise)
// and never fails for |x| < 2^62; outside that bound it is wrong. For a
// power of two the rounding is stochastic and unbiased: the result is
// floor(x/d)+1 with probability (x mod d)/d, so its mean is exactly x/d.
func (p *Party) DivInt(ctx context.Context, x Share, d uint64) (Share, error) {
	if err := p.check("div", len(x)); err != nil {
		return nil, err
	}
	if d == 0 || d >= 1<<truncBound {
		return nil, p.argErr("div", ErrInvalidParams, "integer divisor %d, need 1 to 2^%d-1", d, truncBound)
	}
	if d == 1 {
		return append(Share(nil), x...), nil
	}
	n := len(x)
	pr, err := p.dealer.DivPairs(ctx, n, d)
	if err != nil {
		return nil, p.dealerErr("div", err)
	}
	const offset = uint64(1) << truncBound
	first := p.self == 0
	masked := make([]uint64, n)
	for i := range masked {
		masked[i] = x[i] + pr.R[i]
		if first {
			masked[i] += offset
		}
	}
	c, err := p.exchange(ctx, "div", kindArith, masked)
	if err != nil {
		return nil, err
	}
	wrapQuo, _ := bits.Div64(1, 0, d) // floor(2^64 / d), d >= 2
	pow2 := d&(d-1) == 0
	shift := uint(bits.TrailingZeros64(d))
	off := offset / d
	out := make(Share, n)
	p.parFor(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			z := -pr.Q[i]
			if c[i]>>63 == 0 {
				z += pr.M[i] * wrapQuo
			}
			if first {
				if pow2 {
					z += c[i]>>shift - off
				} else {
					z += c[i]/d - off
				}
			}
			out[i] = z
		}
	})
	return out, nil
}

// Trunc returns shares of floor(x / 2^bits) or that plus one (error at
// most one unit in the last place, with probability about 1/2 for random
// low bits; no failure for |x| < 2^62): see [Party.DivInt].
func (p *Party) Trunc(ctx context.Context, x Share, bits uint) (Share, error) {
	if bits >= truncBound {
		return nil, p.argErr("div", ErrInvalidParams, "truncation by %d bits, limit %d", bits, truncBound-1)
	}
	return p.DivInt(ctx, x, 1<<bits)
}

// Mul multiplies fixed-point vectors: a Beaver multiplication then a
// truncation by f bits (two rounds). Each result is floor or floor+1 (in
// units of 2^-f) of the exact product of the encoded inputs, with the
// stochastic rounding of [Party.Trunc], provided the true product
// satisfies |x*y| < 2^(62-2f) (2^30 at f = 16); otherwise it is wrong,
// without an error (the parties cannot see the values).
func (fx FixedParty) Mul(ctx context.Context, x, y Fixed) (Fixed, error) {
	z, err := fx.p.Mul(ctx, Share(x), Share(y))
	if err != nil {
		return nil, err
	}
	return fx.trunc(ctx, z, fx.f)
}

// trunc truncates z (a product at scale 2^(f+bits)) by bits, back to a
// Fixed.
func (fx FixedParty) trunc(ctx context.Context, z Share, bits uint) (Fixed, error) {
	t, err := fx.p.Trunc(ctx, z, bits)
	return Fixed(t), err
}

// Dot is the fixed-point inner product (a Fixed of length 1): one Beaver
// round and one truncation for the whole sum (so one rounding error, not
// len(x): the result is floor or floor+1 of the exact sum of the encoded
// products, in units of 2^-f). The bound is on the sum, not on each
// product: the ring sum of x[i]*y[i] at scale 2^(2f) must stay below 2^62
// in magnitude, that is |sum x[i]*y[i]| < 2^(62-2f) in real terms (2^30
// at f = 16); single products may exceed it as long as the sum does not.
// Beyond it the result is wrong, without an error.
func (fx FixedParty) Dot(ctx context.Context, x, y Fixed) (Fixed, error) {
	z, err := fx.p.Dot(ctx, Share(x), Share(y))
	if err != nil {
		return nil, err
	}
	return fx.trunc(ctx, z, fx.f)
}

// MulPublic multiplies a fixed-point vector by a public real c (one
// truncation round; floor or floor+1 of the encoded product, as
// [FixedParty.Mul]). For an integer factor, which needs no truncation,
// see [MulConst].
func (fx FixedParty) MulPublic(ctx context.Context, x Fixed, c float64) (Fixed, error) {
	enc, err := EncodeFixed([]float64{c}, fx.f)
	if err != nil {
		return nil, err
	}
	return fx.trunc(ctx, MulConst(Share(x), enc[0]), fx.f)
}

// Threshold returns shares of the bits [x >= t] (integers 0 or 1, a
// [Share]) for fixed-point x and a public real bound t (see [Party.LTZ]).
func (fx FixedParty) Threshold(ctx context.Context, x Fixed, t float64) (Share, error) {
	enc, err := EncodeFixed([]float64{t}, fx.f)
	if err != nil {
		return nil, err
	}
	return fx.p.GreaterEqualPublic(ctx, Share(x), enc[0])
}

// DivPublic divides a fixed-point vector by a public non-zero real d, in
// one round. An integral d (|d| < 2^62) is exact division ([Party.DivInt],
// error at most 2 units of 2^-f). A non-integral |d| >= 2^20 is rounded to
// an integer first (relative error below 2^-21). Otherwise x is multiplied
// by m = round(2^s/|d|), a 21-bit integer, and truncated by s bits
// (relative error of the factor below 2^-20); that path needs
// |x| < 2^(41-f) (2^25 at f = 16).
func (fx FixedParty) DivPublic(ctx context.Context, x Fixed, d float64) (Fixed, error) {
	p := fx.p
	if math.IsNaN(d) || math.IsInf(d, 0) || d == 0 {
		return nil, p.argErr("div", ErrInvalidParams, "divisor %v", d)
	}
	ad := math.Abs(d)
	if ad >= 1<<truncBound {
		return nil, p.argErr("div", ErrInvalidParams, "divisor %v, limit 2^%d", d, truncBound)
	}
	var y Share
	var err error
	switch {
	case ad == math.Floor(ad) || ad >= 1<<20:
		y, err = p.DivInt(ctx, Share(x), uint64(math.Round(ad)))
	default:
		_, e := math.Frexp(ad) // ad = frac * 2^e, frac in [0.5, 1)
		s := 20 + e
		if s < 1 {
			return nil, p.argErr("div", ErrInvalidParams, "divisor %v below 2^-19: multiply by its reciprocal instead", d)
		}
		m := uint64(math.Round(math.Ldexp(1, s) / ad))
		y, err = p.DivInt(ctx, MulConst(Share(x), m), 1<<uint(s))
	}
	if err != nil {
		return nil, err
	}
	if d < 0 {
		y = neg(y)
	}
	return Fixed(y), nil
}

// newtonIters returns how many Newton steps take every a in [lo, hi] from
// the guess y0 to relative error below 2^-(f+2), simulating the iteration
// in float64 on a geometric grid of the range, and checks that the
// iteration also converges when every step is truncated to the fixed-point
// grid 2^-f as on shares (where a first step that lands below one unit
// would leave the result at 0).
func newtonIters(lo, hi, y0 float64, f uint, step func(a, y float64) float64, exact func(a float64) float64) (int, error) {
	const grid = 64
	ulp := math.Ldexp(1, -int(f))
	rel := math.Ldexp(1, -int(f)-2)
	quant := func(v float64) float64 { return math.Floor(v/ulp) * ulp }
	worst := 0
	for k := 0; k <= grid; k++ {
		a := lo * math.Pow(hi/lo, float64(k)/grid)
		y := y0
		it := 0
		for math.Abs(y/exact(a)-1) > rel {
			y = step(a, y)
			it++
			if it > 100 || math.IsNaN(y) {
				return 0, fmt.Errorf("mpc: %w: Newton iteration does not converge on [%v, %v]", ErrInvalidParams, lo, hi)
			}
		}
		aq := math.Round(a/ulp) * ulp
		yq, iq := quant(y0), 0
		for want := exact(aq); math.Abs(yq-want) > 2*ulp+rel*want; {
			yq = quant(step(aq, yq))
			iq++
			if iq > 100 || math.IsNaN(yq) {
				return 0, fmt.Errorf("mpc: %w: Newton iteration does not converge in fixed point on [%v, %v]", ErrInvalidParams, lo, hi)
			}
		}
		worst = max(worst, it, iq)
	}
	return worst + 1, nil
}

func (fx FixedParty) checkRange(lo, hi float64) error {
	half := int(fx.f / 2)
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) || lo < math.Ldexp(1, -half) || hi > math.Ldexp(1, half) {
		return fmt.Errorf("mpc: %w: range [%v, %v]: need 2^-%d <= lo < hi <= 2^%d", ErrInvalidParams, lo, hi, half, half)
	}
	return nil
}

// Reciprocal returns shares of 1/x for fixed-point x whose values all lie
// in the public range [lo, hi], with 2^-(f/2) <= lo < hi <= 2^(f/2), by
// Newton's iteration y <- y(2 - xy) from y0 = 2/(lo+hi) (or a smaller
// guess where the range is so wide that the first truncated step would
// round to 0). The number of steps is chosen from the range (each step is
// 2 fixed-point multiplications, 4 rounds). The error is relative to 1/x,
// not absolute: the result is within 2*2^-f*max(1, 1/x) of 1/x for the
// encoded x (182 units of 2^-16 were measured at x = 2^-8, where
// 1/x = 256). Values outside the range give wrong results without an
// error.
func (fx FixedParty) Reciprocal(ctx context.Context, x Fixed, lo, hi float64) (Fixed, error) {
	if err := fx.checkRange(lo, hi); err != nil {
		return nil, err
	}
	// 2/(lo+hi) is the best guess in exact arithmetic; on a wide range it
	// makes 2 - x*y0 so small at x = hi that the first truncated step
	// lands on 0, so smaller guesses are tried.
	var y0 float64
	var iters int
	var err error
	for _, c := range []float64{2, 1.5, 1} {
		y0 = c / (lo + hi)
		if iters, err = newtonIters(lo, hi, y0, fx.f,
			func(a, y float64) float64 { return y * (2 - a*y) },
			func(a float64) float64 { return 1 / a }); err == nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	enc, _ := EncodeFixed([]float64{y0, 2}, fx.f)
	y := Fixed(fx.p.Public(repeat(enc[0], len(x))))
	for range iters {
		t, err := fx.Mul(ctx, x, y)
		if err != nil {
			return nil, err
		}
		u, _ := addPublic(fx.p, neg(t), enc[1:])
		if y, err = fx.Mul(ctx, y, u); err != nil {
			return nil, err
		}
	}
	return y, nil
}

// Rsqrt returns shares of 1/sqrt(x) for fixed-point x in the public range
// [lo, hi] (same limits as [FixedParty.Reciprocal]) by Newton's iteration
// y <- y(3 - x y^2)/2 from y0 = sqrt(2/(lo+hi)); each step is 3
// multiplications (6 rounds).
func (fx FixedParty) Rsqrt(ctx context.Context, x Fixed, lo, hi float64) (Fixed, error) {
	if err := fx.checkRange(lo, hi); err != nil {
		return nil, err
	}
	y0 := math.Sqrt(2 / (lo + hi))
	iters, err := newtonIters(lo, hi, y0, fx.f,
		func(a, y float64) float64 { return y * (3 - a*y*y) / 2 },
		func(a float64) float64 { return 1 / math.Sqrt(a) })
	if err != nil {
		return nil, err
	}
	enc, _ := EncodeFixed([]float64{y0, 3}, fx.f)
	y := Fixed(fx.p.Public(repeat(enc[0], len(x))))
	for range iters {
		y2, err := fx.Mul(ctx, y, y)
		if err != nil {
			return nil, err
		}
		t, err := fx.Mul(ctx, x, y2)
		if err != nil {
			return nil, err
		}
		u, _ := addPublic(fx.p, Share(neg(t)), enc[1:])
		z, err := fx.p.Mul(ctx, Share(y), u)
		if err != nil {
			return nil, err
		}
		if y, err = fx.trunc(ctx, z, fx.f+1); err != nil {
			return nil, err
		}
	}
	return y, nil
}

// Sqrt returns shares of sqrt(x) = x * Rsqrt(x) for x in [lo, hi].
func (fx FixedParty) Sqrt(ctx context.Context, x Fixed, lo, hi float64) (Fixed, error) {
	r, err := fx.Rsqrt(ctx, x, lo, hi)
	if err != nil {
		return nil, err
	}
	return fx.Mul(ctx, x, r)
}

func repeat(v uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
