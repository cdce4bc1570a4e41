package he

import (
	"bytes"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzFixture is a 2-of-3 threshold session with one message of each kind.
type fuzzFixture struct {
	p                               *Params
	ct, pk, pks, ds, rs, shs, masks []byte
}

var (
	fixtureOnce sync.Once
	fixture     fuzzFixture
)

func getFixture(t testing.TB) *fuzzFixture {
	fixtureOnce.Do(func() {
		p, hs, pk := collective(t, Config{Preset: IntLogN13, Bound: 1000, MaxWeight: 3, KeyHolders: 3, Threshold: 2, MaxValues: 1 << 16})
		enc, err := p.NewEncryptor(pk)
		require.NoError(t, err)
		c, err := enc.EncryptInts([]int64{1, -2, 3})
		require.NoError(t, err)
		crs, _ := NewCRS()
		ds, err := hs[0].DecryptionShare(c, []int{0, 2})
		require.NoError(t, err)
		_, apk := p.GenKeyPair()
		rs, err := hs[2].ReencryptionShare(c, apk, []int{0, 2})
		require.NoError(t, err)
		sh, err := hs[1].GenShamirShares()
		require.NoError(t, err)
		f := fuzzFixture{p: p}
		mustMarshal := func(m binaryCodec) []byte {
			b, err := m.MarshalBinary()
			require.NoError(t, err)
			return b
		}
		f.ct, f.pk, f.pks = mustMarshal(c), mustMarshal(pk), mustMarshal(hs[1].GenPublicKeyShare(crs))
		f.ds, f.rs, f.shs = mustMarshal(ds), mustMarshal(rs), mustMarshal(sh[0])
		f.masks, err = c.Masks()
		require.NoError(t, err)
		fixture = f
	})
	return &fixture
}

// seeds adds the valid message, mutations of it and junk.
func seeds(f *testing.F, valid []byte) {
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add(append(bytes.Clone(valid), 0))
	f.Add(valid[:headerSize])
	f.Add([]byte{})
	hi := bytes.Clone(valid)
	for i := len(hi) - 8; i < len(hi); i++ {
		hi[i] = 0xff // unreduced coefficient
	}
	f.Add(hi)
	kind := bytes.Clone(valid)
	kind[3]++
	f.Add(kind)
	if len(valid) > headerSize+12 {
		big := bytes.Clone(valid)
		copy(big[headerSize:], []byte{0xff, 0xff, 0xff, 0xff})
		f.Add(big)
	}
}

// fuzzDecoder checks a decoder never panics and that whatever it accepts
// re-encodes to the same bytes.
func fuzzDecoder[T binaryCodec](f *testing.F, valid func(*fuzzFixture) []byte, fresh func(*Params) T) {
	fx := getFixture(f)
	seeds(f, valid(fx))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := fresh(fx.p)
		if err := m.UnmarshalBinary(data); err != nil {
			return
		}
		out, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, out)
	})
}

func FuzzCiphertext(f *testing.F) {
	fuzzDecoder(f, func(x *fuzzFixture) []byte { return x.ct }, func(p *Params) *Ciphertext { return &Ciphertext{p: p} })
}

func FuzzPublicKey(f *testing.F) {
	fuzzDecoder(f, func(x *fuzzFixture) []byte { return x.pk }, func(p *Params) *PublicKey { return &PublicKey{p: p} })
}

func FuzzPublicKeyShare(f *testing.F) {
	fuzzDecoder(f, func(x *fuzzFixture) []byte { return x.pks }, func(p *Params) *PublicKeyShare { return &PublicKeyShare{p: p} })
}

func FuzzDecryptionShare(f *testing.F) {
	fuzzDecoder(f, func(x *fuzzFixture) []byte { return x.ds }, func(p *Params) *DecryptionShare { return &DecryptionShare{p: p} })
}

func FuzzReencryptionShare(f *testing.F) {
	fuzzDecoder(f, func(x *fuzzFixture) []byte { return x.rs }, func(p *Params) *ReencryptionShare { return &ReencryptionShare{p: p} })
}

func FuzzShamirShare(f *testing.F) {
	fuzzDecoder(f, func(x *fuzzFixture) []byte { return x.shs }, func(p *Params) *ShamirShare { return &ShamirShare{p: p} })
}

func FuzzMasks(f *testing.F) {
	fx := getFixture(f)
	seeds(f, fx.masks)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := fx.p.UnmarshalMasks(data)
		if err != nil {
			return
		}
		out, err := c.Masks()
		require.NoError(t, err)
		require.Equal(t, data, out)
	})
}

func TestDecodersRejectMalformed(t *testing.T) {
	fx := getFixture(t)
	for name, tc := range map[string]struct {
		data  []byte
		fresh binaryCodec
	}{
		"ct as pk":        {fx.ct, &PublicKey{p: fx.p}},
		"pk truncated":    {fx.pk[:len(fx.pk)-8], &PublicKey{p: fx.p}},
		"ds as rs":        {fx.ds, &ReencryptionShare{p: fx.p}},
		"shamir as pks":   {fx.shs, &PublicKeyShare{p: fx.p}},
		"ct padded":       {append(bytes.Clone(fx.ct), 1), &Ciphertext{p: fx.p}},
		"empty ds":        {nil, &DecryptionShare{p: fx.p}},
		"unbound decoder": {fx.ct, &Ciphertext{}},
	} {
		require.Error(t, tc.fresh.UnmarshalBinary(tc.data), name)
	}
	// a ciphertext from other parameters is a mismatch
	other, err := NewParams(Config{Preset: IntLogN13, Bound: 1000, MaxWeight: 3})
	require.NoError(t, err)
	_, err = other.UnmarshalCiphertext(fx.ct)
	require.ErrorIs(t, err, ErrMismatch)
	// an oversized length claim is refused before any allocation
	big := bytes.Clone(fx.ct)
	copy(big[headerSize:], []byte{0x7f, 0xff, 0xff, 0xff})
	_, err = fx.p.UnmarshalCiphertext(big)
	require.ErrorIs(t, err, ErrMalformed)
	// L4: weight 0 (which would count nothing toward MaxWeight) is refused,
	// for ciphertexts and masks alike.
	zero := bytes.Clone(fx.ct)
	clear(zero[headerSize+4 : headerSize+12])
	_, err = fx.p.UnmarshalCiphertext(zero)
	require.ErrorIs(t, err, ErrMalformed)
	ct, err := fx.p.UnmarshalCiphertext(fx.ct)
	require.NoError(t, err)
	masks, err := ct.Masks()
	require.NoError(t, err)
	clear(masks[headerSize+4 : headerSize+12])
	_, err = fx.p.UnmarshalMasks(masks)
	require.ErrorIs(t, err, ErrMalformed)
}

var (
	proofFixtureOnce sync.Once
	proofFixtureP    *Params
	proofFixture     []byte
)

// FuzzProof fuzzes the proof decoder on a small ring (LogN 10, one
// prime), where a proof is 0.7 MB rather than 14.
func FuzzProof(f *testing.F) {
	proofFixtureOnce.Do(func() {
		p, err := NewParams(Config{Custom: &Custom{Scheme: BGV, LogN: 10, LogQ: []int{27}, LogT: 14}, Bound: 1, MaxWeight: 1, MaxValues: 1 << 10})
		require.NoError(f, err)
		_, pk := p.GenKeyPair()
		enc, err := p.NewEncryptor(pk)
		require.NoError(f, err)
		ct, err := enc.EncryptInts([]int64{1, 0, -1})
		require.NoError(f, err)
		// a proof of the right shape (for a zero witness: it need not verify)
		zero := []witness{{u: make([]int32, p.rlwe.N()), e: make([]int32, p.rlwe.N())}}
		pr, err := enc.prove(ct, zero, ProofContext{Client: 1}, true)
		require.NoError(f, err)
		proofFixtureP = p
		proofFixture, err = pr.MarshalBinary()
		require.NoError(f, err)
	})
	seeds(f, proofFixture)
	f.Fuzz(func(t *testing.T, data []byte) {
		pr := &Proof{p: proofFixtureP}
		if err := pr.UnmarshalBinary(data); err != nil {
			return
		}
		out, err := pr.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, out)
	})
}
