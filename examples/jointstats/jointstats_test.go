package main

import (
	"bytes"
	"encoding/json"
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

// writeCSV writes a file with a header and one row per value, plus an id
// column so that the value column is not the only one.
func writeCSV(t *testing.T, dir, name, column string, values []string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "id,%s\n", column)
	for i, v := range values {
		fmt.Fprintf(&b, "p%d,%s\n", i, v)
	}
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o600))
	return p
}

func runProg(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// plain computes the exact statistics of decimal strings with math/big.
func plain(t *testing.T, files [][]string) (count int, sum, mean, variance float64) {
	s, q := new(big.Rat), new(big.Rat)
	for _, f := range files {
		for _, v := range f {
			r, ok := new(big.Rat).SetString(v)
			require.True(t, ok, v)
			s.Add(s, r)
			q.Add(q, new(big.Rat).Mul(r, r))
			count++
		}
	}
	n := new(big.Rat).SetInt64(int64(count))
	m := new(big.Rat).Quo(s, n)
	v := new(big.Rat).Sub(q, new(big.Rat).Mul(s, m))
	v.Quo(v, new(big.Rat).SetInt64(int64(count-1)))
	sum, _ = s.Float64()
	mean, _ = m.Float64()
	variance, _ = v.Float64()
	return
}

func randomDecimals(rng *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		cents := rng.Int63n(2_000_000) - 500_000 // -5000.00 .. 14999.99, negatives included
		switch rng.Intn(3) {
		case 0: // integer
			out[i] = fmt.Sprint(cents / 100)
		case 1: // one fraction digit
			out[i] = fmt.Sprintf("%.1f", float64(cents/10)/10)
		default:
			sign := ""
			if cents < 0 {
				sign, cents = "-", -cents
			}
			out[i] = fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
		}
	}
	return out
}

// With -epsilon 0 the released figures equal the plaintext computation
// exactly (sum to the cent), for several party counts, thresholds and
// dropped parties.
func TestExactMatchesPlaintext(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	tests := []struct {
		name      string
		sizes     []int
		threshold string
		drop      string
	}{
		{"two parties", []int{5, 9}, "", ""},
		{"three parties 2 of 3 one dropped", []int{20, 1, 13}, "2", "1"},
		{"four parties 2 of 4 two dropped", []int{3, 4, 5, 6}, "2", "0,3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var files []string
			var data [][]string
			for i, n := range tc.sizes {
				vals := randomDecimals(rng, n)
				data = append(data, vals)
				files = append(files, writeCSV(t, dir, fmt.Sprintf("h%d.csv", i), "value", vals))
			}
			args := []string{"-input", strings.Join(files, ","), "-epsilon", "0", "-json"}
			if tc.threshold != "" {
				args = append(args, "-threshold", tc.threshold)
			}
			if tc.drop != "" {
				args = append(args, "-drop", tc.drop)
			}
			code, out, errOut := runProg(t, args...)
			require.Equal(t, 0, code, errOut)
			var got map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &got))
			for _, k := range []string{"parties", "count", "sum", "mean", "variance", "epsilon", "bytes_per_party", "seconds"} {
				assert.Contains(t, got, k)
			}
			assert.Len(t, got, 8)
			count, sum, mean, variance := plain(t, data)
			assert.Equal(t, float64(len(tc.sizes)), got["parties"])
			assert.Equal(t, float64(count), got["count"])
			assert.Equal(t, sum, got["sum"]) // exact to the cent
			assert.InDelta(t, mean, got["mean"].(float64), 1e-9*math.Max(1, math.Abs(mean)))
			assert.InDelta(t, variance, got["variance"].(float64), 1e-9*math.Max(1, variance))
			assert.Equal(t, 0.0, got["epsilon"])
			assert.Positive(t, got["bytes_per_party"])
			assert.Positive(t, got["seconds"])
		})
	}
}

// The default run (synthetic data, no arguments but a small size) prints a
// report that says what was computed, by whom, what was revealed and how
// long it took.
func TestReportForNewcomer(t *testing.T) {
	code, out, errOut := runProg(t, "-rows", "50", "-epsilon", "0")
	require.Equal(t, 0, code, errOut)
	for _, want := range []string{"3 hospitals", "Who took part", "party 2", "What was revealed", "count", "mean", "variance", "Cost:"} {
		assert.Contains(t, out, want)
	}
	// Same seed, same data, same exact result; another seed differs.
	_, again, _ := runProg(t, "-rows", "50", "-epsilon", "0", "-json")
	_, again2, _ := runProg(t, "-rows", "50", "-epsilon", "0", "-json")
	_, other, _ := runProg(t, "-rows", "50", "-epsilon", "0", "-json", "-seed", "2")
	sumOf := func(s string) float64 {
		var m map[string]float64
		require.NoError(t, json.Unmarshal([]byte(s), &m))
		return m["sum"]
	}
	assert.Equal(t, sumOf(again), sumOf(again2))
	assert.NotEqual(t, sumOf(again), sumOf(other))
}

// With -drop the dropped hospital's data still counts, it does not take
// part in decryption, and the report says so.
func TestDropReported(t *testing.T) {
	code, out, errOut := runProg(t, "-rows", "20", "-epsilon", "0", "-threshold", "2", "-drop", "0")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "party 0, hospital 0: 20 rows from synthetic; sent its encrypted totals, then went offline")
	assert.Contains(t, out, "hospitals [1 2] sent decryption shares")
	assert.Contains(t, out, "any 2 of the 3 hospitals can decrypt")
	assert.Regexp(t, `count\s+60\n`, out)
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeCSV(t, dir, "good.csv", "value", []string{"1", "2.5"})
	bad := writeCSV(t, dir, "bad.csv", "value", []string{"1", "abc", "3"})
	precise := writeCSV(t, dir, "precise.csv", "value", []string{"1.234"})
	other := writeCSV(t, dir, "other.csv", "amount", []string{"1"})
	missing := filepath.Join(dir, "missing.csv")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"-input", good + "," + missing}, "missing.csv: no such file or directory"},
		{"missing column", []string{"-input", good + "," + other}, other + `:1: column "value": no such column in header (columns: id, amount)`},
		{"non-numeric", []string{"-input", good + "," + bad}, bad + `:3: column "value": "abc" is not a number`},
		{"too precise", []string{"-input", precise + "," + good}, precise + `:2: column "value": "1.234" has more than 2 digits after the point`},
		{"one file", []string{"-input", good}, "-input names one file"},
		{"parties mismatch", []string{"-input", good + "," + bad, "-parties", "3"}, "-parties 3 but -input names 2 files"},
		{"rows with input", []string{"-input", good + "," + bad, "-rows", "3"}, "-rows applies to synthetic data only"},
		{"threshold too high", []string{"-threshold", "4"}, "-threshold 4: need 2 to 3"},
		{"drop out of range", []string{"-drop", "3"}, "party 3 does not exist"},
		{"drop twice", []string{"-drop", "1,1"}, "party 1 listed twice"},
		{"drop below threshold", []string{"-threshold", "3", "-drop", "0"}, "fewer than -threshold 3"},
		{"negative epsilon", []string{"-epsilon", "-1"}, "-epsilon -1: need a finite value >= 0"},
		{"NaN epsilon", []string{"-epsilon", "NaN"}, "need a finite value"},
		{"one party", []string{"-parties", "1"}, "need 2 to"},
		{"delta 0", []string{"-delta", "0"}, "-delta 0: need a value in (0, 1)"},
		{"unknown noise", []string{"-noise", "laplace"}, `-noise "laplace": need skellam or gaussian`},
		{"min-honest too high", []string{"-min-honest", "4"}, "-min-honest 4: need 1 to 3"},
		{"bad bounds", []string{"-bounds", "5,1"}, "lo must be below hi"},
		{"unknown flag", []string{"-nope"}, "flag provided but not defined"},
		{"stray argument", []string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runProg(t, tc.args...)
			assert.Equal(t, 1, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.want)
			if !strings.Contains(tc.name, "flag") {
				assert.Equal(t, 1, strings.Count(errOut, "\n"), "one-line error: %q", errOut)
			}
		})
	}
}

// runJSON runs the program with -json and returns its figures.
func runJSON(t *testing.T, args ...string) map[string]float64 {
	t.Helper()
	var o, e bytes.Buffer
	code := run(append(args, "-json"), &o, &e)
	require.Equal(t, 0, code, e.String())
	var m map[string]float64
	require.NoError(t, json.Unmarshal(o.Bytes(), &m))
	return m
}

// With -epsilon > 0 the figures carry the calibrated distributed noise
// (he.Noise, Skellam by default): the total noise of count and sum is
// within 8 of its standard deviations, computed here from the release's
// calibration (a Skellam sum is sub-exponential with variance 2 mu: false
// failure below 1e-12 per figure and run), plus each hospital's rounding to
// the public units; and the figures differ from the noiseless release
// (the same totals rounded to the units, without noise) in at least one of
// five runs (the sum's noise has a standard deviation of hundreds of units). The noise comes
// from crypto/rand. The report names the mechanism and (epsilon, delta).
func TestDPNoise(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(11))
	var files []string
	var data [][]string
	var cents [][]int64
	for i := range 3 {
		vals := make([]string, 200)
		cs := make([]int64, 200)
		for j := range vals {
			whole, frac := 20+rng.Intn(60), rng.Intn(100)
			vals[j] = fmt.Sprintf("%d.%02d", whole, frac)
			cs[j] = int64(100*whole + frac)
		}
		data = append(data, vals)
		cents = append(cents, cs)
		files = append(files, writeCSV(t, dir, fmt.Sprintf("h%d.csv", i), "value", vals))
	}
	count, sum, _, _ := plain(t, data)
	in := strings.Join(files, ",")
	for _, noise := range []string{"skellam", "gaussian"} {
		// Bounds [0, 100]: centre 50.
		cfg := &config{epsilon: 3, delta: 1e-6, noise: noise, minHonest: 3, lo: 0, hi: 10000}
		rel, err := newRelease(cfg, 3)
		require.NoError(t, err)
		sd := rel.noise.Scale()
		u1 := float64(rel.moments.Units()[1].Int64()) / 100
		sdCount, sdSum := sd[0], sd[1]*u1+1.5*u1 // in the column's unit, with rounding
		// What the release would be without noise: each hospital's
		// totals rounded to the public units, summed and decoded.
		var tot []int64
		for _, cs := range cents {
			v, _, err := rel.moments.Encode(cs)
			require.NoError(t, err)
			if tot == nil {
				tot = make([]int64, len(v))
			}
			for k, x := range v {
				tot[k] += x
			}
		}
		noiseless, err := (&encoding{rel: rel}).decode(tot)
		require.NoError(t, err)
		differs := 0
		for range 5 {
			got := runJSON(t, "-input", in, "-epsilon", "3", "-bounds", "0,100", "-noise", noise)
			assert.Equal(t, 3.0, got["epsilon"])
			assert.Equal(t, 1e-6, got["delta"])
			assert.InDelta(t, float64(count), got["count"], 8*sdCount)
			// sum = noisy shifted sum + 50*noisy count
			assert.InDelta(t, sum, got["sum"], 8*sdSum+50*8*sdCount)
			assert.GreaterOrEqual(t, got["mean"], 0.0)
			assert.LessOrEqual(t, got["mean"], 100.0)
			assert.GreaterOrEqual(t, got["variance"], 0.0)
			if got["count"] != noiseless.count || got["sum"] != noiseless.sum {
				differs++
			}
		}
		assert.Positive(t, differs, "noise was added")
	}
	code, out, errOut := runProg(t, "-input", in, "-epsilon", "3", "-bounds", "0,100")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "Skellam noise, (epsilon 3, delta 1e-06)-DP")
	assert.NotContains(t, out, "divisible")
}

// Values outside the public bounds are clamped before anything is summed
// when DP is on, and left alone with -epsilon 0.
func TestClampToBounds(t *testing.T) {
	dir := t.TempDir()
	a := writeCSV(t, dir, "a.csv", "value", []string{"1000", "1000", "1000"})
	b := writeCSV(t, dir, "b.csv", "value", []string{"-5", "-5", "-5"})
	in := a + "," + b
	exact := runJSON(t, "-input", in, "-epsilon", "0", "-bounds", "0,10")
	assert.Equal(t, 2985.0, exact["sum"])
	// Huge epsilon: noise of scale ~1e-6 rounds to nothing at these sizes.
	noisy := runJSON(t, "-input", in, "-epsilon", "1e9", "-bounds", "0,10")
	assert.Equal(t, 30.0, noisy["sum"]) // 3*10 + 3*0
	assert.Equal(t, 6.0, noisy["count"])
	assert.InDelta(t, 5.0, noisy["mean"], 1e-9)
}
