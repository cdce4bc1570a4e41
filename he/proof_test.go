package he

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v5/ring"
)

var proofSession = []byte("test session")

// verifiedBGV is a 3-holder BGV config on the verified path (LogN 14: the
// proofs' noise bound does not fit LogN 13).
func verifiedBGV(threshold int) Config {
	return Config{Preset: IntLogN14, Bound: 1000, MaxWeight: 4, KeyHolders: 3, Threshold: threshold,
		MaxValues: 3 << 14, VerifiedContributions: true}
}

func decryptCollective(t *testing.T, p *Params, hs []*KeyHolder, ct *Ciphertext, active []int) []int64 {
	t.Helper()
	var ds []*DecryptionShare
	for i, h := range hs {
		if active != nil && !containsInt(active, i) {
			continue
		}
		s, err := h.DecryptionShare(ct, active)
		require.NoError(t, err)
		ds = append(ds, s)
	}
	out, err := p.CombineInts(ct, ds)
	require.NoError(t, err)
	return out
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestProofCompletenessBGV: honest proofs verify (after a round trip of
// the ciphertext and the proof) and the sum decrypts exactly, N-of-N (the
// runner's TestRunVerified covers T-of-N).
func TestProofCompletenessBGV(t *testing.T) {
	for _, threshold := range []int{0} {
		r := rand.New(rand.NewSource(int64(threshold)))
		p, hs, pk := collective(t, verifiedBGV(threshold))
		enc, err := p.NewEncryptor(pk)
		require.NoError(t, err)
		n := p.Slots() + 5 // two chunks, one group
		want := make([]int64, n)
		agg, err := p.NewAggregator(n)
		require.NoError(t, err)
		for c := 1; c <= 2; c++ {
			v := randInts(r, n, 1000)
			for j := range v {
				want[j] += v[j]
			}
			ct, pr, err := enc.EncryptIntsProven(v, ProofContext{Session: proofSession, Client: c})
			require.NoError(t, err)
			ct = roundTrip(t, ct, &Ciphertext{p: p})
			b, err := pr.MarshalBinary()
			require.NoError(t, err)
			require.Len(t, b, p.ProofBytes(n))
			pr2, err := p.UnmarshalProof(b)
			require.NoError(t, err)
			require.NoError(t, p.VerifyProof(ct, pr2, pk, ProofContext{Session: proofSession, Client: c}))
			require.NoError(t, agg.Add(ct))
		}
		var active []int
		if threshold > 0 {
			active = []int{0, 2}
		}
		require.Equal(t, want, decryptCollective(t, p, hs, agg.Result(), active))
	}
}

// TestProofCompletenessCKKS: the same for CKKS, T-of-N (the runner's
// TestRunVerified covers N-of-N).
func TestProofCompletenessCKKS(t *testing.T) {
	if raceDetector {
		t.Skip("LogN 14 proofs under -race: TestProofCompletenessBGV covers the code")
	}
	for _, threshold := range []int{2} {
		p, hs, pk := collective(t, verifiedCKKS(threshold))
		enc, err := p.NewEncryptor(pk)
		require.NoError(t, err)
		n := 50
		want := make([]float64, n)
		agg, err := p.NewAggregator(n)
		require.NoError(t, err)
		for c := 1; c <= 2; c++ {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(c*i) - 12.25
				want[i] += v[i]
			}
			ct, pr, err := enc.EncryptFloatsProven(v, ProofContext{Session: proofSession, Client: c})
			require.NoError(t, err)
			require.NoError(t, p.VerifyProof(ct, pr, pk, ProofContext{Session: proofSession, Client: c}))
			require.NoError(t, agg.Add(ct))
		}
		var active []int
		var ds []*DecryptionShare
		if threshold > 0 {
			active = []int{1, 2}
		}
		sum := agg.Result()
		for i, h := range hs {
			if active != nil && !containsInt(active, i) {
				continue
			}
			s, err := h.DecryptionShare(sum, active)
			require.NoError(t, err)
			ds = append(ds, s)
		}
		got, err := p.CombineFloats(sum, ds)
		require.NoError(t, err)
		require.InDeltaSlice(t, want, got, p.Config().Precision)
	}
}

// crafted returns a zero-vector ciphertext of p whose chunk 0 is replaced
// by the review's F3 probe: c0 = 0, c1 = t^-1 mod Q (BGV) or c1 = 2^70
// (CKKS), which decrypts to the key (see TestCraftedCollectiveProbe).
func craftProbe(p *Params, ct *Ciphertext) {
	r := p.rlwe.RingQ().AtLevel(p.level)
	c1 := r.NewPoly()
	for i, q := range p.qAt() {
		if p.scheme == BGV {
			c1.Coeffs[i][0] = ring.ModExp(p.t%q, q-2, q) // t^-1 mod q_i
		} else {
			c1.Coeffs[i][0] = ring.ModExp(2, 70, q)
		}
	}
	r.NTT(c1, c1)
	ct.cts[0].Value[0].Zero()
	ct.cts[0].Value[1] = c1
}

// TestProofRejectsCrafted: the review's crafted ciphertexts, and one with
// a large noise, do not verify, whatever proof comes with them: the honest
// proof of the ciphertext they replaced, or a proof made by running the
// prover on them (with a zero witness for the probe, with the true but
// large witness for the noisy one, skipping the prover's own bound check).
//
// Mutation checked: with VerifyProof's norm check removed, the large-noise
// ciphertext verifies and this test fails.
func TestProofRejectsCrafted(t *testing.T) {
	cfgs := []Config{verifiedBGV(0), verifiedCKKS(0)}
	if raceDetector {
		cfgs = cfgs[:1]
	}
	for _, cfg := range cfgs {
		p, _, pk := collective(t, cfg)
		enc, err := p.NewEncryptor(pk)
		require.NoError(t, err)
		pc := ProofContext{Session: proofSession, Client: 1}
		n := p.Slots()
		var ct *Ciphertext
		var pr *Proof
		if p.scheme == BGV {
			ct, pr, err = enc.EncryptIntsProven(make([]int64, n), pc)
		} else {
			ct, pr, err = enc.EncryptFloatsProven(make([]float64, n), pc)
		}
		require.NoError(t, err)
		require.NoError(t, p.VerifyProof(ct, pr, pk, pc))

		probe := ct.CopyNew()
		craftProbe(p, probe)
		require.ErrorIs(t, p.VerifyProof(probe, pr, pk, pc), ErrBadProof, "%v: probe with the replaced ciphertext's proof", p.scheme)
		zero := []witness{{u: make([]int32, p.rlwe.N()), e: make([]int32, p.rlwe.N())}}
		forged, err := enc.prove(probe, zero, pc, false)
		require.NoError(t, err)
		require.ErrorIs(t, p.VerifyProof(probe, forged, pk, pc), ErrBadProof, "%v: probe with a proof for a zero witness", p.scheme)

		// c1 = a u + e1 with |e1| = 2^29: the relation holds, the norm does not.
		r := p.rlwe.RingQ().AtLevel(p.level)
		big := witness{u: make([]int32, p.rlwe.N()), e: make([]int32, p.rlwe.N())}
		for i := range big.e {
			big.e[i] = 1 << 29
			big.u[i] = int32(i%3) - 1
		}
		noisy := ct.CopyNew()
		pu, pe := r.NewPoly(), r.NewPoly()
		liftInt32(r, big.u, pu)
		liftInt32(r, big.e, pe)
		r.NTT(pu, pu)
		r.NTT(pe, pe)
		r.MulCoeffsMontgomery(pu, pk.pk.Value[1].Q, noisy.cts[0].Value[1])
		r.Add(noisy.cts[0].Value[1], pe, noisy.cts[0].Value[1])
		forged, err = enc.prove(noisy, []witness{big}, pc, false)
		require.NoError(t, err)
		require.ErrorIs(t, p.VerifyProof(noisy, forged, pk, pc), ErrBadProof, "%v: large noise", p.scheme)
		_, err = forged.MarshalBinary()
		require.ErrorIs(t, err, ErrInvalidParams, "responses beyond the bound have no binary form")
	}
}

func verifiedCKKS(threshold int) Config {
	return Config{Preset: RealLogN14, RealBound: 1000, MaxWeight: 4, KeyHolders: 3, Threshold: threshold,
		MaxValues: 3 << 13, VerifiedContributions: true}
}

// TestProofTampering: a proof verifies only for its ciphertext, key and
// context; any changed byte fails to decode or to verify.
func TestProofTampering(t *testing.T) {
	p, pk := smallProofParams(t)
	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	pc := ProofContext{Session: proofSession, Client: 2}
	v := make([]int64, 100)
	v[3] = 7
	ct, pr, err := enc.EncryptIntsProven(v, pc)
	require.NoError(t, err)
	require.NoError(t, p.VerifyProof(ct, pr, pk, pc))
	// "test sessioN" has proofSession's length: only its bytes differ
	for _, other := range []ProofContext{{Session: proofSession, Client: 3}, {Session: []byte("another round"), Client: 2}, {Session: []byte("test sessioN"), Client: 2}} {
		require.ErrorIs(t, p.VerifyProof(ct, pr, pk, other), ErrBadProof, "context %+v", other)
	}
	// the same ciphertext's masks verify (a key holder's view)
	m, err := ct.Masks()
	require.NoError(t, err)
	masks, err := p.UnmarshalMasks(m)
	require.NoError(t, err)
	require.NoError(t, p.VerifyProof(masks, pr, pk, pc))
	// c0 is not covered (the documented limit: the plaintext is not
	// bounded, a client can poison the sum but not reach the key)
	poisoned := ct.CopyNew()
	poisoned.cts[0].Value[0].Coeffs[0][0] ^= 1 << 20
	require.NoError(t, p.VerifyProof(poisoned, pr, pk, pc))
	// another ciphertext with this proof
	ct2, _, err := enc.EncryptIntsProven(v, pc)
	require.NoError(t, err)
	require.ErrorIs(t, p.VerifyProof(ct2, pr, pk, pc), ErrBadProof)
	// another key
	_, pk2 := p.GenKeyPair()
	require.ErrorIs(t, p.VerifyProof(ct, pr, pk2, pc), ErrMismatch)
	// a key with the same a but another b, the ciphertext relabelled to
	// it: the relation (u, e1) -> a u + e1 still holds, only the key's
	// Fingerprint in the Fiat-Shamir prefix tells the keys apart
	pk3 := &PublicKey{p: p, pk: pk.pk.CopyNew()}
	b0 := pk3.pk.Value[0].Q.Coeffs[0]
	b0[0] = (b0[0] + 1) % p.rlwe.RingQ().SubRings[0].Modulus
	relabelled := ct.CopyNew()
	relabelled.key = pk3.Fingerprint()
	require.ErrorIs(t, p.VerifyProof(relabelled, pr, pk3, pc), ErrBadProof)
	b, err := pr.MarshalBinary()
	require.NoError(t, err)
	for _, off := range []int{headerSize + 4 + 31, headerSize + 4 + 32, len(b) - 1} {
		bad := append([]byte(nil), b...)
		bad[off] ^= 1
		got, err := p.UnmarshalProof(bad)
		if err == nil {
			err = p.VerifyProof(ct, got, pk, pc)
		}
		require.Error(t, err, "byte %d flipped", off)
	}
	_, err = p.UnmarshalProof(b[:len(b)-1])
	require.ErrorIs(t, err, ErrMalformed)
	// a response field of all ones lies beyond its bound
	bad := append([]byte(nil), b...)
	for i := range 8 {
		bad[headerSize+4+32+i] = 0xff
	}
	_, err = p.UnmarshalProof(bad)
	require.ErrorIs(t, err, ErrMalformed)
}

// TestProofBoundToLayout: the Fiat-Shamir prefix binds a proof to the
// vector's length and to each group's place in it, so that relabelling a
// ciphertext to another length of the same shape, or swapping two groups
// of chunks together with their proofs, fails to verify (the checks of
// VerifyProof on lengths and group counts do not see either).
//
// Mutations checked: without the length in proofPrefix the relabelled
// ciphertext verifies; without the group index the swapped groups verify.
func TestProofBoundToLayout(t *testing.T) {
	p, pk := smallProofParams(t)
	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	pc := ProofContext{Session: proofSession, Client: 2}

	ct, pr, err := enc.EncryptIntsProven(make([]int64, 100), pc)
	require.NoError(t, err)
	longer, lpr := ct.CopyNew(), *pr
	longer.n, lpr.n = 101, 101
	require.Equal(t, p.proofGroups(100), p.proofGroups(101), "same shape")
	require.ErrorIs(t, p.VerifyProof(longer, &lpr, pk, pc), ErrBadProof, "relabelled to 101 values")

	n := 2 * proofGroup * p.Slots() // two full groups of chunks
	ct, pr, err = enc.EncryptIntsProven(make([]int64, n), pc)
	require.NoError(t, err)
	require.NoError(t, p.VerifyProof(ct, pr, pk, pc))
	swapped, spr := ct.CopyNew(), *pr
	spr.groups = []proofGroupData{pr.groups[1], pr.groups[0]}
	for j := range proofGroup {
		swapped.cts[j], swapped.cts[proofGroup+j] = swapped.cts[proofGroup+j], swapped.cts[j]
	}
	require.ErrorIs(t, p.VerifyProof(swapped, &spr, pk, pc), ErrBadProof, "groups swapped")
}

// smallProofParams is a single-key LogN 12 BGV session whose Params are
// marked for proofs (no decryption happens: the proof code is the same at
// every ring size, and this one costs a twelfth of LogN 14's).
func smallProofParams(t *testing.T) (*Params, *PublicKey) {
	p, err := NewParams(Config{Custom: &Custom{Scheme: BGV, LogN: 12, LogQ: []int{50}, LogP: []int{50}, LogT: 20}, Bound: 10, MaxWeight: 1})
	require.NoError(t, err)
	p.cfg.VerifiedContributions = true
	_, pk := p.GenKeyPair()
	return p, pk
}

// TestVerifiedBudget: with VerifiedContributions the smudging is sized for
// the noise a verified proof bounds (the extraction bound, not an honest
// encryption's), per transcript (F4's 2^-(lambda+1) still holds), and the
// configurations that cannot carry it are refused.
//
// Mutation checked: with the proofNoise line of noiseBudget removed, the
// smudging is sized for honest noise (2^14 instead of 2^47) and this test
// fails.
func TestVerifiedBudget(t *testing.T) {
	for _, cfg := range []Config{verifiedBGV(0), verifiedBGV(2), verifiedCKKS(0),
		{Preset: IntLogN14, Bound: 1000, MaxWeight: 100, KeyHolders: 3, MaxValues: 1 << 20, VerifiedContributions: true}} {
		p, err := NewParams(cfg)
		require.NoError(t, err)
		b := p.Budget()
		hidden := float64(cfg.MaxWeight) * p.proofNoise()
		require.GreaterOrEqual(t, b.LogAggregate, math.Log2(hidden), "%v", p)
		require.GreaterOrEqual(t, float64(b.SmudgingBits), float64(p.Config().StatisticalSecurity)+math.Log2(hidden)+b.LogTranscriptCoefficients, "%v", p)
		require.LessOrEqual(t, b.LogTranscriptDistance, -41.0)
		require.Positive(t, b.LogMarginBits)
	}
	_, err := NewParams(Config{Preset: IntLogN13, Bound: 1000, MaxWeight: 4, KeyHolders: 3, MaxValues: 1 << 13, VerifiedContributions: true})
	require.ErrorIs(t, err, ErrNoiseBudget)
	_, err = NewParams(Config{Preset: IntLogN14, Bound: 1000, MaxWeight: 4, VerifiedContributions: true})
	require.ErrorIs(t, err, ErrInvalidParams, "a single BGV key is not flooded")
}
