package he

import (
	"math"
	"math/big"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/hefloat"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// secretCoeffs returns the coefficients of a secret key (centred).
func secretCoeffs(p *Params, sk *rlwe.SecretKey) []int64 {
	r := p.rlwe.RingQ().AtLevel(0)
	c := r.NewPoly()
	c.CopyLvl(0, sk.Value.Q)
	r.IMForm(c, c)
	r.INTT(c, c)
	q := r.ModuliChain()[0]
	out := make([]int64, p.rlwe.N())
	for j, v := range c.Coeffs[0] {
		if v > q/2 {
			out[j] = int64(v) - int64(q)
		} else {
			out[j] = int64(v)
		}
	}
	return out
}

// constPoly returns v X^k in the NTT domain at the encryption level.
func constPoly(p *Params, k int, negate bool) ring.Poly {
	r := p.rlwe.RingQ().AtLevel(p.level)
	pol := r.NewPoly()
	for i, q := range p.qAt() {
		pol.Coeffs[i][k] = 1
		if negate {
			pol.Coeffs[i][k] = q - 1
		}
	}
	r.NTT(pol, pol)
	return pol
}

// TestSingleKeyCKKSProbe is the review's F3 attack on single-key CKKS: a
// 2-chunk ciphertext with c0 = 0 and c1 = 1 | -X^(N/2) decrypts to Re and
// Im of s(zeta)/Δ, and re-encoding those gives back every coefficient of s.
// The decoder accepts the crafted ciphertext (it is well-formed bytes); the
// flooded, rounded decryption must reveal nothing: the attacker recovers no
// more coefficients than guessing would.
//
// Mutation checked: with the flooding (Decryptor.sm.addTo) and the rounding
// of decodeFloats removed, the same attack recovers 8192 of 8192.
func TestSingleKeyCKKSProbe(t *testing.T) {
	p, err := NewParams(Config{Preset: RealLogN13, RealBound: 1e3, MaxWeight: 4})
	require.NoError(t, err)
	sk, pk := p.GenKeyPair()
	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	ct, err := enc.EncryptFloats(make([]float64, 2*p.Slots()))
	require.NoError(t, err)
	for k, c := range ct.cts {
		c.Value[0].Zero()
		c.Value[1] = constPoly(p, k*p.rlwe.N()/2, k == 1)
	}
	ct = roundTrip(t, ct, &Ciphertext{p: p}) // the wire decoder accepts it
	dec, err := p.NewDecryptor(sk)
	require.NoError(t, err)
	got, err := dec.DecryptFloats(ct)
	require.NoError(t, err)

	truth := secretCoeffs(p, sk.sk)
	best := 0
	for _, sign := range []float64{1, -1} {
		rec := recoverSecret(t, p, got, sign)
		n := 0
		for j := range truth {
			if rec[j] == truth[j] {
				n++
			}
		}
		best = max(best, n)
	}
	zeros := 0
	for _, v := range truth {
		if v == 0 {
			zeros++
		}
	}
	t.Logf("recovered %d of %d secret-key coefficients (guessing 0 everywhere: %d)", best, len(truth), zeros)
	assert.LessOrEqual(t, best, zeros+len(truth)/50, "the probe recovers more of the key than a guess")
}

// recoverSecret re-encodes Δ(re + i sign im) at scale 1 and reads the
// coefficients, as the attacker would.
func recoverSecret(t *testing.T, p *Params, dec []float64, sign float64) []int64 {
	slots := p.Slots()
	delta := math.Ldexp(1, p.logScale)
	z := make([]complex128, slots)
	for j := range z {
		z[j] = complex(dec[j]*delta, sign*dec[slots+j]*delta)
	}
	e := hefloat.NewEncoder(p.ckks)
	pt := hefloat.NewPlaintext(p.ckks, 0)
	pt.Scale = rlwe.NewScale(1)
	require.NoError(t, e.Encode(z, pt))
	r := p.rlwe.RingQ().AtLevel(0)
	r.INTT(pt.Value, pt.Value)
	q := r.ModuliChain()[0]
	out := make([]int64, p.rlwe.N())
	for j, v := range pt.Value.Coeffs[0] {
		if v > q/2 {
			out[j] = int64(v) - int64(q)
		} else {
			out[j] = int64(v)
		}
	}
	return out
}

// TestFloodingRounds checks that single-key CKKS decryptions are rounded
// to the precision grid and within Precision.
func TestFloodingRounds(t *testing.T) {
	p, err := NewParams(Config{Preset: RealLogN13, RealBound: 1e3, MaxWeight: 1})
	require.NoError(t, err)
	require.Greater(t, p.Budget().SmudgingBits, 0)
	sk, pk := p.GenKeyPair()
	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	r := rand.New(rand.NewSource(1))
	vals := make([]float64, 100)
	for i := range vals {
		vals[i] = (r.Float64()*2 - 1) * 1e3
	}
	ct, err := enc.EncryptFloats(vals)
	require.NoError(t, err)
	dec, err := p.NewDecryptor(sk)
	require.NoError(t, err)
	got, err := dec.DecryptFloats(ct)
	require.NoError(t, err)
	g := p.roundGrid()
	for i, v := range got {
		assert.Equal(t, math.Round(v/g)*g, v)
		assert.LessOrEqual(t, math.Abs(v-vals[i]), p.cfg.Precision)
	}
}

// TestFloatPrecision is the review's F5: at large RealBound the float64
// encode/decode error exceeded Precision on configurations NewParams
// accepted. Every configuration is now either refused with ErrNoiseBudget
// or decrypts every slot within Precision.
func TestFloatPrecision(t *testing.T) {
	for _, tc := range []struct {
		preset Preset
		bound  float64
		w      int64
	}{
		{RealLogN13, 1e6, 4}, {RealLogN13, 2e7, 4}, {RealLogN14, 1e7, 8}, {RealLogN13, 1e8, 4}, {RealLogN13, 1e9, 8}, {RealLogN14, 1e10, 8},
	} {
		p, err := NewParams(Config{Preset: tc.preset, RealBound: tc.bound, MaxWeight: tc.w})
		if err != nil {
			require.ErrorIs(t, err, ErrNoiseBudget)
			t.Logf("%v B=%g W=%d: refused: %v", tc.preset, tc.bound, tc.w, err)
			continue
		}
		sk, pk := p.GenKeyPair()
		enc, err := p.NewEncryptor(pk)
		require.NoError(t, err)
		r := rand.New(rand.NewSource(2))
		n := p.Slots()
		exact := make([]*big.Float, n)
		for i := range exact {
			exact[i] = new(big.Float).SetPrec(256)
		}
		var sum *Ciphertext
		for range tc.w {
			vals := make([]float64, n)
			for i := range vals {
				vals[i] = (r.Float64()*2 - 1) * tc.bound
				exact[i].Add(exact[i], big.NewFloat(vals[i]))
			}
			ct, err := enc.EncryptFloats(vals)
			require.NoError(t, err)
			if sum == nil {
				sum = ct
			} else {
				require.NoError(t, p.Add(sum, ct))
			}
		}
		dec, err := p.NewDecryptor(sk)
		require.NoError(t, err)
		got, err := dec.DecryptFloats(sum)
		require.NoError(t, err)
		bad, worst := 0, 0.0
		for i, v := range got {
			d, _ := new(big.Float).Sub(big.NewFloat(v), exact[i]).Float64()
			worst = max(worst, math.Abs(d))
			if math.Abs(d) > p.cfg.Precision {
				bad++
			}
		}
		t.Logf("%v B=%g W=%d: LogSlotError %.1f, max |error| 2^%.1f, %d of %d slots beyond Precision", tc.preset, tc.bound, tc.w, p.Budget().LogSlotError, math.Log2(worst), bad, n)
		assert.Zero(t, bad)
	}
}

// TestFloodingHidesNoise is the passive (Li-Micciancio) side of F3: a
// value on a midpoint of the rounding grid rounds up or down by the sign
// of the encryption noise, which the encryptor knows and the key
// determines. Flooding makes each decryption draw that rounding afresh:
// two decryptions of one ciphertext disagree on about half the slots (on
// none without flooding). With 4096 slots, each disagreeing with
// probability 1/2, fewer than 1500 disagreements has probability below
// 1e-40 on a correct flooding.
//
// Mutation checked: without Decryptor.sm.addTo the two decryptions agree
// on every slot and the test fails.
func TestFloodingHidesNoise(t *testing.T) {
	p, err := NewParams(Config{Preset: RealLogN13, RealBound: 1e3, MaxWeight: 1})
	require.NoError(t, err)
	sk, pk := p.GenKeyPair()
	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	vals := make([]float64, p.Slots())
	for i := range vals {
		vals[i] = p.roundGrid() / 2
	}
	ct, err := enc.EncryptFloats(vals)
	require.NoError(t, err)
	dec, err := p.NewDecryptor(sk)
	require.NoError(t, err)
	a, err := dec.DecryptFloats(ct)
	require.NoError(t, err)
	b, err := dec.DecryptFloats(ct)
	require.NoError(t, err)
	differ := 0
	for i := range a {
		if a[i] != b[i] {
			differ++
		}
	}
	t.Logf("two decryptions of one ciphertext differ on %d of %d midpoint slots", differ, len(a))
	assert.Greater(t, differ, 1500)
}

// TestCraftedCollectiveProbe documents the review's F3 attack on a
// collective BGV key, which the runner's gate (TestRunRefusesUnverified)
// keeps off the default path: a ciphertext with c0 = 0 and c1 = t^-1 mod Q
// decrypts to s mod t, because every decryptor's smudging is a multiple
// of t there and vanishes. Two decryptions with fresh smudging give the
// same output (a function of the key alone), and keys differ in it: no
// smudging size helps, only verified contributions do.
func TestCraftedCollectiveProbe(t *testing.T) {
	cfg := Config{Preset: IntLogN13, Bound: 1000, MaxWeight: 3, KeyHolders: 3, MaxValues: 1 << 13}
	probe := func() ([]int64, []int64) {
		p, hs, pk := collective(t, cfg)
		enc, err := p.NewEncryptor(pk)
		require.NoError(t, err)
		ct, err := enc.EncryptInts(make([]int64, p.Slots()))
		require.NoError(t, err)
		r := p.rlwe.RingQ().AtLevel(p.level)
		c1 := r.NewPoly()
		for i, q := range p.qAt() {
			c1.Coeffs[i][0] = ring.ModExp(p.t%q, q-2, q) // t^-1 mod q_i
		}
		r.NTT(c1, c1)
		ct.cts[0].Value[0].Zero()
		ct.cts[0].Value[1] = c1
		ct = roundTrip(t, ct, &Ciphertext{p: p}) // the wire decoder accepts it
		dec := func() []int64 {
			ds := make([]*DecryptionShare, len(hs))
			for i, h := range hs {
				ds[i], err = h.DecryptionShare(ct, nil)
				require.NoError(t, err)
			}
			out, err := p.CombineInts(ct, ds)
			require.NoError(t, err)
			return out
		}
		return dec(), dec()
	}
	a1, a2 := probe()
	b1, _ := probe()
	assert.Equal(t, a1, a2, "the smudging vanishes: the output is a function of the key")
	assert.NotEqual(t, a1, b1)
}
