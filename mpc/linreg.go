package mpc

import (
	"context"
	"fmt"
	"math"
)

// LinRegResult holds the joint statistics of two aligned columns, x held
// by party 0 and y held by party 1. Cov is the population covariance
// (divided by N); Slope and Intercept are the least-squares line
// y = Slope*x + Intercept; Corr is Pearson's correlation.
type LinRegResult struct {
	N                int
	MeanX, MeanY     float64
	Cov, Corr        float64
	Slope, Intercept float64
	ScaleX, ScaleY   int // the power-of-two scales exchanged (see Correlate)
	Rounds           int // communication rounds used
	BytesSent        int64
	BytesReceived    int64
}

// Fixed-point limits of Correlate: the products x'y' are summed at scale
// 2^2f, which must stay below 2^62 for N up to 2^25 rows; the covariance
// is kept with corrExtraBits more fractional bits than the inputs.
const (
	corrMinFrac   = 12
	corrMaxFrac   = 16
	corrExtraBits = 12
)

// Correlate computes the covariance, correlation and regression line of
// two columns that the parties have already aligned row by row (by PSI,
// for example): party 0 passes x, party 1 passes y, any other party passes
// nil and helps. Every party gets the same result.
//
// What is revealed, besides the result: the row count N, and each party's
// mean and the power of two 2^k nearest above its column's standard
// deviation (which the result reveals anyway up to rounding: the slope and
// correlation together give both variances). The products x*y never
// appear in the clear: the cross products are one Beaver dot product on
// shares; the covariance is an exact division of that sum by N on shares;
// 1/sqrt(var) is computed by Newton's iteration on shares; and only cov,
// corr and the slope are opened.
//
// Each party centres and scales its own column, x' = (x - mean)/2^k, so
// that x' has variance in [1/4, 1) whatever the data's units, which keeps
// every fixed-point intermediate in range (N up to 2^25 rows). The
// covariance is carried with 12 more fractional bits than the inputs, so
// the results are within about 1e-4 relative even for weak correlations
// (|corr| >= 0.01); the party's scale must be 12 to 16 fractional bits.
func Correlate(ctx context.Context, p *Party, column []float64) (*LinRegResult, error) {
	if err := p.check("correlate", len(column)); err != nil {
		return nil, err
	}
	if p.frac < corrMinFrac || p.frac > corrMaxFrac {
		return nil, fmt.Errorf("%w: Correlate needs %d to %d fractional bits, party has %d", ErrInvalidParams, corrMinFrac, corrMaxFrac, p.frac)
	}
	start := p.Stats()
	step0 := p.step
	role := p.self
	f := p.frac
	var hdr [4]uint64 // n, mean bits, scale exponent, degenerate flag
	var scaled []float64
	var varScaled float64
	if role <= 1 {
		n := len(column)
		if n < 2 {
			return nil, p.fail("correlate", fmt.Errorf("%w: %d rows; correlation needs at least 2", ErrInvalidParams, n))
		}
		var mean float64
		for i, v := range column {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, p.fail("correlate", fmt.Errorf("%w: row %d is %v", ErrOutOfRange, i, v))
			}
			mean += v
		}
		mean /= float64(n)
		var ss float64
		for _, v := range column {
			ss += (v - mean) * (v - mean)
		}
		std := math.Sqrt(ss / float64(n))
		_, k := math.Frexp(std) // std = frac*2^k, frac in [0.5, 1)
		hdr = [4]uint64{uint64(n), math.Float64bits(mean), uint64(int64(k)), 0}
		if std == 0 || math.IsInf(std, 0) {
			hdr[3] = 1
		} else {
			scaled = make([]float64, n)
			for i, v := range column {
				scaled[i] = math.Ldexp(v-mean, -k)
				varScaled += scaled[i] * scaled[i]
			}
			varScaled /= float64(n)
		}
	}
	hdrs, err := p.exchangePublic(ctx, hdr[:])
	if err != nil {
		return nil, err
	}
	hx, hy := hdrs[0], hdrs[1]
	if hx[0] != hy[0] {
		return nil, p.fail("correlate", fmt.Errorf("%w: party 0 has %d rows, party 1 has %d", ErrInvalidParams, hx[0], hy[0]))
	}
	if hx[3] != 0 || hy[3] != 0 {
		return nil, p.fail("correlate", fmt.Errorf("%w: a column is constant (or overflows)", ErrDegenerate))
	}
	n := int(hx[0])
	if n < 2 || n > p.maxLen || n > 1<<25 {
		return nil, p.fail("correlate", fmt.Errorf("%w: %d rows (limit %d)", ErrInvalidParams, n, min(p.maxLen, 1<<25)))
	}
	res := &LinRegResult{N: n, MeanX: math.Float64frombits(hx[1]), MeanY: math.Float64frombits(hy[1]),
		ScaleX: int(int64(hx[2])), ScaleY: int(int64(hy[2]))}
	if res.ScaleX < -1000 || res.ScaleX > 1000 || res.ScaleY < -1000 || res.ScaleY > 1000 ||
		math.IsNaN(res.MeanX) || math.IsNaN(res.MeanY) {
		return nil, p.fail("correlate", fmt.Errorf("%w: implausible header", ErrMalformed))
	}

	// Shares of x' and var(x') from party 0, y' and var(y') from party 1.
	input := func(owner int) (Share, Share, error) {
		var v []float64
		if role == owner {
			v = append(scaled, varScaled)
		}
		s, err := p.InputFixed(ctx, owner, v)
		if err != nil {
			return nil, nil, err
		}
		if len(s) != n+1 {
			return nil, nil, p.fail("correlate", fmt.Errorf("%w: party %d input %d values, expected %d", ErrMalformed, owner, len(s), n+1))
		}
		return s[:n], s[n:], nil
	}
	xs, vx, err := input(0)
	if err != nil {
		return nil, err
	}
	ys, vy, err := input(1)
	if err != nil {
		return nil, err
	}
	// cov' = sum x'y' / N: the dot product is at scale 2^2f; one exact
	// division by N*2^(f-g) brings it to scale 2^(f+g), keeping g extra
	// bits so that a weak covariance keeps its relative precision.
	dot, err := p.Dot(ctx, xs, ys)
	if err != nil {
		return nil, err
	}
	cov, err := p.DivInt(ctx, dot, uint64(n)<<(f-corrExtraBits))
	if err != nil {
		return nil, err
	}
	// r = 1/sqrt(var') for both columns at once; var' is in [1/4, 1).
	r, err := p.Rsqrt(ctx, Concat(vx, vy), 0.25, 1)
	if err != nil {
		return nil, err
	}
	// u = (rx*ry, rx*rx); then (corr', slope') = cov' * u, at scale
	// 2^(f+g) like cov'.
	u, err := p.MulFixed(ctx, Share{r[0], r[0]}, Share{r[1], r[0]})
	if err != nil {
		return nil, err
	}
	out, err := p.MulFixed(ctx, Share{cov[0], cov[0]}, u)
	if err != nil {
		return nil, err
	}
	raw, err := p.Open(ctx, Concat(cov, out))
	if err != nil {
		return nil, err
	}
	opened := DecodeFixed(raw, f+corrExtraBits)
	res.Cov = math.Ldexp(opened[0], res.ScaleX+res.ScaleY)
	res.Corr = opened[1]
	res.Slope = math.Ldexp(opened[2], res.ScaleY-res.ScaleX)
	res.Intercept = res.MeanY - res.Slope*res.MeanX
	end := p.Stats()
	res.Rounds = int(p.step - step0)
	res.BytesSent = end.BytesSent - start.BytesSent
	res.BytesReceived = end.BytesReceived - start.BytesReceived
	return res, nil
}

// exchangePublic sends the same public words to every peer and returns
// every party's words (this party's own included), indexed by party.
func (p *Party) exchangePublic(ctx context.Context, mine []uint64) ([][]uint64, error) {
	if err := p.check("public", len(mine)); err != nil {
		return nil, err
	}
	if err := p.sendAll(ctx, kindPublic, mine, -1); err != nil {
		return nil, p.fail("public", err)
	}
	out := make([][]uint64, p.n)
	out[p.self] = append([]uint64(nil), mine...)
	for j := range p.conns {
		if j == p.self {
			continue
		}
		out[j] = make([]uint64, len(mine))
		err := p.recvChunks(ctx, j, kindPublic, len(mine), func(lo int, body []byte) {
			combine(out[j][lo:], body, false, 1)
		})
		if err != nil {
			return nil, p.fail("public", err)
		}
	}
	p.step++
	return out, nil
}
