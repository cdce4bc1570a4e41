package mpc

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDealerCorrelations reconstructs every kind of correlated randomness
// from all views and checks its defining relation, for 2..6 parties, on
// one chunk and on several (with a partial last chunk).
func TestDealerCorrelations(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ n, size int }{{2, 300}, {3, 300}, {4, 300}, {5, 300}, {6, 300}, {2, 2*dealerChunk + 7}, {3, dealerChunk}, {2, 0}} {
		n, size := tc.n, tc.size
		t.Run(fmt.Sprint(n, "x", size), func(t *testing.T) {
			d, err := NewTrustedDealer(n, DealerConfig{})
			require.NoError(t, err)
			views := make([]Dealer, n)
			for i := range views {
				views[i], err = d.Party(i)
				require.NoError(t, err)
			}
			sum := func(get func(i int) []uint64, xor bool) []uint64 {
				out := make([]uint64, size)
				for i := range n {
					for k, v := range get(i) {
						if xor {
							out[k] ^= v
						} else {
							out[k] += v
						}
					}
				}
				return out
			}
			tr, at, dp := make([]Triples, n), make([]Triples, n), make([]DivPairs, n)
			eb, db := make([]EdaBits, n), make([]DaBits, n)
			for i, v := range views {
				tr[i], err = v.Triples(ctx, size)
				require.NoError(t, err)
				at[i], err = v.ANDTriples(ctx, size)
				require.NoError(t, err)
				dp[i], err = v.DivPairs(ctx, size, 1000)
				require.NoError(t, err)
				eb[i], err = v.EdaBits(ctx, size)
				require.NoError(t, err)
				db[i], err = v.DaBits(ctx, size)
				require.NoError(t, err)
			}
			a, b, c := sum(func(i int) []uint64 { return tr[i].A }, false), sum(func(i int) []uint64 { return tr[i].B }, false), sum(func(i int) []uint64 { return tr[i].C }, false)
			ba, bb, bc := sum(func(i int) []uint64 { return at[i].A }, true), sum(func(i int) []uint64 { return at[i].B }, true), sum(func(i int) []uint64 { return at[i].C }, true)
			r, q, m := sum(func(i int) []uint64 { return dp[i].R }, false), sum(func(i int) []uint64 { return dp[i].Q }, false), sum(func(i int) []uint64 { return dp[i].M }, false)
			ea, ex := sum(func(i int) []uint64 { return eb[i].Arith }, false), sum(func(i int) []uint64 { return eb[i].Bool }, true)
			da, dx := sum(func(i int) []uint64 { return db[i].Arith }, false), sum(func(i int) []uint64 { return db[i].Bool }, true)
			ones := 0
			for k := range size {
				require.Equal(t, a[k]*b[k], c[k])
				require.Equal(t, ba[k]&bb[k], bc[k])
				require.Equal(t, r[k]/1000, q[k])
				require.Equal(t, r[k]>>63, m[k])
				require.Equal(t, ea[k], ex[k])
				require.Equal(t, dx[k], da[k])
				require.LessOrEqual(t, dx[k], uint64(1))
				ones += int(dx[k])
			}
			// random bits are balanced: Binomial(300, 1/2) within 6 sd (false-failure < 1e-8)
			require.InDelta(t, size/2, ones, 6*math.Sqrt(float64(size)/4)+0.5)
			_, err = views[0].Triples(ctx, -1)
			require.ErrorIs(t, err, ErrInvalidParams)
			_, err = views[n-1].DivPairs(ctx, 1, 0)
			require.ErrorIs(t, err, ErrInvalidParams)
		})
	}
}

// With crypto/rand seeded (testing/cryptotest), a run is reproducible: the
// dealer's and the parties' seeds are drawn in order before the parties
// start, so the same seed gives the same shares and another seed others.
func TestSeededRunsReproduce(t *testing.T) {
	prog := func(ctx context.Context, p *Party) (Share, error) {
		x, err := p.Input(ctx, 0, []uint64{1, 2, 3})
		if err != nil {
			return nil, err
		}
		return p.Mul(ctx, x, x)
	}
	a := runParties(t, 3, 7, prog)
	b := runParties(t, 3, 7, prog)
	c := runParties(t, 3, 8, prog)
	require.Equal(t, a, b)
	require.NotEqual(t, a[1], c[1])
}
