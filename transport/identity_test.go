package transport

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
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

// issueWith signs a certificate from tmpl (its key made here) with ca,
// bypassing Issue's choices, to build bad identities.
func issueWith(t *testing.T, ca *CA, tmpl *x509.Certificate) *Identity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &Identity{name: leaf.Subject.CommonName, cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, cas: ca.pool}
}

// TestTLSBadCertificates: certificates from the right CA that are expired,
// or not meant for client authentication, are refused.
func TestTLSBadCertificates(t *testing.T) {
	checkLeaks(t)
	ca := newTestCA(t)
	bob := issue(t, ca, "bob")
	expired, err := certTemplate("alice")
	require.NoError(t, err)
	expired.NotBefore, expired.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	expired.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}
	serverOnly, err := certTemplate("alice")
	require.NoError(t, err)
	serverOnly.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}

	for name, alice := range map[string]*Identity{
		"Expired":    issueWith(t, ca, expired),
		"ServerOnly": issueWith(t, ca, serverOnly),
	} {
		t.Run(name, func(t *testing.T) {
			l, err := Listen("127.0.0.1:0", bob, Options{})
			require.NoError(t, err)
			defer l.Close()
			ctx, cancel := context.WithTimeout(context.Background(), prompt)
			defer cancel()
			acceptErr := make(chan error, 1)
			go func() {
				_, err := l.Accept(ctx)
				acceptErr <- err
			}()
			_, err = Dial(ctx, l.Addr().String(), alice, "bob", Options{})
			requirePeerErr(t, err, "bob", "handshake", ErrPeerIdentity)
			require.ErrorIs(t, <-acceptErr, ErrPeerIdentity)
		})
	}
}

func TestNewIdentityErrors(t *testing.T) {
	ca := newTestCA(t)
	alice := issue(t, ca, "alice")
	noName, err := certTemplate("")
	require.NoError(t, err)
	for name, args := range map[string]struct {
		cert tls.Certificate
		cas  *x509.CertPool
	}{
		"NoCertificate": {tls.Certificate{PrivateKey: alice.cert.PrivateKey}, ca.Pool()},
		"NoKey":         {tls.Certificate{Certificate: alice.cert.Certificate}, ca.Pool()},
		"NoPool":        {alice.cert, nil},
		"Garbage":       {tls.Certificate{Certificate: [][]byte{{1, 2, 3}}, PrivateKey: alice.cert.PrivateKey}, ca.Pool()},
		"NoCommonName":  {issueWith(t, ca, noName).cert, ca.Pool()},
		"OtherCA":       {alice.cert, newTestCA(t).Pool()},
		"KeyMismatch":   {tls.Certificate{Certificate: alice.cert.Certificate, PrivateKey: issue(t, ca, "bob").cert.PrivateKey}, ca.Pool()},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewIdentity(args.cert, args.cas)
			require.ErrorIs(t, err, ErrInvalidParams)
		})
	}
	id, err := NewIdentity(tls.Certificate{Certificate: alice.cert.Certificate, PrivateKey: alice.cert.PrivateKey}, ca.Pool())
	require.NoError(t, err)
	assert.Equal(t, "alice", id.Name())
}
