package dp

import (
	"fmt"
	"math"
	"testing"
	"testing/cryptotest"

	"github.com/stretchr/testify/require"
)

// skellamRef is the reference Skellam(lambda, lambda), by convolving Poisson
// probabilities.
func skellamRef(lambda float64) refDist {
	kmax := int(lambda + 40*math.Sqrt(lambda) + 40)
	pm := make([]float64, kmax+1)
	for k := range pm {
		lg, _ := math.Lgamma(float64(k) + 1)
		pm[k] = math.Exp(float64(k)*math.Log(lambda) - lambda - lg)
	}
	return discreteRef(fmt.Sprintf("Skellam(%v)", lambda), kmax, func(d int) float64 {
		if d < 0 {
			d = -d
		}
		s := 0.0
		for k := 0; k+d <= kmax; k++ {
			s += pm[k] * pm[k+d]
		}
		return s
	})
}

func TestSkellamShareDistribution(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1009) // fixed randomness: the checks below are deterministic
	for _, c := range []struct {
		mu      float64
		parties int
	}{{3, 1}, {50, 4}, {2000, 3}} {
		s, err := NewSkellamShare(SkellamShareConfig{Mu: c.mu, Parties: c.parties})
		require.NoError(t, err)
		lambda := s.Lambda()
		require.InDelta(t, c.mu/float64(c.parties), lambda, 0x1p-20)
		xs := toFloats(s.Noise(nSamples))
		// A 20% larger standard deviation is rejected (mu * 1.44).
		requireDist(t, xs, skellamRef(lambda), skellamRef(lambda*1.44))
	}
}

func TestSkellamSharesSumToTarget(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1010) // fixed randomness: the checks below are deterministic
	// n parties' shares sum to Skellam(mu, mu).
	const parties, mu = 5, 40.0
	shares := make([]*SkellamShare, parties)
	for i := range shares {
		var err error
		shares[i], err = NewSkellamShare(SkellamShareConfig{Mu: mu, Parties: parties})
		require.NoError(t, err)
	}
	sum := make([]int64, nSamples)
	for _, s := range shares {
		s.AddNoise(sum)
	}
	requireDist(t, toFloats(sum), skellamRef(mu), skellamRef(mu*1.44))
}

func TestSkellamMinHonest(t *testing.T) {
	s, err := NewSkellamShare(SkellamShareConfig{Mu: 30, Parties: 10, MinHonest: 3})
	require.NoError(t, err)
	require.InDelta(t, 10.0, s.Lambda(), 1e-6)
	require.Equal(t, 3, s.Config().MinHonest)
	s2, err := NewSkellamShare(SkellamShareConfig{Mu: 30, Parties: 10})
	require.NoError(t, err)
	require.Equal(t, 10, s2.Config().MinHonest)
	require.Nil(t, s2.Noise(0))
	for _, p := range []SkellamShareConfig{{Mu: 1, Parties: 0}, {Mu: 1, Parties: 3, MinHonest: 4}, {Mu: 1, Parties: 3, MinHonest: -1},
		{Mu: 0, Parties: 1}, {Mu: math.NaN(), Parties: 1}, {Mu: math.Inf(1), Parties: 1}, {Mu: 1e30, Parties: 1}, {Mu: 1, Parties: 1, Workers: -1}} {
		_, err := NewSkellamShare(p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
	}
}

func TestCalibrateSkellam(t *testing.T) {
	for _, c := range []struct{ eps, delta, l1, l2 float64 }{{1, 1e-5, 1, 1}, {0.5, 1e-6, 10, 3}, {4, 1e-8, 100, 10}} {
		mu, err := CalibrateSkellam(DistributedTarget{Epsilon: c.eps, Delta: c.delta, L1: c.l1, L2: c.l2})
		require.NoError(t, err)
		e, err := SkellamEpsilon(mu, c.delta, c.l1, c.l2)
		require.NoError(t, err)
		require.LessOrEqual(t, e, c.eps)
		e2, _ := SkellamEpsilon(mu*0.999, c.delta, c.l1, c.l2)
		require.Greater(t, e2, c.eps, "calibration is tight")
		// Skellam needs at least the variance of a Gaussian with the same RDP
		// leading term: 2 mu >= z^2 l2^2 where the Gaussian's own RDP-calibrated
		// noise multiplier z satisfies the same target.
		zg, err := bisectUp(func(z float64) bool {
			e, err := curveEpsilon(func(a float64) float64 { return GaussianRDP(a, z) }, c.delta)
			return err == nil && e <= c.eps
		}, 1)
		require.NoError(t, err)
		require.GreaterOrEqual(t, 2*mu, zg*zg*c.l2*c.l2*(1-1e-6))
	}
	// Known value of the bound: the first term alone is the Gaussian RDP of
	// variance 2 mu.
	require.InDelta(t, GaussianRDP(5, math.Sqrt(2*100.0))+math.Min((9+6*3.0)/(4*200.0*200), 9/(400.0)), SkellamRDP(5, 100, 3, 1), 1e-15)
	require.True(t, math.IsInf(SkellamRDP(2.5, 1, 1, 1), 1))
	for _, bad := range [][4]float64{{0, 1e-5, 1, 1}, {1, 0, 1, 1}, {1, 1, 1, 1}, {1, 1e-5, 0, 1}, {1, 1e-5, 1, math.NaN()}} {
		_, err := CalibrateSkellam(DistributedTarget{Epsilon: bad[0], Delta: bad[1], L1: bad[2], L2: bad[3]})
		require.ErrorIs(t, err, ErrInvalidParams, "%v", bad)
	}
}

func TestSkellamShareFromCalibration(t *testing.T) {
	mu, err := CalibrateSkellam(DistributedTarget{Epsilon: 1, Delta: 1e-6, L1: 16, L2: 8})
	require.NoError(t, err)
	// Dim and Honest do not change the Skellam calibration.
	mu2, err := CalibrateSkellam(DistributedTarget{Epsilon: 1, Delta: 1e-6, L1: 16, L2: 8, Dim: 100, Honest: 3})
	require.NoError(t, err)
	require.Equal(t, mu, mu2)
	s, err := NewSkellamShare(SkellamShareConfig{Mu: mu, Parties: 10, MinHonest: 4})
	require.NoError(t, err)
	require.Equal(t, SkellamShareConfig{Mu: mu, Parties: 10, MinHonest: 4}, s.Config())
	// Four honest shares alone carry Skellam(mu, mu).
	require.GreaterOrEqual(t, 4*s.Lambda(), mu)
	_, err = NewSkellamShare(SkellamShareConfig{Mu: mu, Parties: 10, MinHonest: 11})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = CalibrateSkellam(DistributedTarget{Epsilon: -1, Delta: 1e-6, L1: 16, L2: 8})
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestDistributedDiscreteGaussian(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1011) // fixed randomness: the checks below are deterministic
	// With large local sigma, tau vanishes and the bound is the Gaussian RDP of
	// the summed variance.
	r := DistributedDiscreteGaussianRDP(4, 10, 9, 100, 30, 3)
	require.InEpsilon(t, GaussianRDP(4, 30/3.0), r, 1e-12)
	// With tiny sigma, tau matters.
	require.Greater(t, DistributedDiscreteGaussianRDP(4, 0.3, 9, 100, 30, 3), GaussianRDP(4, 0.9/3))
	s, err := CalibrateDistributedDiscreteGaussian(DistributedTarget{Epsilon: 1, Delta: 1e-5, L1: 10, L2: 2, Dim: 16, Honest: 8})
	require.NoError(t, err)
	e, _ := curveEpsilon(func(a float64) float64 { return DistributedDiscreteGaussianRDP(a, s, 8, 16, 10, 2) }, 1e-5)
	require.LessOrEqual(t, e, 1.0)
	_, err = CalibrateDistributedDiscreteGaussian(DistributedTarget{Epsilon: 1, Delta: 1e-5, L1: 10, L2: 2, Dim: 0, Honest: 8})
	require.ErrorIs(t, err, ErrInvalidParams)

	// Shares: each is N_Z(0, s^2); the sum of n is close to N_Z(0, n s^2).
	const parties = 4
	sum := make([]int64, nSamples)
	for i := 0; i < parties; i++ {
		sh, err := NewDiscreteGaussianShare(DiscreteGaussianShareConfig{LocalSigma: 2.5, Parties: parties,
			Target: DistributedTarget{Epsilon: 1, Delta: 1e-5, L1: 1, L2: 1, Dim: 1}})
		require.NoError(t, err)
		require.Equal(t, parties, sh.Config().MinHonest)
		if i == 0 {
			one := sh.Noise(nSamples)
			requireDist(t, toFloats(one), discreteGaussRef(2.5), discreteGaussRef(3))
			for j := range sum {
				sum[j] += one[j]
			}
			continue
		}
		sh.AddNoise(sum)
	}
	requireDist(t, toFloats(sum), discreteGaussRef(5), discreteGaussRef(6))
	_, err = NewDiscreteGaussianShare(DiscreteGaussianShareConfig{LocalSigma: 0, Parties: 2})
	require.ErrorIs(t, err, ErrInvalidParams, "no target")
	_, err = NewDiscreteGaussianShare(DiscreteGaussianShareConfig{LocalSigma: 1, Parties: 2, MinHonest: 3})
	require.ErrorIs(t, err, ErrInvalidParams)
}

// F3: MinHonest has Skellam's semantics. The review's case: sigma 1.2793,
// calibrated for 10 honest parties, was accepted with MinHonest 3 (real
// epsilon 1.94); it is refused now, and the calibration for 3 gives the
// review's 2.3356.
func TestDiscreteGaussianShareMinHonest(t *testing.T) {
	target := DistributedTarget{Epsilon: 1, Delta: 1e-5, L1: 1, L2: 1, Dim: 1}
	_, err := NewDiscreteGaussianShare(DiscreteGaussianShareConfig{Target: target, LocalSigma: 1.2793, Parties: 10, MinHonest: 3})
	require.ErrorIs(t, err, ErrInvalidParams)
	sh, err := NewDiscreteGaussianShare(DiscreteGaussianShareConfig{Target: target, Parties: 10, MinHonest: 3})
	require.NoError(t, err)
	require.InDelta(t, 2.3356, sh.Config().LocalSigma, 1e-4)
	require.Equal(t, 3, sh.Config().Target.Honest)
	ok, err := NewDiscreteGaussianShare(DiscreteGaussianShareConfig{Target: target, LocalSigma: 1.2794, Parties: 10, MinHonest: 10})
	require.NoError(t, err)
	require.Equal(t, 1.2794, ok.Config().LocalSigma)
	target.Honest = 4
	_, err = NewDiscreteGaussianShare(DiscreteGaussianShareConfig{Target: target, Parties: 10, MinHonest: 3})
	require.ErrorIs(t, err, ErrInvalidParams, "Target.Honest differs from MinHonest")
	// F10: the theorem's range sigma >= 1/2.
	for _, c := range []struct {
		eps    float64
		honest int
	}{{10, 2}, {20, 4}} {
		s, err := CalibrateDistributedDiscreteGaussian(DistributedTarget{Epsilon: c.eps, Delta: 1e-5, L1: 1, L2: 1, Dim: 1, Honest: c.honest})
		require.NoError(t, err)
		require.Equal(t, MinLocalSigma, s) // 0.433 and 0.286 before
	}
	_, err = NewDiscreteGaussianShare(DiscreteGaussianShareConfig{Target: DistributedTarget{Epsilon: 10, Delta: 1e-5, L1: 1, L2: 1, Dim: 1},
		LocalSigma: 0.45, Parties: 2})
	require.ErrorIs(t, err, ErrInvalidParams)
}
