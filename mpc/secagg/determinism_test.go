package secagg

import (
	"testing"
	"testing/cryptotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With crypto/rand made deterministic, a round whose parties draw in a
// fixed order (one goroutine, Workers 1) is reproducible message for
// message; another seed gives other masks. Every key, seed, share
// polynomial and nonce comes from crypto/rand or a PRG keyed from it.
func TestDeterministicUnderSetGlobalRandom(t *testing.T) {
	const n = 4
	ids := identities(t, n) // issued before: certificates are not part of a round
	masked := func(seed uint64) [][]uint64 {
		cryptotest.SetGlobalRandom(t, seed)
		p := newParams(t, Config{Clients: n, Length: 6, Threshold: 2, Workers: 1})
		srv, cs, kl := advertiseAs(t, p, ids)
		for i := 1; i <= n; i++ {
			b, err := cs[i].ShareKeys(kl[i])
			require.NoError(t, err)
			require.NoError(t, srv.AddShares(b))
		}
		dels, err := srv.Deliveries()
		require.NoError(t, err)
		var out [][]uint64
		for i := 1; i <= n; i++ {
			m, err := cs[i].MaskInput(dels[i], make([]uint64, 6))
			require.NoError(t, err)
			out = append(out, m.Vector)
		}
		return out
	}
	a, b, c := masked(1), masked(1), masked(2)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)
}
