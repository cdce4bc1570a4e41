package main

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/veil-go/veil/mpc"
	"github.com/veil-go/veil/report"
)

// linReg holds the joint statistics of two aligned columns, x held by
// party 0 and y held by party 1. Cov is the population covariance (divided
// by N); Slope and Intercept are the least-squares line
// y = Slope*x + Intercept; Corr is Pearson's correlation.
type linReg struct {
	N                int
	MeanX, MeanY     float64
	Cov, Corr        float64
	Slope, Intercept float64
	ScaleX, ScaleY   int // the power-of-two scales exchanged (see correlate)

	Stats   report.Stats   // this party's traffic and time in the computation
	Leakage report.Leakage // what every party learned
}

// errDegenerate: a statistic is undefined for the data (a constant column
// has no correlation or slope).
var errDegenerate = errors.New("degenerate data")

// Fixed-point limits of correlate: the products x'y' are summed at scale
// 2^2f, which must stay below 2^62 for N up to 2^25 rows; the covariance
// is kept with corrExtraBits more fractional bits than the inputs.
const (
	corrMinFrac   = 12
	corrMaxFrac   = 16
	corrExtraBits = 12
	corrMaxRows   = 1 << 25
)

// correlateParty computes the covariance, correlation and regression line of
// two columns that the parties have already aligned row by row (by PSI):
// party 0 passes x, party 1 passes y, any other party passes nil and
// helps. Every party gets the same figures.
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
func correlateParty(ctx context.Context, p *mpc.Party, column []float64) (*linReg, error) {
	fx := p.Fixed()
	st := &corrState{p: p, fx: fx, column: column, f: fx.FracBits()}
	for _, phase := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"summarize", st.summarize},
		{"headers", st.headers},
		{"input", st.input},
		{"covariance", st.covariance},
		{"normalize", st.normalize},
		{"open", st.open},
	} {
		if err := phase.run(ctx); err != nil {
			return nil, fmt.Errorf("correlate, step %s: %w", phase.name, err)
		}
	}
	return st.res, nil
}

// corrState is one party's run of correlate, phase by phase.
type corrState struct {
	p      *mpc.Party
	fx     mpc.FixedParty // p's fixed-point view, at scale 2^f
	column []float64
	f      uint

	hdr       [4]uint64 // n, mean bits, scale exponent, degenerate flag
	scaled    []float64 // (x - mean)/2^k, then var(x'), for parties 0 and 1
	n         int
	res       *linReg
	xs, ys    mpc.Fixed // the scaled columns
	vx, vy    mpc.Fixed // their variances
	cov       mpc.Share // cov' at scale 2^(f+g)
	corrSlope mpc.Fixed // (corr', slope') at scale 2^(f+g)
}

// summarize: parties 0 and 1 compute their column's mean and scale
// locally.
func (st *corrState) summarize(context.Context) error {
	if st.f < corrMinFrac || st.f > corrMaxFrac {
		return fmt.Errorf("%w: correlate needs %d to %d fractional bits, party has %d", mpc.ErrInvalidParams, corrMinFrac, corrMaxFrac, st.f)
	}
	if st.p.Self() > 1 {
		return nil
	}
	n := len(st.column)
	if n < 2 || n > corrMaxRows {
		return fmt.Errorf("%w: %d rows; correlation needs 2 to %d", mpc.ErrInvalidParams, n, corrMaxRows)
	}
	var mean float64
	for i, v := range st.column {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: row %d is %v", mpc.ErrOutOfRange, i, v)
		}
		mean += v
	}
	mean /= float64(n)
	var ss float64
	for _, v := range st.column {
		ss += (v - mean) * (v - mean)
	}
	std := math.Sqrt(ss / float64(n))
	_, k := math.Frexp(std) // std = frac*2^k, frac in [0.5, 1)
	st.hdr = [4]uint64{uint64(n), math.Float64bits(mean), uint64(int64(k)), 0}
	if std == 0 || math.IsInf(std, 0) {
		st.hdr[3] = 1
		return nil
	}
	st.scaled = make([]float64, n, n+1)
	var v float64
	for i, x := range st.column {
		st.scaled[i] = math.Ldexp(x-mean, -k)
		v += st.scaled[i] * st.scaled[i]
	}
	st.scaled = append(st.scaled, v/float64(n))
	return nil
}

// headers: parties 0 and 1 publish their row count, mean and scale, and
// every party checks that they agree.
func (st *corrState) headers(ctx context.Context) error {
	p := st.p
	var both []mpc.Share
	for owner := range 2 {
		h, err := p.Input(ctx, owner, st.hdr[:])
		if err != nil {
			return err
		}
		if len(h) != len(st.hdr) {
			return fmt.Errorf("%w: party %d sent a header of %d words", mpc.ErrMalformed, owner, len(h))
		}
		both = append(both, h)
	}
	open, err := p.Open(ctx, mpc.Concat(both...))
	if err != nil {
		return err
	}
	hx, hy := open[:4], open[4:]
	if hx[0] != hy[0] {
		return fmt.Errorf("%w: party 0 has %d rows, party 1 has %d", mpc.ErrMismatch, hx[0], hy[0])
	}
	if hx[3] != 0 || hy[3] != 0 {
		return fmt.Errorf("%w: a column is constant (or overflows)", errDegenerate)
	}
	if hx[0] < 2 || hx[0] > corrMaxRows {
		return fmt.Errorf("%w: %d rows, need 2 to %d", mpc.ErrMalformed, hx[0], corrMaxRows)
	}
	st.n = int(hx[0])
	st.res = &linReg{N: st.n, MeanX: math.Float64frombits(hx[1]), MeanY: math.Float64frombits(hy[1]),
		ScaleX: int(int64(hx[2])), ScaleY: int(int64(hy[2]))}
	r := st.res
	if r.ScaleX < -1000 || r.ScaleX > 1000 || r.ScaleY < -1000 || r.ScaleY > 1000 ||
		math.IsNaN(r.MeanX) || math.IsNaN(r.MeanY) {
		return fmt.Errorf("%w: implausible header", mpc.ErrMalformed)
	}
	return nil
}

// input shares x' and var(x') from party 0, y' and var(y') from party 1.
func (st *corrState) input(ctx context.Context) error {
	var err error
	if st.xs, st.vx, err = st.inputFrom(ctx, 0); err != nil {
		return err
	}
	st.ys, st.vy, err = st.inputFrom(ctx, 1)
	return err
}

func (st *corrState) inputFrom(ctx context.Context, owner int) (col, variance mpc.Fixed, err error) {
	s, err := st.fx.Input(ctx, owner, st.scaled)
	if err != nil {
		return nil, nil, err
	}
	if len(s) != st.n+1 {
		return nil, nil, fmt.Errorf("%w: party %d input %d values, expected %d", mpc.ErrMalformed, owner, len(s), st.n+1)
	}
	return s[:st.n], s[st.n:], nil
}

// covariance: cov' = sum x'y' / N. The dot product is at scale 2^2f; one
// exact division by N*2^(f-g) brings it to scale 2^(f+g), keeping g extra
// bits so that a weak covariance keeps its relative precision.
func (st *corrState) covariance(ctx context.Context) error {
	dot, err := st.p.Dot(ctx, mpc.Share(st.xs), mpc.Share(st.ys))
	if err != nil {
		return err
	}
	st.cov, err = st.p.DivInt(ctx, dot, uint64(st.n)<<(st.f-corrExtraBits))
	return err
}

// normalize: r = 1/sqrt(var') for both columns at once (var' is in
// [1/4, 1)); u = (rx*ry, rx*rx); then (corr', slope') = cov' * u, at scale
// 2^(f+g) like cov'.
func (st *corrState) normalize(ctx context.Context) error {
	fx := st.fx
	r, err := fx.Rsqrt(ctx, mpc.Concat(st.vx, st.vy), 0.25, 1)
	if err != nil {
		return err
	}
	u, err := fx.Mul(ctx, mpc.Fixed{r[0], r[0]}, mpc.Fixed{r[1], r[0]})
	if err != nil {
		return err
	}
	st.corrSlope, err = fx.Mul(ctx, mpc.Fixed{st.cov[0], st.cov[0]}, u)
	return err
}

// open reveals cov', corr' and slope' and undoes the scales.
func (st *corrState) open(ctx context.Context) error {
	raw, err := st.p.Open(ctx, mpc.Concat(st.cov, mpc.Share(st.corrSlope)))
	if err != nil {
		return err
	}
	opened := mpc.DecodeFixed(raw, st.f+corrExtraBits)
	r := st.res
	r.Cov = math.Ldexp(opened[0], r.ScaleX+r.ScaleY)
	r.Corr = opened[1]
	r.Slope = math.Ldexp(opened[2], r.ScaleY-r.ScaleX)
	r.Intercept = r.MeanY - r.Slope*r.MeanX
	n := int64(r.N)
	r.Leakage = report.Leakage{
		{To: "all", What: report.InputSize, About: "party 0", Count: n, Note: "rows of x"},
		{To: "all", What: report.InputSize, About: "party 1", Count: n, Note: "rows of y"},
		{To: "all", What: report.Parameters, About: "party 0", Count: 2, Note: "mean of x and the power of two above its standard deviation"},
		{To: "all", What: report.Parameters, About: "party 1", Count: 2, Note: "mean of y and the power of two above its standard deviation"},
		{To: "all", What: report.Output, Count: 3, Note: "covariance, correlation and slope (the intercept follows from them and the means)"},
	}
	return nil
}
