package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/examples/internal/roles"
	"github.com/veil-go/veil/examples/internal/roletest"
	"github.com/veil-go/veil/he"
	"github.com/veil-go/veil/internal/csvio"
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/transport"
)

// asMain makes the test binary run the program: the role tests start it as
// separate processes (built once, with the test).
const asMain = "VEIL_JOINTSTATS_AS_MAIN"

func TestMain(m *testing.M) {
	roletest.Main(m, asMain, func(args []string) int { return run(args, os.Stdout, os.Stderr) })
}

// startHub starts the aggregator on a free port and returns its address,
// read from its stderr.
func startHub(t *testing.T, ctx context.Context, args ...string) (*roletest.Process, string) {
	t.Helper()
	p := roletest.Command(ctx, asMain, append([]string{"-role", "hub", "-listen", "127.0.0.1:0"}, args...)...)
	p.Cmd.Stderr = nil // read below, to learn the address
	pipe, err := p.Cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, p.Cmd.Start())
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		line := sc.Text()
		p.Stderr.WriteString(line + "\n")
		if _, rest, ok := strings.Cut(line, "listening on "); ok {
			addr, _, _ := strings.Cut(rest, " ")
			go func() { _, _ = io.Copy(&p.Stderr, pipe) }()
			return p, addr
		}
	}
	t.Fatalf("hub did not listen: %s", p.Stderr.String())
	return nil, ""
}

// receipts opens each ledger and returns its receipts, checking that each
// verifies against the CA.
func receipts(t *testing.T, id *transport.Identity, files ...string) [][]byte {
	t.Helper()
	ctx := context.Background()
	var out [][]byte
	for _, f := range files {
		l, err := ledger.Open(ctx, ledger.Config{DSN: f})
		require.NoError(t, err)
		es, err := l.Entries(ctx)
		require.NoError(t, err)
		require.NoError(t, l.Close())
		for _, e := range es {
			if e.Kind != ledger.KindReceipt {
				continue
			}
			var s ledger.SignedReceipt
			require.NoError(t, s.UnmarshalBinary(e.Body), f)
			require.NoError(t, s.Verify(id), f)
			b, err := s.MarshalBinary()
			require.NoError(t, err)
			out = append(out, b)
		}
	}
	return out
}

// TestRolesSeparateProcesses runs the aggregator and 3 hospitals (a 2-of-3
// key) as 4 processes over mutual TLS on loopback with the demo CA, each
// with its own file and ledger: every process releases the exact totals,
// and all 4 ledgers hold the same receipt, signed by all 4, verifying
// against the CA.
func TestRolesSeparateProcesses(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(7))
	var files [][]string
	var paths []string
	for k := range 3 {
		v := randomDecimals(rng, 40+k)
		files = append(files, v)
		paths = append(paths, writeCSV(t, dir, fmt.Sprintf("ward%d.csv", k), "bp", v))
	}
	count, sum, mean, variance := plain(t, files)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	certs := filepath.Join(dir, "certs")
	common := []string{"-parties", "3", "-threshold", "2", "-epsilon", "0", "-column", "bp", "-demo-certs", certs, "-json", "-timeout", "90s"}
	ledgers := []string{filepath.Join(dir, "hub.ledger")}
	hub, addr := startHub(t, ctx, append(common, "-ledger", ledgers[0])...)
	var parties []*roletest.Process
	for k := range 3 {
		ledgers = append(ledgers, filepath.Join(dir, fmt.Sprintf("h%d.ledger", k)))
		parties = append(parties, roletest.Start(t, ctx, asMain, append(common, "-role", "party", "-index", fmt.Sprint(k),
			"-connect", addr, "-input", paths[k], "-ledger", ledgers[k+1], "-opening", filepath.Join(dir, fmt.Sprintf("h%d.opening", k)))...))
	}
	var digests []any
	for i, p := range append([]*roletest.Process{hub}, parties...) {
		require.Equal(t, 0, p.Wait(t), "process %d: %s", i, p.Stderr.String())
		var got map[string]any
		require.NoError(t, json.Unmarshal(p.Stdout.Bytes(), &got), p.Stdout.String())
		assert.EqualValues(t, count, got["count"], "process %d", i)
		assert.InDelta(t, sum, got["sum"], 1e-9*max(1, sum), "process %d", i)
		assert.InDelta(t, mean, got["mean"], 1e-9*max(1, mean), "process %d", i)
		assert.InDelta(t, variance, got["variance"], 1e-9*variance, "process %d", i)
		require.NotEmpty(t, got["receipt"])
		digests = append(digests, got["receipt"])
	}
	for _, d := range digests {
		require.Equal(t, digests[0], d, "every party holds the same receipt")
	}
	rs := receipts(t, roletest.DemoIdentity(t, certs, "hospital-0"), ledgers...)
	require.Len(t, rs, 4)
	for _, r := range rs {
		require.Equal(t, rs[0], r, "identical signed receipts")
	}
	var s ledger.SignedReceipt
	require.NoError(t, s.UnmarshalBinary(rs[0]))
	var names []string
	for _, p := range s.Receipt.Parties {
		names = append(names, p.Name)
	}
	require.Equal(t, starNames(3), names)
	require.Empty(t, s.Receipt.Spends, "-epsilon 0 spends nothing")
	var empty ledger.Transcript // what links that recorded no message would give
	h := sha256.New()
	h.Write([]byte(starLabel))
	for range 3 {
		e := empty.Sum()
		h.Write(e[:])
	}
	require.NotEqual(t, h.Sum(nil), s.Receipt.Transcript[:], "the transcript covers the run's messages")

	// Each hospital's input is in the receipt as a commitment that its
	// opening file opens over its column, and over nothing else.
	require.Equal(t, ledger.Commitment{}, s.Receipt.Parties[0].Input, "the aggregator contributes no input")
	for k := range 3 {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("h%d.opening", k)))
		require.NoError(t, err)
		var o opening
		require.NoError(t, json.Unmarshal(b, &o))
		require.Equal(t, digests[0], o.Receipt)
		var op ledger.Opening
		salt, err := hex.DecodeString(o.Salt)
		require.NoError(t, err)
		copy(op.Salt[:], salt)
		var vals []int64
		for _, v := range files[k] {
			x, err := csvio.ParseDecimal(v)
			require.NoError(t, err)
			vals = append(vals, x)
		}
		com := s.Receipt.Parties[k+1].Input
		require.Equal(t, o.Commitment, hex.EncodeToString(com[:]))
		require.NoError(t, com.Verify(op, inputEncoding("bp", vals)), "hospital %d", k)
		vals[0]++
		require.ErrorIs(t, com.Verify(op, inputEncoding("bp", vals)), ledger.ErrMismatch)
	}

	// The receipt is bound to the CA: another CA's party rejects it.
	other, err := transport.NewCA("another CA")
	require.NoError(t, err)
	stranger, err := other.Issue("hospital-0")
	require.NoError(t, err)
	require.ErrorIs(t, s.Verify(stranger), ledger.ErrPeerIdentity)
}

// budgetLedger makes a ledger where dataset has budget eps.
func budgetLedger(t *testing.T, path, dataset string, eps float64) {
	t.Helper()
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DSN: path})
	require.NoError(t, err)
	require.NoError(t, l.SetBudget(ctx, dataset, eps, 1e-3)) // delta for the distributed noise's (epsilon, 1e-6) runs
	require.NoError(t, l.Close())
}

func spent(t *testing.T, path, dataset string) float64 {
	t.Helper()
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DSN: path})
	require.NoError(t, err)
	defer l.Close()
	bs, err := l.Budgets(ctx)
	require.NoError(t, err)
	for _, b := range bs {
		if b.Dataset == dataset {
			return b.SpentEpsilon
		}
	}
	t.Fatalf("no budget for %q", dataset)
	return 0
}

// TestRolesBudget: with -epsilon > 0 each hospital spends it from its
// dataset's durable budget and the receipt names the spends; when the
// budget is exhausted, the hospital is refused before it connects, and
// spends nothing.
func TestRolesBudget(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	certs := filepath.Join(dir, "certs")
	common := []string{"-parties", "2", "-rows", "50", "-epsilon", "1", "-demo-certs", certs, "-json", "-timeout", "90s"}
	ledgers := []string{filepath.Join(dir, "hub.ledger")}
	for k := range 2 {
		ledgers = append(ledgers, filepath.Join(dir, fmt.Sprintf("h%d.ledger", k)))
		budgetLedger(t, ledgers[k+1], fmt.Sprintf("ward-%d", k), 1.5)
	}
	hub, addr := startHub(t, ctx, append(common, "-ledger", ledgers[0])...)
	var ps []*roletest.Process
	for k := range 2 {
		ps = append(ps, roletest.Start(t, ctx, asMain, append(common, "-role", "party", "-index", fmt.Sprint(k), "-connect", addr,
			"-dataset", fmt.Sprintf("ward-%d", k), "-ledger", ledgers[k+1])...))
	}
	for i, p := range append([]*roletest.Process{hub}, ps...) {
		require.Equal(t, 0, p.Wait(t), "process %d: %s", i, p.Stderr.String())
	}
	for k := range 2 {
		require.Equal(t, 1.0, spent(t, ledgers[k+1], fmt.Sprintf("ward-%d", k)))
	}
	rs := receipts(t, roletest.DemoIdentity(t, certs, "aggregator"), ledgers...)
	require.Len(t, rs, 3)
	var s ledger.SignedReceipt
	require.NoError(t, s.UnmarshalBinary(rs[0]))
	require.Equal(t, []ledger.Spend{{Dataset: "ward-0", Owner: "hospital-0", Epsilon: 1}, {Dataset: "ward-1", Owner: "hospital-1", Epsilon: 1}}, s.Receipt.Spends)

	// 0.5 left: a second run of epsilon 1 is refused before any message.
	addr, connected := roletest.Silent(t)
	p := roletest.Start(t, ctx, asMain, append(common, "-role", "party", "-index", "0", "-connect", addr, "-dataset", "ward-0", "-ledger", ledgers[1])...)
	require.Equal(t, 1, p.Wait(t))
	require.Contains(t, p.Stderr.String(), "exceeds its budget")
	require.False(t, connected(), "refused before connecting")
	require.Equal(t, 1.0, spent(t, ledgers[1], "ward-0"), "a refused run spends nothing")
}

// TestRolesPolicy: a hospital whose policy does not allow the run is
// refused before it connects, with an error naming the rule.
func TestRolesPolicy(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.json")
	require.NoError(t, os.WriteFile(policy, []byte(`{"version": 1, "rules": [
  {"name": "exact-sums", "dataset": "synthetic-0", "columns": ["value"], "counterparties": ["*"],
   "protocols": ["he"], "modes": ["sum"]}]}`), 0o600))
	addr, connected := roletest.Silent(t)
	code, _, stderr := runProg(t, "-role", "party", "-index", "0", "-parties", "2", "-rows", "10", "-connect", addr,
		"-policy", policy, "-epsilon", "0.5", "-timeout", "5s")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `rule "exact-sums": the rule allows no differentially private release`)
	require.False(t, connected(), "refused before connecting")

	// The same rule allows an exact run: it gets as far as connecting.
	code, _, stderr = runProg(t, "-role", "party", "-index", "0", "-parties", "2", "-rows", "10", "-connect", addr,
		"-policy", policy, "-epsilon", "0", "-timeout", "1s", "-tls-cert", "x", "-tls-key", "y", "-tls-ca", "z")
	require.Equal(t, 1, code)
	require.NotContains(t, stderr, "policy", "allowed by the policy: it fails only at its missing certificate")
}

// TestRolesPolicyWindow: a hospital spends through its policy, so a rule's
// "epsilon at most 1 per 30 days" counts the spends already in the ledger:
// a run that would pass it is refused before it connects, naming the rule,
// and spends nothing.
func TestRolesPolicyWindow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "h0.ledger")
	budgetLedger(t, path, "ward", 10)
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DSN: path})
	require.NoError(t, err)
	require.NoError(t, l.Spend(ctx, "ward", 0.75, 0)) // an earlier run, this month
	require.NoError(t, l.Close())
	policy := filepath.Join(dir, "policy.json")
	require.NoError(t, os.WriteFile(policy, []byte(`{"version": 1, "rules": [
  {"name": "monthly", "dataset": "ward", "columns": ["value"], "counterparties": ["*"],
   "protocols": ["he"], "modes": ["sum"], "max_epsilon": 1, "per": "720h"}]}`), 0o600))
	certs := filepath.Join(dir, "certs")
	require.NoError(t, roles.WriteDemoCA(certs, starNames(2)))
	addr, connected := roletest.Silent(t)
	code, _, stderr := runProg(t, "-role", "party", "-index", "0", "-parties", "2", "-rows", "10", "-connect", addr,
		"-demo-certs", certs, "-dataset", "ward", "-policy", policy, "-ledger", path, "-epsilon", "0.5", "-timeout", "5s")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `rule "monthly": epsilon 1.25 on "ward"`)
	require.False(t, connected(), "refused before connecting")
	require.Equal(t, 0.75, spent(t, path, "ward"), "a refused run spends nothing")
}

// TestRoleFlags: flags that need -role, or another role, are refused.
func TestRoleFlags(t *testing.T) {
	for args, want := range map[string]string{
		"-ledger x":                       "-ledger needs -role",
		"-role hub":                       "-role hub: give -listen",
		"-role hub -listen :0 -index 1":   "the aggregator holds no data",
		"-role party -connect x":          "-role party needs -index",
		"-role party -connect x -index 3": "-index 3: need 0 to 2",
		"-role party -connect x -index 0 -input a.csv,b.csv": "give only this hospital's",
		"-role party -connect x -index 0 -drop 1":            "-drop simulates dropouts",
		"-role spoke":                                `-role: "spoke" is not hub or party`,
		"-role hub -listen :0 -tls-cert a":           "give all three",
		"-timeout 0s":                                "-timeout: 0s is not positive",
		"-role party -connect x -index 0 -opening o": "-opening commits to the input in the receipt: it needs -ledger",
	} {
		code, _, stderr := runProg(t, strings.Fields(args)...)
		assert.Equal(t, 1, code, args)
		assert.Contains(t, stderr, want, args)
	}
}

// FuzzLinks: the link lists peers send never panic the decoder, and what
// decodes re-encodes to the same bytes.
func FuzzLinks(f *testing.F) {
	f.Add(encodeLinks(linksMsgTag, []link{{dataset: "ward-0"}, {dataset: "ward-1", transcript: [32]byte{1}}}))
	f.Add(encodeLinks(linkMsgTag, []link{{dataset: "x"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, n := range []int{1, 2} {
			ls, err := decodeLinks(b, linksMsgTag, n)
			if err == nil && !bytes.Equal(encodeLinks(linksMsgTag, ls), b) {
				t.Fatal("link list does not re-encode")
			}
		}
	})
}

// TestRolesConcurrentSpends: 6 hospital processes start at once on one
// ledger whose dataset has budget for 3 runs: exactly 3 spend (and go on to
// connect, to a hub whose certificate they refuse), 3 are refused, and the
// ledger holds exactly 3 spends.
func TestRolesConcurrentSpends(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shared.ledger")
	budgetLedger(t, path, "ward", 3)
	certs := filepath.Join(dir, "certs")
	require.NoError(t, roles.WriteDemoCA(certs, starNames(2)))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A hub from another CA: a hospital that gets past its spend fails at
	// once on the hub's certificate.
	other, err := transport.NewCA("another CA")
	require.NoError(t, err)
	fake, err := other.Issue(hubName)
	require.NoError(t, err)
	ln, err := transport.Listen("127.0.0.1:0", fake, transport.Options{})
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for ctx.Err() == nil {
			if c, err := ln.Accept(ctx); err == nil {
				c.Close()
			}
		}
	}()
	var ps []*roletest.Process
	for range 6 {
		ps = append(ps, roletest.Start(t, ctx, asMain, "-role", "party", "-index", "0", "-parties", "2", "-rows", "10", "-epsilon", "1",
			"-connect", ln.Addr().String(), "-demo-certs", certs, "-dataset", "ward", "-ledger", path, "-timeout", "30s"))
	}
	refused := 0
	for _, p := range ps {
		require.Equal(t, 1, p.Wait(t), "no hub: every run fails")
		if strings.Contains(p.Stderr.String(), "exceeds its budget") {
			refused++
		} else {
			require.Contains(t, p.Stderr.String(), "connecting the star", "spent, then failed to connect")
		}
	}
	require.Equal(t, 3, refused)
	require.Equal(t, 3.0, spent(t, path, "ward"))
}

// TestRolesKilled kills a hospital process at random points of runs with
// -ledger and -epsilon (SIGKILL, no chance to clean up): the ledger it
// leaves opens and verifies, and holds a spend for every run whose result
// the hospital released (it may hold more: a run killed after its spend).
// The last run is not killed, so that one result is released.
func TestRolesKilled(t *testing.T) {
	dir := t.TempDir()
	path, path1 := filepath.Join(dir, "h0.ledger"), filepath.Join(dir, "h1.ledger")
	budgetLedger(t, path, "ward", 100)
	budgetLedger(t, path1, "synthetic-1", 100)
	certs := filepath.Join(dir, "certs")
	require.NoError(t, roles.WriteDemoCA(certs, starNames(2)))
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	released, runs := 0, 0
	for _, delay := range []time.Duration{0, time.Duration(rng.Int63n(int64(150 * time.Millisecond))), time.Duration(rng.Int63n(int64(400 * time.Millisecond))), -1} {
		runs++
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		common := []string{"-parties", "2", "-rows", "20", "-epsilon", "1", "-demo-certs", certs, "-json", "-timeout", "20s"}
		hub, addr := startHub(t, ctx, append(common, "-ledger", filepath.Join(dir, "hub.ledger"))...)
		h1 := roletest.Start(t, ctx, asMain, append(common, "-role", "party", "-index", "1", "-connect", addr, "-ledger", path1)...)
		h0 := roletest.Start(t, ctx, asMain, append(common, "-role", "party", "-index", "0", "-connect", addr, "-dataset", "ward", "-ledger", path)...)
		if delay >= 0 {
			time.Sleep(delay)
			_ = h0.Cmd.Process.Kill()
		}
		code := h0.Wait(t)
		if code == 0 && strings.Contains(h0.Stdout.String(), `"count"`) {
			released++
		}
		if delay < 0 {
			require.Equal(t, 0, code, h0.Stderr.String())
		}
		cancel() // the others fail or have finished
		hub.Wait(t)
		h1.Wait(t)
		l, err := ledger.Open(context.Background(), ledger.Config{DSN: path})
		require.NoError(t, err, "the ledger a killed process leaves opens and verifies")
		bs, err := l.Budgets(context.Background())
		require.NoError(t, err)
		require.NoError(t, l.Close())
		require.GreaterOrEqual(t, bs[0].Spends, released, "every released result was paid for")
		require.LessOrEqual(t, bs[0].Spends, runs, "at most one spend per run")
		t.Logf("killed after %v (-1: not killed): %d runs, %d released, %d spends", delay, runs, released, bs[0].Spends)
	}
}

// TestRoleRefusesAnotherName: a hospital given another party's certificate
// stops before it opens its ledger or connects.
func TestRoleRefusesAnotherName(t *testing.T) {
	run := func(args []string) (int, string) {
		code, _, stderr := runProg(t, args...)
		return code, stderr
	}
	roletest.RefusesAnotherName(t, starNames(2), "hospital-0", "hospital-1", run,
		"-role", "party", "-index", "0", "-parties", "2", "-rows", "10", "-timeout", "5s")
}

// TestAgreeChecksLinks: in the receipt's list step the hub refuses a
// hospital whose transcript of their link differs from its own, and a
// hospital refuses a list that gives it another transcript or dataset.
// The other end of the link is played by the test.
func TestAgreeChecksLinks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ca, err := transport.NewCA("test CA")
	require.NoError(t, err)
	var ours, theirs ledger.Transcript
	ours.Record(hubName, hospitalName(0), []byte("the round"))
	theirs.Record(hubName, hospitalName(0), []byte("another round"))
	cfg := &config{parties: 1, index: 0}
	// party is the hub (self 0) or hospital 0 (self 1) with ours as its
	// transcript of the link; peer is the link's other end.
	party := func(self int) (p *process, peer transport.Conn) {
		hub, spoke := transport.Pipe(hubName, hospitalName(0), transport.Options{})
		conns := []transport.Conn{nil, hub}
		p = &process{self: self, trs: []*ledger.Transcript{nil, &ours}}
		peer = spoke
		if self != he.HubIndex {
			conns = []transport.Conn{spoke, nil}
			p.trs = []*ledger.Transcript{&ours, nil}
			peer = hub
		}
		p.id, err = ca.Issue(starNames(1)[self])
		require.NoError(t, err)
		p.mesh, err = transport.NewMesh(self, conns)
		require.NoError(t, err)
		return p, peer
	}

	hub, spoke := party(he.HubIndex)
	require.NoError(t, spoke.Send(ctx, encodeLinks(linkMsgTag, []link{{"ward", theirs.Sum()}})))
	_, _, err = hub.agree(ctx, cfg, "")
	require.ErrorIs(t, err, ledger.ErrMismatch)
	require.ErrorContains(t, err, "the hospital's transcript of its link differs from the hub's")

	for name, lie := range map[string]link{
		"another transcript": {"ward", theirs.Sum()},
		"another dataset":    {"other", ours.Sum()},
	} {
		hospital, hub := party(1)
		go func() {
			if _, err := hub.Recv(ctx); err == nil {
				hub.Send(ctx, encodeLinks(linksMsgTag, []link{lie}))
			}
		}()
		_, _, err = hospital.agree(ctx, cfg, "ward")
		require.ErrorIs(t, err, ledger.ErrMismatch, name)
		require.ErrorContains(t, err, "the hub lists another dataset or transcript for this hospital", name)
	}
}
