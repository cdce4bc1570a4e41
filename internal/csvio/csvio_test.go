package csvio

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"0", 0, nil},
		{"7", 700, nil},
		{"-7", -700, nil},
		{"+7", 700, nil},
		{"12.3", 1230, nil},
		{"12.34", 1234, nil},
		{"-0.05", -5, nil},
		{".5", 50, nil},
		{"1.", 100, nil},
		{" 3.25 ", 325, nil},
		{"007.10", 710, nil},
		{"92233720368547758.07", math.MaxInt64, nil},
		{"-92233720368547758.08", math.MinInt64, nil},
		{"92233720368547758.08", 0, ErrOutOfRange},
		{"-92233720368547758.09", 0, ErrOutOfRange},
		{"100000000000000000000", 0, ErrOutOfRange},
		{"1.234", 0, ErrTooPrecise},
		{"abc", 0, ErrNotNumber},
		{"", 0, ErrNotNumber},
		{"-", 0, ErrNotNumber},
		{".", 0, ErrNotNumber},
		{"1.2.3", 0, ErrNotNumber},
		{"1e5", 0, ErrNotNumber},
		{"1,000", 0, ErrNotNumber},
		{"NaN", 0, ErrNotNumber},
		{"Inf", 0, ErrNotNumber},
		{"--1", 0, ErrNotNumber},
		{"0x10", 0, ErrNotNumber},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDecimal(tc.in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.Contains(t, err.Error(), fmt.Sprintf("%q", strings.TrimSpace(tc.in)))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"0", 0, nil},
		{"-17", -17, nil},
		{"+17", 17, nil},
		{"9223372036854775807", math.MaxInt64, nil},
		{"-9223372036854775808", math.MinInt64, nil},
		{"9223372036854775808", 0, ErrOutOfRange},
		{"1.5", 0, ErrNotNumber},
		{"x", 0, ErrNotNumber},
		{"", 0, ErrNotNumber},
	}
	for _, tc := range tests {
		got, err := ParseInt(tc.in)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

// The scaled value equals the exact rational value times 100, checked with
// math/big on random decimals of random lengths and signs.
func TestParseDecimalProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for range 5000 {
		n := rng.Int63n(1 << uint(rng.Intn(56)+1)) // |n|*100 fits in int64
		if rng.Intn(2) == 0 {
			n = -n
		}
		digits := rng.Intn(3)
		s := formatScaled(n, digits)
		got, err := ParseDecimal(s)
		require.NoError(t, err, s)
		r, ok := new(big.Rat).SetString(s)
		require.True(t, ok, s)
		want := new(big.Rat).Mul(r, big.NewRat(Scale, 1))
		require.True(t, want.IsInt(), s)
		assert.Equal(t, want.Num().Int64(), got, s)
	}
}

// formatScaled renders n / 10^digits with exactly digits fraction digits.
func formatScaled(n int64, digits int) string {
	if digits == 0 {
		return fmt.Sprint(n)
	}
	s := new(big.Rat).SetFrac(big.NewInt(n), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil))
	return s.FloatString(digits)
}

func TestFormatDecimal(t *testing.T) {
	for _, v := range []int64{0, 5, -5, 1250, -1250, math.MaxInt64, math.MinInt64, 99, -100} {
		s := FormatDecimal(v)
		back, err := ParseDecimal(s)
		require.NoError(t, err, s)
		assert.Equal(t, v, back, s)
	}
	assert.Equal(t, "12.50", FormatDecimal(1250))
	assert.Equal(t, "-0.05", FormatDecimal(-5))
}

func TestReadAndColumns(t *testing.T) {
	in := "\xef\xbb\xbfid, value ,name\n" +
		"a,1.5,x\n" +
		"\n" + // blank lines are skipped but counted
		"b, -2 ,\"multi\nline\"\n" +
		"c,3,z\n"
	tab, err := Read("a.csv", strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, []string{"id", "value", "name"}, tab.Header)
	require.Len(t, tab.Rows, 3)
	assert.Equal(t, []int{2, 4, 6}, []int{tab.Line(0), tab.Line(1), tab.Line(2)})

	ids, err := tab.Strings("id")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, ids)

	dec, err := tab.Decimals("value")
	require.NoError(t, err)
	assert.Equal(t, []int64{150, -200, 300}, dec)

	_, err = tab.Ints("value")
	require.ErrorIs(t, err, ErrNotNumber)
	assert.Equal(t, `a.csv:2: column "value": "1.5" is not a number`, err.Error())

	_, err = tab.Decimals("name")
	require.ErrorIs(t, err, ErrNotNumber)
	assert.Equal(t, `a.csv:2: column "name": "x" is not a number`, err.Error())

	_, err = tab.Strings("amount")
	require.ErrorIs(t, err, ErrNoColumn)
	assert.Equal(t, `a.csv:1: column "amount": no such column in header (columns: id, value, name)`, err.Error())
	var ce *Error
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, "amount", ce.Column)
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "b.csv:1: empty file: expected a header row"},
		{"short row", "a,b\n1,2\n3\n", "b.csv:3: wrong number of fields"},
		{"bad quote", "a,b\n1,\"2\n", "b.csv:2: extraneous or missing \" in quoted-field"},
		{"duplicate header", "a,a\n1,2\n", "b.csv:1: column \"a\": duplicate column in header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read("b.csv", strings.NewReader(tc.in))
			require.ErrorIs(t, err, ErrFormat)
			assert.Equal(t, tc.want, err.Error())
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "h.csv")
	require.NoError(t, os.WriteFile(p, []byte("value\n1\n2.25\nbad\n"), 0o600))
	tab, err := ReadFile(p)
	require.NoError(t, err)
	_, err = tab.Decimals("value")
	require.ErrorIs(t, err, ErrNotNumber)
	assert.Equal(t, p+`:4: column "value": "bad" is not a number`, err.Error())

	_, err = ReadFile(filepath.Join(dir, "missing.csv"))
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "missing.csv")
}

func TestHeaderOnly(t *testing.T) {
	tab, err := Read("e.csv", strings.NewReader("value\n"))
	require.NoError(t, err)
	v, err := tab.Decimals("value")
	require.NoError(t, err)
	assert.Empty(t, v)
}

// FuzzParseDecimal: never panics; accepted values round-trip through
// FormatDecimal and agree with math/big.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0.05", "12.34", "1.", ".5", "abc", "92233720368547758.07", "-92233720368547758.08", "1e5", "+-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseDecimal(s)
		if err != nil {
			return
		}
		back, err := ParseDecimal(FormatDecimal(v))
		require.NoError(t, err)
		require.Equal(t, v, back)
		r, ok := new(big.Rat).SetString(strings.TrimPrefix(strings.TrimSpace(s), "+"))
		require.True(t, ok, s)
		r.Mul(r, big.NewRat(Scale, 1))
		require.True(t, r.IsInt())
		require.Equal(t, r.Num().Int64(), v)
	})
}

// FuzzRead: arbitrary bytes never panic and errors are one line.
func FuzzRead(f *testing.F) {
	f.Add("id,value\n1,2\n")
	f.Add("a,b\n1,\"2\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := Read("f.csv", strings.NewReader(s))
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "f.csv"))
			return
		}
		for _, h := range tab.Header {
			_, _ = tab.Decimals(h)
		}
	})
}

func TestSynthetic(t *testing.T) {
	a, err := NewSynthetic("x", 1)
	require.NoError(t, err)
	b, _ := NewSynthetic("x", 1)
	c, _ := NewSynthetic("x", 2)
	d, _ := NewSynthetic("y", 1)
	va, vb, vc, vd := a.Uint64(), b.Uint64(), c.Uint64(), d.Uint64()
	assert.Equal(t, va, vb)
	assert.NotEqual(t, va, vc)
	assert.NotEqual(t, va, vd)
	// Moments of 20000 normals: mean within 5 sd of the estimate (false
	// failure ~6e-7), variance within 0.1 (sd of the estimate ~0.01).
	var s, s2 float64
	const n = 20000
	for range n {
		x := a.Normal()
		s += x
		s2 += x * x
	}
	mean := s / n
	assert.InDelta(t, 0, mean, 5/math.Sqrt(n))
	assert.InDelta(t, 1, s2/n-mean*mean, 0.1)
	for range 1000 {
		u := a.Float64()
		require.True(t, u >= 0 && u < 1)
	}
	assert.Equal(t, int64(1235), Cents(12.345000001))
}

func TestFormatBytes(t *testing.T) {
	assert.Equal(t, "812 bytes", FormatBytes(812))
	assert.Equal(t, "1.5 KiB", FormatBytes(1536))
	assert.Equal(t, "2.0 MiB", FormatBytes(2<<20))
	assert.Equal(t, "3.0 GiB", FormatBytes(3<<30))
}

func TestParseIndices(t *testing.T) {
	for _, tc := range []struct {
		in      string
		n       int
		want    []int
		wantErr string
	}{
		{"", 3, nil, ""},
		{"  ", 3, nil, ""},
		{"2, 0", 3, []int{0, 2}, ""},
		{"7", 0, []int{7}, ""},
		{"3", 3, nil, "party 3 does not exist"},
		{"1,1", 3, nil, "party 1 listed twice"},
		{"-1", 3, nil, `"-1" is not a 0-based party index`},
		{"a", 3, nil, `"a" is not a 0-based party index`},
		{"1,", 3, nil, `"" is not a 0-based party index`},
	} {
		got, err := ParseIndices(tc.in, "party", tc.n)
		if tc.wantErr != "" {
			require.ErrorContains(t, err, tc.wantErr, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}
