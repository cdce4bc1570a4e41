package dp

import (
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGaussianRDPClosedForm(t *testing.T) {
	// RDP of the Gaussian mechanism is alpha * Delta^2 / (2 sigma^2).
	for _, c := range []struct{ alpha, z float64 }{{2, 1}, {10, 3}, {1.5, 0.7}} {
		require.InDelta(t, c.alpha/(2*c.z*c.z), GaussianRDP(c.alpha, c.z), 1e-15)
	}
	// Subsampling at q = 1 is the plain Gaussian.
	require.InDelta(t, GaussianRDP(7, 1.3), SubsampledGaussianRDP(7, 1, 1.3), 1e-12)
	require.InDelta(t, GaussianRDP(7, 1.3), SubsampledGaussianRDP(7, 1-1e-15, 1.3), 1e-9)
}

func TestSubsampledGaussianRDPKnown(t *testing.T) {
	for _, c := range []struct{ q, z float64 }{{0.01, 1.1}, {0.1, 0.8}, {0.5, 2}} {
		// alpha = 2: log(1 + q^2 (e^{1/z^2} - 1)).
		want2 := math.Log1p(c.q * c.q * math.Expm1(1/(c.z*c.z)))
		require.InEpsilon(t, want2, SubsampledGaussianRDP(2, c.q, c.z), 1e-10)
		// alpha = 3: expand the binomial sum by hand.
		q, e1, e3 := c.q, math.Exp(1/(c.z*c.z)), math.Exp(3/(c.z*c.z))
		a3 := math.Pow(1-q, 3) + 3*(1-q)*(1-q)*q + 3*(1-q)*q*q*e1 + q*q*q*e3
		require.InEpsilon(t, math.Log(a3)/2, SubsampledGaussianRDP(3, c.q, c.z), 1e-10)
		// Amplification: never above the unsampled mechanism.
		for _, a := range []float64{2, 5, 32} {
			require.LessOrEqual(t, SubsampledGaussianRDP(a, c.q, c.z), GaussianRDP(a, c.z)+1e-12)
		}
	}
	require.True(t, math.IsInf(SubsampledGaussianRDP(2.5, 0.1, 1), 1))
	require.Zero(t, SubsampledGaussianRDP(4, 0, 1))
}

func TestLaplaceRDPKnown(t *testing.T) {
	// Reference: numerical integration of the Rényi divergence between
	// Laplace(0, b) and Laplace(1, b) with mpmath (40 digits).
	kat := []struct{ ratio, alpha, want float64 }{
		{1, 2, 0.61912362999859288}, {1, 3, 0.74682814106896983}, {1, 1.5, 0.5128835112945086},
		{0.5, 2, 1.5957735005876178}, {0.5, 3, 1.744602321197913}, {0.5, 1.5, 1.4368091584145995},
		{3, 2, 0.096715848723474724}, {3, 3, 0.13721945926833131}, {3, 1.5, 0.073922815259031187},
	}
	for _, c := range kat {
		require.InEpsilon(t, c.want, LaplaceRDP(c.alpha, c.ratio), 1e-12, "%v", c)
	}
	// Tends to epsilon = 1/ratio as alpha grows, from below.
	require.InDelta(t, 2.0, LaplaceRDP(1e6, 0.5), 1e-5)
	require.LessOrEqual(t, LaplaceRDP(1e6, 0.5), 2.0)
	require.False(t, math.IsInf(LaplaceRDP(1024, 0.001), 0))
}

func TestZCDPToDPKnown(t *testing.T) {
	// Reference: the same conversion minimised over alpha by mpmath.
	kat := []struct{ rho, delta, want float64 }{
		{0.5, 1e-6, 5.2215344445301691}, {0.01, 1e-5, 0.5457255482740024}, {2, 1e-9, 14.150147553874597},
	}
	for _, c := range kat {
		e, err := ZCDPToDP(c.rho, c.delta)
		require.NoError(t, err)
		require.InEpsilon(t, c.want, e, 1e-9)
		require.Less(t, e, c.rho+2*math.Sqrt(c.rho*math.Log(1/c.delta)))
	}
	e, err := ZCDPToDP(0, 1e-5)
	require.NoError(t, err)
	require.Zero(t, e)
	_, err = ZCDPToDP(-1, 1e-5)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = ZCDPToDP(1, 0)
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestRDPAccountant(t *testing.T) {
	a := NewRDPAccountant()
	require.NoError(t, a.AddGaussian(1, 1))
	e1, err := a.Epsilon(1e-5)
	require.NoError(t, err)
	// One Gaussian with z = 1 is rho = 1/2 zCDP: the same conversion over a
	// grid of orders is close to the continuous optimum.
	ez, _ := ZCDPToDP(0.5, 1e-5)
	require.InDelta(t, ez, e1, 0.05)
	require.GreaterOrEqual(t, e1, ez-1e-12)
	// k compositions of Gaussian z equal one of z/sqrt(k).
	b := NewRDPAccountant()
	require.NoError(t, b.AddGaussian(4, 16))
	eb, _ := b.Epsilon(1e-5)
	require.InDelta(t, e1, eb, 1e-9)
	// Concurrent adds (run with -race).
	c := NewRDPAccountant()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 25; j++ {
				_ = c.AddSubsampledGaussian(0.01, 1.1, 10)
				_ = c.AddLaplace(10, 1)
			}
		}()
	}
	wg.Wait()
	d := NewRDPAccountant()
	require.NoError(t, d.AddSubsampledGaussian(0.01, 1.1, 1000))
	require.NoError(t, d.AddLaplace(10, 100))
	ec, _ := c.Epsilon(1e-5)
	ed, _ := d.Epsilon(1e-5)
	require.InDelta(t, ed, ec, 1e-9)
	// DP-SGD with q = 0.01, z = 1.1, 1000 steps: amplification makes it far
	// cheaper than 1000 unsampled steps.
	e := NewRDPAccountant()
	require.NoError(t, e.AddSubsampledGaussian(0.01, 1.1, 1000))
	es, _ := e.Epsilon(1e-5)
	require.Less(t, es, 5.0)
	require.Greater(t, es, 0.5)
	// Invalid inputs.
	require.ErrorIs(t, a.AddGaussian(0, 1), ErrInvalidParams)
	require.ErrorIs(t, a.AddGaussian(1, -1), ErrInvalidParams)
	require.ErrorIs(t, a.AddSubsampledGaussian(1.5, 1, 1), ErrInvalidParams)
	require.ErrorIs(t, a.AddLaplace(math.NaN(), 1), ErrInvalidParams)
	_, err = a.Epsilon(0)
	require.ErrorIs(t, err, ErrInvalidParams)
	require.Contains(t, a.String(), "RDPAccountant")
}

func TestZCDPAccountant(t *testing.T) {
	var z ZCDPAccountant
	require.NoError(t, z.AddGaussian(2)) // rho = 1/8
	require.NoError(t, z.AddPureDP(0.5)) // rho = 1/8
	require.NoError(t, z.AddRho(0.25))
	require.InDelta(t, 0.5, z.Rho(), 1e-15)
	e, err := z.Epsilon(1e-6)
	require.NoError(t, err)
	require.InEpsilon(t, 5.2215344445301691, e, 1e-9)
	require.ErrorIs(t, z.AddRho(-1), ErrInvalidParams)
	require.ErrorIs(t, z.AddPureDP(0), ErrInvalidParams)
}

func TestAdvancedComposition(t *testing.T) {
	// k = 100, eps = 0.1: sqrt(200 ln(1e5)) * 0.1 + 100*0.1*(e^0.1 - 1).
	e, d, err := AdvancedComposition(0.1, 1e-7, 100, 1e-5)
	require.NoError(t, err)
	want := math.Sqrt(200*math.Log(1e5))*0.1 + 10*(math.Exp(0.1)-1)
	require.InDelta(t, want, e, 1e-12)
	require.InDelta(t, 100*1e-7+1e-5, d, 1e-18)
	require.Less(t, e, 10.0) // better than basic composition
	// When basic composition is better, it is returned.
	e, d, err = AdvancedComposition(1, 0, 2, 1e-5)
	require.NoError(t, err)
	require.Equal(t, 2.0, e)
	require.Zero(t, d)
	_, _, err = AdvancedComposition(1, 0, 0, 1e-5)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, _, err = AdvancedComposition(1, 0, 5, 0)
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestRDPToDP(t *testing.T) {
	// Never worse than Mironov's conversion.
	orders := []float64{2, 4, 8, 16, 32}
	rdp := make([]float64, len(orders))
	for i, a := range orders {
		rdp[i] = GaussianRDP(a, 3)
	}
	e, best, err := RDPToDP(orders, rdp, 1e-5)
	require.NoError(t, err)
	mironov := math.Inf(1)
	for i, a := range orders {
		mironov = math.Min(mironov, rdp[i]+math.Log(1e5)/(a-1))
	}
	require.LessOrEqual(t, e, mironov)
	require.Contains(t, orders, best)
	_, _, err = RDPToDP(orders, rdp[:2], 1e-5)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, _, err = RDPToDP([]float64{1}, []float64{1}, 1e-5)
	require.ErrorIs(t, err, ErrInvalidParams)
}
