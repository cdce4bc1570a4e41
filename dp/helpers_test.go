package dp

import (
	"math"
	"math/big"
)

func bigLsh(x int64, n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(x), n) }

// snapAddBig is snapAdd through the big-float path only.
func snapAddBig(x, grid float64, z int64) float64 {
	rx := x
	if x != 0 && !(x >= 0x1p52*grid || -x >= 0x1p52*grid) {
		rx = float64(int64(x/grid+0.5*sign(x))) * grid
	}
	return exactSum(rx, grid, z)
}

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}

func nan() float64 { return math.NaN() }
func inf() float64 { return math.Inf(1) }

// testBudget returns a budget that accepts every spend, for tests of the
// noise itself; tests of the budget make their own.
func testBudget() Budget { return freeBudget{} }

type freeBudget struct{}

func (freeBudget) Spend(epsilon, delta float64) error { return nil }

// must returns v, panicking on err: for releases from a testBudget, which
// never refuses.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
