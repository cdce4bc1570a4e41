package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/examples/internal/roletest"
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/transport"
)

// asMain makes the test binary run the program, so that the process tests
// start A and B as separate processes (built once, with the test).
const asMain = "VEIL_PSI_AS_MAIN"

func TestMain(m *testing.M) {
	roletest.Main(m, asMain, func(args []string) int { return run(args, os.Stdout, os.Stderr) })
}

// TestProcessesReceipts runs A and B as two processes over mutual TLS on
// loopback, each with its own ledger: both print the same receipt digest,
// both ledgers hold the same signed receipt, and it verifies against the
// demo CA. Changing a byte of it, verifying against another CA, or
// dropping a signature is detected, each with its own error.
func TestProcessesReceipts(t *testing.T) {
	dir := t.TempDir()
	pa := write(t, dir, "a.csv", "id\nx\ny\nz\nw\n")
	pb := write(t, dir, "b.csv", "id,amount\ny,5\nz,7\nq,100\n")
	addr := roletest.FreeAddr(t)
	certs := filepath.Join(dir, "certs")
	la, lb := filepath.Join(dir, "a.ledger"), filepath.Join(dir, "b.ledger")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := roletest.Start(t, ctx, asMain, "-role", "a", "-a", pa, "-listen", addr, "-demo-certs", certs, "-mode", "sum", "-json", "-timeout", "45s", "-ledger", la)
	b := roletest.Start(t, ctx, asMain, "-role", "b", "-b", pb, "-connect", addr, "-demo-certs", certs, "-mode", "sum", "-json", "-timeout", "45s", "-ledger", lb)
	require.Equal(t, 0, a.Wait(t), a.Stderr.String())
	require.Equal(t, 0, b.Wait(t), b.Stderr.String())
	var repA, repB map[string]any
	require.NoError(t, json.Unmarshal(a.Stdout.Bytes(), &repA))
	require.NoError(t, json.Unmarshal(b.Stdout.Bytes(), &repB))
	require.EqualValues(t, 12, repA["sum"])
	require.NotEmpty(t, repA["receipt"])
	require.Equal(t, repA["receipt"], repB["receipt"])

	id := roletest.DemoIdentity(t, certs, "party-b")
	bodies := [][]byte{roletest.OnlyEntry(t, ctx, la), roletest.OnlyEntry(t, ctx, lb)}
	require.Equal(t, bodies[0], bodies[1], "identical signed receipts")
	var s ledger.SignedReceipt
	require.NoError(t, s.UnmarshalBinary(bodies[0]))
	require.NoError(t, s.Verify(id))
	var empty ledger.Transcript
	require.NotEqual(t, empty.Sum(), s.Receipt.Transcript, "the transcript covers the run's messages")

	// A tampered byte: the receipt's own content (its protocol name).
	tampered := bytes.Clone(bodies[0])
	i := bytes.Index(tampered, []byte("psi/ecdh sum"))
	require.Positive(t, i)
	tampered[i] = 'P'
	var bad ledger.SignedReceipt
	require.NoError(t, bad.UnmarshalBinary(tampered), "still well formed")
	require.ErrorIs(t, bad.Verify(id), ledger.ErrBadSignature)

	// Another CA.
	other, err := transport.NewCA("not the demo CA")
	require.NoError(t, err)
	stranger, err := other.Issue("party-b")
	require.NoError(t, err)
	require.ErrorIs(t, s.Verify(stranger), ledger.ErrPeerIdentity)

	// A missing signature.
	missing := s
	missing.Signatures = []ledger.Signature{s.Signatures[0], {}}
	require.ErrorIs(t, missing.Verify(id), ledger.ErrMissingSignature)
	require.ErrorContains(t, missing.Verify(id), `"party-b"`)
}
