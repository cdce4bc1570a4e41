package transport

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCAIssue(t *testing.T) {
	ca := newTestCA(t)
	id := issue(t, ca, "party-7")
	assert.Equal(t, "party-7", id.Name())
	cert := id.Certificate()
	assert.Equal(t, "party-7", cert.Subject.CommonName)
	assert.True(t, cert.NotAfter.Before(time.Now().Add(DefaultCertValidity+time.Minute)), "short validity")
	assert.True(t, cert.NotBefore.Before(time.Now()))
	_, err := cert.Verify(x509VerifyOptions(ca))
	require.NoError(t, err)

	_, err = ca.Issue("")
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewCA("")
	require.ErrorIs(t, err, ErrInvalidParams)
}

// TestLoadIdentityRoundTrip writes identities and the CA to PEM files, as
// the one-process-per-party examples do, loads them back and connects.
func TestLoadIdentityRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t)
	caFile := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caFile, ca.CertPEM(), 0o644))
	load := func(name string) *Identity {
		certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		require.NoError(t, issue(t, ca, name).WritePEM(certFile, keyFile))
		info, err := os.Stat(keyFile)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the key file is private")
		id, err := LoadIdentity(certFile, keyFile, caFile)
		require.NoError(t, err)
		assert.Equal(t, name, id.Name())
		return id
	}
	alice, bob := load("alice"), load("bob")

	l, err := Listen("127.0.0.1:0", bob, Options{})
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		c, err := Dial(ctx, l.Addr().String(), alice, "bob", Options{})
		if assert.NoError(t, err) {
			assert.NoError(t, c.Send(ctx, []byte("hi bob")))
			_, _ = c.Recv(ctx) // wait for bob to close
			_ = c.Close()
		}
	}()
	c, err := l.Accept(ctx)
	require.NoError(t, err)
	assert.Equal(t, "alice", c.Peer())
	got, err := c.Recv(ctx)
	require.NoError(t, err)
	assert.Equal(t, "hi bob", string(got))
	require.NoError(t, c.Close())
}

func TestLoadIdentityErrors(t *testing.T) {
	dir := t.TempDir()
	ca, other := newTestCA(t), newTestCA(t)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o600))
		return p
	}
	caFile := write("ca.pem", ca.CertPEM())
	otherCAFile := write("other.pem", other.CertPEM())
	id := issue(t, ca, "alice")
	certPEM, keyPEM, err := id.PEM()
	require.NoError(t, err)
	certFile, keyFile := write("a.crt", certPEM), write("a.key", keyPEM)
	_, otherKeyPEM, err := issue(t, ca, "bob").PEM()
	require.NoError(t, err)
	otherKeyFile := write("b.key", otherKeyPEM)
	garbage := write("garbage", []byte("not PEM"))

	for name, files := range map[string][3]string{
		"MissingCert":      {filepath.Join(dir, "nope"), keyFile, caFile},
		"MissingCA":        {certFile, keyFile, filepath.Join(dir, "nope")},
		"KeyOfAnotherCert": {certFile, otherKeyFile, caFile},
		"GarbageCA":        {certFile, keyFile, garbage},
		"GarbageCert":      {garbage, keyFile, caFile},
		"CertOfAnotherCA":  {certFile, keyFile, otherCAFile},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadIdentity(files[0], files[1], files[2])
			require.ErrorIs(t, err, ErrInvalidParams)
		})
	}
}
