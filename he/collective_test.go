package he

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

// collective sets up n key holders with a combined public key (and, when
// cfg.Threshold > 0, dealt threshold shares).
func collective(t testing.TB, cfg Config) (*Params, []*KeyHolder, *PublicKey) {
	t.Helper()
	p, err := NewParams(cfg)
	require.NoError(t, err)
	crs, err := NewCRS()
	require.NoError(t, err)
	hs := make([]*KeyHolder, cfg.KeyHolders)
	shares := make([]*PublicKeyShare, cfg.KeyHolders)
	for i := range hs {
		hs[i], err = p.NewKeyHolder(i)
		require.NoError(t, err)
		shares[i] = roundTrip(t, hs[i].GenPublicKeyShare(crs), &PublicKeyShare{p: p})
	}
	pk, err := p.CombinePublicKey(crs, shares)
	require.NoError(t, err)
	pk = roundTrip(t, pk, &PublicKey{p: p})
	if cfg.Threshold > 0 {
		dealt := make([][]*ShamirShare, len(hs))
		for i, h := range hs {
			dealt[i], err = h.GenShamirShares()
			require.NoError(t, err)
		}
		for j, h := range hs {
			mine := make([]*ShamirShare, len(hs))
			for i := range hs {
				mine[i] = roundTrip(t, dealt[i][j], &ShamirShare{p: p})
			}
			require.NoError(t, h.SetShamirShares(mine))
		}
	}
	return p, hs, pk
}

type binaryCodec interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

func roundTrip[T binaryCodec](t testing.TB, v T, empty T) T {
	t.Helper()
	b, err := v.MarshalBinary()
	require.NoError(t, err)
	require.NoError(t, empty.UnmarshalBinary(b))
	return empty
}

func randInts(r *rand.Rand, n int, bound int64) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = r.Int63n(2*bound+1) - bound
	}
	return v
}

func TestNofNDecryptAndReencrypt(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	const parties, n = 3, 20
	p, hs, pk := collective(t, Config{Preset: IntLogN13, Bound: 1 << 30, MaxWeight: parties, KeyHolders: parties})
	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	want := make([]int64, n)
	var cts []*Ciphertext
	for i := 0; i < parties; i++ {
		v := randInts(r, n, 1<<30)
		v[0] = 1 << 30
		v[1] = -(1 << 30)
		for j := range v {
			want[j] += v[j]
		}
		c, err := enc.EncryptInts(v)
		require.NoError(t, err)
		cts = append(cts, roundTrip(t, c, &Ciphertext{p: p}))
	}
	sum, err := p.Sum(cts, nil)
	require.NoError(t, err)
	ds := make([]*DecryptionShare, parties)
	for i, h := range hs {
		s, err := h.DecryptionShare(sum, nil)
		require.NoError(t, err)
		ds[i] = roundTrip(t, s, &DecryptionShare{p: p})
	}
	got, err := p.CombineInts(sum, ds)
	require.NoError(t, err)
	require.Equal(t, want, got)
	_, err = p.CombineInts(sum, ds[:2])
	require.ErrorIs(t, err, ErrNotEnoughShares)

	// re-encryption to an analyst
	ask, apk := p.GenKeyPair()
	rs := make([]*ReencryptionShare, parties)
	for i, h := range hs {
		s, err := h.ReencryptionShare(sum, apk, nil)
		require.NoError(t, err)
		rs[i] = roundTrip(t, s, &ReencryptionShare{p: p})
	}
	out, err := p.CombineReencryption(sum, rs)
	require.NoError(t, err)
	dec, err := p.NewDecryptor(ask)
	require.NoError(t, err)
	got, err = dec.DecryptInts(out)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestThresholdDroppedDecryptors(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	const parties, T, n = 5, 3, 10
	p, hs, pk := collective(t, Config{Preset: IntLogN13, Bound: 1000, MaxWeight: 4, KeyHolders: parties, Threshold: T})
	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	want := make([]int64, n)
	agg, err := p.NewAggregator(n)
	require.NoError(t, err)
	for i := 0; i < 4; i++ {
		v := randInts(r, n, 1000)
		for j := range v {
			want[j] += v[j]
		}
		c, err := enc.EncryptInts(v)
		require.NoError(t, err)
		require.NoError(t, agg.Add(c))
	}
	sum := agg.Result()
	for _, active := range [][]int{{0, 1, 2}, {1, 3, 4}, {0, 2, 4}} {
		ds := make([]*DecryptionShare, 0, T)
		for _, i := range active {
			s, err := hs[i].DecryptionShare(sum, active)
			require.NoError(t, err)
			ds = append(ds, roundTrip(t, s, &DecryptionShare{p: p}))
		}
		got, err := p.CombineInts(sum, ds)
		require.NoError(t, err)
		require.Equal(t, want, got, "set %v", active)
	}
	// mixing sets is refused
	s1, err := hs[0].DecryptionShare(sum, []int{0, 1, 2})
	require.NoError(t, err)
	s2, err := hs[1].DecryptionShare(sum, []int{0, 1, 3})
	require.NoError(t, err)
	s3, err := hs[2].DecryptionShare(sum, []int{0, 1, 2})
	require.NoError(t, err)
	_, err = p.CombineInts(sum, []*DecryptionShare{s1, s2, s3})
	require.ErrorIs(t, err, ErrMismatch)
}

// TestStaleMessagesRejected is the review's L2: messages were not bound to
// a key, so a ciphertext or share from another round under the same preset
// decoded and was summed into garbage. Every ciphertext, mask set and
// share now carries its key's fingerprint, and mixing keys is ErrMismatch
// (a key holder refuses masks under another key: TestSpokeRefusesStaleMasks).
//
// Mutation checked: without the fingerprint comparison in compatible, the
// stale Add succeeds and the test fails.
func TestStaleMessagesRejected(t *testing.T) {
	cfg := Config{Preset: IntLogN13, Bound: 1000, MaxWeight: 3, KeyHolders: 2, MaxValues: 1 << 13}
	p, hs, pk := collective(t, cfg)
	// another round's key under the same Params
	crs, err := NewCRS()
	require.NoError(t, err)
	other := make([]*PublicKeyShare, 2)
	for i := range other {
		h, err := p.NewKeyHolder(i)
		require.NoError(t, err)
		other[i] = h.GenPublicKeyShare(crs)
	}
	pk2, err := p.CombinePublicKey(crs, other)
	require.NoError(t, err)
	require.NotEqual(t, pk.Fingerprint(), pk2.Fingerprint())

	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	enc2, err := p.NewEncryptor(pk2)
	require.NoError(t, err)
	a, err := enc.EncryptInts([]int64{1, 2})
	require.NoError(t, err)
	stale, err := enc2.EncryptInts([]int64{3, 4})
	require.NoError(t, err)
	stale = roundTrip(t, stale, &Ciphertext{p: p})
	require.Equal(t, pk2.Fingerprint(), stale.Key())

	require.ErrorIs(t, p.Add(a.CopyNew(), stale), ErrMismatch)
	agg, err := p.NewAggregator(2)
	require.NoError(t, err)
	require.NoError(t, agg.Add(a))
	require.ErrorIs(t, agg.Add(stale), ErrMismatch)

	// a share made for the stale ciphertext does not combine with a's
	ds := make([]*DecryptionShare, 2)
	for i, h := range hs {
		ds[i], err = h.DecryptionShare(a, nil)
		require.NoError(t, err)
	}
	s2, err := hs[1].DecryptionShare(stale, nil)
	require.NoError(t, err)
	ds[1] = roundTrip(t, s2, &DecryptionShare{p: p})
	_, err = p.CombineInts(a, ds)
	require.ErrorIs(t, err, ErrMismatch)
}

// TestCombiner: shares added one by one decrypt like CombineInts, and the
// combiner refuses what CombineInts refuses.
func TestCombiner(t *testing.T) {
	cfg := Config{Preset: IntLogN13, Bound: 1000, MaxWeight: 3, KeyHolders: 4, Threshold: 2, MaxValues: 1 << 13}
	p, hs, pk := collective(t, cfg)
	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	ct, err := enc.EncryptInts([]int64{7, -8, 9})
	require.NoError(t, err)
	share := func(i int, set []int) *DecryptionShare {
		s, err := hs[i].DecryptionShare(ct, set)
		require.NoError(t, err)
		return s
	}
	cb, err := p.NewCombiner(ct)
	require.NoError(t, err)
	require.NoError(t, cb.Add(share(1, []int{1, 3})))
	_, err = cb.Ints()
	require.ErrorIs(t, err, ErrNotEnoughShares)
	require.ErrorIs(t, cb.Add(share(1, []int{1, 3})), ErrMismatch) // twice
	require.ErrorIs(t, cb.Add(share(2, []int{1, 2})), ErrMismatch) // other set
	require.ErrorIs(t, cb.Add(share(0, []int{0, 3})), ErrMismatch) // other set
	require.NoError(t, cb.Add(share(3, []int{1, 3})))
	require.ErrorIs(t, cb.Add(share(0, []int{0, 1})), ErrMismatch) // one too many
	got, err := cb.Ints()
	require.NoError(t, err)
	require.Equal(t, []int64{7, -8, 9}, got)
}
