package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/examples/internal/roletest"
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/psi"
)

// TestRolesLedger runs A and B as if in two processes, over TLS with the
// demo CA, each with its own -ledger: both print the same receipt digest,
// and each ledger holds that receipt, signed by both, verifying against
// the CA.
func TestRolesLedger(t *testing.T) {
	dir := t.TempDir()
	pa := write(t, dir, "a.csv", "id\nx\ny\nz\nw\n")
	pb := write(t, dir, "b.csv", "id\ny\nz\nq\n")
	addr := roletest.FreeAddr(t)
	certs := filepath.Join(dir, "certs")
	la, lb := filepath.Join(dir, "a.ledger"), filepath.Join(dir, "b.ledger")
	ra, rb := runRoles(
		[]string{"-role", "a", "-a", pa, "-listen", addr, "-demo-certs", certs, "-mode", "cardinality", "-json", "-timeout", "30s", "-ledger", la},
		[]string{"-role", "b", "-b", pb, "-connect", addr, "-demo-certs", certs, "-mode", "cardinality", "-json", "-timeout", "30s", "-ledger", lb})
	require.Equal(t, 0, ra.code, ra.stderr)
	require.Equal(t, 0, rb.code, rb.stderr)
	var repA, repB map[string]any
	require.NoError(t, json.Unmarshal([]byte(ra.stdout), &repA))
	require.NoError(t, json.Unmarshal([]byte(rb.stdout), &repB))
	require.NotEmpty(t, repA["receipt"])
	require.Equal(t, repA["receipt"], repB["receipt"], "both parties hold the same receipt")

	id := roletest.DemoIdentity(t, certs, "party-a")
	ctx := context.Background()
	var encoded [][]byte
	for _, path := range []string{la, lb} {
		s := roletest.OnlyReceipt(t, ctx, path)
		require.NoError(t, s.Verify(id))
		require.Equal(t, []string{"party-a", "party-b"}, []string{s.Receipt.Parties[0].Name, s.Receipt.Parties[1].Name})
		b, err := s.Receipt.MarshalBinary()
		require.NoError(t, err)
		encoded = append(encoded, b)
	}
	require.Equal(t, encoded[0], encoded[1])

	code, _, stderr := runCLI("-ledger", la)
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "-ledger and -policy need -role", "-ledger needs -role")
}

// TestRolePolicy: a run the party's policy does not allow is refused before
// it connects, naming the rule; one it allows goes ahead.
func TestRolePolicy(t *testing.T) {
	dir := t.TempDir()
	pb := write(t, dir, "customers.csv", "id,amount\ny,5\nz,7\n")
	policy := write(t, dir, "policy.json", `{"version": 1, "rules": [
  {"name": "ids-to-a", "dataset": "customers", "columns": ["id"], "counterparties": ["party-a"],
   "protocols": ["psi"], "modes": ["cardinality"]}]}`)
	// Sum needs the amount column, which the rule does not give.
	code, _, stderr := runCLI("-role", "b", "-b", pb, "-connect", "127.0.0.1:1", "-mode", "sum", "-policy", policy, "-timeout", "5s")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `rule "ids-to-a": mode "sum" is not among`)
	require.NotContains(t, stderr, "connect", "refused before connecting")

	bad := write(t, dir, "bad.json", "{\n  \"version\": 1,\n  \"rules\": [,]\n}")
	code, _, stderr = runCLI("-role", "b", "-b", pb, "-connect", "127.0.0.1:1", "-mode", "cardinality", "-policy", bad)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "bad.json:3:")
}

// TestRolesOpening: with -opening each party's receipt entry carries a
// commitment to its input, the same in both ledgers, and its opening file
// opens it over the party's own file (also with its rows reordered or
// repeated: the commitment is to the set the PSI used), but not over a
// changed one (an ID, a value, a row added), nor over the other party's.
func TestRolesOpening(t *testing.T) {
	dir := t.TempDir()
	aCSV, bCSV := "id\nx\ny\nz\nw\n", "id,amount\ny,5\nz,7\nq,100\nz,1\n"
	pa, pb := write(t, dir, "a.csv", aCSV), write(t, dir, "b.csv", bCSV)
	addr := roletest.FreeAddr(t)
	certs := filepath.Join(dir, "certs")
	la, lb := filepath.Join(dir, "a.ledger"), filepath.Join(dir, "b.ledger")
	oa, ob := filepath.Join(dir, "a.opening"), filepath.Join(dir, "b.opening")
	ra, rb := runRoles(
		[]string{"-role", "a", "-a", pa, "-listen", addr, "-demo-certs", certs, "-mode", "sum", "-json", "-timeout", "30s", "-ledger", la, "-opening", oa},
		[]string{"-role", "b", "-b", pb, "-connect", addr, "-demo-certs", certs, "-mode", "sum", "-json", "-timeout", "30s", "-ledger", lb, "-opening", ob})
	require.Equal(t, 0, ra.code, ra.stderr)
	require.Equal(t, 0, rb.code, rb.stderr)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(ra.stdout), &rep))
	require.EqualValues(t, 13, rep["sum"])

	var receipts []ledger.SignedReceipt
	for _, path := range []string{la, lb} {
		receipts = append(receipts, roletest.OnlyReceipt(t, context.Background(), path))
	}
	require.Equal(t, receipts[0].Receipt.Parties, receipts[1].Receipt.Parties)
	require.Equal(t, "min-sum=0 lattice-sum=false", string(receipts[0].Receipt.Params))
	parties := receipts[0].Receipt.Parties
	require.NotEqual(t, ledger.Commitment{}, parties[0].Input, "A's input is committed")
	require.NotEqual(t, ledger.Commitment{}, parties[1].Input, "B's input is committed")

	readOpening := func(path string) (opening, ledger.Opening) {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var o opening
		require.NoError(t, json.Unmarshal(b, &o))
		require.Equal(t, rep["receipt"], o.Receipt)
		salt, err := hex.DecodeString(o.Salt)
		require.NoError(t, err)
		var op ledger.Opening
		require.Len(t, salt, len(op.Salt))
		copy(op.Salt[:], salt)
		return o, op
	}
	// encode is what a party later recomputes from its file.
	encode := func(role, csv string) []byte {
		path := write(t, t.TempDir(), "data.csv", csv)
		c := &config{role: role, mode: psi.Sum, key: "id", value: "amount"}
		if role == "a" {
			p, err := readParty(path, "id", "")
			require.NoError(t, err)
			return inputEncoding(c.value, psi.Set{Items: psi.Items(p.ids)})
		}
		p, err := readParty(path, "id", "amount")
		require.NoError(t, err)
		set, err := senderSet(c, p)
		require.NoError(t, err)
		return inputEncoding(c.value, set)
	}
	for k, tc := range []struct {
		role, csv string
		same      []string // files with the same input: the opening opens
		changed   []string // changed inputs: it does not
	}{
		{"a", aCSV, []string{"id\nw\nz\ny\nx\nx\n", "id\n x \ny\nz\nw\n"}, []string{"id\nx\ny\nz\nv\n", "id\nx\ny\nz\n", "id\nx\ny\nz\nw\nv\n"}},
		{"b", bCSV, []string{"id,amount\nz,1\nq,100\nz,7\ny,5\n", "id,amount\ny,5\nz,8\nq,100\n"},
			[]string{"id,amount\ny,5\nz,7\nq,101\nz,1\n", "id,amount\ny,5\nz,7\nq,100\n", "id,amount\ny,5\nz,7\nq,100\nz,1\nr,0\n", "id,amount\ny,5\nz,7\nr,100\nz,1\n"}},
	} {
		o, op := readOpening([]string{oa, ob}[k])
		com := parties[k].Input
		require.Equal(t, hex.EncodeToString(com[:]), o.Commitment, tc.role)
		require.Equal(t, tc.role, o.Party)
		require.NoError(t, com.Verify(op, encode(tc.role, tc.csv)), "party %s opens over its file", tc.role)
		for _, csv := range tc.same {
			require.NoError(t, com.Verify(op, encode(tc.role, csv)), "party %s, same input:\n%s", tc.role, csv)
		}
		for _, csv := range tc.changed {
			require.ErrorIs(t, com.Verify(op, encode(tc.role, csv)), ledger.ErrMismatch, "party %s, changed:\n%s", tc.role, csv)
		}
		other := parties[1-k].Input
		require.ErrorIs(t, other.Verify(op, encode(tc.role, tc.csv)), ledger.ErrMismatch, "not the other party's commitment")
	}

	code, _, stderr := runCLI("-role", "a", "-a", pa, "-listen", addr, "-opening", oa)
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "-opening commits to the input in the receipt: it needs -ledger")
}
