package roles

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/transport"
)

// TestDemoCAAndConnect: the listening party writes the demo CA, the other
// waits for it; they connect by name, and a wrong peer name is refused.
func TestDemoCAAndConnect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tls := TLS{DemoCerts: filepath.Join(t.TempDir(), "certs")}

	waiting := make(chan *transport.Identity, 1)
	go func() {
		id, err := tls.Identity(ctx, "party-b", nil, "test", nil)
		if err != nil {
			t.Error(err)
		}
		waiting <- id
	}()
	var log bytes.Buffer
	a, err := tls.Identity(ctx, "party-a", []string{"party-a", "party-b"}, "test", &log)
	require.NoError(t, err)
	require.Contains(t, log.String(), "test: wrote a throwaway demo CA")
	b := <-waiting
	require.NotNil(t, b)
	require.Equal(t, "party-b", b.Name())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	accepted := make(chan error, 1)
	log.Reset()
	go func() {
		c, err := Accept(ctx, addr, a, "party-b", "test", "party a", &log)
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	c, err := Dial(ctx, addr, b, "party-a") // retries until the listener is up
	require.NoError(t, err)
	require.Equal(t, "party-a", c.Peer())
	c.Close()
	require.NoError(t, <-accepted)
	require.True(t, strings.HasPrefix(log.String(), "test: party a listening on "))

	go func() {
		c, err := Accept(ctx, addr, a, "party-c", "test", "party a", &bytes.Buffer{})
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	if c, err := Dial(ctx, addr, b, "party-a"); err == nil {
		defer c.Close()
	}
	require.ErrorIs(t, <-accepted, transport.ErrPeerIdentity)

	short, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	_, err = Dial(short, addr, b, "party-a") // nothing listens: it retries until ctx ends
	require.Error(t, err)
}

func TestTLSPartial(t *testing.T) {
	for _, tc := range []struct {
		tls  TLS
		want bool
	}{
		{TLS{}, false},
		{TLS{Cert: "c", Key: "k", CA: "a"}, false},
		{TLS{Cert: "c"}, true},
		{TLS{Key: "k"}, true},
		{TLS{CA: "a"}, true},
		{TLS{Cert: "c", Key: "k"}, true},
		{TLS{Cert: "c", CA: "a"}, true},
		{TLS{Key: "k", CA: "a"}, true},
		{TLS{DemoCerts: "d"}, false},
	} {
		require.Equal(t, tc.want, tc.tls.Partial(), "%+v", tc.tls)
	}
}

// TestPairRefusesAnotherName: a party given another party's certificate
// stops before it opens the ledger or connects.
func TestPairRefusesAnotherName(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteDemoCA(dir, []string{"party-a", "party-b"}))
	p := Pair{Prog: "test", Role: "a", Self: "party-a", Peer: "party-b", Connect: "127.0.0.1:1",
		TLS: DemoTLS(dir, "party-b"), Ledger: filepath.Join(dir, "ledger.db")}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := p.Start(ctx, &bytes.Buffer{})
	require.ErrorContains(t, err, `-tls-cert names "party-b", party a must be "party-a"`)
	_, statErr := os.Stat(p.Ledger)
	require.ErrorIs(t, statErr, os.ErrNotExist, "no ledger was opened")
}

func TestDataset(t *testing.T) {
	require.Equal(t, "ward", Dataset("ward", "dir/customers.csv", "synthetic"))
	require.Equal(t, "customers", Dataset("", "dir/customers.csv", "synthetic"))
	require.Equal(t, "synthetic", Dataset("", "", "synthetic"))
}

// TestCheckPolicy: every request must be allowed, the refusal names the
// rule, and no file allows everything.
func TestCheckPolicy(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.json")
	require.NoError(t, os.WriteFile(policy, []byte(`{"version": 1, "rules": [
  {"name": "ids-psi", "dataset": "customers", "columns": ["id"], "counterparties": ["party-a"],
   "protocols": ["psi"]}]}`), 0o600))
	psiRun := ledger.Request{Dataset: "customers", Columns: []string{"id"}, Counterparty: "party-a", Protocol: "psi", Mode: "intersection"}
	mpcRun := ledger.Request{Dataset: "customers", Columns: []string{"id"}, Counterparty: "party-a", Protocol: "mpc", Mode: "correlation"}
	require.NoError(t, CheckPolicy(policy, psiRun))
	err := CheckPolicy(policy, psiRun, mpcRun)
	require.ErrorIs(t, err, ledger.ErrPolicy)
	require.ErrorContains(t, err, `rule "ids-psi"`)
	require.NoError(t, CheckPolicy("", mpcRun))
}
