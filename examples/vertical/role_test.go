package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/examples/internal/roletest"
	"github.com/veil-go/veil/ledger"
)

// TestRolesProcesses builds the command once and runs the bank and the
// shop as two separate processes over mutual TLS on loopback (demo CA),
// dealer-free, each with its own -ledger: the figures match the plaintext
// computation over the shared rows (n exactly, the rest within 1e-3
// relative as for one process), both print the same receipt digest, and
// each ledger holds that receipt, identical bytes, signed by both and
// verifying against the CA.
func TestRolesProcesses(t *testing.T) {
	dir := t.TempDir()
	bin := roletest.Build(t, dir, "vertical")

	rng := rand.New(rand.NewSource(7))
	var a, b []row
	bank, shop := map[string]float64{}, map[string]float64{}
	for k := range 300 {
		id := fmt.Sprintf("c%04d", k)
		if k < 220 {
			bank[id] = float64(rng.Intn(9000000))/100 + 10000
			a = append(a, row{id, bank[id]})
		}
		if k >= 80 {
			v := float64(rng.Intn(500000)) / 100
			if x, ok := bank[id]; ok {
				v += 0.1 * x
			}
			shop[id] = float64(int64(v*100)) / 100
			b = append(b, row{id, shop[id]})
		}
	}
	rng.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
	pa, pb := filepath.Join(dir, "bank.csv"), filepath.Join(dir, "shop.csv")
	writeRows(t, pa, "id", "income", a)
	writeRows(t, pb, "id", "spend", b)
	var shared []string
	for id := range bank {
		if _, ok := shop[id]; ok {
			shared = append(shared, id)
		}
	}
	sort.Strings(shared)
	var xs, ys []float64
	for _, id := range shared {
		xs, ys = append(xs, bank[id]), append(ys, shop[id])
	}
	want := plainStats(xs, ys)

	addr, certs := roletest.FreeAddr(t), filepath.Join(dir, "certs")
	la, lb := filepath.Join(dir, "a.ledger"), filepath.Join(dir, "b.ledger")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := func(args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		cmd := exec.CommandContext(ctx, bin, append(args, "-json", "-timeout", "90s", "-demo-certs", certs)...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		require.NoError(t, cmd.Start())
		return cmd, &o, &e
	}
	ca, oa, ea := start("-role", "a", "-a", pa, "-listen", addr, "-ledger", la)
	cb, ob, eb := start("-role", "b", "-b", pb, "-connect", addr, "-ledger", lb)
	require.NoError(t, ca.Wait(), "bank: %s", ea)
	require.NoError(t, cb.Wait(), "shop: %s", eb)

	var reps [2]map[string]any
	for i, o := range []*bytes.Buffer{oa, ob} {
		require.NoError(t, json.Unmarshal(o.Bytes(), &reps[i]))
		got := figures(t, o.String())
		assert.Equal(t, float64(len(shared)), got["n"])
		figuresClose(t, want, got)
		assert.Equal(t, "ot", reps[i]["preprocessing"])
	}
	assert.Equal(t, "a", reps[0]["role"])
	assert.Equal(t, "b", reps[1]["role"])
	require.NotEmpty(t, reps[0]["receipt"])
	require.Equal(t, reps[0]["receipt"], reps[1]["receipt"], "both parties hold the same receipt")
	for _, k := range []string{"corr", "slope", "cov"} {
		assert.Equal(t, reps[0][k], reps[1][k], "both parties opened the same %s", k)
	}

	id := roletest.DemoIdentity(t, certs, "party-a")
	var encoded [][]byte
	for _, path := range []string{la, lb} {
		s := roletest.OnlyReceipt(t, ctx, path)
		require.NoError(t, s.Verify(id))
		require.Equal(t, []string{"party-a", "party-b"}, []string{s.Receipt.Parties[0].Name, s.Receipt.Parties[1].Name})
		require.Contains(t, s.Receipt.SecurityModel, "no third party")
		var empty ledger.Transcript
		require.NotEqual(t, empty.Sum(), s.Receipt.Transcript, "the transcript covers the run's messages")
		enc, err := s.Receipt.MarshalBinary()
		require.NoError(t, err)
		encoded = append(encoded, enc)
	}
	require.Equal(t, encoded[0], encoded[1])
}

// TestRolePolicy: a run the party's policy does not allow is refused before
// it connects, naming the rule (here the shop allows PSI on its IDs but not
// the statistics on its spend column), and a malformed policy names file,
// line and column.
func TestRolePolicy(t *testing.T) {
	dir := t.TempDir()
	pb := filepath.Join(dir, "customers.csv")
	writeRows(t, pb, "id", "spend", []row{{"a", 1}, {"b", 2}})
	policy := filepath.Join(dir, "policy.json")
	writeFile(t, policy, `{"version": 1, "rules": [
  {"name": "ids-to-a", "dataset": "customers", "columns": ["id"], "counterparties": ["party-a"],
   "protocols": ["psi", "mpc"]}]}`)
	code, _, errOut := runProg(t, "-role", "b", "-b", pb, "-connect", "127.0.0.1:1", "-policy", policy, "-timeout", "5s")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `rule "ids-to-a"`)
	require.Contains(t, errOut, "spend")
	require.NotContains(t, errOut, "connect", "refused before connecting")

	bad := filepath.Join(dir, "bad.json")
	writeFile(t, bad, "{\n  \"version\": 1,\n  \"rules\": [,]\n}")
	code, _, errOut = runProg(t, "-role", "b", "-b", pb, "-connect", "127.0.0.1:1", "-policy", bad)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "bad.json:3:")
}
