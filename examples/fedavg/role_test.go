package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/examples/internal/roletest"
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/transport"
)

// TestRolesSeparateProcesses runs the server and four clients as five
// processes of the built command over loopback TLS (demo CA), each with
// its own -ledger: the server's sum is the plaintext sum of the four
// rows, every party prints the same receipt digest, and every ledger
// holds that receipt, signed by all five, verifying against the CA.
func TestRolesSeparateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	dir := t.TempDir()
	bin := roletest.Build(t, dir, "fedavg")

	const clients, dim = 4, 12
	rows := [][]int64{}
	for i := range clients {
		row := make([]int64, dim)
		for k := range row {
			row[k] = int64((i+1)*1000+k) * int64(1-2*(k%2))
		}
		rows = append(rows, row)
	}
	input := writeCSV(t, rows)
	want := make([]int64, dim)
	for _, r := range rows {
		for k, v := range r {
			want[k] += v
		}
	}
	addr := roletest.FreeAddr(t)
	certs := filepath.Join(dir, "certs")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	type result struct {
		out    jsonOut
		raw    string
		stderr string
		err    error
	}
	results := make([]result, clients+1)
	ledgers := make([]string, clients+1)
	var wg sync.WaitGroup
	for p := range clients + 1 {
		ledgers[p] = filepath.Join(dir, "party"+strconv.Itoa(p)+".ledger")
		args := []string{"-json", "-demo-certs", certs, "-ledger", ledgers[p], "-timeout", "2m"}
		if p == 0 {
			args = append(args, "-role", "server", "-listen", addr, "-clients", strconv.Itoa(clients), "-dim", strconv.Itoa(dim))
		} else {
			args = append(args, "-role", "client", "-index", strconv.Itoa(p-1), "-connect", addr, "-input", input)
		}
		wg.Go(func() {
			cmd := exec.CommandContext(ctx, bin, args...)
			var stderr safeBuffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			results[p] = result{raw: string(out), stderr: stderr.String(), err: err}
			if err == nil {
				results[p].err = json.Unmarshal(out, &results[p].out)
			}
		})
	}
	wg.Wait()
	for p, r := range results {
		require.NoError(t, r.err, "party %d: %s", p, r.stderr)
	}
	srv := results[0].out
	assert.Equal(t, want, srv.Sum, "the sum is exact")
	assert.Equal(t, []int{0, 1, 2, 3}, srv.Counted)
	assert.Equal(t, clients, srv.Clients)
	for p := 1; p <= clients; p++ {
		assert.Empty(t, results[p].out.Sum, "client %d learns no sum", p)
		assert.NotEmpty(t, results[p].out.Receipt)
		assert.Equal(t, srv.Receipt, results[p].out.Receipt, "party %d holds the server's receipt", p)
	}

	id := roletest.DemoIdentity(t, certs, "party-1")
	var first []byte
	for p, path := range ledgers {
		s := roletest.OnlyReceipt(t, ctx, path)
		require.NoError(t, s.Verify(id), "party %d's receipt", p)
		require.Len(t, s.Receipt.Parties, clients+1)
		require.NotEqual(t, [ledger.DigestSize]byte{}, s.Receipt.Transcript, "the receipt holds the round's transcript")
		for i, party := range s.Receipt.Parties {
			assert.Equal(t, transport.PartyName(i), party.Name)
		}
		b, err := s.Receipt.MarshalBinary()
		require.NoError(t, err)
		if p == 0 {
			first = b
		} else {
			assert.Equal(t, first, b, "party %d's receipt differs from the server's", p)
		}
		// A tampered byte fails verification.
		s.Receipt.Transcript[0] ^= 1
		assert.Error(t, s.Verify(id))
	}
}

// safeBuffer is a bytes.Buffer safe for the exec package's copier.
type safeBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}

// TestRolePolicy: a client whose policy does not allow the round is refused
// before it connects, naming the rule; a round the rule allows gets as far
// as loading its certificate.
func TestRolePolicy(t *testing.T) {
	input := writeCSV(t, [][]int64{{1, 2}, {3, 4}})
	policy := filepath.Join(t.TempDir(), "policy.json")
	require.NoError(t, os.WriteFile(policy, []byte(`{"version": 1, "rules": [
  {"name": "exact-sums", "dataset": "updates", "columns": ["w0", "w1"], "counterparties": ["party-0"],
   "protocols": ["secagg"], "modes": ["sum"]}]}`), 0o600))
	addr, connected := roletest.Silent(t)
	code, _, stderr := runCmd(t, "-role", "client", "-index", "0", "-input", input, "-connect", addr,
		"-policy", policy, "-epsilon", "1", "-demo-certs", t.TempDir(), "-timeout", "5s")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `rule "exact-sums": the rule allows no differentially private release`)
	require.False(t, connected(), "refused before connecting")

	code, _, stderr = runCmd(t, "-role", "client", "-index", "0", "-input", input, "-connect", addr,
		"-policy", policy, "-tls-cert", "x", "-tls-key", "y", "-tls-ca", "z", "-timeout", "5s")
	require.Equal(t, 1, code)
	require.NotContains(t, stderr, "policy", "allowed by the policy: it fails only at its missing certificate")
}

// TestRoleRefusesAnotherName: a client given another party's certificate
// stops before it opens its ledger or connects.
func TestRoleRefusesAnotherName(t *testing.T) {
	input := writeCSV(t, [][]int64{{1, 2}, {3, 4}})
	run := func(args []string) (int, string) {
		code, _, stderr := runCmd(t, args...)
		return code, stderr
	}
	roletest.RefusesAnotherName(t, []string{"party-0", "party-1", "party-2"}, "party-1", "party-2", run,
		"-role", "client", "-index", "0", "-input", input, "-timeout", "5s")
}
