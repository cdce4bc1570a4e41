package secagg

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFixedPointSum(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, fb := range []int{0, 16, 30} {
		const clients = 20
		f, err := NewFixedPoint(fb, clients)
		require.NoError(t, err)
		vals := make([][]float64, clients)
		sum := make([]uint64, 5)
		want := make([]float64, 5)
		for c := range vals {
			vals[c] = make([]float64, 5)
			for k := range vals[c] {
				vals[c][k] = (r.Float64()*2 - 1) * 1000
				want[k] += vals[c][k]
			}
			enc, err := f.Encode(vals[c])
			require.NoError(t, err)
			for k, v := range enc {
				sum[k] += v
			}
		}
		got := f.Decode(sum)
		for k := range got {
			assert.InDelta(t, want[k], got[k], clients*f.Resolution(), "fracBits %d", fb)
		}
	}
}

func TestFixedPointRejects(t *testing.T) {
	f, err := NewFixedPoint(20, 100)
	require.NoError(t, err)
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 2 * f.MaxAbs(), -2 * f.MaxAbs()} {
		_, err := f.Encode([]float64{0, v})
		assert.ErrorIs(t, err, ErrOutOfRange, "%v", v)
	}
	// The extreme sum stays in range.
	enc, err := f.Encode([]float64{f.MaxAbs(), -f.MaxAbs()})
	require.NoError(t, err)
	s := []uint64{0, 0}
	for range 100 {
		s[0] += enc[0]
		s[1] += enc[1]
	}
	d := f.Decode(s)
	assert.InEpsilon(t, 100*f.MaxAbs(), d[0], 1e-9)
	assert.InEpsilon(t, -100*f.MaxAbs(), d[1], 1e-9)
	for _, bad := range [][2]int{{-1, 1}, {53, 1}, {10, 0}} {
		_, err := NewFixedPoint(bad[0], bad[1])
		assert.ErrorIs(t, err, ErrInvalidParams)
	}
}

func TestInt64RoundTrip(t *testing.T) {
	x := []int64{0, -1, math.MinInt64, math.MaxInt64, 42}
	assert.Equal(t, x, ToInt64s(FromInt64s(x)))
}
