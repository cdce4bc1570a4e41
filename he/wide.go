package he

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
)

// WideInts encodes integers wider than one plaintext slot as limbs: x is
// written sum_j l_j 2^(j LimbBits) over Limbs signed limbs, each of x's sign
// and below 2^LimbBits in magnitude. A BGV sum of encodings adds the limbs
// slot by slot without carries, and [WideInts.Decode] rebuilds the exact
// sum with big integers: with Config.Bound = [WideInts.Bound] and
// MaxWeight w, NewParams guarantees that no limb sum wraps, so every sum of
// at most w encodings of integers |x| < 2^(LimbBits Limbs) decodes exactly
// (|sum| < w 2^(LimbBits Limbs)).
type WideInts struct {
	LimbBits int // 1 to 62
	Limbs    int // >= 1
}

// NewWideInts returns the encoding of integers |x| < 2^xBits, summed at
// most maxWeight at a time, with limbs as wide as p allows: the largest
// LimbBits with maxWeight (2^LimbBits - 1) <= p.MaxSafeSum().
func NewWideInts(p *Params, xBits int, maxWeight int64) (WideInts, error) {
	if xBits < 1 || xBits > 4096 || maxWeight < 1 {
		return WideInts{}, fmt.Errorf("he: %w: %d-bit integers, weight %d", ErrInvalidParams, xBits, maxWeight)
	}
	lb := int(math.Floor(math.Log2(p.MaxSafeSum()/float64(maxWeight)+1))) - 1 // a bit of float slack
	lb = min(lb, 62)
	if lb < 1 {
		return WideInts{}, fmt.Errorf("he: %w: %d summands leave no room for a limb (largest safe sum %g)", ErrOutOfRange, maxWeight, p.MaxSafeSum())
	}
	return WideInts{LimbBits: lb, Limbs: (xBits + lb - 1) / lb}, nil
}

func (w WideInts) check() error {
	if w.LimbBits < 1 || w.LimbBits > 62 || w.Limbs < 1 || w.Limbs > 1<<12 {
		return fmt.Errorf("he: %w: %d limbs of %d bits", ErrInvalidParams, w.Limbs, w.LimbBits)
	}
	return nil
}

// Bound is the largest limb, the Config.Bound the encodings need.
func (w WideInts) Bound() int64 { return 1<<w.LimbBits - 1 }

// Len is the number of slots n integers take.
func (w WideInts) Len(n int) int { return n * w.Limbs }

// Encode appends the limbs of xs to dst; an |x| >= 2^(LimbBits Limbs) is
// [ErrOutOfRange].
func (w WideInts) Encode(dst []int64, xs ...*big.Int) ([]int64, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	mask := big.NewInt(w.Bound())
	var a, l big.Int
	for i, x := range xs {
		if x.BitLen() > w.LimbBits*w.Limbs {
			return nil, fmt.Errorf("he: %w: integer %d has %d bits, the encoding holds %d", ErrOutOfRange, i, x.BitLen(), w.LimbBits*w.Limbs)
		}
		a.Abs(x)
		for range w.Limbs {
			v := l.And(&a, mask).Int64()
			if x.Sign() < 0 {
				v = -v
			}
			dst = append(dst, v)
			a.Rsh(&a, uint(w.LimbBits))
		}
	}
	return dst, nil
}

// Decode rebuilds the integers from a (summed) limb vector.
func (w WideInts) Decode(v []int64) ([]*big.Int, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	if len(v)%w.Limbs != 0 {
		return nil, fmt.Errorf("he: %w: %d values are not whole %d-limb integers", ErrMismatch, len(v), w.Limbs)
	}
	out := make([]*big.Int, len(v)/w.Limbs)
	var l big.Int
	for i := range out {
		x := new(big.Int)
		for j := w.Limbs - 1; j >= 0; j-- {
			x.Lsh(x, uint(w.LimbBits))
			x.Add(x, l.SetInt64(v[i*w.Limbs+j]))
		}
		out[i] = x
	}
	return out, nil
}

// MomentsEncoding encodes a party's rows as (count, sum, sum of squares)
// in [WideInts], exact for any declared size: a party holds at most
// MaxRows rows, each |x| <= MaxAbs; the sum of squares of a party is below
// MaxRows MaxAbs^2 < 2^(40+126), and a sum of up to MaxWeight parties
// decodes exactly. For example 2^32 rows of |x| <= 2^31 take a 97-bit sum
// of squares: 3 limbs of 35 bits at IntLogN13 for 16 parties.
type MomentsEncoding struct {
	// MaxRows is the most rows one party holds, in [1, 2^40].
	MaxRows int64
	// MaxAbs bounds each value, |x| <= MaxAbs, in [1, 2^63-1].
	MaxAbs int64
	// Count, Sum and Squares are the encodings of the three moments.
	Count, Sum, Squares WideInts
}

// NewMomentsEncoding sizes a moments encoding for parties of at most
// maxRows rows of |x| <= maxAbs, summed base.MaxWeight at a time, and
// returns it with the Params it needs: base with Bound set to the widest
// limb (base.Bound is ignored; base.MaxWeight must be set).
func NewMomentsEncoding(base Config, maxRows, maxAbs int64) (*Params, *MomentsEncoding, error) {
	if maxRows < 1 || maxRows > 1<<40 || maxAbs < 1 {
		return nil, nil, fmt.Errorf("he: %w: %d rows of |x| <= %d (need 1 <= rows <= 2^40, |x| >= 1)", ErrInvalidParams, maxRows, maxAbs)
	}
	base.Bound = 1
	p, err := NewParams(base) // to learn the plaintext space
	if err != nil {
		return nil, nil, err
	}
	rb, ab := bits.Len64(uint64(maxRows)), bits.Len64(uint64(maxAbs))
	e := &MomentsEncoding{MaxRows: maxRows, MaxAbs: maxAbs}
	w := p.cfg.MaxWeight
	if e.Count, err = NewWideInts(p, rb, w); err != nil {
		return nil, nil, err
	}
	if e.Sum, err = NewWideInts(p, rb+ab, w); err != nil {
		return nil, nil, err
	}
	if e.Squares, err = NewWideInts(p, rb+2*ab, w); err != nil {
		return nil, nil, err
	}
	base.Bound = e.Bound()
	if p, err = NewParams(base); err != nil {
		return nil, nil, err
	}
	return p, e, nil
}

// Bound is the Config.Bound the encoding needs (its widest limb).
func (e *MomentsEncoding) Bound() int64 {
	return max(e.Count.Bound(), e.Sum.Bound(), e.Squares.Bound())
}

// Len is the length of an encoded vector.
func (e *MomentsEncoding) Len() int { return e.Count.Limbs + e.Sum.Limbs + e.Squares.Limbs }

// Encode is the vector of one party's rows xs.
func (e *MomentsEncoding) Encode(xs []int64) ([]int64, error) {
	if int64(len(xs)) > e.MaxRows {
		return nil, fmt.Errorf("he: %w: %d rows, the encoding is declared for %d", ErrOutOfRange, len(xs), e.MaxRows)
	}
	sum, sq := new(big.Int), new(big.Int)
	var v, v2 big.Int
	for i, x := range xs {
		if x < -e.MaxAbs || x > e.MaxAbs {
			return nil, fmt.Errorf("he: %w: row %d: |x| > %d", ErrOutOfRange, i, e.MaxAbs)
		}
		v.SetInt64(x)
		sum.Add(sum, &v)
		sq.Add(sq, v2.Mul(&v, &v))
	}
	out, err := e.Count.Encode(make([]int64, 0, e.Len()), big.NewInt(int64(len(xs))))
	if err == nil {
		out, err = e.Sum.Encode(out, sum)
	}
	if err == nil {
		out, err = e.Squares.Encode(out, sq)
	}
	return out, err
}

// Decode reads a decrypted sum of encodings.
func (e *MomentsEncoding) Decode(v []int64) (WideMomentSums, error) {
	if len(v) != e.Len() {
		return WideMomentSums{}, fmt.Errorf("he: %w: %d values, the moments encoding has %d", ErrMismatch, len(v), e.Len())
	}
	a, b := e.Count.Limbs, e.Count.Limbs+e.Sum.Limbs
	c, err := e.Count.Decode(v[:a])
	if err != nil {
		return WideMomentSums{}, err
	}
	s, err := e.Sum.Decode(v[a:b])
	if err != nil {
		return WideMomentSums{}, err
	}
	q, err := e.Squares.Decode(v[b:])
	if err != nil {
		return WideMomentSums{}, err
	}
	if c[0].Sign() < 0 || q[0].Sign() < 0 {
		return WideMomentSums{}, fmt.Errorf("he: %w: not a moments vector (count %v, sum of squares %v)", ErrMismatch, c[0], q[0])
	}
	return WideMomentSums{Count: c[0], Sum: s[0], SumSquares: q[0]}, nil
}

// WideMomentSums are pooled moments as exact integers.
type WideMomentSums struct {
	Count, Sum, SumSquares *big.Int
}

// Mean is Sum/Count (NaN when Count is 0), rounded once to float64.
func (m WideMomentSums) Mean() float64 {
	if m.Count.Sign() == 0 {
		return math.NaN()
	}
	f, _ := new(big.Rat).SetFrac(m.Sum, m.Count).Float64()
	return f
}

// SampleVariance is (Σx² - (Σx)²/n)/(n-1), exact in rationals and rounded
// once to float64 (NaN when Count < 2).
func (m WideMomentSums) SampleVariance() float64 {
	return sampleVariance(m.Count, m.Sum, m.SumSquares)
}

// sampleVariance is (n Σx² - (Σx)²)/(n(n-1)), exact in rationals and
// rounded once to float64 (NaN when n < 2).
func sampleVariance(n, sum, squares *big.Int) float64 {
	if n.Cmp(big.NewInt(2)) < 0 {
		return math.NaN()
	}
	num := new(big.Int).Mul(squares, n)
	num.Sub(num, new(big.Int).Mul(sum, sum))
	den := new(big.Int).Mul(n, new(big.Int).Sub(n, big.NewInt(1)))
	f, _ := new(big.Rat).SetFrac(num, den).Float64()
	return f
}
