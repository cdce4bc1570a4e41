package he

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
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

func TestProofCompletenessBGV(t *testing.T) {
	for _, threshold := range []int{0, 2} {
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
