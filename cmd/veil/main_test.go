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
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/transport"
)

type fixture struct {
	dir, ledgerPath, receiptPath string
	idArgs, otherArgs            []string
}

func setup(t *testing.T) fixture {
	dir := t.TempDir()
	ca, err := transport.NewCA("ca")
	require.NoError(t, err)
	a, err := ca.Issue("bank-a")
	require.NoError(t, err)
	b, err := ca.Issue("shop-b")
	require.NoError(t, err)
	other, err := transport.NewCA("other")
	require.NoError(t, err)
	o, err := other.Issue("bank-a")
	require.NoError(t, err)
	write := func(id *transport.Identity, caPEM []byte, name string) []string {
		cert, key := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		require.NoError(t, id.WritePEM(cert, key))
		caFile := filepath.Join(dir, name+"-ca.pem")
		require.NoError(t, os.WriteFile(caFile, caPEM, 0o600))
		return []string{"-tls-cert", cert, "-tls-key", key, "-tls-ca", caFile}
	}
	f := fixture{dir: dir, ledgerPath: filepath.Join(dir, "a.ledger"), receiptPath: filepath.Join(dir, "r.bin")}
	f.idArgs = write(a, ca.CertPEM(), "a")
	f.otherArgs = write(o, other.CertPEM(), "o")

	start := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	r := &ledger.Receipt{Protocol: "psi/ecdh cardinality", Version: 1, SecurityModel: "semi-honest", Start: start, End: start.Add(time.Second),
		Parties: []ledger.Party{{Name: "bank-a", Role: "sender", Fingerprint: ledger.FingerprintOf(a)}, {Name: "shop-b", Role: "receiver", Fingerprint: ledger.FingerprintOf(b)}},
		Spends:  []ledger.Spend{{Dataset: "ids", Owner: "bank-a", Epsilon: 0.5}}}
	s := &ledger.SignedReceipt{Receipt: *r}
	for _, id := range []*transport.Identity{a, b} {
		sig, err := ledger.Sign(id, r)
		require.NoError(t, err)
		s.Signatures = append(s.Signatures, sig)
	}
	enc, err := s.MarshalBinary()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(f.receiptPath, enc, 0o600))

	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DSN: f.ledgerPath})
	require.NoError(t, err)
	require.NoError(t, l.SetBudget(ctx, "ids", 2, 0))
	require.NoError(t, l.Spend(ctx, "ids", 0.5, 0))
	_, err = l.AppendReceipt(ctx, s)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	return f
}

func veil(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestLedgerVerify(t *testing.T) {
	f := setup(t)
	code, out, stderr := veil(append(append([]string{"ledger", "verify"}, f.idArgs...), f.ledgerPath)...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "ledger verifies: 3 entries")
	require.Contains(t, out, "1 receipts, every signature verified")
	require.Contains(t, out, `dataset "ids": remaining epsilon 1.5 of 2`)

	code, out, _ = veil("ledger", "verify", "-json", f.ledgerPath)
	require.Equal(t, 0, code)
	var res struct {
		OK     bool `json:"ok"`
		Result struct {
			Entries int `json:"entries"`
			Budgets []struct {
				Dataset          string  `json:"dataset"`
				RemainingEpsilon float64 `json:"remaining_epsilon"`
			} `json:"budgets"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.True(t, res.OK)
	require.Equal(t, 3, res.Result.Entries)
	require.Equal(t, 1.5, res.Result.Budgets[0].RemainingEpsilon)

	code, out, _ = veil("ledger", "history", f.ledgerPath)
	require.Equal(t, 0, code)
	require.Contains(t, out, "psi/ecdh cardinality v1")

	// The wrong CA: the receipts in the ledger do not verify.
	code, _, stderr = veil(append(append([]string{"ledger", "verify"}, f.otherArgs...), f.ledgerPath)...)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `entry 3: ledger: verify receipt: party 0 "bank-a"`)
}

func TestLedgerVerifyFailures(t *testing.T) {
	f := setup(t)
	missing := filepath.Join(f.dir, "none.ledger")
	code, _, _ := veil("ledger", "verify", missing)
	require.Equal(t, 1, code)
	_, err := os.Stat(missing)
	require.True(t, os.IsNotExist(err), "no ledger is created where one was expected")

	junk := filepath.Join(f.dir, "junk.ledger")
	require.NoError(t, os.WriteFile(junk, bytes.Repeat([]byte("junk"), 1024), 0o600))
	code, out, _ := veil("ledger", "verify", "-json", junk)
	require.Equal(t, 1, code)
	require.Contains(t, out, `"ok": false`)

	code, _, _ = veil("ledger", "frobnicate", junk)
	require.Equal(t, 2, code)
}

func TestReceiptVerify(t *testing.T) {
	f := setup(t)
	code, out, stderr := veil(append(append([]string{"receipt", "verify"}, f.idArgs...), f.receiptPath)...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "receipt verifies: psi/ecdh cardinality v1, 2 signatures")

	b, err := os.ReadFile(f.receiptPath)
	require.NoError(t, err)
	b[len(b)-5] ^= 1 // in shop-b's signature
	tampered := filepath.Join(f.dir, "tampered.bin")
	require.NoError(t, os.WriteFile(tampered, b, 0o600))
	code, _, stderr = veil(append(append([]string{"receipt", "verify"}, f.idArgs...), tampered)...)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `party 1 "shop-b"`)

	code, _, _ = veil("receipt", "verify", f.receiptPath)
	require.Equal(t, 2, code, "receipt verify needs an identity")
}

// TestLedgerBudget: "ledger budget" sets a dataset's budget (creating the
// ledger), keeps what was spent, and needs -dataset and -epsilon.
func TestLedgerBudget(t *testing.T) {
	f := setup(t)
	code, out, errOut := veil("ledger", "budget", "-dataset", "ids", "-epsilon", "3", f.ledgerPath)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `dataset "ids": remaining epsilon 2.5 of 3`)

	fresh := filepath.Join(f.dir, "new.ledger")
	code, out, errOut = veil("ledger", "budget", "-json", "-dataset", "ward-0", "-epsilon", "1.5", fresh)
	require.Equal(t, 0, code, errOut)
	var got struct {
		OK     bool `json:"ok"`
		Result []struct {
			Dataset          string  `json:"dataset"`
			RemainingEpsilon float64 `json:"remaining_epsilon"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.True(t, got.OK)
	require.Len(t, got.Result, 1)
	require.Equal(t, "ward-0", got.Result[0].Dataset)
	require.Equal(t, 1.5, got.Result[0].RemainingEpsilon)

	code, _, errOut = veil("ledger", "budget", "-epsilon", "1", fresh)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "needs -dataset and -epsilon")
}
