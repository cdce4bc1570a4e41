package he

import (
	"math/big"
	"math/bits"
	"math/rand/v2"
	"testing"
	"testing/cryptotest"

	"github.com/stretchr/testify/require"
)

// subsetPair is a fresh key and a summer of its public key, flooding or
// not (to show what the flooding hides).
func subsetPair(t *testing.T, flood bool) (*SubsetSumKey, *SubsetSummer) {
	t.Helper()
	k, err := NewSubsetSumKey()
	require.NoError(t, err)
	s, err := NewSubsetSummer(k.PublicKey())
	require.NoError(t, err)
	if !flood {
		s.floodBits = 0
	}
	return k, s
}

// subsetRun encrypts values, selects sel, and returns what the key holder
// decrypts minus the mask, read as a signed 64-bit integer.
func subsetRun(t *testing.T, values []int64, sel []bool, mask uint64) int64 {
	t.Helper()
	k, s := subsetPair(t, true)
	for lo := 0; lo < len(values); lo += SubsetSumSlots {
		hi := min(lo+SubsetSumSlots, len(values))
		c, err := k.EncryptChunk(values[lo:hi])
		require.NoError(t, err)
		require.Len(t, c, SubsetSumChunkSize())
		require.NoError(t, s.Add(c, sel[lo:hi]))
	}
	sample, err := s.Sample(mask)
	require.NoError(t, err)
	require.Len(t, sample, SubsetSumSampleSize())
	m, err := k.Decrypt(sample)
	require.NoError(t, err)
	return int64(m - mask)
}

func plainSum(values []int64, sel []bool) *big.Int {
	sum := new(big.Int)
	for i, v := range values {
		if sel[i] {
			sum.Add(sum, big.NewInt(v))
		}
	}
	return sum
}

// The decrypted sum is the plaintext sum, for sums up to 2^62 in
// magnitude, negative values and any selection across chunks.
func TestSubsetSumMatchesPlaintext(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := SubsetSumSlots + 300
	cases := []struct {
		name string
		gen  func(i int) (int64, bool)
	}{
		{"small random", func(int) (int64, bool) { return rng.Int64N(1<<41) - 1<<40, rng.IntN(2) == 0 }},
		{"2^62 from four values", func(i int) (int64, bool) {
			switch i {
			case 3, 8000, 8200, n - 1:
				return 1 << 60, true
			}
			return rng.Int64N(1 << 62), false
		}},
		{"-2^62 and extremes", func(i int) (int64, bool) {
			switch i {
			case 0:
				return -MaxSubsetSumValue, true
			case SubsetSumSlots:
				return MaxSubsetSumValue, rng.IntN(2) == 0
			}
			return -rng.Int64N(1 << 62), i == SubsetSumSlots-1 && rng.IntN(2) == 0
		}},
		{"nothing selected", func(int) (int64, bool) { return rng.Int64N(1 << 62), false }},
	}
	for _, tc := range cases {
		values, sel := make([]int64, n), make([]bool, n)
		for i := range n {
			values[i], sel[i] = tc.gen(i)
		}
		want := plainSum(values, sel)
		require.True(t, want.IsInt64(), tc.name)
		got := subsetRun(t, values, sel, rng.Uint64())
		require.Equal(t, want.Int64(), got, tc.name)
	}
}

// The key holder's view of the decryption: x = Delta*(sum+mask) + noise.
// Without flooding the noise is the sum of the selected slots' fresh
// errors (which the key holder knows) plus a small rerandomising term, so
// it tells which slots were selected; with flooding it does not.
func TestSubsetSumFloodingHidesSelection(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 7)
	// One chunk of zeros, added repeats times (a summer may add a chunk
	// more than once: the test scales the accumulator instead), so that
	// the selected errors add up far above the rerandomising noise.
	const repeats, trials = 1000, 6
	p, err := subsetOnce()
	require.NoError(t, err)
	attack := func(flood bool) (right int, noise []*big.Int) {
		for trial := range trials {
			k, s := subsetPair(t, flood)
			all := trial%2 == 0 // the secret: every slot selected, or none
			sel := make([]bool, SubsetSumSlots)
			for j := range sel {
				sel[j] = all
			}
			c, err := k.EncryptChunk(make([]int64, SubsetSumSlots))
			require.NoError(t, err)
			require.NoError(t, s.Add(c, sel))
			p.r.MulScalar(s.acc0, repeats, s.acc0)
			p.r.MulScalar(s.acc1, repeats, s.acc1)
			// The key holder knows each slot's error: it decrypts the chunk
			// itself, coefficient by coefficient.
			known := chunkErrorSum(t, k, c)
			known.Mul(known, big.NewInt(repeats))
			sample, err := s.Sample(0)
			require.NoError(t, err)
			x, err := k.decryptRaw(sample)
			require.NoError(t, err)
			// The sum is 0 either way: x is pure noise. Guess "all" when x
			// is closer to the known errors than to 0.
			guessAll := new(big.Int).Abs(new(big.Int).Sub(x, known)).Cmp(new(big.Int).Abs(x)) < 0
			if guessAll == all {
				right++
			}
			noise = append(noise, x)
		}
		return right, noise
	}
	right, noise := attack(false)
	require.Equal(t, trials, right, "without flooding the key holder tells the selection")
	for _, x := range noise {
		require.Less(t, x.BitLen(), 24, "unflooded noise is small")
	}
	// With flooding the noise the key holder sees is about 2^74, against
	// a selection-dependent part below 2^24: its guess is the flood's coin.
	_, noise = attack(true)
	for _, x := range noise {
		require.Greater(t, x.BitLen(), 60, "flooded noise")
		require.Equal(t, uint64(0), p.round(x), "and still decrypts exactly")
	}
}

// chunkErrorSum returns the sum of a zero chunk's fresh errors over its
// slots, as its key holder computes it: c0 + a*s, coefficient by
// coefficient.
func chunkErrorSum(t *testing.T, k *SubsetSumKey, chunk []byte) *big.Int {
	p := k.p
	c0 := p.r.NewPoly()
	require.NoError(t, p.getPoly(chunk[2+seedLen:], c0))
	a, err := p.uniform(chunk[2 : 2+seedLen])
	require.NoError(t, err)
	p.r.MulCoeffsBarrettThenAdd(a, k.s, c0)
	p.r.INTT(c0, c0)
	sum := new(big.Int)
	rns := make([]uint64, subsetSumPrimes)
	for j := range SubsetSumSlots {
		for i := range rns {
			rns[i] = c0.Coeffs[i][j]
		}
		sum.Add(sum, p.centre(p.fromRNS(rns)))
	}
	return sum
}

func TestSubsetSumRules(t *testing.T) {
	k, err := NewSubsetSumKey()
	require.NoError(t, err)
	_, err = k.EncryptChunk(make([]int64, SubsetSumSlots+1))
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = k.EncryptChunk([]int64{MaxSubsetSumValue + 1})
	require.ErrorIs(t, err, ErrOutOfRange)
	_, err = k.EncryptChunk([]int64{-MaxSubsetSumValue - 1})
	require.ErrorIs(t, err, ErrOutOfRange)
	s, err := NewSubsetSummer(k.PublicKey())
	require.NoError(t, err)
	c, err := k.EncryptChunk([]int64{5, 7})
	require.NoError(t, err)
	require.ErrorIs(t, s.Add(c, make([]bool, SubsetSumSlots+1)), ErrInvalidParams)
	bad := append([]byte(nil), c...)
	for i := range 8 {
		bad[2+seedLen+i] = 0xff // not reduced
	}
	require.ErrorIs(t, s.Add(bad, nil), ErrMalformed)
	require.ErrorIs(t, s.Add(c[:100], nil), ErrMalformed)
	require.NoError(t, s.Add(c, []bool{false, true}))
	sample, err := s.Sample(0)
	require.NoError(t, err)
	_, err = s.Sample(0)
	require.ErrorIs(t, err, ErrInvalidParams)
	require.ErrorIs(t, s.Add(c, nil), ErrInvalidParams)
	m, err := k.Decrypt(sample)
	require.NoError(t, err)
	require.Equal(t, uint64(7), m)
	_, err = k.Decrypt(sample)
	require.ErrorIs(t, err, ErrInvalidParams, "a key decrypts once")
	_, err = NewSubsetSummer(k.PublicKey()[:50])
	require.ErrorIs(t, err, ErrMalformed)
}

func FuzzSubsetSumDecoders(f *testing.F) {
	k, err := NewSubsetSumKey()
	require.NoError(f, err)
	c, err := k.EncryptChunk([]int64{1, -2, 3})
	require.NoError(f, err)
	s, err := NewSubsetSummer(k.PublicKey())
	require.NoError(f, err)
	require.NoError(f, s.Add(c, []bool{true}))
	sample, err := s.Sample(0)
	require.NoError(f, err)
	f.Add(byte(0), k.PublicKey())
	f.Add(byte(1), c)
	f.Add(byte(2), sample)
	f.Add(byte(2), sample[:40])
	f.Fuzz(func(t *testing.T, which byte, b []byte) {
		switch which % 3 {
		case 0:
			if s, err := NewSubsetSummer(b); err == nil {
				_, err = s.Sample(0)
				require.NoError(t, err)
			}
		case 1:
			s, err := NewSubsetSummer(k.PublicKey())
			require.NoError(t, err)
			_ = s.Add(b, []bool{true})
		case 2:
			k2, err := NewSubsetSumKey()
			require.NoError(t, err)
			if _, err := k2.Decrypt(b); err != nil {
				require.ErrorIs(t, err, ErrMalformed)
			}
		}
	})
}

// The sample's uniform half is rerandomised by an encryption of zero: it is
// not the combination of the chunks' halves (which the key holder knows and
// could solve for the selection), neither for an empty selection nor for a
// full one.
func TestSubsetSumSampleRerandomised(t *testing.T) {
	k, err := NewSubsetSumKey()
	require.NoError(t, err)
	p := k.p
	c, err := k.EncryptChunk([]int64{1, 2, 3})
	require.NoError(t, err)
	a, err := p.uniform(c[2 : 2+seedLen])
	require.NoError(t, err)
	for _, on := range []bool{false, true} {
		s, err := NewSubsetSummer(k.PublicKey())
		require.NoError(t, err)
		sel := make([]bool, SubsetSumSlots)
		for j := range sel {
			sel[j] = on
		}
		require.NoError(t, s.Add(c, sel))
		sample, err := s.Sample(0)
		require.NoError(t, err)
		_, got, err := p.parseSample(sample)
		require.NoError(t, err)
		// What the half would be without rerandomisation: sel(X)*a.
		want := p.r.NewPoly()
		if on {
			selPoly := p.r.NewPoly()
			for i, sr := range p.r.SubRings[:subsetSumPrimes] {
				selPoly.Coeffs[i][0] = 1
				for j := 1; j < SubsetSumSlots; j++ {
					selPoly.Coeffs[i][SubsetSumSlots-j] = sr.Modulus - 1
				}
			}
			p.r.NTT(selPoly, selPoly)
			p.r.MulCoeffsBarrett(a, selPoly, want)
		}
		// Not merely unequal: the difference is the encryption of zero's
		// u*pk1 + e1, uniform-looking, not a small error the key holder
		// could round away.
		diff := p.r.NewPoly()
		p.r.Sub(got, want, diff)
		p.r.INTT(diff, diff)
		var largest int
		for i, sr := range p.r.SubRings[:subsetSumPrimes] {
			for _, c := range diff.Coeffs[i] {
				largest = max(largest, bits.Len64(min(c, sr.Modulus-c)))
			}
		}
		require.Greater(t, largest, 40, "selection %v readable from the sample", on)
	}
}

// Delta*2^64 = Q - (Q mod 2^64): when sum + mask wraps modulo 2^64, the
// key holder's residual x - Delta*m is -(Q mod 2^64) instead of small, a
// hint of the sum's size. Unflooded the carry shows; flooded it is buried.
func TestSubsetSumFloodingHidesCarry(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 9)
	p, err := subsetOnce()
	require.NoError(t, err)
	qModT := new(big.Int).Mod(p.q, p.t)
	residual := func(flood bool, mask uint64) (*big.Int, uint64) {
		k, s := subsetPair(t, flood)
		c, err := k.EncryptChunk([]int64{5})
		require.NoError(t, err)
		require.NoError(t, s.Add(c, []bool{true}))
		sample, err := s.Sample(mask)
		require.NoError(t, err)
		x, err := k.decryptRaw(sample)
		require.NoError(t, err)
		m := p.round(x)
		r := new(big.Int).Sub(x, new(big.Int).Mul(p.delta, new(big.Int).SetUint64(m)))
		return p.centre(r.Mod(r, p.q)), m
	}
	r, m := residual(false, 0)
	require.Equal(t, uint64(5), m)
	require.Less(t, r.BitLen(), 20, "no carry: a small residual")
	r, m = residual(false, 1<<64-1)
	require.Equal(t, uint64(4), m, "5 + 2^64-1 wraps")
	r.Add(r, qModT)
	require.Less(t, r.BitLen(), 20, "the carry shows as -(Q mod 2^64)")
	for _, mask := range []uint64{0, 1<<64 - 1} {
		r, m := residual(true, mask)
		require.Equal(t, 5+mask, m)
		require.Greater(t, r.BitLen(), 90, "flooded residual, mask %d", mask)
	}
}
