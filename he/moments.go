package he

import (
	"fmt"
	"math"
	"math/bits"
)

// Moments encodes a party's rows xs as the 3-vector (count, sum, sum of
// squares), the client-side encoding that makes mean and variance work with
// additions only: the sum of every party's Moments is the pooled (n, Σx,
// Σx²). Integers stay integers (scale decimals first, e.g. cents); an
// overflow of int64 is [ErrOutOfRange].
func Moments(xs []int64) ([]int64, error) {
	var sum, sq int64
	for i, x := range xs {
		s, ok := addInt64(sum, x)
		if !ok {
			return nil, fmt.Errorf("he: %w: sum overflows int64 at row %d", ErrOutOfRange, i)
		}
		sum = s
		ax := uint64(x)
		if x < 0 {
			ax = -ax
		}
		hi, lo := bits.Mul64(ax, ax)
		if hi != 0 || lo > math.MaxInt64 {
			return nil, fmt.Errorf("he: %w: square of row %d overflows int64", ErrOutOfRange, i)
		}
		if sq, ok = addInt64(sq, int64(lo)); !ok || sq < 0 {
			return nil, fmt.Errorf("he: %w: sum of squares overflows int64 at row %d", ErrOutOfRange, i)
		}
	}
	return []int64{int64(len(xs)), sum, sq}, nil
}

func addInt64(a, b int64) (int64, bool) {
	c := a + b
	return c, (c > a) == (b > 0) || b == 0
}

// MomentsBound is the per-value Bound a Config needs for Moments of at most
// maxRows rows each at most maxAbs in absolute value (the sum of squares
// dominates). It fails with [ErrOutOfRange] if that exceeds int64.
func MomentsBound(maxRows int, maxAbs int64) (int64, error) {
	if maxRows < 1 || maxAbs < 0 {
		return 0, fmt.Errorf("he: %w: %d rows, |x| <= %d", ErrInvalidParams, maxRows, maxAbs)
	}
	hi, sq := bits.Mul64(uint64(maxAbs), uint64(maxAbs))
	hi2, b := bits.Mul64(sq, uint64(maxRows))
	if hi != 0 || hi2 != 0 || b > math.MaxInt64 {
		return 0, fmt.Errorf("he: %w: %d rows of |x| <= %d overflow int64 in the sum of squares", ErrOutOfRange, maxRows, maxAbs)
	}
	return max(int64(b), int64(maxRows), int64(maxRows)*maxAbs), nil
}

// MomentSums are pooled moments: decrypt the sum of Moments vectors and
// read them with NewMomentSums.
type MomentSums struct {
	Count, Sum, SumSquares int64
}

// NewMomentSums reads a decrypted (count, sum, sum of squares) vector.
func NewMomentSums(v []int64) (MomentSums, error) {
	if len(v) != 3 || v[0] < 0 || v[2] < 0 {
		return MomentSums{}, fmt.Errorf("he: %w: not a moments vector: %v", ErrInvalidParams, v)
	}
	return MomentSums{Count: v[0], Sum: v[1], SumSquares: v[2]}, nil
}

// Mean is Sum/Count (NaN when Count is 0).
func (m MomentSums) Mean() float64 {
	if m.Count == 0 {
		return math.NaN()
	}
	return float64(m.Sum) / float64(m.Count)
}

// Variance is the population variance Σx²/n - mean² (NaN when Count is 0).
func (m MomentSums) Variance() float64 {
	if m.Count == 0 {
		return math.NaN()
	}
	n := float64(m.Count)
	mean := float64(m.Sum) / n
	return math.Max(0, float64(m.SumSquares)/n-mean*mean)
}

// SampleVariance is the unbiased variance (NaN when Count < 2).
func (m MomentSums) SampleVariance() float64 {
	if m.Count < 2 {
		return math.NaN()
	}
	n := float64(m.Count)
	return m.Variance() * n / (n - 1)
}
