// Package roletest is what the examples' tests share when they run each
// party as its own process (-role): the test binary run as the command
// ([Main], [Start]), a free loopback address, a silent one (for a run
// refused before it connects), the built command, a party's identity from
// the demo CA, and the one receipt entry of a party's ledger.
package roletest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/examples/internal/roles"
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/transport"
)

// FreeAddr returns a loopback address nothing listens on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// Silent listens on a loopback address and never answers: connected
// reports whether anyone connected to it (waiting a moment for one in
// flight), for a test that a party refuses a run before it connects.
func Silent(t testing.TB) (addr string, connected func() bool) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	got := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			got <- struct{}{}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), func() bool {
		select {
		case <-got:
			return true
		case <-time.After(200 * time.Millisecond):
			return false
		}
	}
}

// Build builds the command in the current directory as dir/name and
// returns its path.
func Build(t testing.TB, dir, name string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// DemoIdentity loads party name's identity from the demo CA in certs.
func DemoIdentity(t testing.TB, certs, name string) *transport.Identity {
	t.Helper()
	f := roles.DemoTLS(certs, name)
	id, err := transport.LoadIdentity(f.Cert, f.Key, f.CA)
	require.NoError(t, err)
	return id
}

// CertFlags are the -tls-cert, -tls-key and -tls-ca flags of party name's
// certificate from the demo CA in certs.
func CertFlags(certs, name string) []string {
	f := roles.DemoTLS(certs, name)
	return []string{"-tls-cert", f.Cert, "-tls-key", f.Key, "-tls-ca", f.CA}
}

// OnlyEntry returns the body of the one entry in the ledger at path.
func OnlyEntry(t testing.TB, ctx context.Context, path string) []byte {
	t.Helper()
	l, err := ledger.Open(ctx, ledger.Config{DSN: path})
	require.NoError(t, err)
	es, err := l.Entries(ctx)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	require.Len(t, es, 1)
	return es[0].Body
}

// OnlyReceipt decodes the one entry in the ledger at path as a signed
// receipt.
func OnlyReceipt(t testing.TB, ctx context.Context, path string) ledger.SignedReceipt {
	t.Helper()
	var s ledger.SignedReceipt
	require.NoError(t, s.UnmarshalBinary(OnlyEntry(t, ctx, path)))
	return s
}

// RefusesAnotherName checks that a party given another party's
// certificate stops before it opens its ledger or connects: run runs the
// command with args plus -connect (to a [Silent] address), -ledger and the
// -tls-* flags of other's certificate from a demo CA for names, and must
// fail saying that the certificate names other, not self.
func RefusesAnotherName(t *testing.T, names []string, self, other string, run func(args []string) (code int, stderr string), args ...string) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, roles.WriteDemoCA(dir, names))
	addr, connected := Silent(t)
	led := filepath.Join(dir, "party.ledger")
	code, stderr := run(append(append(args, "-connect", addr, "-ledger", led), CertFlags(dir, other)...))
	require.Equal(t, 1, code)
	require.Contains(t, stderr, fmt.Sprintf("-tls-cert names %q, this party must be %q", other, self))
	require.False(t, connected(), "refused before connecting")
	_, err := os.Stat(led)
	require.ErrorIs(t, err, os.ErrNotExist, "no ledger was opened")
}
