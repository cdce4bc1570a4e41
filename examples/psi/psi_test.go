package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/examples/internal/roletest"
	"github.com/veil-go/veil/psi"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// cliResult is one run of the command in this process.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runRoles runs party A with args a and party B with args b at once, as
// two processes would (B on another goroutine), and returns when both
// have ended.
func runRoles(a, b []string) (ra, rb cliResult) {
	done := make(chan cliResult, 1)
	go func() {
		code, out, errs := runCLI(b...)
		done <- cliResult{code, out, errs}
	}()
	ra.code, ra.stdout, ra.stderr = runCLI(a...)
	return ra, <-done
}

// TestModesAgainstPlaintext runs every mode on random small files and
// checks the JSON and -out file against a plaintext computation.
func TestModesAgainstPlaintext(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(11, 12))
	var a, b strings.Builder
	a.WriteString("name,id\n")
	b.WriteString("id,amount,other\n")
	aIDs := map[string]bool{}
	bAmount := map[string]int64{} // summed over B's rows
	bFirst := map[string]string{}
	for i := range 60 {
		id := fmt.Sprintf("c%03d", r.IntN(90))
		aIDs[id] = true
		fmt.Fprintf(&a, "row%d, %s \n", i, id) // spaces are trimmed
	}
	for range 70 {
		id := fmt.Sprintf("c%03d", r.IntN(90))
		v, ok := bFirst[id]
		if !ok {
			v = strconv.Itoa(r.IntN(2000) - 500)
			bFirst[id] = v
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		bAmount[id] += n
		fmt.Fprintf(&b, "%s,%s,x\n", id, v)
	}
	pa := write(t, dir, "a.csv", a.String())
	pb := write(t, dir, "b.csv", b.String())
	var shared []string
	var sum int64
	for id := range aIDs {
		if _, ok := bFirst[id]; ok {
			shared = append(shared, id)
			sum += bAmount[id]
		}
	}
	slices.Sort(shared)
	require.NotEmpty(t, shared)

	for _, tc := range []struct{ protocol, mode string }{
		{"ecdh", "intersection"}, {"ecdh", "cardinality"}, {"ecdh", "join"}, {"ecdh", "sum"},
		{"kkrt", "intersection"}, {"kkrt", "join"}, // KKRT's receiver learns which items match
	} {
		protocol, mode := tc.protocol, tc.mode
		t.Run(protocol+"/"+mode, func(t *testing.T) {
			args := []string{"-a", pa, "-b", pb, "-mode", mode, "-protocol", protocol, "-json"}
			out := filepath.Join(dir, protocol+"-"+mode+".csv")
			if mode == "intersection" || mode == "join" {
				args = append(args, "-out", out)
			}
			code, stdout, stderr := runCLI(args...)
			require.Equal(t, 0, code, stderr)
			var rep map[string]any
			require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
			require.Equal(t, mode, rep["mode"])
			require.Equal(t, protocol, rep["protocol"])
			require.EqualValues(t, len(shared), rep["cardinality"])
			require.Greater(t, rep["bytes"], 0.0)
			require.Greater(t, rep["seconds"], 0.0)
			if mode == "sum" {
				require.EqualValues(t, sum, rep["sum"])
			} else {
				require.NotContains(t, rep, "sum")
			}
			if mode == "intersection" || mode == "join" {
				f, err := os.Open(out)
				require.NoError(t, err)
				defer f.Close()
				recs, err := csv.NewReader(f).ReadAll()
				require.NoError(t, err)
				if mode == "intersection" {
					require.Equal(t, []string{"id"}, recs[0])
				} else {
					require.Equal(t, []string{"id", "amount"}, recs[0])
				}
				require.Len(t, recs, len(shared)+1)
				for k, id := range shared {
					require.Equal(t, id, recs[k+1][0])
					if mode == "join" {
						require.Equal(t, bFirst[id], recs[k+1][1])
					}
				}
			}
		})
	}

	// The readable report names what each party learned.
	code, stdout, stderr := runCLI("-a", pa, "-b", pb, "-mode", "sum")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, fmt.Sprintf("that %d IDs are shared", len(shared)))
	require.Contains(t, stdout, fmt.Sprintf("sums to %d", sum))
}

func TestSyntheticDefault(t *testing.T) {
	code, stdout, stderr := runCLI("-rows", "50", "-json")
	require.Equal(t, 0, code, stderr)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Equal(t, "intersection", rep["mode"])
	// Same seed, same data.
	_, again, _ := runCLI("-rows", "50", "-json")
	var rep2 map[string]any
	require.NoError(t, json.Unmarshal([]byte(again), &rep2))
	require.Equal(t, rep["cardinality"], rep2["cardinality"])
	require.Equal(t, rep["bytes"], rep2["bytes"])
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.csv", "id,amount\nx,1\ny,2\n")
	noCol := write(t, dir, "nocol.csv", "name,amount\nx,1\n")
	notNum := write(t, dir, "notnum.csv", "id,amount\nx,1\ny,abc\n")
	emptyID := write(t, dir, "emptyid.csv", "id,amount\nx,1\n  ,2\n")
	ragged := write(t, dir, "ragged.csv", "id,amount\nx,1\ny\n")
	conflict := write(t, dir, "conflict.csv", "id,amount\nx,1\nx,2\n")
	empty := write(t, dir, "empty.csv", "")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"missing file", []string{"-a", filepath.Join(dir, "nope.csv"), "-b", good}, []string{"nope.csv", "no such file"}},
		{"missing column", []string{"-a", noCol, "-b", good}, []string{"nocol.csv:1", `column "id"`}},
		{"missing value column", []string{"-a", good, "-b", good, "-mode", "sum", "-value", "price"}, []string{"good.csv:1", `column "price"`}},
		{"not a number", []string{"-a", good, "-b", notNum, "-mode", "sum"}, []string{"notnum.csv:3", `column "amount"`, "abc"}},
		{"empty id", []string{"-a", emptyID, "-b", good}, []string{"emptyid.csv:3", `column "id"`}},
		{"ragged row", []string{"-a", ragged, "-b", good}, []string{"ragged.csv:3", "fields"}},
		{"conflicting join", []string{"-a", good, "-b", conflict, "-mode", "join"}, []string{"conflict.csv:3", `column "amount"`}},
		{"empty file", []string{"-a", empty, "-b", good}, []string{"empty.csv:1"}},
		{"one file", []string{"-a", good}, []string{"-a and -b"}},
		{"bad mode", []string{"-mode", "union"}, []string{"-mode"}},
		{"bad protocol", []string{"-protocol", "rr22"}, []string{"-protocol"}},
		{"value without use", []string{"-mode", "cardinality", "-value", "amount"}, []string{"-value"}},
		{"out in sum", []string{"-mode", "sum", "-out", filepath.Join(dir, "o.csv")}, []string{"-out"}},
		{"role without address", []string{"-role", "a", "-a", good}, []string{"-listen"}},
		{"listen without role", []string{"-listen", "127.0.0.1:0"}, []string{"-role"}},
		{"kkrt cardinality", []string{"-protocol", "kkrt", "-mode", "cardinality", "-rows", "5"}, []string{"not supported"}},
		{"kkrt sum", []string{"-protocol", "kkrt", "-mode", "sum", "-rows", "5"}, []string{"not supported"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tc.args...)
			require.Equal(t, 1, code, "stdout %q stderr %q", stdout, stderr)
			require.Empty(t, stdout)
			require.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			for _, w := range tc.want {
				require.Contains(t, stderr, w)
			}
		})
	}
	code, _, _ := runCLI("-nosuchflag")
	require.Equal(t, 2, code)
}

// TestRoles runs A and B as if in two processes, over TLS with the demo CA.
func TestRoles(t *testing.T) {
	dir := t.TempDir()
	pa := write(t, dir, "a.csv", "id\nx\ny\nz\nw\n")
	pb := write(t, dir, "b.csv", "id,amount\ny,5\nz,7\nq,100\nz,1\n")
	addr := roletest.FreeAddr(t)
	certs := filepath.Join(dir, "certs")
	ra, rb := runRoles(
		[]string{"-role", "a", "-a", pa, "-listen", addr, "-demo-certs", certs, "-mode", "sum", "-json", "-timeout", "30s"},
		[]string{"-role", "b", "-b", pb, "-connect", addr, "-demo-certs", certs, "-mode", "sum", "-json", "-timeout", "30s"})
	require.Equal(t, 0, ra.code, ra.stderr)
	require.Equal(t, 0, rb.code, rb.stderr)
	var repA, repB map[string]any
	require.NoError(t, json.Unmarshal([]byte(ra.stdout), &repA))
	require.NoError(t, json.Unmarshal([]byte(rb.stdout), &repB))
	require.EqualValues(t, 2, repA["cardinality"])
	require.EqualValues(t, 13, repA["sum"])
	require.NotContains(t, repB, "cardinality", "B learns nothing")
	require.Equal(t, repA["bytes"], repB["bytes"])

	// Certificates from flags: B's certificate presented as A's is refused.
	code, _, stderr := runCLI(append([]string{"-role", "a", "-a", pa, "-listen", addr}, roletest.CertFlags(certs, "party-b")...)...)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "party-b")
}

// TestProgress: nothing at all on stderr when it is not a terminal or the
// output is JSON (the meter itself is tested in internal/progress).
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	require.Nil(t, progressFor(&config{}, &buf, "A"), "piped")
	require.Nil(t, progressFor(&config{json: true}, os.Stderr, "A"), "-json")
	// A whole run with piped stderr writes nothing there.
	code, _, stderr := runCLI("-rows", "50")
	require.Equal(t, 0, code)
	require.Empty(t, stderr)
}

func TestMinSum(t *testing.T) {
	code, out, errs := runCLI("-mode", "sum", "-rows", "50", "-min-sum", "1000", "-json")
	require.Equal(t, 0, code, errs)
	require.NotContains(t, out, `"sum":`, "a withheld sum is not printed")
	require.Contains(t, out, `"cardinality"`)
	code, out, errs = runCLI("-mode", "sum", "-rows", "50", "-min-sum", "2", "-json")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, `"sum":`)
}

func TestLatticeSum(t *testing.T) {
	sumOf := func(args ...string) string {
		code, out, errs := runCLI(append([]string{"-mode", "sum", "-rows", "60", "-json"}, args...)...)
		require.Equal(t, 0, code, errs)
		m := regexp.MustCompile(`"sum":\s*(-?\d+)`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		return m[1]
	}
	require.Equal(t, sumOf(), sumOf("-lattice-sum"), "both Sum paths give the same sum")
	code, _, errs := runCLI("-mode", "intersection", "-lattice-sum")
	require.NotEqual(t, 0, code)
	require.Contains(t, errs, "-lattice-sum is for -mode sum")
}

// TestSumPathByData: with both parties in one process, B's values adding
// up beyond 2^40 pick the lattice path (an exact sum, and the lattice's
// fixed ~384 KiB on the wire); as -role b such values are refused before
// connecting unless both give -lattice-sum.
func TestSumPathByData(t *testing.T) {
	dir := t.TempDir()
	pa := write(t, dir, "a.csv", "id\nx\ny\nz\n")
	big := write(t, dir, "big.csv", "id,amount\nx,2199023255552\ny,-3\nq,5\n") // 2^41
	small := write(t, dir, "small.csv", "id,amount\nx,1048576\ny,-3\nq,5\n")   // 2^20
	report := func(pb string) (map[string]any, string, string) {
		code, out, errs := runCLI("-a", pa, "-b", pb, "-mode", "sum", "-json")
		require.Equal(t, 0, code, errs)
		var rep map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &rep))
		code, text, errs := runCLI("-a", pa, "-b", pb, "-mode", "sum")
		require.Equal(t, 0, code, errs)
		return rep, out, text
	}
	rep, out, text := report(big)
	require.Contains(t, out, `"sum":2199023255549,`, "exact")
	require.Greater(t, rep["bytes"].(float64), float64(300<<10), "the lattice path's key and sample")
	require.Contains(t, text, "sum path      lattice")
	rep, _, text = report(small)
	require.EqualValues(t, 1048573, rep["sum"])
	require.Less(t, rep["bytes"].(float64), float64(64<<10), "ElGamal")
	require.NotContains(t, text, "sum path")

	// The threshold is A's default bound, 2^40, on the sum of |values|.
	for _, tc := range []struct {
		values  []int64
		lattice bool
	}{
		{[]int64{1 << 39, -(1 << 39)}, false},
		{[]int64{1 << 39, -(1 << 39), 1}, true},
		{[]int64{-(1 << 40)}, false},
		{[]int64{-(1 << 40), 1}, true},
		{[]int64{1 << 62}, true},
	} {
		c := &config{mode: psi.Sum, value: "amount"}
		require.NoError(t, sumPath(c, &party{name: "b.csv"}, tc.values))
		require.Equal(t, tc.lattice, c.lattice, "%v", tc.values)
		require.Equal(t, tc.lattice, c.autoLattice, "%v", tc.values)
		c = &config{mode: psi.Sum, value: "amount", role: "b"}
		err := sumPath(c, &party{name: "b.csv"}, tc.values)
		require.Equal(t, tc.lattice, err != nil, "%v: %v", tc.values, err)
		require.False(t, c.lattice)
	}

	// As its own process B refuses, before connecting (nobody listens at
	// the address), values that add up beyond 2^40 without -lattice-sum.
	near := write(t, dir, "near.csv", "id,amount\nx,1099511627775\ny,2\n") // 2^40-1, each in range
	code, _, errs := runCLI("-role", "b", "-b", near, "-connect", "127.0.0.1:1", "-mode", "sum", "-timeout", "5s")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "run both parties with -lattice-sum")
	code, _, errs = runCLI("-role", "b", "-b", big, "-connect", "127.0.0.1:1", "-mode", "sum", "-timeout", "5s")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "big.csv:2")
	require.Contains(t, errs, "-lattice-sum")
}
