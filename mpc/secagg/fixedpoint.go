package secagg

import (
	"fmt"
	"math"
)

// Inputs are vectors of uint64 words added modulo 2^64 (k = 64). Signed
// integers map to words by two's complement (FromInt64s) and a sum is read
// back with ToInt64s: it is exact as long as the true sum lies in
// [-2^63, 2^63). FixedPoint encodes floats so that this always holds.

// FromInt64s returns x as words modulo 2^64 (two's complement), the input
// form of [RunClient] and [Client.MaskInput].
func FromInt64s(x []int64) []uint64 {
	out := make([]uint64, len(x))
	for i, v := range x {
		out[i] = uint64(v)
	}
	return out
}

// ToInt64s reads words modulo 2^64, such as [Result.Sum], as signed integers
// in [-2^63, 2^63).
func ToInt64s(x []uint64) []int64 {
	out := make([]int64, len(x))
	for i, v := range x {
		out[i] = int64(v)
	}
	return out
}

// FixedPoint encodes reals as integers scaled by 2^fracBits, with a bound on
// each value chosen so that the sum of the clients' encoded values cannot
// leave the signed 64-bit range (no wrap-around): |x| <= [FixedPoint.MaxAbs].
type FixedPoint struct {
	fracBits int
	clients  int
	maxAbs   float64
}

// NewFixedPoint returns the encoding with fracBits fraction bits (0..52) for
// sums of up to clients values.
func NewFixedPoint(fracBits, clients int) (*FixedPoint, error) {
	if fracBits < 0 || fracBits > 52 {
		return nil, fmt.Errorf("secagg: %w: %d fraction bits, need 0..52", ErrInvalidParams, fracBits)
	}
	if clients < 1 || clients > MaxClients {
		return nil, fmt.Errorf("secagg: %w: %d clients", ErrInvalidParams, clients)
	}
	// clients * maxAbs * 2^fracBits <= 2^62 keeps every partial sum well
	// inside int64 even after rounding.
	maxAbs := math.Ldexp(1, 62-fracBits) / float64(clients)
	return &FixedPoint{fracBits: fracBits, clients: clients, maxAbs: maxAbs}, nil
}

// MaxAbs returns the largest magnitude [FixedPoint.Encode] accepts.
func (f *FixedPoint) MaxAbs() float64 { return f.maxAbs }

// Resolution returns the step of the encoding, 2^-fracBits.
func (f *FixedPoint) Resolution() float64 { return math.Ldexp(1, -f.fracBits) }

// Encode rounds each value to the nearest multiple of the resolution. NaN,
// infinities and values beyond MaxAbs are errors ([ErrOutOfRange]).
func (f *FixedPoint) Encode(x []float64) ([]uint64, error) {
	out := make([]uint64, len(x))
	for i, v := range x {
		if math.IsNaN(v) || math.Abs(v) > f.maxAbs {
			return nil, fmt.Errorf("secagg: %w: value %d is %v, limit ±%g", ErrOutOfRange, i, v, f.maxAbs)
		}
		out[i] = uint64(int64(math.RoundToEven(math.Ldexp(v, f.fracBits))))
	}
	return out, nil
}

// Decode reads a sum of encoded values back as reals.
func (f *FixedPoint) Decode(sum []uint64) []float64 {
	out := make([]float64, len(sum))
	for i, v := range sum {
		out[i] = math.Ldexp(float64(int64(v)), -f.fracBits)
	}
	return out
}
