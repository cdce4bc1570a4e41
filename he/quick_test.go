package he

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuick(t *testing.T) {
	for _, cfg := range []Config{
		{Preset: IntLogN13, Bound: 1000, MaxWeight: 10},
		{Preset: IntLogN13, Bound: 1 << 20, MaxWeight: 1000, KeyHolders: 5, Threshold: 3},
		{Preset: IntLogN14, Bound: 1 << 20, MaxWeight: 1000, KeyHolders: 5, Threshold: 3},
		{Preset: RealLogN13, RealBound: 1000, MaxWeight: 10},
		{Preset: RealLogN13, RealBound: 1000, MaxWeight: 1000, KeyHolders: 5},
		{Preset: RealLogN14, RealBound: 1000, MaxWeight: 1000, KeyHolders: 5},
	} {
		p, err := NewParams(cfg)
		require.NoError(t, err)
		t.Log(p, p.Budget())
		sk, pk := p.GenKeyPair()
		enc, err := p.NewEncryptor(pk)
		require.NoError(t, err)
		dec, err := p.NewDecryptor(sk)
		require.NoError(t, err)
		if p.Scheme() == BGV {
			c, err := enc.EncryptInts([]int64{1, -2, 3})
			require.NoError(t, err)
			require.NoError(t, p.AddWeighted(c, c, -3))
			v, err := dec.DecryptInts(c)
			require.NoError(t, err)
			require.Equal(t, []int64{-2, 4, -6}, v)
		} else {
			c, err := enc.EncryptFloats([]float64{1.5, -2, 3})
			require.NoError(t, err)
			require.NoError(t, p.AddWeighted(c, c, -3))
			v, err := dec.DecryptFloats(c)
			require.NoError(t, err)
			require.InDeltaSlice(t, []float64{-3, 4, -6}, v, 1e-6)
		}
	}
}
