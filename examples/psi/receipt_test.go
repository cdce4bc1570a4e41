package main

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/transport"
)

// TestRolesLedger runs A and B as if in two processes, over TLS with the
// demo CA, each with its own -ledger: both print the same receipt digest,
// and each ledger holds that receipt, signed by both, verifying against
// the CA.
func TestRolesLedger(t *testing.T) {
	dir := t.TempDir()
	pa := write(t, dir, "a.csv", "id\nx\ny\nz\nw\n")
	pb := write(t, dir, "b.csv", "id\ny\nz\nq\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	certs := filepath.Join(dir, "certs")
	la, lb := filepath.Join(dir, "a.ledger"), filepath.Join(dir, "b.ledger")
	type res struct {
		code           int
		stdout, stderr string
	}
	bDone := make(chan res, 1)
	go func() {
		code, out, errs := runCLI("-role", "b", "-b", pb, "-connect", addr, "-demo-certs", certs, "-mode", "cardinality", "-json", "-timeout", "30s", "-ledger", lb)
		bDone <- res{code, out, errs}
	}()
	code, stdout, stderr := runCLI("-role", "a", "-a", pa, "-listen", addr, "-demo-certs", certs, "-mode", "cardinality", "-json", "-timeout", "30s", "-ledger", la)
	require.Equal(t, 0, code, stderr)
	rb := <-bDone
	require.Equal(t, 0, rb.code, rb.stderr)
	var repA, repB map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &repA))
	require.NoError(t, json.Unmarshal([]byte(rb.stdout), &repB))
	require.NotEmpty(t, repA["receipt"])
	require.Equal(t, repA["receipt"], repB["receipt"], "both parties hold the same receipt")

	id, err := transport.LoadIdentity(filepath.Join(certs, "party-a.crt"), filepath.Join(certs, "party-a.key"), filepath.Join(certs, "ca.pem"))
	require.NoError(t, err)
	ctx := context.Background()
	var encoded [][]byte
	for _, path := range []string{la, lb} {
		l, err := ledger.Open(ctx, ledger.Config{DSN: path})
		require.NoError(t, err)
		es, err := l.Entries(ctx)
		require.NoError(t, err)
		require.NoError(t, l.Close())
		require.Len(t, es, 1)
		var s ledger.SignedReceipt
		require.NoError(t, s.UnmarshalBinary(es[0].Body))
		require.NoError(t, s.Verify(id))
		require.Equal(t, []string{"party-a", "party-b"}, []string{s.Receipt.Parties[0].Name, s.Receipt.Parties[1].Name})
		b, err := s.Receipt.MarshalBinary()
		require.NoError(t, err)
		encoded = append(encoded, b)
	}
	require.Equal(t, encoded[0], encoded[1])

	code, _, stderr = runCLI("-ledger", la)
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
