package dp

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/internal/errs"
)

// Errors wrap the shared sentinels and read "dp: <sentinel>: <detail>", with
// no double prefix.
func TestErrorFormat(t *testing.T) {
	_, err := NewLaplace(LaplaceConfig{Budget: testBudget(), Epsilon: -1, Sensitivity: 1})
	require.ErrorIs(t, err, errs.ErrInvalidParams)
	require.True(t, strings.HasPrefix(err.Error(), "dp: invalid parameters: epsilon"), err.Error())
	require.Equal(t, 1, strings.Count(err.Error(), "dp:"), err.Error())

	_, err = NewDiscreteLaplace(DiscreteLaplaceConfig{Budget: testBudget(), Epsilon: 1, Sensitivity: 1, Workers: -1})
	require.ErrorIs(t, err, ErrInvalidParams)
	require.Contains(t, err.Error(), "Workers")

	s, err := NewBoundedSumInt(BoundedSumIntConfig{Budget: testBudget(), Epsilon: 1, Lower: 0, Upper: 1 << 50})
	require.NoError(t, err)
	_, err = s.ExactSum(slices.Repeat([]int64{1 << 50}, 1<<13))
	require.ErrorIs(t, err, errs.ErrOutOfRange)
	require.True(t, strings.HasPrefix(err.Error(), "dp: value out of range: "), err.Error())

	a, err := NewAccountant(1, 0)
	require.NoError(t, err)
	err = a.Spend(2, 0)
	require.ErrorIs(t, err, errs.ErrBudgetExceeded)
	require.True(t, strings.HasPrefix(err.Error(), "dp: privacy budget exceeded: "), err.Error())
	err = a.UnmarshalBinary([]byte{0})
	require.ErrorIs(t, err, errs.ErrMalformed)
	require.True(t, strings.HasPrefix(err.Error(), "dp: malformed message: "), err.Error())
}
