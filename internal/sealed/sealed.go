// Package sealed is the pairwise channel of Veil's hub-and-spoke protocols
// (he's runner, mpc/secagg): each party advertises fresh X25519 public keys
// signed by its identity key (the key of its transport certificate), the
// others verify the signature against the CA before they use the keys, and
// two parties then seal messages to each other with AES-256-GCM under keys
// derived by HKDF-SHA256 from their X25519 secret.
//
// The signature is what lets the messages travel through a hub that may be
// malicious: the hub relays adverts and sealed boxes but can neither read a
// box nor substitute its own keys for a party's, since it cannot sign for
// that party. A signed advert binds the protocol's label, the session, the
// party's index and its keys; a box binds the label, the session, sender and
// receiver indices, and the caller's associated data.
package sealed

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/transport"
)

// KeySize is the length of an X25519 public key.
const KeySize = 32

// MaxKeys is the most keys one advert carries.
const MaxKeys = 4

// MaxSignatureSize bounds a signature in an advert (an RSA-4096 signature
// is 512 bytes).
const MaxSignatureSize = 1024

// Overhead is how many bytes [Keys.Seal] adds to a plaintext: a 12-byte
// nonce and a 16-byte tag.
const Overhead = 12 + 16

// ErrBadAdvert: an advert's signature, certificate, index or keys are not
// what the verifier expects.
var ErrBadAdvert = errors.New("advert does not verify")

// ErrOpen: a sealed box does not authenticate.
var ErrOpen = errors.New("sealed box does not authenticate")

// Advert is what a party publishes for one session: its index, its X25519
// public keys, its certificate chain and its signature over them.
type Advert struct {
	Index int
	Keys  [][KeySize]byte
	Chain [][]byte
	Sig   []byte
}

// Keys is a party's private side for one session.
type Keys struct {
	label   string
	session []byte
	index   int
	priv    []*ecdh.PrivateKey
	advert  *Advert

	// secrets caches the X25519 secrets computed so far, per peer and slot:
	// a box sealed to a peer and one opened from it share one agreement.
	mu      sync.Mutex
	secrets map[secretKey][]byte
}

type secretKey struct {
	peer *Peer
	slot int
}

// Peer is another party's verified advert.
type Peer struct {
	Name  string // its certificate's common name
	Index int
	keys  []*ecdh.PublicKey
}

// New draws nkeys fresh X25519 keys for the party at index and signs their
// advert with id. label names the protocol ("veil/secagg/v1"); session
// identifies the run and must be the same for every party.
func New(id *transport.Identity, label string, session []byte, index, nkeys int) (*Keys, error) {
	if id == nil || label == "" || index < 0 || nkeys < 1 || nkeys > MaxKeys {
		return nil, fmt.Errorf("sealed: %w: identity, label, index %d or %d keys", errs.ErrInvalidParams, index, nkeys)
	}
	k := &Keys{label: label, session: bytes.Clone(session), index: index}
	a := &Advert{Index: index, Chain: id.Chain()}
	for range nkeys {
		priv, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("sealed: key: %w", err)
		}
		k.priv = append(k.priv, priv)
		a.Keys = append(a.Keys, [KeySize]byte(priv.PublicKey().Bytes()))
	}
	sig, err := id.Sign(signedMessage(label, session, a))
	if err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	a.Sig = sig
	k.advert = a
	return k, nil
}

// Advert returns the party's signed advert, to send to the others.
func (k *Keys) Advert() *Advert { return k.advert }

// Index is the party's index.
func (k *Keys) Index() int { return k.index }

// signedMessage is what an advert's signature covers.
func signedMessage(label string, session []byte, a *Advert) []byte {
	m := []byte("veil/sealed/v1 advert\x00")
	m = binary.BigEndian.AppendUint32(m, uint32(len(label)))
	m = append(m, label...)
	m = binary.BigEndian.AppendUint32(m, uint32(len(session)))
	m = append(m, session...)
	m = binary.BigEndian.AppendUint32(m, uint32(a.Index))
	m = append(m, byte(len(a.Keys)))
	for _, pk := range a.Keys {
		m = append(m, pk[:]...)
	}
	return m
}

// Verify checks a's signature and certificate with the verifier's identity
// (its CA pool), that it was made for this label and session by the party
// at wantIndex, with wantKeys keys, and, when wantName is not empty, that
// the certificate names wantName. It returns the peer to seal to and open
// from. A failure wraps [ErrBadAdvert].
func Verify(id *transport.Identity, label string, session []byte, a *Advert, wantIndex, wantKeys int, wantName string) (*Peer, error) {
	if a == nil {
		return nil, fmt.Errorf("sealed: %w: no advert", ErrBadAdvert)
	}
	if a.Index != wantIndex {
		return nil, fmt.Errorf("sealed: %w: advert of party %d where %d was expected", ErrBadAdvert, a.Index, wantIndex)
	}
	if len(a.Keys) != wantKeys {
		return nil, fmt.Errorf("sealed: %w: party %d advertises %d keys, want %d", ErrBadAdvert, a.Index, len(a.Keys), wantKeys)
	}
	name, err := id.VerifySigned(a.Chain, signedMessage(label, session, a), a.Sig)
	if err != nil {
		return nil, fmt.Errorf("sealed: %w: party %d: %w", ErrBadAdvert, a.Index, err)
	}
	if wantName != "" && name != wantName {
		return nil, fmt.Errorf("sealed: %w: party %d is %q, want %q", ErrBadAdvert, a.Index, name, wantName)
	}
	p := &Peer{Name: name, Index: a.Index}
	for i, b := range a.Keys {
		pk, err := ecdh.X25519().NewPublicKey(b[:])
		if err != nil {
			return nil, fmt.Errorf("sealed: %w: party %d key %d: %v", ErrBadAdvert, a.Index, i, err)
		}
		p.keys = append(p.keys, pk)
	}
	return p, nil
}

// Shared returns the X25519 secret of this party's key slot and the peer's
// key in the same slot, for a protocol's own derivations (secagg's pairwise
// masks). Callers pass it through a KDF with their own label.
func (k *Keys) Shared(slot int, p *Peer) ([]byte, error) {
	if slot < 0 || slot >= len(k.priv) || slot >= len(p.keys) {
		return nil, fmt.Errorf("sealed: %w: key slot %d", errs.ErrInvalidParams, slot)
	}
	sk := secretKey{p, slot}
	k.mu.Lock()
	s, ok := k.secrets[sk]
	k.mu.Unlock()
	if ok {
		return bytes.Clone(s), nil
	}
	s, err := k.priv[slot].ECDH(p.keys[slot])
	if err != nil { // a low-order point: Verify lets only valid encodings in
		return nil, fmt.Errorf("sealed: %w: key agreement with party %d: %v", errs.ErrMalformed, p.Index, err)
	}
	k.mu.Lock()
	if k.secrets == nil {
		k.secrets = make(map[secretKey][]byte)
	}
	k.secrets[sk] = bytes.Clone(s)
	k.mu.Unlock()
	return s, nil
}

// aead derives the AEAD of the direction from -> to from slot 0's secret.
func (k *Keys) aead(p *Peer, from, to int) (cipher.AEAD, error) {
	shared, err := k.Shared(0, p)
	if err != nil {
		return nil, err
	}
	info := []byte("veil/sealed/v1 box\x00")
	info = append(info, k.label...)
	info = append(info, 0)
	info = binary.BigEndian.AppendUint32(info, uint32(from))
	info = binary.BigEndian.AppendUint32(info, uint32(to))
	key, err := hkdf.Key(sha256.New, shared, k.session, string(info), 32)
	if err != nil {
		return nil, fmt.Errorf("sealed: hkdf: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext for peer p, bound to ad; the box is [Overhead]
// bytes longer than plaintext. The nonce is random, so one pair of keys may
// seal many messages.
func (k *Keys) Seal(p *Peer, ad, plaintext []byte) ([]byte, error) {
	g, err := k.aead(p, k.index, p.Index)
	if err != nil {
		return nil, err
	}
	box := make([]byte, g.NonceSize(), g.NonceSize()+len(plaintext)+g.Overhead())
	if _, err := rand.Read(box); err != nil {
		return nil, fmt.Errorf("sealed: nonce: %w", err)
	}
	return g.Seal(box, box[:g.NonceSize()], plaintext, ad), nil
}

// Open decrypts a box that peer p sealed for this party with ad. A failure
// wraps [ErrOpen].
func (k *Keys) Open(p *Peer, ad, box []byte) ([]byte, error) {
	g, err := k.aead(p, p.Index, k.index)
	if err != nil {
		return nil, err
	}
	if len(box) < Overhead {
		return nil, fmt.Errorf("sealed: %w: box from party %d of %d bytes", ErrOpen, p.Index, len(box))
	}
	pt, err := g.Open(nil, box[:g.NonceSize()], box[g.NonceSize():], ad)
	if err != nil {
		return nil, fmt.Errorf("sealed: %w: from party %d", ErrOpen, p.Index)
	}
	return pt, nil
}
