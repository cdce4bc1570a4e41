package transport

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// MaxChainSize bounds the certificate chain that [Identity.VerifySigned]
// accepts from a peer: 16 KiB, room for a leaf and a few intermediates.
const MaxChainSize = 16 << 10

// Chain returns a copy of the identity's certificate chain in DER form,
// leaf first: what a party sends so that peers it has no direct connection
// with (over a relaying hub) can check its signatures with
// [Identity.VerifySigned].
func (id *Identity) Chain() [][]byte {
	out := make([][]byte, len(id.cert.Certificate))
	for i, der := range id.cert.Certificate {
		out[i] = append([]byte(nil), der...)
	}
	return out
}

// Sign signs message with the identity's private key, the key of its
// certificate: Ed25519 signs the message itself, ECDSA (ASN.1) and RSA
// (PKCS #1 v1.5) sign its SHA-256 digest. Callers put a domain-separation
// label of their own at the start of message, so that a signature made for
// one purpose is never valid for another.
func (id *Identity) Sign(message []byte) ([]byte, error) {
	signer, ok := id.cert.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, invalidParams("private key cannot sign")
	}
	var sig []byte
	var err error
	if _, ok := signer.Public().(ed25519.PublicKey); ok {
		sig, err = signer.Sign(rand.Reader, message, crypto.Hash(0))
	} else {
		digest := sha256.Sum256(message)
		sig, err = signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	}
	if err != nil {
		return nil, fmt.Errorf("transport: sign: %w", err)
	}
	return sig, nil
}

// VerifySigned checks that chain (DER, leaf first, as [Identity.Chain]
// returns it) chains to this identity's CA pool and that sig is the leaf
// key's signature on message, as [Identity.Sign] makes it. It returns the
// signer's name, its certificate's common name; the caller checks that this
// is the party it expects. A failure wraps [ErrPeerIdentity] (the chain) or
// [ErrBadSignature] (the signature).
func (id *Identity) VerifySigned(chain [][]byte, message, sig []byte) (string, error) {
	name, err := id.verifySigned(chain, message, sig)
	if err != nil {
		return "", fmt.Errorf("transport: verify signature: %w", err)
	}
	return name, nil
}

func (id *Identity) verifySigned(chain [][]byte, message, sig []byte) (string, error) {
	if len(chain) == 0 {
		return "", identityError("no certificate")
	}
	size := 0
	for _, der := range chain {
		size += len(der)
	}
	if size > MaxChainSize {
		return "", identityError("certificate chain of %d bytes exceeds %d", size, MaxChainSize)
	}
	key := chainKey(chain)
	if v, ok := id.chains.get(key, time.Now()); ok {
		if !verifySignature(v.pub, message, sig) {
			return "", fmt.Errorf("%w: by %q", ErrBadSignature, v.name)
		}
		return v.name, nil
	}
	certs := make([]*x509.Certificate, len(chain))
	for i, der := range chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return "", identityError("parse certificate: %v", err)
		}
		certs[i] = c
	}
	leaf := certs[0]
	name, err := verifyChain(leaf, certs[1:], id.cas, x509.ExtKeyUsageAny)
	if err != nil {
		return "", identityError("certificate %q: %v", leaf.Subject.CommonName, err)
	}
	if !verifySignature(leaf.PublicKey, message, sig) {
		return "", fmt.Errorf("%w: by %q", ErrBadSignature, name)
	}
	expires := leaf.NotAfter
	for _, c := range certs[1:] {
		if c.NotAfter.Before(expires) {
			expires = c.NotAfter
		}
	}
	id.chains.put(key, verifiedChain{name: name, pub: leaf.PublicKey, expires: expires})
	return name, nil
}

// maxCachedChains bounds the chains an identity remembers; past it the
// cache starts afresh.
const maxCachedChains = 4096

// chainCache remembers the certificate chains an identity has verified, so
// that a party meeting the same peers round after round checks each chain
// against its CA once; the signature on each message is always checked. An
// entry is used only until the chain's first certificate expires.
type chainCache struct {
	mu sync.Mutex
	m  map[[32]byte]verifiedChain
}

type verifiedChain struct {
	name    string
	pub     crypto.PublicKey
	expires time.Time
}

func (c *chainCache) get(key [32]byte, now time.Time) (verifiedChain, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	if !ok || !now.Before(v.expires) {
		return verifiedChain{}, false
	}
	return v, true
}

func (c *chainCache) put(key [32]byte, v verifiedChain) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedChains {
		c.m = make(map[[32]byte]verifiedChain)
	}
	c.m[key] = v
}

// chainKey is SHA-256 over the chain's certificates, each prefixed by its
// length.
func chainKey(chain [][]byte) [32]byte {
	h := sha256.New()
	var n [4]byte
	for _, der := range chain {
		binary.BigEndian.PutUint32(n[:], uint32(len(der)))
		h.Write(n[:])
		h.Write(der)
	}
	return [32]byte(h.Sum(nil))
}

// verifySignature checks sig on message under pub, in the scheme that
// [Identity.Sign] uses for that key type.
func verifySignature(pub crypto.PublicKey, message, sig []byte) bool {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return ed25519.Verify(k, message, sig)
	case *ecdsa.PublicKey:
		digest := sha256.Sum256(message)
		return ecdsa.VerifyASN1(k, digest[:], sig)
	case *rsa.PublicKey:
		digest := sha256.Sum256(message)
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) == nil
	}
	return false
}
