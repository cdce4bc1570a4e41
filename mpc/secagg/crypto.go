package secagg

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Domain-separation labels of the key derivations (HKDF-SHA256 info).
const (
	labelGraph = "veil/secagg/v1/graph"
	labelEnc   = "veil/secagg/v1/enc"
	labelShare = "veil/secagg/v1/share"
	labelMask  = "veil/secagg/v1/pairwise-mask"
	labelSelf  = "veil/secagg/v1/self-mask"
)

// maskKeySize is the AES-128 key size of the mask expansion.
const maskKeySize = 16

// deriveKey is HKDF-SHA256(secret, salt, label || ids as big-endian uint32).
func deriveKey(secret, salt []byte, label string, size int, ids ...int) ([]byte, error) {
	info := make([]byte, 0, len(label)+4*len(ids))
	info = append(info, label...)
	for _, id := range ids {
		info = binary.BigEndian.AppendUint32(info, uint32(id))
	}
	k, err := hkdf.Key(sha256.New, secret, salt, string(info), size)
	if err != nil {
		return nil, fmt.Errorf("secagg: hkdf: %w", err)
	}
	return k, nil
}

// encSecret is the X25519 secret of two clients' encryption keys.
func encSecret(self *ecdh.PrivateKey, peer *ecdh.PublicKey) ([]byte, error) {
	shared, err := self.ECDH(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: key agreement: %v", ErrMalformed, err)
	}
	return shared, nil
}

// shareAEAD returns the AEAD that protects the shares sent by client from to
// client to: AES-256-GCM keyed by HKDF of the X25519 secret of their
// encryption keys, with sender and receiver in the derivation so each
// direction has its own key. Each key encrypts exactly one message, so the
// nonce is fixed at zero. ChaCha20-Poly1305 would do as well; AES-256-GCM is
// in the standard library.
func shareAEAD(shared, session []byte, from, to int) (cipher.AEAD, error) {
	key, err := deriveKey(shared, session, labelEnc, 32, from, to)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secagg: %w", err)
	}
	return cipher.NewGCM(block)
}

// shareAD is the associated data of a share ciphertext: it binds the
// session (round), the sender and the receiver.
func shareAD(session []byte, from, to int) []byte {
	ad := make([]byte, 0, len(labelShare)+len(session)+8)
	ad = append(ad, labelShare...)
	ad = append(ad, session...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(from))
	return binary.BigEndian.AppendUint32(ad, uint32(to))
}

// pairMaskKey derives the AES key of the pairwise mask of clients i and j
// from their X25519 mask-key agreement.
func pairMaskKey(self *ecdh.PrivateKey, peer *ecdh.PublicKey, session []byte, i, j int) ([]byte, error) {
	shared, err := self.ECDH(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: key agreement: %v", ErrMalformed, err)
	}
	return deriveKey(shared, session, labelMask, maskKeySize, min(i, j), max(i, j))
}

// selfMaskKey derives the AES key of client id's self mask from its seed.
func selfMaskKey(seed, session []byte, id int) ([]byte, error) {
	return deriveKey(seed, session, labelSelf, maskKeySize, id)
}

// parsePublic decodes an X25519 public key.
func parsePublic(b []byte) (*ecdh.PublicKey, error) {
	pk, err := ecdh.X25519().NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: public key: %v", ErrMalformed, err)
	}
	return pk, nil
}
