package he

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

func weightedSum(vs [][]int64, ws []int64, n int) []int64 {
	out := make([]int64, n)
	for i, v := range vs {
		for j := range v {
			out[j] += ws[i] * v[j]
		}
	}
	return out
}

// Single key: decrypted weighted sums equal plaintext sums for many lengths,
// negative values and weights, values at the bound.
func TestSingleKeyIntsProperty(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	const bound = 1 << 20
	p, err := NewParams(Config{Preset: IntLogN13, Bound: bound, MaxWeight: 64})
	require.NoError(t, err)
	sk, pk := p.GenKeyPair()
	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	dec, err := p.NewDecryptor(sk)
	require.NoError(t, err)
	s := p.Slots()
	for _, n := range []int{0, 1, 2, 37, s - 1, s, s + 1, 2*s + 5} {
		parties := 1 + r.Intn(4)
		vs := make([][]int64, parties)
		ws := make([]int64, parties)
		cts := make([]*Ciphertext, parties)
		for i := range vs {
			vs[i] = randInts(r, n, bound)
			if n > 1 {
				vs[i][0], vs[i][n-1] = bound, -bound
			}
			ws[i] = int64(r.Intn(7) - 3)
			cts[i], err = enc.EncryptInts(vs[i])
			require.NoError(t, err)
		}
		sum, err := p.Sum(cts, ws)
		require.NoError(t, err)
		if sum.Weight() > 0 { // weight 0 has no wire form (L4)
			sum = roundTrip(t, sum, &Ciphertext{p: p})
		}
		got, err := dec.DecryptInts(sum)
		require.NoError(t, err)
		require.Equal(t, weightedSum(vs, ws, n), got, "n=%d parties=%d", n, parties)
	}
}

// The largest safe sum decrypts exactly, in both signs (centred decoding).
func TestSumAtTheEdge(t *testing.T) {
	probe, err := NewParams(Config{Preset: IntLogN13, Bound: 1, MaxWeight: 1})
	require.NoError(t, err)
	const parties = 4
	bound := int64((probe.PlaintextModulus()-3)/2) / parties
	p, err := NewParams(Config{Preset: IntLogN13, Bound: bound, MaxWeight: parties})
	require.NoError(t, err)
	sk, pk := p.GenKeyPair()
	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	dec, err := p.NewDecryptor(sk)
	require.NoError(t, err)
	agg, err := p.NewAggregator(2)
	require.NoError(t, err)
	for i := 0; i < parties; i++ {
		c, err := enc.EncryptInts([]int64{bound, -bound})
		require.NoError(t, err)
		require.NoError(t, agg.Add(c))
	}
	got, err := dec.DecryptInts(agg.Result())
	require.NoError(t, err)
	require.Equal(t, []int64{parties * bound, -parties * bound}, got)
	_, err = NewParams(Config{Preset: IntLogN13, Bound: bound + 1, MaxWeight: parties})
	require.ErrorIs(t, err, ErrOutOfRange)
}

// N-of-N with 1 to 50 parties (1 = single key): sums match.
func TestPartiesProperty(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, tc := range []struct{ parties, n int }{{1, 300}, {2, 9000}, {7, 50}, {50, 3}} {
		const bound = 1 << 16
		vs := make([][]int64, tc.parties)
		ws := make([]int64, tc.parties)
		for i := range vs {
			vs[i], ws[i] = randInts(r, tc.n, bound), 1
		}
		want := weightedSum(vs, ws, tc.n)
		cfg := Config{Preset: IntLogN13, Bound: bound, MaxWeight: int64(tc.parties), KeyHolders: tc.parties, MaxValues: tc.n}
		var got []int64
		if tc.parties == 1 {
			p, err := NewParams(cfg)
			require.NoError(t, err)
			sk, pk := p.GenKeyPair()
			sum := encryptAll(t, p, pk, vs)
			dec, err := p.NewDecryptor(sk)
			require.NoError(t, err)
			got, err = dec.DecryptInts(sum)
			require.NoError(t, err)
		} else {
			p, hs, pk := collective(t, cfg)
			sum := encryptAll(t, p, pk, vs)
			ds := make([]*DecryptionShare, len(hs))
			for i, h := range hs {
				var err error
				ds[i], err = h.DecryptionShare(sum, nil)
				require.NoError(t, err)
			}
			var err error
			got, err = p.CombineInts(sum, ds)
			require.NoError(t, err)
		}
		require.Equal(t, want, got, "parties=%d", tc.parties)
	}
}

func encryptAll(t testing.TB, p *Params, pk *PublicKey, vs [][]int64) *Ciphertext {
	t.Helper()
	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	agg, err := p.NewAggregator(len(vs[0]))
	require.NoError(t, err)
	for _, v := range vs {
		c, err := enc.EncryptInts(v)
		require.NoError(t, err)
		require.NoError(t, agg.Add(c))
	}
	return agg.Result()
}

// T-of-N: every T-subset decrypts; a smaller set is refused.
func TestThresholdProperty(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, tc := range []struct{ n, t int }{{3, 2}, {5, 3}, {6, 6}} {
		p, hs, pk := collective(t, Config{Preset: IntLogN13, Bound: 1 << 20, MaxWeight: 3, KeyHolders: tc.n, Threshold: tc.t})
		vs := [][]int64{randInts(r, 40, 1<<20), randInts(r, 40, 1<<20), randInts(r, 40, 1<<20)}
		sum := encryptAll(t, p, pk, vs)
		want := weightedSum(vs, []int64{1, 1, 1}, 40)
		for trial := 0; trial < 3; trial++ {
			active := r.Perm(tc.n)[:tc.t] // the others dropped
			sortInts(active)
			ds := make([]*DecryptionShare, 0, tc.t)
			for _, i := range active {
				s, err := hs[i].DecryptionShare(sum, active)
				require.NoError(t, err)
				ds = append(ds, s)
			}
			got, err := p.CombineInts(sum, ds)
			require.NoError(t, err)
			require.Equal(t, want, got, "%d-of-%d set %v", tc.t, tc.n, active)
			_, err = p.CombineInts(sum, ds[:tc.t-1])
			require.ErrorIs(t, err, ErrNotEnoughShares)
		}
	}
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// CKKS: single key, N-of-N with re-encryption, T-of-N; errors within the
// declared precision.
func TestRealsProperty(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	const bound = 1000.0
	randFloats := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = (2*r.Float64() - 1) * bound
		}
		if n > 0 {
			v[0] = -bound
		}
		return v
	}
	check := func(t *testing.T, p *Params, want, got []float64) {
		require.Len(t, got, len(want))
		for i := range want {
			require.InDelta(t, want[i], got[i], p.Config().Precision, "slot %d", i)
		}
	}
	t.Run("single", func(t *testing.T) {
		p, err := NewParams(Config{Preset: RealLogN13, RealBound: bound, MaxWeight: 4})
		require.NoError(t, err)
		sk, pk := p.GenKeyPair()
		enc, _ := p.NewEncryptor(pk)
		dec, _ := p.NewDecryptor(sk)
		for _, n := range []int{0, 1, p.Slots() + 1} {
			a, b := randFloats(n), randFloats(n)
			ca, err := enc.EncryptFloats(a)
			require.NoError(t, err)
			cb, err := enc.EncryptFloats(b)
			require.NoError(t, err)
			require.NoError(t, p.AddWeighted(ca, cb, -3))
			got, err := dec.DecryptFloats(ca)
			require.NoError(t, err)
			want := make([]float64, n)
			for i := range want {
				want[i] = a[i] - 3*b[i]
			}
			check(t, p, want, got)
		}
	})
	for _, th := range []int{0, 2} {
		p, hs, pk := collective(t, Config{Preset: RealLogN13, RealBound: bound, MaxWeight: 3, KeyHolders: 3, Threshold: th})
		enc, _ := p.NewEncryptor(pk)
		want := make([]float64, 50)
		var cts []*Ciphertext
		for i := 0; i < 3; i++ {
			v := randFloats(50)
			for j := range v {
				want[j] += v[j]
			}
			c, err := enc.EncryptFloats(v)
			require.NoError(t, err)
			cts = append(cts, c)
		}
		sum, err := p.Sum(cts, nil)
		require.NoError(t, err)
		var active []int
		ids := []int{0, 1, 2}
		if th > 0 {
			active, ids = []int{0, 2}, []int{0, 2}
		}
		var ds []*DecryptionShare
		var rs []*ReencryptionShare
		ask, apk := p.GenKeyPair()
		for _, i := range ids {
			d, err := hs[i].DecryptionShare(sum, active)
			require.NoError(t, err)
			ds = append(ds, d)
			rsh, err := hs[i].ReencryptionShare(sum, apk, active)
			require.NoError(t, err)
			rs = append(rs, rsh)
		}
		got, err := p.CombineFloats(sum, ds)
		require.NoError(t, err)
		check(t, p, want, got)
		out, err := p.CombineReencryption(sum, rs)
		require.NoError(t, err)
		dec, _ := p.NewDecryptor(ask)
		got, err = dec.DecryptFloats(out)
		require.NoError(t, err)
		check(t, p, want, got)
	}
}

func TestMoments(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	const parties, maxRows, maxAbs = 4, 50, 10000
	mb, err := MomentsBound(maxRows, maxAbs)
	require.NoError(t, err)
	p, err := NewParams(Config{Preset: IntLogN13, Bound: mb, MaxWeight: parties})
	require.NoError(t, err)
	sk, pk := p.GenKeyPair()
	var all []int64
	var vs [][]int64
	for i := 0; i < parties; i++ {
		rows := randInts(r, r.Intn(maxRows+1), maxAbs)
		all = append(all, rows...)
		m, err := Moments(rows)
		require.NoError(t, err)
		vs = append(vs, m)
	}
	dec, _ := p.NewDecryptor(sk)
	got, err := dec.DecryptInts(encryptAll(t, p, pk, vs))
	require.NoError(t, err)
	ms, err := NewMomentSums(got)
	require.NoError(t, err)
	var sum, sq float64
	for _, x := range all {
		sum += float64(x)
		sq += float64(x) * float64(x)
	}
	n := float64(len(all))
	require.Equal(t, int64(len(all)), ms.Count)
	require.InDelta(t, sum/n, ms.Mean(), 1e-9)
	require.InDelta(t, sq/n-(sum/n)*(sum/n), ms.Variance(), 1e-6*math.Max(1, ms.Variance()))

	_, err = Moments([]int64{math.MaxInt64, 1})
	require.ErrorIs(t, err, ErrOutOfRange)
	_, err = Moments([]int64{1 << 32})
	require.ErrorIs(t, err, ErrOutOfRange)
	_, err = MomentsBound(1<<20, 1<<30)
	require.ErrorIs(t, err, ErrOutOfRange)
	require.True(t, math.IsNaN(MomentSums{}.Mean()))
}
