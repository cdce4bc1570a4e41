package dp

import (
	"fmt"
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
)

func geomRef(r float64) refDist {
	rho := (r - 1) / r
	kmax := int(60*r) + 60
	return discreteRef(fmt.Sprintf("Geom(%v)", r), kmax, func(k int) float64 {
		if k < 0 {
			return 0
		}
		return math.Pow(rho, float64(k))
	})
}

func TestGeometricRational(t *testing.T) {
	p, err := testRNG(t, "geom")
	require.NoError(t, err)
	for _, r := range []uint64{2, 8, 9, 31, 33, 100, 5000} {
		xs := make([]float64, nSamples)
		for i := range xs {
			xs[i] = float64(p.geometricRational(r))
		}
		requireDist(t, xs, geomRef(float64(r)), geomRef(1.2*float64(r)))
	}
}

func TestLazyUniform(t *testing.T) {
	// V < x decided digit by digit agrees with the first digits drawn.
	p, err := testRNG(t, "lazy")
	require.NoError(t, err)
	n := 20000
	hits := 0
	x := big.NewRat(1, 3)
	for i := 0; i < n; i++ {
		l := &lazyUniform{p: p, v: big.NewInt(0), n: 0}
		first := l.less(x)
		if first {
			hits++
		}
		// The same V gives the same answers, and is consistent across points.
		require.Equal(t, first, l.less(x))
		if first {
			require.True(t, l.less(big.NewRat(1, 2)))
		}
	}
	require.InDelta(t, 1.0/3, float64(hits)/float64(n), ksThreshold(n))
	// The exact path of geometricRational: a V that sits on a boundary
	// (a = 0 forces large J) is resolved consistently.
	l := &lazyUniform{p: p, v: big.NewInt(1), n: 2} // V in [1/4, 1/2)
	require.True(t, l.less(big.NewRat(1, 2)))
	require.False(t, l.less(big.NewRat(1, 4)))
	require.Equal(t, 8.0, powFloat(2, 3))
}

// less compares V with an exact rational through lessApprox.
func (l *lazyUniform) less(x *big.Rat) bool {
	return l.lessApprox(func(prec uint) (*big.Float, *big.Float) {
		f := new(big.Float).SetPrec(prec).SetRat(x)
		return f, errBound(1, prec)
	})
}

func TestBernProductExactMatchesFast(t *testing.T) {
	// The exact path of the Poisson acceptance test gives the same
	// probability as the float path.
	ps, err := newPoisson(1000.5)
	require.NoError(t, err)
	p, err := testRNG(t, "bpe")
	require.NoError(t, err)
	segs := []factorSeg{{ps.jPlus + 1, ps.jPlus + 40, segG}, {0, ps.jMinus - 1, segInvH}}
	want := 1.0
	for _, s := range segs {
		for i := s.from; i <= s.to; i++ {
			want *= ps.factorFloat(s.kind, i)
		}
	}
	n := 20000
	hitsExact, hitsFast := 0, 0
	for i := 0; i < n; i++ {
		if p.bernProductExact(ps, segs, p.uint64()>>11) {
			hitsExact++
		}
		if p.bernProduct(ps, segs) {
			hitsFast++
		}
	}
	require.InDelta(t, want, float64(hitsExact)/float64(n), ksThreshold(n))
	require.InDelta(t, want, float64(hitsFast)/float64(n), ksThreshold(n))
}

func TestGeometricExactPath(t *testing.T) {
	p, err := testRNG(t, "geom-exact")
	require.NoError(t, err)
	// rho = 63/64 = 63 * 2^47 / 2^53 exactly: V sits on the boundary
	// rho^1, which the float bounds cannot settle.
	rho53 := uint64(63) << 47
	for i := 0; i < 20; i++ {
		require.Equal(t, uint64(0), p.geometricFrom(64, rho53))   // V >= rho: J = 0
		require.Equal(t, uint64(1), p.geometricFrom(64, rho53-1)) // rho^2 <= V < rho: J = 1
	}
}
