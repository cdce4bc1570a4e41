package he

import (
	"fmt"
	"math"
	"math/big"

	"github.com/veil-go/veil/dp"
)

// NoisyMomentsConfig declares a differentially private count, sum and sum
// of squares (so mean and variance) of values within public bounds, held by
// Parties parties of at most MaxRows rows each, under add/remove-one of a
// row.
type NoisyMomentsConfig struct {
	// Mechanism, Epsilon, Delta, Parties, MinHonest, FailureProbability and
	// Budget are as in [NoiseConfig]: the guarantee is for the three
	// figures together.
	Mechanism          NoiseMechanism
	Epsilon, Delta     float64
	Parties, MinHonest int
	FailureProbability float64
	Budget             dp.Budget
	// Lower and Upper are the public bounds; values are clamped to them.
	// Upper - Lower is at most 2^32.
	Lower, Upper int64
	// MaxRows is the most rows one party holds, in [1, 2^40].
	MaxRows int64
}

// unitBits is the resolution of the noisy sum and sum of squares: their
// sensitivities are quantized to about 2^unitBits units.
const unitBits = 10

// NoisyMoments is the encoding of a noisy moments round, with its [Noise].
// Each party clamps its values to [Lower, Upper] and centres them on the
// public centre C = Lower + (Upper-Lower)/2, so one row changes its totals
// by at most 1, h and h^2 (h = max(C-Lower, Upper-C)); it rounds its sum
// and sum of squares to public units u1 = max(1, floor(h/2^10)) and
// u2 = max(1, floor(h^2/2^10)) (a row then moves a rounded total by at
// most ceil(h/u1) and ceil(h^2/u2) units, the sensitivities the noise is
// calibrated for, about 2^10), so that the noise fits dp's samplers and
// the three figures fit one plaintext slot each: |count| <= MaxRows,
// |sum| <= MaxRows ceil(h/u1), sum of squares <= MaxRows ceil(h^2/u2),
// each plus the noise's tail. The rounding error (half a unit per party) is far
// below the noise (hundreds of units). Build the round's Params from
// Noise().Config.
type NoisyMoments struct {
	cfg    NoisyMomentsConfig
	centre int64
	units  [3]*big.Int
	noise  *Noise
}

// NewNoisyMoments validates cfg and calibrates the noise.
func NewNoisyMoments(cfg NoisyMomentsConfig) (*NoisyMoments, error) {
	// A difference that wraps int64 is negative, so above 2^32 as a uint64.
	if cfg.Lower >= cfg.Upper || uint64(cfg.Upper-cfg.Lower) > 1<<32 {
		return nil, fmt.Errorf("he: %w: bounds [%d, %d] (need Lower < Upper, Upper - Lower <= 2^32)", ErrInvalidParams, cfg.Lower, cfg.Upper)
	}
	if cfg.MaxRows < 1 || cfg.MaxRows > 1<<40 {
		return nil, fmt.Errorf("he: %w: MaxRows %d outside [1, 2^40]", ErrInvalidParams, cfg.MaxRows)
	}
	m := &NoisyMoments{cfg: cfg, centre: cfg.Lower + (cfg.Upper-cfg.Lower)/2}
	h := big.NewInt(max(m.centre-cfg.Lower, cfg.Upper-m.centre, 1))
	sens := [3]*big.Int{big.NewInt(1), h, new(big.Int).Mul(h, h)}
	rows := big.NewInt(cfg.MaxRows)
	var maxAbs, sensQ [3]int64
	one := big.NewInt(1)
	for k, s := range sens {
		u := new(big.Int).Rsh(s, unitBits)
		if u.Sign() == 0 {
			u.SetInt64(1)
		}
		m.units[k] = u
		q := new(big.Int).Add(s, new(big.Int).Sub(u, one))
		q.Quo(q, u) // ceil(s/u)
		// A row moves a party's total by d in [0, s] (up or down), and the
		// nearest unit of t/u by at most ceil(d/u) <= q; the rounded
		// total is at most MaxRows q in magnitude.
		b := new(big.Int).Mul(rows, q)
		sensQ[k], maxAbs[k] = q.Int64(), b.Int64()
	}
	var err error
	m.noise, err = NewNoise(NoiseConfig{Mechanism: cfg.Mechanism, Epsilon: cfg.Epsilon, Delta: cfg.Delta,
		MaxAbs: maxAbs[:], Sensitivity: sensQ[:], Parties: cfg.Parties, MinHonest: cfg.MinHonest,
		FailureProbability: cfg.FailureProbability, Budget: cfg.Budget})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Noise is the round's noise: put it in [Round].Noise.
func (m *NoisyMoments) Noise() *Noise { return m.noise }

// Centre is the public centre the values are shifted by.
func (m *NoisyMoments) Centre() int64 { return m.centre }

// Units are the public units of count (1), sum and sum of squares.
func (m *NoisyMoments) Units() [3]*big.Int {
	return [3]*big.Int{new(big.Int).Set(m.units[0]), new(big.Int).Set(m.units[1]), new(big.Int).Set(m.units[2])}
}

// Encode is one party's vector (before its noise share, which the round
// adds): its rows clamped, centred and rounded to the units. clamped is the
// number of rows that were clamped (the party's own knowledge).
func (m *NoisyMoments) Encode(xs []int64) (v []int64, clamped int, err error) {
	if int64(len(xs)) > m.cfg.MaxRows {
		return nil, 0, fmt.Errorf("he: %w: %d rows, the moments are declared for %d", ErrOutOfRange, len(xs), m.cfg.MaxRows)
	}
	sum, sq := new(big.Int), new(big.Int)
	var y, y2 big.Int
	for _, x := range xs {
		if x < m.cfg.Lower || x > m.cfg.Upper {
			x = min(m.cfg.Upper, max(m.cfg.Lower, x))
			clamped++
		}
		y.SetInt64(x - m.centre) // |x - centre| <= 2^32
		sum.Add(sum, &y)
		sq.Add(sq, y2.Mul(&y, &y))
	}
	v = make([]int64, 3)
	two := big.NewInt(2)
	for k, t := range []*big.Int{big.NewInt(int64(len(xs))), sum, sq} {
		u := m.units[k]
		q := new(big.Int).Mul(t, two)
		q.Add(q, u)
		q.Div(q, new(big.Int).Mul(u, two)) // floor((2t + u)/(2u)): the nearest unit
		v[k] = q.Int64()
	}
	return v, clamped, nil
}

// Decode reads a decrypted noisy sum of encodings.
func (m *NoisyMoments) Decode(v []int64) (NoisyMomentSums, error) {
	if len(v) != 3 {
		return NoisyMomentSums{}, fmt.Errorf("he: %w: %d values, noisy moments have 3", ErrMismatch, len(v))
	}
	var t [3]*big.Int
	for k := range t {
		t[k] = new(big.Int).Mul(big.NewInt(v[k]), m.units[k])
	}
	return NoisyMomentSums{Count: t[0], Sum: t[1], SumSquares: t[2], Centre: m.centre, Lower: m.cfg.Lower, Upper: m.cfg.Upper}, nil
}

// NoisyMomentSums are released moments: Count, and Sum and SumSquares of
// the centred values x - Centre, all noisy; their methods post-process
// them into the ranges the bounds allow.
type NoisyMomentSums struct {
	Count, Sum, SumSquares *big.Int
	Centre, Lower, Upper   int64
}

// SumOfValues is the noisy sum of the (clamped) values: Sum + Centre Count.
func (s NoisyMomentSums) SumOfValues() *big.Int {
	t := new(big.Int).Mul(big.NewInt(s.Centre), s.Count)
	return t.Add(t, s.Sum)
}

// Mean is the noisy mean, within [Lower, Upper] (NaN when Count <= 0).
func (s NoisyMomentSums) Mean() float64 {
	if s.Count.Sign() <= 0 {
		return math.NaN()
	}
	f, _ := new(big.Rat).SetFrac(s.SumOfValues(), s.Count).Float64()
	return math.Min(float64(s.Upper), math.Max(float64(s.Lower), f))
}

// SampleVariance is the noisy sample variance, within [0, (Upper-Lower)^2/4
// n/(n-1)] (NaN when Count < 2).
func (s NoisyMomentSums) SampleVariance() float64 {
	v := sampleVariance(s.Count, s.Sum, s.SumSquares)
	if math.IsNaN(v) {
		return v
	}
	n, _ := new(big.Float).SetInt(s.Count).Float64()
	w := float64(s.Upper - s.Lower)
	return math.Min(w*w/4*n/(n-1), math.Max(0, v))
}
