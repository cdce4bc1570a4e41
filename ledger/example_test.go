package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/veil-go/veil/dp"
	"github.com/veil-go/veil/ledger"
)

// A dataset's budget in a ledger pays for dp releases, durably: the third
// release of epsilon 1 from a budget of 2 is refused, in this process or
// any later one that opens the same file.
func ExampleLedger_Budget() {
	dir, _ := os.MkdirTemp("", "ledger")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DSN: filepath.Join(dir, "owner.ledger")})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	if err := l.SetBudget(ctx, "salaries", 2, 0); err != nil {
		panic(err)
	}
	lap, err := dp.NewLaplace(dp.LaplaceConfig{Epsilon: 1, Sensitivity: 1, Budget: l.Budget("salaries")})
	if err != nil {
		panic(err)
	}
	for range 3 {
		_, err := lap.AddNoise(1000)
		fmt.Println("released:", err == nil, "refused:", errors.Is(err, ledger.ErrBudgetExceeded))
	}
	eps, _, _, _ := l.Remaining(ctx, "salaries")
	fmt.Println("remaining epsilon:", eps)
	// Output:
	// released: true refused: false
	// released: true refused: false
	// released: false refused: true
	// remaining epsilon: 0
}
