package he

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v5/core/rlwe"
)

// TestDecodeCRTMatchesLattigo checks the fast CRT decoder against
// lattigo's big-integer decoder on the same phases, at levels 1 and 2, for
// values of both signs and every magnitude up to RealBound.
func TestDecodeCRTMatchesLattigo(t *testing.T) {
	for _, cfg := range []Config{
		{Preset: RealLogN13, RealBound: 1e6, MaxWeight: 4},
		{Preset: RealLogN14, RealBound: 1e3, MaxWeight: 1000, KeyHolders: 5, Threshold: 3},
	} {
		p, err := NewParams(cfg)
		require.NoError(t, err)
		require.Positive(t, p.Level())
		sk, pk := p.GenKeyPair()
		enc, err := p.NewEncryptor(pk)
		require.NoError(t, err)
		r := rand.New(rand.NewSource(3))
		vals := make([]float64, p.Slots())
		for i := range vals {
			vals[i] = (r.Float64()*2 - 1) * cfg.RealBound * math.Pow(10, -float64(r.Intn(8)))
		}
		ct, err := enc.EncryptFloats(vals)
		require.NoError(t, err)
		dec := rlwe.NewDecryptor(p.rlwe, sk.sk)
		pt := rlwe.NewPlaintext(p.rlwe, p.level)
		dec.Decrypt(ct.cts[0], pt)
		cd := p.newCodec()
		require.NoError(t, cd.decodeFloatsCRT(pt.Value))
		fast := append([]float64(nil), cd.fbuf...)
		cd.pt.Value = pt.Value
		require.NoError(t, cd.fenc.Decode(cd.pt, cd.fbuf))
		worst := 0.0
		for i := range fast {
			worst = max(worst, math.Abs(fast[i]-cd.fbuf[i]))
			require.InDelta(t, vals[i], fast[i], 1e-6)
		}
		t.Logf("%v level %d: fast and lattigo decoders differ by at most %g", cfg.Preset, p.Level(), worst)
		require.Less(t, worst, cfg.RealBound*1e-12)
	}
}
