package transport

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"
)

// DefaultCertValidity is how long certificates made by [NewCA] and
// [CA.Issue] stay valid: they are meant for demos and tests, not for
// long-lived deployments.
const DefaultCertValidity = 24 * time.Hour

// Identity is what a party presents and trusts over TLS: its certificate
// chain and private key, and the pool of CA certificates that its peers'
// certificates must chain to. The party's name is its certificate's common
// name.
//
// Make one with [LoadIdentity] (PEM files, for real deployments) or with
// [CA.Issue] (a throwaway CA, for demos and tests).
type Identity struct {
	name string
	cert tls.Certificate // chain, key, and parsed Leaf
	cas  *x509.CertPool
	// chains caches the peer chains VerifySigned has checked.
	chains chainCache
}

// NewIdentity builds an Identity from a certificate chain with its private
// key and the CA pool that peers must chain to. It checks that the key
// matches the certificate, which has a common name and chains to cas.
func NewIdentity(cert tls.Certificate, cas *x509.CertPool) (*Identity, error) {
	if len(cert.Certificate) == 0 || cert.PrivateKey == nil {
		return nil, invalidParams("identity needs a certificate and its private key")
	}
	if cas == nil {
		return nil, invalidParams("identity needs a CA pool")
	}
	if cert.Leaf == nil {
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			return nil, invalidParams("parse certificate: %w", err)
		}
		cert.Leaf = leaf
	}
	leaf := cert.Leaf
	signer, ok := cert.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, invalidParams("private key cannot sign")
	}
	if pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(leaf.PublicKey) {
		return nil, invalidParams("private key does not match the certificate")
	}
	if leaf.Subject.CommonName == "" {
		return nil, invalidParams("certificate has no common name")
	}
	var inter []*x509.Certificate
	for _, der := range cert.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, invalidParams("parse intermediate certificate: %w", err)
		}
		inter = append(inter, c)
	}
	if _, err := verifyChain(leaf, inter, cas, x509.ExtKeyUsageAny); err != nil {
		return nil, invalidParams("certificate of %q does not chain to the CA pool: %w", leaf.Subject.CommonName, err)
	}
	return &Identity{name: leaf.Subject.CommonName, cert: cert, cas: cas}, nil
}

// LoadIdentity reads a party's certificate (PEM, leaf first, intermediates
// after), its private key (PEM, PKCS#8, PKCS#1 or SEC 1) and the CA
// certificates its peers must chain to (PEM, one or more).
func LoadIdentity(certPEMFile, keyPEMFile, caPEMFile string) (*Identity, error) {
	cert, err := tls.LoadX509KeyPair(certPEMFile, keyPEMFile)
	if err != nil {
		return nil, invalidParams("load key pair: %w", err)
	}
	caPEM, err := os.ReadFile(caPEMFile)
	if err != nil {
		return nil, invalidParams("read CA file: %w", err)
	}
	cas := x509.NewCertPool()
	if !cas.AppendCertsFromPEM(caPEM) {
		return nil, invalidParams("no certificate in CA file %s", caPEMFile)
	}
	return NewIdentity(cert, cas)
}

// Name is the party's name: its certificate's common name.
func (id *Identity) Name() string { return id.name }

// Certificate returns the party's certificate, parsed.
func (id *Identity) Certificate() *x509.Certificate { return id.cert.Leaf }

// PEM returns the identity's certificate chain and private key (PKCS#8) in
// PEM form, as [LoadIdentity] reads them.
func (id *Identity) PEM() (certPEM, keyPEM []byte, err error) {
	for _, der := range id.cert.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(id.cert.PrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("transport: marshal private key: %w", err)
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// WritePEM writes the identity's certificate chain and private key to two
// PEM files (the key file with mode 0600), for a process that will call
// [LoadIdentity]. The CA certificate is written separately, from
// [CA.CertPEM].
func (id *Identity) WritePEM(certPEMFile, keyPEMFile string) error {
	certPEM, keyPEM, err := id.PEM()
	if err != nil {
		return err
	}
	if err := os.WriteFile(certPEMFile, certPEM, 0o644); err != nil {
		return fmt.Errorf("transport: write certificate: %w", err)
	}
	if err := os.WriteFile(keyPEMFile, keyPEM, 0o600); err != nil {
		return fmt.Errorf("transport: write key: %w", err)
	}
	return nil
}

// CA is a throwaway certificate authority for demos and tests: an ECDSA
// P-256 key held in memory and a self-signed certificate valid for
// [DefaultCertValidity]. Real deployments use their own PKI and
// [LoadIdentity].
type CA struct {
	cert *x509.Certificate
	key  crypto.Signer
	pool *x509.CertPool
}

// NewCA makes a fresh CA whose certificate's common name is name.
func NewCA(name string) (*CA, error) {
	if name == "" {
		return nil, invalidParams("CA needs a name")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("transport: CA key: %w", err)
	}
	tmpl, err := certTemplate(name)
	if err != nil {
		return nil, err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.MaxPathLenZero = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("transport: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("transport: CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{cert: cert, key: key, pool: pool}, nil
}

// CertPEM returns the CA's certificate in PEM form, the caPEMFile content
// for [LoadIdentity].
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

// Pool returns a pool holding the CA's certificate.
func (ca *CA) Pool() *x509.CertPool { return ca.pool }

// Issue makes a fresh ECDSA P-256 key and a certificate for it, signed by
// the CA, with common name partyName, usable both to dial and to accept.
// The returned Identity trusts this CA only.
func (ca *CA) Issue(partyName string) (*Identity, error) {
	if partyName == "" {
		return nil, invalidParams("party name is empty")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("transport: party key: %w", err)
	}
	tmpl, err := certTemplate(partyName)
	if err != nil {
		return nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("transport: party certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("transport: party certificate: %w", err)
	}
	return &Identity{
		name: partyName,
		cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		cas:  ca.pool,
	}, nil
}

func certTemplate(cn string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("transport: certificate serial: %w", err)
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    now.Add(-5 * time.Minute), // tolerate small clock skew
		NotAfter:     now.Add(DefaultCertValidity),
	}, nil
}

// verifyChain checks that leaf chains to roots (through intermediates) for
// the given key usage and returns the leaf's common name.
func verifyChain(leaf *x509.Certificate, intermediates []*x509.Certificate, roots *x509.CertPool, usage x509.ExtKeyUsage) (string, error) {
	inter := x509.NewCertPool()
	for _, c := range intermediates {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		return "", err
	}
	if leaf.Subject.CommonName == "" {
		return "", errors.New("certificate has no common name")
	}
	return leaf.Subject.CommonName, nil
}
