package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/psi"
)

func runProg(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	code := run(args, &o, &e)
	return code, o.String(), e.String()
}

type row struct {
	id string
	v  float64
}

func writeRows(t *testing.T, path, key, col string, rows []row) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s,%s,other\n", key, col)
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%.2f,x\n", r.id, r.v)
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
}

// figures decodes -json's output and returns its seven figures, checking
// that each is there and numeric.
func figures(t *testing.T, out string) map[string]float64 {
	t.Helper()
	var all map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &all))
	got := map[string]float64{}
	for _, k := range []string{"n", "mean_x", "mean_y", "cov", "corr", "slope", "intercept"} {
		v, ok := all[k].(float64)
		require.True(t, ok, "field %q: %v", k, all[k])
		got[k] = v
	}
	return got
}

// figuresClose checks the printed figures but n against want, each within
// 1e-3 relative (relClose).
func figuresClose(t *testing.T, want Stats, got map[string]float64) {
	t.Helper()
	for _, f := range []struct {
		name string
		want float64
	}{{"mean_x", want.MeanX}, {"mean_y", want.MeanY}, {"cov", want.Cov}, {"corr", want.Corr}, {"slope", want.Slope}, {"intercept", want.Intercept}} {
		relClose(t, f.want, got[f.name], f.name)
	}
}

func relClose(t *testing.T, want, got float64, what string) {
	t.Helper()
	assert.LessOrEqual(t, math.Abs(got-want), 1e-3*math.Abs(want)+1e-9, "%s: want %v got %v", what, want, got)
}

// The revealed figures match the plaintext computation over the shared
// IDs within 1e-3 relative, for several sizes and overlaps, with rows in
// different orders in the two files.
func TestMatchesPlaintext(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, tc := range []struct{ nA, nB, shared int }{{5, 4, 3}, {60, 80, 40}, {200, 150, 150}} {
		t.Run(fmt.Sprintf("%d-%d-%d", tc.nA, tc.nB, tc.shared), func(t *testing.T) {
			dir := t.TempDir()
			var a, b []row
			var xs, ys []float64
			var sharedIDs []string
			for i := range tc.shared {
				id := fmt.Sprintf("u%04d", i)
				x := math.Round((30000+20000*rng.Float64())*100) / 100
				y := math.Round((0.3*x-4000+1500*rng.NormFloat64())*100) / 100
				a = append(a, row{id, x})
				b = append(b, row{id, y})
				sharedIDs = append(sharedIDs, id)
			}
			sort.Strings(sharedIDs)
			for i := tc.shared; i < tc.nA; i++ {
				a = append(a, row{fmt.Sprintf("a%04d", i), 1e6 * rng.Float64()})
			}
			for i := tc.shared; i < tc.nB; i++ {
				b = append(b, row{fmt.Sprintf("b%04d", i), -1e6 * rng.Float64()})
			}
			rng.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] })
			rng.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
			byID := func(rows []row) map[string]float64 {
				m := map[string]float64{}
				for _, r := range rows {
					m[r.id] = math.Round(r.v*100) / 100
				}
				return m
			}
			ma, mb := byID(a), byID(b)
			for _, id := range sharedIDs {
				xs = append(xs, ma[id])
				ys = append(ys, mb[id])
			}
			pa, pb := filepath.Join(dir, "bank.csv"), filepath.Join(dir, "shop.csv")
			writeRows(t, pa, "cid", "inc", a)
			writeRows(t, pb, "cid", "out", b)
			proto := []string{"kkrt", "ecdh"}[tc.shared%2] // both protocols align the same rows
			code, out, errOut := runProg(t, "-a", pa, "-b", pb, "-key", "cid", "-x", "inc", "-y", "out", "-json", "-protocol", proto)
			require.Equal(t, 0, code, errOut)
			got := figures(t, out)
			want := plainStats(xs, ys)
			assert.Equal(t, float64(tc.shared), got["n"])
			figuresClose(t, want, got)
		})
	}
}

func TestDefaultDemoReport(t *testing.T) {
	code, out, errOut := runProg(t, "-rows", "40")
	require.Equal(t, 0, code, errOut)
	for _, want := range []string{"bank", "shop", "What was revealed", "customer IDs they share", "corr", "slope", "Cost:",
		"-preprocessing ot", "oblivious transfer", "no third party; semi-honest parties", "dishonest majority"} {
		assert.Contains(t, out, want)
	}
	code, out, errOut = runProg(t, "-rows", "40", "-preprocessing", "dealer")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "a trusted third party")
	assert.NotContains(t, out, "no third party")
	code, out, errOut = runProg(t, "-rows", "40", "-json")
	require.Equal(t, 0, code, errOut)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	for _, k := range []string{"n", "mean_x", "mean_y", "cov", "corr", "slope", "intercept"} {
		assert.Contains(t, rep, k, "the existing JSON fields stay")
	}
	assert.Equal(t, "ot", rep["preprocessing"])
	assert.Contains(t, rep["preprocessing_model"], "no third party")
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	require.NoError(t, os.WriteFile(good, []byte("id,income,spend\na,1,2\nb,3,4\nc,5,7\n"), 0o600))
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("id,spend\na,1\nb,zz\n"), 0o600))
	dup := filepath.Join(dir, "dup.csv")
	require.NoError(t, os.WriteFile(dup, []byte("id,spend\na,1\nb,2\na,3\n"), 0o600))
	disjoint := filepath.Join(dir, "disjoint.csv")
	require.NoError(t, os.WriteFile(disjoint, []byte("id,spend\nq,1\nr,2\n"), 0o600))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"-a", good, "-b", filepath.Join(dir, "nope.csv")}, "nope.csv: no such file or directory"},
		{"missing column", []string{"-a", good, "-b", bad, "-y", "amount"}, bad + `:1: column "amount": no such column`},
		{"missing key", []string{"-a", good, "-b", bad, "-key", "cid"}, good + `:1: column "cid": no such column`},
		{"non-numeric", []string{"-a", good, "-b", bad}, bad + `:3: column "spend": "zz" is not a number`},
		{"duplicate id", []string{"-a", good, "-b", dup}, dup + `:4: column "id": ID "a" repeats line 2`},
		{"only -a", []string{"-a", good}, "give both -a and -b"},
		{"rows with files", []string{"-a", good, "-b", bad, "-rows", "5"}, "-rows applies to synthetic data only"},
		{"too few shared", []string{"-a", good, "-b", disjoint}, "share 0 customer IDs"},
		{"stray argument", []string{"x"}, `unexpected argument "x"`},
		{"bad protocol", []string{"-protocol", "rsa"}, `-protocol "rsa": want kkrt or ecdh`},
		{"bad preprocessing", []string{"-preprocessing", "he"}, `-preprocessing "he": want ot or dealer`},
		{"role with dealer", []string{"-role", "a", "-listen", "127.0.0.1:0", "-preprocessing", "dealer"}, "-role needs -preprocessing ot"},
		{"listen without role", []string{"-listen", "127.0.0.1:0"}, "need -role a or b"},
		{"bad role", []string{"-role", "c", "-listen", "127.0.0.1:0"}, `-role "c": want a (the bank) or b (the shop)`},
		{"role and other file", []string{"-role", "a", "-b", good, "-listen", "127.0.0.1:0"}, "give only this party's file (-a)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runProg(t, tc.args...)
			assert.Equal(t, 1, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.want)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), "one-line error: %q", errOut)
		})
	}
}

// The synthetic demo data, computed on shares with either preprocessing,
// matches the clear computation over the same aligned rows within 1e-3
// relative.
func TestSyntheticMatchesPlaintext(t *testing.T) {
	for _, prep := range []preprocessing{prepOT, prepDealer} {
		t.Run(string(prep), func(t *testing.T) { testSyntheticMatches(t, prep) })
	}
}

func testSyntheticMatches(t *testing.T, prep preprocessing) {
	cfg := &config{rows: 3000, seed: 4, x: "income", y: "spend", timeout: time.Minute}
	bank, shop, err := loadParties(cfg)
	require.NoError(t, err)
	res, err := compute(context.Background(), psi.KKRT, prep, bank, shop, nil)
	require.NoError(t, err)
	require.Equal(t, prep, res.prep)
	var shared []string
	inShop := map[string]bool{}
	for _, id := range shop.ids {
		inShop[id] = true
	}
	for _, id := range bank.ids {
		if inShop[id] {
			shared = append(shared, id)
		}
	}
	sort.Strings(shared)
	want := plainStats(pick(bank, shared), pick(shop, shared))
	assert.Equal(t, want.N, res.N)
	assert.Equal(t, 1800, res.N) // 60% overlap
	relClose(t, want.MeanX, res.MeanX, "mean_x")
	relClose(t, want.MeanY, res.MeanY, "mean_y")
	relClose(t, want.Cov, res.Cov, "cov")
	relClose(t, want.Corr, res.Corr, "corr")
	relClose(t, want.Slope, res.Slope, "slope")
	relClose(t, want.Intercept, res.Intercept, "intercept")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
}
