package dp

import (
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAccountantSequential(t *testing.T) {
	a, err := NewAccountant(0.9, 1e-5)
	require.NoError(t, err)
	// 0.3 three times fits exactly (float rounding must not refuse it).
	for i := 0; i < 3; i++ {
		require.NoError(t, a.Spend(0.3, 0))
	}
	err = a.Spend(1e-12, 0)
	require.True(t, errors.Is(err, ErrBudgetExceeded), "%v", err)
	e, d := a.Spent()
	require.InDelta(t, 0.9, e, 1e-15)
	require.Zero(t, d)
	// Delta alone can exceed.
	b, _ := NewAccountant(1, 1e-6)
	require.NoError(t, b.Spend(0.1, 6e-7))
	require.ErrorIs(t, b.Spend(0.1, 6e-7), ErrBudgetExceeded)
	e, d = b.Spent()
	require.Equal(t, 0.1, e, "a refused spend spends nothing")
	require.Equal(t, 6e-7, d)
	re, rd := b.Remaining()
	require.InDelta(t, 0.9, re, 1e-15)
	require.InDelta(t, 4e-7, rd, 1e-20)
	// Invalid spends.
	for _, bad := range [][2]float64{{-1, 0}, {nan(), 0}, {inf(), 0}, {0.1, -1}, {0.1, 1}} {
		require.ErrorIs(t, b.Spend(bad[0], bad[1]), ErrInvalidParams)
	}
	be, bd := b.Budget()
	require.Equal(t, 1.0, be)
	require.Equal(t, 1e-6, bd)
}

func TestAccountantConcurrent(t *testing.T) {
	// 8 goroutines try 100 spends of 1/64 each against a budget of 2: exactly
	// 128 must succeed.
	a, err := NewAccountant(2, 0)
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if a.Spend(1.0/64, 0) == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 128, ok)
	e, _ := a.Spent()
	require.Equal(t, 2.0, e)
	// fl(0.01) is slightly above 1/100, so exactly 199 spends of it fit in 2.
	b, _ := NewAccountant(2, 0)
	n := 0
	for b.Spend(0.01, 0) == nil {
		n++
	}
	require.Equal(t, 199, n)
}

func TestAccountantMarshal(t *testing.T) {
	a, _ := NewAccountant(3, 1e-6)
	require.NoError(t, a.Spend(0.1, 1e-7))
	require.NoError(t, a.Spend(0.7, 0))
	data, err := a.MarshalBinary()
	require.NoError(t, err)
	var b Accountant
	require.NoError(t, b.UnmarshalBinary(data))
	ea, da := a.Spent()
	eb, db := b.Spent()
	require.Equal(t, ea, eb)
	require.Equal(t, da, db)
	data2, _ := b.MarshalBinary()
	require.Equal(t, data, data2)
	// Malformed inputs.
	for _, bad := range [][]byte{nil, {2}, data[:len(data)-1], append(append([]byte{}, data...), 0)} {
		require.ErrorIs(t, b.UnmarshalBinary(bad), ErrMalformed)
	}
	// Spent above budget is rejected.
	c, _ := NewAccountant(0.5, 0)
	cd, _ := c.MarshalBinary()
	require.NoError(t, a.UnmarshalBinary(cd))
	require.NoError(t, a.Spend(0.5, 0))
	over, _ := a.MarshalBinary()
	// Lower the encoded epsilon budget to 0.4 with 0.5 spent: rejected.
	binary.BigEndian.PutUint64(over[1:], math.Float64bits(0.4))
	require.ErrorIs(t, b.UnmarshalBinary(over), ErrMalformed)
	// The same for delta: budget 1e-6 below 2e-6 spent.
	d, _ := NewAccountant(1, 1e-5)
	require.NoError(t, d.Spend(0, 2e-6))
	overD, _ := d.MarshalBinary()
	binary.BigEndian.PutUint64(overD[9:], math.Float64bits(1e-6))
	require.ErrorIs(t, b.UnmarshalBinary(overD), ErrMalformed)
	// Raising the budget is a valid state.
	binary.BigEndian.PutUint64(over[1:], math.Float64bits(0.6))
	require.NoError(t, b.UnmarshalBinary(over))
}

func FuzzAccountantUnmarshal(f *testing.F) {
	a, _ := NewAccountant(1, 1e-5)
	_ = a.Spend(0.25, 1e-6)
	data, _ := a.MarshalBinary()
	f.Add(data)
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Accountant
		if err := b.UnmarshalBinary(data); err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		// A decoded state is consistent and round-trips.
		e, d := b.Spent()
		be, bd := b.Budget()
		require.LessOrEqual(t, e, be)
		require.LessOrEqual(t, d, bd)
		out, err := b.MarshalBinary()
		require.NoError(t, err)
		var c Accountant
		require.NoError(t, c.UnmarshalBinary(out))
	})
}
