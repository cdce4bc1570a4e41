package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type jsonOut struct {
	Clients        int     `json:"clients"`
	Counted        []int   `json:"counted"`
	Sum            []int64 `json:"sum"`
	Seconds        float64 `json:"seconds"`
	BytesPerClient float64 `json:"bytes_per_client"`
	Receipt        string  `json:"receipt"`
}

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeCSV(t *testing.T, rows [][]int64) string {
	t.Helper()
	var b strings.Builder
	for j := range rows[0] {
		if j > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "w%d", j)
	}
	b.WriteString("\n")
	for _, r := range rows {
		for j, v := range r {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprint(&b, v)
		}
		b.WriteString("\n")
	}
	path := filepath.Join(t.TempDir(), "updates.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

func TestFedavgCSVMatchesPlaintext(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		clients, dim  int
		before, after string
		counted       []int
	}{
		{3, 1, "", "", []int{0, 1, 2}},
		{6, 4, "2", "4", []int{0, 1, 3, 4, 5}},
		{9, 7, "0,8", "3", []int{1, 2, 3, 4, 5, 6, 7}},
	} {
		rows := make([][]int64, tc.clients)
		for i := range rows {
			rows[i] = make([]int64, tc.dim)
			for k := range rows[i] {
				rows[i][k] = r.Int64N(2_000_001) - 1_000_000
			}
		}
		path := writeCSV(t, rows)
		args := []string{"-input", path, "-json"}
		if tc.before != "" {
			args = append(args, "-drop-before-input", tc.before)
		}
		if tc.after != "" {
			args = append(args, "-drop-after-input", tc.after)
		}
		code, out, errOut := runCmd(t, args...)
		require.Equal(t, 0, code, errOut)
		var got jsonOut
		require.NoError(t, json.Unmarshal([]byte(out), &got))
		want := make([]int64, tc.dim)
		for _, i := range tc.counted {
			for k, v := range rows[i] {
				want[k] += v
			}
		}
		assert.Equal(t, tc.clients, got.Clients)
		assert.Equal(t, tc.counted, got.Counted)
		assert.Equal(t, want, got.Sum)
		assert.Positive(t, got.Seconds)
		assert.Positive(t, got.BytesPerClient)
	}
}

func TestFedavgSyntheticReport(t *testing.T) {
	code, out, errOut := runCmd(t, "-clients", "8", "-dim", "5", "-drop-before-input", "1", "-seed", "3")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "counted:     7 of 8 clients")
	assert.Contains(t, out, "dropped before masked input (not counted): 1")
	// The same seed gives the same sum; JSON agrees with a plaintext sum of
	// the synthetic data.
	code, out, _ = runCmd(t, "-clients", "8", "-dim", "5", "-drop-before-input", "1", "-seed", "3", "-json")
	require.Equal(t, 0, code)
	var got jsonOut
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	o := &options{clients: 8, dim: 5, seed: 3}
	require.NoError(t, loadUpdates(o))
	want := make([]int64, 5)
	for i, row := range o.updates {
		if i == 1 {
			continue
		}
		for k, v := range row {
			want[k] += v
		}
	}
	assert.Equal(t, want, got.Sum)
	assert.Equal(t, []int{0, 2, 3, 4, 5, 6, 7}, got.Counted)
}

func TestFedavgBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("a,b\n1,2\n3,x\n"), 0o600))
	short := filepath.Join(dir, "short.csv")
	require.NoError(t, os.WriteFile(short, []byte("a,b\n1,2\n3\n"), 0o600))
	one := filepath.Join(dir, "one.csv")
	require.NoError(t, os.WriteFile(one, []byte("a,b\n1,2\n"), 0o600))
	huge := filepath.Join(dir, "huge.csv")
	require.NoError(t, os.WriteFile(huge, []byte("a,b\n1,2\n3,99999999999999999999\n"), 0o600))
	ok := filepath.Join(dir, "ok.csv")
	require.NoError(t, os.WriteFile(ok, []byte("a,b\n1,2\n3,4\n5,6\n"), 0o600))
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"not a number":   {[]string{"-input", bad}, []string{"bad.csv:3", `"b"`, "x"}},
		"short row":      {[]string{"-input", short}, []string{"short.csv:3"}},
		"one row":        {[]string{"-input", one}, []string{"one.csv:2", "at least 2"}},
		"huge value":     {[]string{"-input", huge}, []string{"huge.csv:3", `"b"`, "64 bits"}},
		"missing file":   {[]string{"-input", filepath.Join(dir, "nope.csv")}, []string{"nope.csv"}},
		"clients flag":   {[]string{"-input", ok, "-clients", "5"}, []string{"-clients 5", "3 data rows"}},
		"dim flag":       {[]string{"-input", ok, "-dim", "3"}, []string{"-dim 3", "2 columns"}},
		"drop range":     {[]string{"-input", ok, "-drop-before-input", "3"}, []string{"client 3"}},
		"drop both":      {[]string{"-input", ok, "-drop-before-input", "1", "-drop-after-input", "1"}, []string{"both"}},
		"drop syntax":    {[]string{"-drop-after-input", "a"}, []string{"-drop-after-input", `"a"`}},
		"epsilon":        {[]string{"-epsilon", "-1"}, []string{"-epsilon"}},
		"too many drops": {[]string{"-input", ok, "-drop-before-input", "0,1"}, []string{"too many dropouts"}},
		"ledger no role": {[]string{"-ledger", filepath.Join(dir, "l.db")}, []string{"need -role"}},
		"bad role":       {[]string{"-role", "hub"}, []string{"-role", "hub"}},
		"client index":   {[]string{"-role", "client", "-connect", "127.0.0.1:1"}, []string{"-index"}},
		"index range":    {[]string{"-role", "client", "-connect", "127.0.0.1:1", "-input", ok, "-index", "3"}, []string{"-index 3"}},
		"server data":    {[]string{"-role", "server", "-listen", "127.0.0.1:0", "-input", ok}, []string{"holds no data"}},
		"role drops":     {[]string{"-role", "server", "-listen", "127.0.0.1:0", "-drop-after-input", "1"}, []string{"one-process demo"}},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tc.args...)
			assert.Equal(t, 1, code)
			assert.Empty(t, out)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
			for _, w := range tc.want {
				assert.Contains(t, errOut, w)
			}
		})
	}
}

// With -epsilon the sum carries the counted clients' noise shares: the
// residuals against the exact sum have the planned variance sigma^2 * c.
// With 4000 values the sample variance is within 25% of the truth except
// with probability far below 1e-9 (about 11 standard errors); a scale off
// by a factor 2 in variance is rejected.
func TestFedavgEpsilonNoiseScale(t *testing.T) {
	const clients, dim = 6, 4000
	args := []string{"-clients", fmt.Sprint(clients), "-dim", fmt.Sprint(dim), "-epsilon", "2", "-seed", "5", "-drop-before-input", "2", "-json"}
	code, out, errOut := runCmd(t, args...)
	require.Equal(t, 0, code, errOut)
	var got jsonOut
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	o := &options{clients: clients, dim: dim, seed: 5, epsilon: 2}
	require.NoError(t, loadUpdates(o))
	plan, err := planNoise(o)
	require.NoError(t, err)
	var ss float64
	for k := range dim {
		var exact int64
		for _, i := range got.Counted {
			exact += clip(o.updates[i])[k]
		}
		d := float64(got.Sum[k] - exact)
		ss += d * d
	}
	variance := ss / dim
	want := plan.stddev(len(got.Counted)) * plan.stddev(len(got.Counted))
	assert.InEpsilon(t, want, variance, 0.25, "noise variance")
	assert.False(t, math.Abs(variance-2*want) <= 0.25*2*want, "a doubled scale would be rejected")
	assert.False(t, math.Abs(variance-want/2) <= 0.25*want/2, "a halved scale would be rejected")
}
