package dp

import (
	"math"
	"math/big"
)

// laplaceScale returns integers t, shift with t/2^shift >= b and, unless b is
// below 2^-23, t/2^shift exceeds b by a relative 2^-40 at most (t >= 2^40
// before t/2^shift is put in lowest terms).
func laplaceScale(b *big.Rat) (t uint64, shift uint, err error) {
	if b.Sign() <= 0 {
		return 0, 0, invalid("noise scale must be > 0")
	}
	lo := new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), 40))
	v := new(big.Rat).Set(b)
	two := big.NewRat(2, 1)
	for v.Cmp(lo) < 0 && shift < 63 {
		v.Mul(v, two)
		shift++
	}
	// t = ceil(v)
	q, r := new(big.Int).QuoRem(v.Num(), v.Denom(), new(big.Int))
	if r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsUint64() || q.Uint64() > maxLaplaceT {
		return 0, 0, invalid("noise scale %s is too large (epsilon too small for the sensitivity)", b.FloatString(3))
	}
	// Lowest terms: the law depends on t/2^shift only, and a small t has a
	// table ([rng.geoExp]); scale 1 is t = 1, not 2^40 / 2^40.
	t = q.Uint64()
	for t&1 == 0 && shift > 0 {
		t >>= 1
		shift--
	}
	return t, shift, nil
}

// pow2Floor returns the largest power of two <= x (x > 0, finite; callers
// reject x below 2^-1000, for which the grid would be out of range).
func pow2Floor(x float64) float64 {
	_, e := math.Frexp(x) // x = f * 2^e, f in [0.5, 1)
	return math.Ldexp(1, e-1)
}

// pow2Ceil returns the smallest power of two >= x (x > 0, finite).
func pow2Ceil(x float64) float64 {
	p := pow2Floor(x)
	if p < x {
		p *= 2
	}
	return p
}

// Limits of the grid spacing Lambda of the snapping samplers, so that every
// multiple of Lambda used is an exact float64 (normal, no overflow).
const (
	// minSensitivity is the smallest float sensitivity: below it the grid
	// (about 2^-20 of it) would leave the normal range and collapse.
	minSensitivity = 0x1p-980
	minGrid        = 0x1p-1000
	maxGrid        = 0x1p+900
)

// gridSensitivity returns the sensitivity, in units of the grid Lambda, of x
// rounded to the nearest multiple of Lambda when x has sensitivity sens:
// |round(x/L) - round(x'/L)| <= |x-x'|/L + 1, an integer, so <= floor(sens/L) + 1.
func gridSensitivity(sens, grid float64) *big.Int {
	q := new(big.Float).SetFloat64(sens / grid) // exact: grid is a power of two
	i, _ := q.Int(nil)                          // floor for q >= 0
	return i.Add(i, big.NewInt(1))
}

// snapAdd returns the float64 nearest to grid * (round(x/grid) + z), rounding
// once, so that the output is a function of the integer round(x/grid) + z only
// (post-processing of a discrete mechanism). grid is a power of two in
// [minGrid, maxGrid]; x is finite.
func snapAdd(x, grid float64, z int64) float64 {
	var rx float64 // grid * round(x / grid), exact
	if math.Abs(x) >= 0x1p52*grid {
		rx = x // already a multiple of grid
	} else {
		rx = math.Round(x/grid) * grid
	}
	if z > -(1<<53) && z < 1<<53 {
		// rx and z*grid are exact; IEEE addition rounds the exact sum once.
		return rx + float64(z)*grid
	}
	return exactSum(rx, grid, z)
}

// exactSum returns rx + z*grid rounded once to float64 (nearest, ties to
// even, as IEEE addition), through big.Float.
func exactSum(rx, grid float64, z int64) float64 {
	s := new(big.Float).SetPrec(2200).SetFloat64(rx)
	zz := new(big.Float).SetPrec(2200).SetInt64(z)
	zz.Mul(zz, new(big.Float).SetFloat64(grid))
	s.Add(s, zz)
	f, _ := s.Float64()
	return f
}
