package dp

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Regression tests of the review's findings F5, F6, F9 and F11.

// F5: a zero-count step used to poison the accountant with Inf * 0 = NaN.
func TestRDPAccountantZeroCount(t *testing.T) {
	a := NewRDPAccountant()
	require.NoError(t, a.AddSubsampledGaussian(0.01, 1.1, 0))
	require.NoError(t, a.AddCurve(func(al float64) float64 { return SkellamRDP(al, 10, 1, 1) }, 0))
	require.NoError(t, a.AddGaussian(1, 1))
	e, err := a.Epsilon(1e-5)
	require.NoError(t, err)
	require.InDelta(t, 4.7527, e, 1e-4) // the review's fresh-accountant figure
}

// F6: constructors never panic; the review's NewExponentialMechanism(1,
// 1e308) dereferenced nil.
func TestExponentialMechanismHugeSensitivity(t *testing.T) {
	for _, sens := range []float64{1e308, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		e, err := NewExponentialMechanism(ExponentialMechanismConfig{Epsilon: 1, Sensitivity: sens, Budget: testBudget()})
		require.NoError(t, err)
		i, err := e.PermuteAndFlip([]float64{0, 1})
		require.NoError(t, err)
		require.True(t, i == 0 || i == 1)
	}
}

// F9: basic composition reporting delta 1 was a success.
func TestAdvancedCompositionDeltaOne(t *testing.T) {
	_, _, err := AdvancedComposition(0.01, 0.5, 3, 1e-5)
	require.ErrorIs(t, err, ErrInvalidParams)
	e, d, err := AdvancedComposition(0.01, 0.1, 3, 1e-5)
	require.NoError(t, err)
	require.InDelta(t, 0.03, e, 1e-15)
	require.InDelta(t, 0.3, d, 1e-15)
}

// F11: a tiny sensitivity collapsed the grid to 0.5 (10^317 times the
// noise); it is rejected now, and the smallest accepted one keeps its scale.
func TestTinySensitivityRejected(t *testing.T) {
	_, err := NewLaplace(LaplaceConfig{Epsilon: 1, Sensitivity: 1e-318, Budget: testBudget()})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewGaussian(GaussianConfig{Epsilon: 1, Delta: 1e-5, Sensitivity: 1e-318, Budget: testBudget()})
	require.ErrorIs(t, err, ErrInvalidParams)
	l, err := NewLaplace(LaplaceConfig{Epsilon: 1, Sensitivity: 1e-290, Budget: testBudget()})
	require.NoError(t, err)
	require.InEpsilon(t, 1e-290, l.Scale(), 1e-5)
	_, err = NewBoundedSumFloat(BoundedSumFloatConfig{Epsilon: 1, Lower: 0, Upper: 1e-318, Budget: testBudget()})
	require.ErrorIs(t, err, ErrInvalidParams)
}
