package transport

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// aliceSigns issues alice and bob from one CA and returns alice's signature
// on msg.
func aliceSigns(t *testing.T, msg []byte) (alice, bob *Identity, sig []byte) {
	t.Helper()
	ca, err := NewCA("test CA")
	require.NoError(t, err)
	alice, err = ca.Issue("alice")
	require.NoError(t, err)
	bob, err = ca.Issue("bob")
	require.NoError(t, err)
	sig, err = alice.Sign(msg)
	require.NoError(t, err)
	return alice, bob, sig
}

func TestSignVerify(t *testing.T) {
	msg := []byte("veil/test/v1 advertised key")
	alice, bob, sig := aliceSigns(t, msg)

	name, err := bob.VerifySigned(alice.Chain(), msg, sig)
	require.NoError(t, err)
	require.Equal(t, "alice", name)

	// Any changed byte of the message or signature fails.
	for i := range msg {
		m := append([]byte(nil), msg...)
		m[i] ^= 1
		_, err := bob.VerifySigned(alice.Chain(), m, sig)
		require.ErrorIs(t, err, ErrBadSignature, "message byte %d", i)
	}
	bad := append([]byte(nil), sig...)
	bad[len(bad)/2] ^= 1
	_, err = bob.VerifySigned(alice.Chain(), msg, bad)
	require.ErrorIs(t, err, ErrBadSignature)

	// Bob's certificate with Alice's signature: the signature is checked
	// against the certificate that comes with it.
	_, err = alice.VerifySigned(bob.Chain(), msg, sig)
	require.ErrorIs(t, err, ErrBadSignature)

	// A certificate from another CA is refused as an identity error.
	other, err := NewCA("other CA")
	require.NoError(t, err)
	mallory, err := other.Issue("alice")
	require.NoError(t, err)
	msig, err := mallory.Sign(msg)
	require.NoError(t, err)
	_, err = bob.VerifySigned(mallory.Chain(), msg, msig)
	require.ErrorIs(t, err, ErrPeerIdentity)
	require.False(t, errors.Is(err, ErrBadSignature))

	// Garbage chains are errors, never panics.
	for _, chain := range [][][]byte{nil, {nil}, {[]byte("not a certificate")}, {make([]byte, MaxChainSize+1)}} {
		_, err := bob.VerifySigned(chain, msg, sig)
		require.ErrorIs(t, err, ErrPeerIdentity)
	}
}

// TestVerifyCache: a chain verified once is remembered, but every message's
// signature is still checked, and an expired entry is never used.
func TestVerifyCache(t *testing.T) {
	msg := []byte("veil/test/v1 m1")
	alice, bob, sig := aliceSigns(t, msg)
	_, err := bob.VerifySigned(alice.Chain(), msg, sig)
	require.NoError(t, err)
	require.Len(t, bob.chains.m, 1)

	// A cached chain with a signature on another message: refused.
	_, err = bob.VerifySigned(alice.Chain(), []byte("veil/test/v1 m2"), sig)
	require.ErrorIs(t, err, ErrBadSignature)

	// An entry for an untrusted chain that has expired is not used: the
	// chain is checked again against the CA and refused.
	other, err := NewCA("other CA")
	require.NoError(t, err)
	mallory, err := other.Issue("alice")
	require.NoError(t, err)
	msig, err := mallory.Sign(msg)
	require.NoError(t, err)
	bob.chains.put(chainKey(mallory.Chain()), verifiedChain{name: "alice", pub: mallory.Certificate().PublicKey, expires: time.Now().Add(-time.Second)})
	_, err = bob.VerifySigned(mallory.Chain(), msg, msig)
	require.ErrorIs(t, err, ErrPeerIdentity)
}
