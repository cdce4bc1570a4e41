package he

import (
	"context"
	"math"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/dp"
)

func noiseCfg(t *testing.T, parties, honest int, eps, delta float64) NoiseConfig {
	t.Helper()
	acct, err := dp.NewAccountant(100, 0.5)
	require.NoError(t, err)
	return NoiseConfig{Epsilon: eps, Delta: delta, MaxAbs: []int64{1000, 1000}, Sensitivity: []int64{8, 8},
		Parties: parties, MinHonest: honest, Budget: acct}
}

// accountedNoise is the Noise of noiseCfg(t, 3, 2, 1, 1e-6) spending from
// a fresh accountant of budget (eps, delta), returned with it.
func accountedNoise(t *testing.T, eps, delta float64) (*Noise, *dp.Accountant) {
	t.Helper()
	acct, err := dp.NewAccountant(eps, delta)
	require.NoError(t, err)
	cfg := noiseCfg(t, 3, 2, 1, 1e-6)
	cfg.Budget = acct
	n, err := NewNoise(cfg)
	require.NoError(t, err)
	return n, acct
}

// varianceWithin is the test behind the distribution checks: the sample
// variance of m draws of the total noise, against want. For m = 20000 its
// relative standard deviation is sqrt((2 + excess kurtosis)/m) <= 0.0101
// (the excess kurtosis of these sums is below 0.05), so a tolerance of
// 4.5% fails a correct sampler with probability below 1e-5 (4.4 sigma,
// two-sided), and a 5% scale error (variance off by -9.75% or +10.25%) is
// missed with probability below 1e-6 (5.2 sigma from the tolerance).
func varianceWithin(t *testing.T, total func() float64, want float64, what string) {
	t.Helper()
	const m = 20000
	var s, s2 float64
	for range m {
		x := total()
		s += x
		s2 += x * x
	}
	mean := s / m
	v := (s2 - m*mean*mean) / (m - 1)
	assert.InDelta(t, 0, mean, 5*math.Sqrt(want/m), "%s: mean", what)
	assert.InEpsilon(t, want, v, 0.045, "%s: variance %.4g, want %.4g", what, v, want)
}

// The sum of the shares the clients add (through addShare, what RunSpoke
// calls) is distributed as the calibrated noise: Skellam(P mu/h, P mu/h)
// for P present parties when the shares are sized for h honest ones, and
// the distributed discrete Gaussian of variance P sigma^2. The references
// are dp's calibrations, called here on their own. Mutation tried: shares
// sized for all parties (mu/Parties instead of mu/MinHonest) fails the
// Skellam case (variance half of the calibrated one with 4 parties, 2
// honest).
func TestNoiseShareDistribution(t *testing.T) {
	const parties, honest = 4, 2
	cases := []struct {
		name string
		mech NoiseMechanism
		want func(t *testing.T) float64
	}{
		{"skellam", Skellam, func(t *testing.T) float64 {
			mu, err := dp.CalibrateSkellam(dp.DistributedTarget{Epsilon: 1, Delta: 1e-6, L1: 16, L2: 8 * math.Sqrt2})
			require.NoError(t, err)
			return 2 * mu * parties / honest
		}},
		{"ddg", DistributedGaussian, func(t *testing.T) float64 {
			s, err := dp.CalibrateDistributedDiscreteGaussian(dp.DistributedTarget{Epsilon: 1, Delta: 1e-6, L1: 16, L2: 8 * math.Sqrt2, Dim: 2, Honest: honest})
			require.NoError(t, err)
			return parties * s * s
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cryptotest.SetGlobalRandom(t, 15) // reproducible; the rates above hold for any seed
			cfg := noiseCfg(t, parties, honest, 1, 1e-6)
			cfg.Mechanism = c.mech
			n, err := NewNoise(cfg)
			require.NoError(t, err)
			want := c.want(t)
			assert.InEpsilon(t, want*honest/parties, n.Scale()[0]*n.Scale()[0], 1e-9, "Scale is the calibrated noise of MinHonest shares")
			zero := []int64{0, 0}
			for k := range 2 {
				varianceWithin(t, func() float64 {
					var tot int64
					for range parties {
						v, err := n.addShare(zero)
						require.NoError(t, err)
						tot += v[k]
					}
					return float64(tot)
				}, want, c.name)
			}
		})
	}
}

// Several sensitivities are calibrated together (the RDP curves add): the
// composed epsilon meets the target, 1% less noise does not, and with one
// sensitivity the bisection agrees with dp.CalibrateSkellam.
func TestNoiseCalibrationGroups(t *testing.T) {
	cfg := noiseCfg(t, 3, 3, 0.5, 1e-6)
	cfg.MaxAbs, cfg.Sensitivity = []int64{10, 10, 10}, []int64{1, 100, 10000}
	n, err := NewNoise(cfg)
	require.NoError(t, err)
	gs := n.groups()
	require.Len(t, gs, 3)
	sd := n.Scale()[2] // sqrt(2 mu) for Skellam, mu = c s^2
	c := sd * sd / 2 / (1e4 * 1e4)
	assert.LessOrEqual(t, groupsEpsilon(n.cfg, gs, c), 0.5)
	assert.Greater(t, groupsEpsilon(n.cfg, gs, c*0.99), 0.5)
	one := NoiseConfig{Epsilon: 0.5, Delta: 1e-6, Sensitivity: []int64{7}, MinHonest: 3}
	g := []noiseGroup{{sens: 7, dims: []int{0}}}
	cg, err := calibrateGroups(one, g)
	require.NoError(t, err)
	mu, err := dp.CalibrateSkellam(dp.DistributedTarget{Epsilon: 0.5, Delta: 1e-6, L1: 7, L2: 7})
	require.NoError(t, err)
	assert.InEpsilon(t, mu, cg*49, 1e-8)
}

// The tail bound: a Skellam share beyond it has probability below beta
// (checked against the exact Skellam tail by summing the pmf), and the
// bound is not loose by more than a few standard deviations.
func TestNoiseSkellamTail(t *testing.T) {
	lambda, beta := 50.0, 1e-9
	tb := skellamTail(lambda, beta)
	// P(|X| >= t) for X = Poisson(l) - Poisson(l), exactly.
	pois := make([]float64, 1000)
	for k := range pois {
		lg, _ := math.Lgamma(float64(k) + 1)
		pois[k] = math.Exp(-lambda + float64(k)*math.Log(lambda) - lg)
	}
	tail := func(t int64) float64 {
		var p float64
		for a := range pois {
			for b := range pois {
				if d := int64(a - b); d >= t || -d >= t {
					p += pois[a] * pois[b]
				}
			}
		}
		return p
	}
	assert.LessOrEqual(t, tail(tb), beta)
	assert.Greater(t, tail(tb-15), beta, "the Chernoff bound %d is within 15 of the exact quantile", tb)
}

// A declared range that Parties noisy vectors cannot sum in the plaintext
// space is refused by NewParams; the Config from Noise carries the range
// plus the tail, and the round checks that the Params hold it.
func TestNoiseOverflowRefused(t *testing.T) {
	cfg := noiseCfg(t, 3, 3, 1, 1e-6)
	cfg.MaxAbs = []int64{1 << 40, 10}
	n, err := NewNoise(cfg)
	require.NoError(t, err)
	_, err = NewParams(n.Config(Config{Preset: IntLogN13, KeyHolders: 3}))
	require.ErrorIs(t, err, ErrOutOfRange)
	cfg.MaxAbs = []int64{1000, 10}
	n, err = NewNoise(cfg)
	require.NoError(t, err)
	hc := n.Config(Config{Preset: IntLogN13, KeyHolders: 3})
	assert.Equal(t, 1000+n.TailBound()[0], hc.Bound)
	assert.Equal(t, int64(3), hc.MaxWeight)
	p, err := NewParams(hc)
	require.NoError(t, err)
	small, err := NewParams(Config{Preset: IntLogN13, KeyHolders: 3, Bound: 1000, MaxWeight: 3})
	require.NoError(t, err)
	_, err = Round{SemiHonestContributions: true, Noise: n}.resolve(small, 4)
	require.ErrorIs(t, err, ErrMismatch, "Params without room for the noise")
	_, err = Round{SemiHonestContributions: true, Noise: n, Clients: []int{1, 2}}.resolve(p, 4)
	require.ErrorIs(t, err, ErrMismatch, "2 clients, noise for 3")
	// A value outside the declared range is refused before any noise.
	_, err = n.addShare([]int64{1001, 0})
	require.ErrorIs(t, err, ErrOutOfRange)
	// MinHonest above Parties, no budget: refused.
	bad := cfg
	bad.MinHonest = 4
	_, err = NewNoise(bad)
	require.ErrorIs(t, err, ErrInvalidParams)
	bad = cfg
	bad.Budget = nil
	_, err = NewNoise(bad)
	require.ErrorIs(t, err, ErrInvalidParams)
}

// A noisy round end to end: the result is the exact sum plus noise (not
// equal to it, within the tail bounds of the counted shares); the budget is
// spent once for the whole round, and a second round with the same Noise
// is refused without running.
func TestNoiseRound(t *testing.T) {
	n, acct := accountedNoise(t, 1, 1e-6)
	p, err := NewParams(n.Config(Config{Preset: IntLogN13, KeyHolders: 3}))
	require.NoError(t, err)
	inputs := map[int]SpokeInput{1: {Ints: []int64{10, -5}}, 2: {Ints: []int64{20, 0}}, 3: {Ints: []int64{30, 1000}}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	round := Round{SemiHonestContributions: true, Noise: n}
	res, err := RunInProcess(ctx, memStar(t, 4), p, round, inputs)
	require.NoError(t, err)
	require.Len(t, res.Ints, 2)
	exact := []int64{60, 995}
	assert.NotEqual(t, exact, res.Ints, "noise was added (sd %.0f per coordinate)", n.Scale()[0])
	for k := range 2 {
		assert.LessOrEqual(t, abs64(res.Ints[k]-exact[k]), 3*n.TailBound()[k])
	}
	eps, delta := acct.Spent()
	assert.Equal(t, 1.0, eps)
	assert.Equal(t, 1e-6, delta)
	_, err = RunInProcess(ctx, memStar(t, 4), p, round, inputs)
	require.ErrorIs(t, err, dp.ErrBudgetExceeded)
	// A fresh Noise on the spent accountant: refused too.
	n2, err := NewNoise(n.NoiseConfig())
	require.NoError(t, err)
	_, err = RunInProcess(ctx, memStar(t, 4), p, Round{SemiHonestContributions: true, Noise: n2}, inputs)
	require.ErrorIs(t, err, dp.ErrBudgetExceeded)
}

// Outside RunInProcess every party runs with its own Noise and spends the
// guarantee from its own budget, once, before it draws or learns anything:
// after a round of RunHub and RunSpoke each party's accountant holds one
// spend, and a second run with the same Noise is refused before it talks
// to anyone.
//
// Mutation checked: without the spendNoise call of RunHub and RunSpoke
// (RunInProcess spends for them, so every other test passed) the
// accountants stay empty and this test fails.
func TestNoiseEachPartySpends(t *testing.T) {
	const parties = 3 // accountedNoise's
	accts := make([]*dp.Accountant, parties+1)
	noises := make([]*Noise, parties+1)
	for i := range accts {
		noises[i], accts[i] = accountedNoise(t, 1, 1e-6)
	}
	p, err := NewParams(noises[0].Config(Config{Preset: IntLogN13, KeyHolders: parties}))
	require.NoError(t, err)
	star := memStar(t, parties+1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, parties)
	for j := 1; j <= parties; j++ {
		go func() {
			_, err := RunSpoke(ctx, star[j], p, Round{SemiHonestContributions: true, Noise: noises[j]}, SpokeInput{Ints: []int64{int64(j), 0}})
			done <- err
		}()
	}
	res, err := RunHub(ctx, star[0], p, Round{SemiHonestContributions: true, Noise: noises[0]})
	require.NoError(t, err)
	require.Len(t, res.Ints, 2)
	for range parties {
		require.NoError(t, <-done)
	}
	for i, a := range accts {
		eps, delta := a.Spent()
		assert.Equal(t, 1.0, eps, "party %d", i)
		assert.Equal(t, 1e-6, delta, "party %d", i)
	}
	// Refused before any message: a short deadline bounds a run that is not.
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = RunHub(ctx, star[0], p, Round{SemiHonestContributions: true, Noise: noises[0]})
	require.ErrorIs(t, err, dp.ErrBudgetExceeded)
	_, err = RunSpoke(ctx, star[1], p, Round{SemiHonestContributions: true, Noise: noises[1]}, SpokeInput{Ints: []int64{1, 0}})
	require.ErrorIs(t, err, dp.ErrBudgetExceeded)
}

// A Noise serves one round even when its budget could pay for more: its
// shares are drawn for one release, and a second spend is refused
// (ErrAlreadyReleased) without touching the budget.
func TestNoiseServesOneRound(t *testing.T) {
	n, acct := accountedNoise(t, 10, 1e-3)
	require.NoError(t, n.spend())
	require.ErrorIs(t, n.spend(), dp.ErrAlreadyReleased)
	eps, _ := acct.Spent()
	assert.Equal(t, 1.0, eps, "spent once")
}

// Dropouts: with fewer counted clients than MinHonest the hub refuses to
// decrypt (the sum would carry too few shares); with MinHonest counted it
// decrypts. Mutation tried: removing the hub's check lets the first case
// decrypt, and the test fails.
func TestNoiseTooFewShares(t *testing.T) {
	for _, tc := range []struct {
		crashed int
		ok      bool
	}{{2, false}, {1, true}} {
		cfg := noiseCfg(t, 3, 2, 1, 1e-6)
		n, err := NewNoise(cfg)
		require.NoError(t, err)
		p, err := NewParams(n.Config(Config{Preset: IntLogN13, KeyHolders: 2}))
		require.NoError(t, err)
		star := memStar(t, 6)
		for j := 3; j < 3+tc.crashed; j++ {
			silentAfter(star, j, 0)
		}
		round := Round{SemiHonestContributions: true, Noise: n, Holders: []int{1, 2}, Clients: []int{3, 4, 5}, CollectWindow: time.Second}
		inputs := map[int]SpokeInput{3: {Ints: []int64{1, 1}}, 4: {Ints: []int64{2, 2}}, 5: {Ints: []int64{3, 3}}}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := RunInProcess(ctx, star, p, round, inputs)
		cancel()
		if tc.ok {
			require.NoError(t, err)
			assert.Len(t, res.Counted, 2)
			continue
		}
		require.ErrorIs(t, err, ErrTooFewShares)
		assert.Nil(t, res.Ints, "nothing decrypted")
	}
}

// NewNoise on any declaration: a clear error or a Noise whose bounds hold
// (never a panic, a negative tail or an overflowing bound).
func FuzzNewNoise(f *testing.F) {
	f.Add(uint8(1), 1.0, 1e-6, int64(1000), int64(8), 3, 2, 0.0)
	f.Add(uint8(2), 1e9, 0.5, int64(1<<62), int64(1<<40), 1, 0, 1e-300)
	f.Add(uint8(0), 1e-300, 1e-300, int64(-1), int64(0), 0, 5, math.NaN())
	acct, err := dp.NewAccountant(1, 0.5)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, mech uint8, eps, delta float64, maxAbs, sens int64, parties, honest int, fail float64) {
		if parties > 64 {
			parties %= 64 // keep each run short
		}
		n, err := NewNoise(NoiseConfig{Mechanism: NoiseMechanism(mech), Epsilon: eps, Delta: delta, MaxAbs: []int64{maxAbs, 1},
			Sensitivity: []int64{sens, 1}, Parties: parties, MinHonest: honest, FailureProbability: fail, Budget: acct})
		if err != nil {
			return
		}
		for k, tb := range n.TailBound() {
			require.GreaterOrEqual(t, tb, int64(0))
			require.GreaterOrEqual(t, n.Config(Config{}).Bound, n.cfg.MaxAbs[k]+tb)
		}
	})
}

// On the verified path a key holder counts the contributions it verified
// itself and refuses a decryption share for fewer than MinHonest, so a hub
// that skips its own check still gets nothing. Mutation tried: without the
// holder's check the request goes on to decryption (and fails later for
// another reason), and the test fails.
func TestNoiseHolderRefusesTooFew(t *testing.T) {
	n, err := NewNoise(noiseCfg(t, 3, 2, 1, 1e-6))
	require.NoError(t, err)
	p, err := NewParams(n.Config(Config{Preset: IntLogN13, KeyHolders: 2}))
	require.NoError(t, err)
	kh, err := p.NewKeyHolder(0)
	require.NoError(t, err)
	ss := &spokeState{p: p, r: Round{Noise: n}, kh: kh, vclient: map[int]bool{3: true}}
	err = ss.share(&decryptMsg{})
	require.ErrorIs(t, err, ErrTooFewShares)
}

// The default, verified path with noise: every client proves its noisy
// vector well formed (within the Bound the Noise derived), the key holders
// verify and count, and the result carries the noise.
func TestNoiseVerifiedRound(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("a LogN 14 round with proofs (TestRunVerified covers the path under -race)")
	}
	n, err := NewNoise(noiseCfg(t, 2, 2, 1, 1e-6))
	require.NoError(t, err)
	p, err := NewParams(n.Config(Config{Preset: IntLogN14, KeyHolders: 2, MaxValues: 1 << 14, VerifiedContributions: true}))
	require.NoError(t, err)
	inputs := map[int]SpokeInput{1: {Ints: []int64{5, -7}}, 2: {Ints: []int64{1000, 1000}}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := RunInProcess(ctx, memStar(t, 3), p, Round{Noise: n}, inputs)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, res.Counted)
	exact := []int64{1005, 993}
	assert.NotEqual(t, exact, res.Ints)
	for k := range 2 {
		assert.LessOrEqual(t, abs64(res.Ints[k]-exact[k]), 2*n.TailBound()[k])
	}
}
