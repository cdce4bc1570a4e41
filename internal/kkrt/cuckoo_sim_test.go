package kkrt

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/internal/prg"
)

// placeable says, by exact bipartite matching (augmenting paths), whether
// the items can be placed at all: it tells "no placement exists" apart from
// "the random walk gave up".
func placeable(pos [][NumHashes]uint32, bins int) bool {
	owner := make([]int32, bins)
	for i := range owner {
		owner[i] = -1
	}
	seen := make([]int, bins)
	stamp := 0
	var try func(u int32) bool
	try = func(u int32) bool {
		for _, b := range pos[u] {
			if seen[b] == stamp {
				continue
			}
			seen[b] = stamp
			if owner[b] < 0 || try(owner[b]) {
				owner[b] = u
				return true
			}
		}
		return false
	}
	for u := range pos {
		stamp++
		if !try(int32(u)) {
			return false
		}
	}
	return true
}

// cuckooFailures places trials random sets of n items (uniform positions,
// as the AES-based hasher gives) in NumBins(n) bins and counts the walks
// that fail and, among them, the sets that have no placement at all.
func cuckooFailures(t *testing.T, n, trials int, seed uint64) (walkFails, noPlacement int) {
	r := rand.New(rand.NewPCG(seed, 99))
	seedBytes := prg.Seed{}
	seedBytes[0] = byte(seed)
	rnd, err := prg.New(seedBytes)
	require.NoError(t, err)
	bins := NumBins(n)
	pos := make([][NumHashes]uint32, n)
	for range trials {
		for i := range pos {
			for f := range NumHashes {
				pos[i][f] = uint32(r.IntN(bins))
			}
		}
		if _, ok := placeCuckoo(pos, bins, rnd); !ok {
			walkFails++
			if !placeable(pos, bins) {
				noPlacement++
			}
		}
	}
	return walkFails, noPlacement
}

// TestCuckooFailureAtWorstSizes (S2): with a flat 1.27 bins per item, sets
// of n ~ 100 items (128 bins) fail to place about 2^-14.5 of the time; the
// size-dependent factor must leave no failure in 2^18 trials there, nor at
// the sizes where NumBins(n)/n is smallest among small sets.
func TestCuckooFailureAtWorstSizes(t *testing.T) {
	trials := 1 << 18
	if testing.Short() {
		trials = 1 << 15
	}
	sizes := []int{100, worstSmallN(t), 1 << 13} // the old worst, the tightest small set, the first at 1.27
	for _, n := range sizes {
		walk, none := cuckooFailures(t, n, trials*100/n, uint64(n))
		t.Logf("n=%d bins=%d trials=%d: walk failures %d, no placement %d", n, NumBins(n), trials*100/n, walk, none)
		require.Zero(t, walk, "n=%d: random-walk failures", n)
		require.Zero(t, none, "n=%d: sets with no placement", n)
	}
}

// worstSmallN is the n in [16, 1024] with the fewest bins per item.
func worstSmallN(t *testing.T) int {
	best, ratio := 0, 1e9
	for n := 16; n <= 1024; n++ {
		if r := float64(NumBins(n)) / float64(n); r < ratio {
			best, ratio = n, r
		}
	}
	t.Logf("tightest small set: n=%d, %.3f bins per item", best, ratio)
	return best
}

// TestNumBinsFactor checks NumBins against its stated factor at each size.
func TestNumBinsFactor(t *testing.T) {
	for _, n := range []int{1, 2, 100, 127, 128, 511, 512, 1 << 12, 1<<20 - 1, 1 << 20, 1 << 24, MaxItems} {
		b := NumBins(n)
		require.Zero(t, b%128)
		require.GreaterOrEqual(t, float64(b), BinFactor(n)*float64(n), "n=%d", n)
		require.Less(t, float64(b), BinFactor(n)*float64(n)+129, "n=%d", n)
	}
	require.InDelta(t, 1.27, BinFactor(1<<20), 1e-9)
	require.InDelta(t, 1.484, BinFactor(1<<13-1), 1e-9)
}
