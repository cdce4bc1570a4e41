package secagg

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Domain-separation labels of the key derivations (HKDF-SHA256 info) and
// of the signed adverts (internal/sealed).
const (
	labelSealed = "veil/secagg/v1"
	labelParams = "veil/secagg/v1/params"
	labelGraph  = "veil/secagg/v1/graph"
	labelMask   = "veil/secagg/v1/pairwise-mask"
	labelSelf   = "veil/secagg/v1/self-mask"
	// labelCounted starts the message a client signs in the consistency
	// step.
	labelCounted = "veil/secagg/v1/counted-set"
	labelCommit  = "veil/secagg/v1/graph-nonce"
	labelSeed    = "veil/secagg/v1/graph-seed"
	// labelTranscript starts the hash of a round's public record.
	labelTranscript = "veil/secagg/v1/transcript"
)

// commitNonce is client id's commitment to its graph nonce in the round
// with parameters digest.
func commitNonce(digest [DigestSize]byte, id int, nonce [NonceSize]byte) [NonceSize]byte {
	b := make([]byte, 0, len(labelCommit)+DigestSize+4+NonceSize)
	b = append(b, labelCommit...)
	b = append(b, digest[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(id))
	b = append(b, nonce[:]...)
	return sha256.Sum256(b)
}

// commitMessage is what client id signs to vouch for its commitment in
// the round with parameters digest.
func commitMessage(digest [DigestSize]byte, id int, commitment [NonceSize]byte) []byte {
	b := make([]byte, 0, len(labelCommit)+8+DigestSize+4+NonceSize)
	b = append(b, labelCommit+"/signed"...)
	b = append(b, digest[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(id))
	return append(b, commitment[:]...)
}

// graphSeed is the seed of the round's graph: the hash of the parameters'
// digest and of the nonces of every enrolled client, in id order. Every
// nonce was committed to before any was revealed, so no party (the server
// included) chooses it; a party can only refuse to reveal, which aborts.
func graphSeed(digest [DigestSize]byte, reveals []RevealMsg) [SeedSize]byte {
	h := sha256.New()
	h.Write([]byte(labelSeed))
	h.Write(digest[:])
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(len(reveals)))
	h.Write(b[:])
	for _, r := range reveals {
		binary.BigEndian.PutUint32(b[:], uint32(r.ID))
		h.Write(b[:])
		h.Write(r.Nonce[:])
	}
	return [SeedSize]byte(h.Sum(nil))
}

// countedMessage is what client id signs to vouch for the counted set u3
// of the round with parameters digest and graph seed.
func countedMessage(digest [DigestSize]byte, seed [SeedSize]byte, id int, u3 []int) []byte {
	b := make([]byte, 0, len(labelCounted)+DigestSize+SeedSize+8+4*len(u3))
	b = append(b, labelCounted...)
	b = append(b, digest[:]...)
	b = append(b, seed[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(id))
	b = binary.BigEndian.AppendUint32(b, uint32(len(u3)))
	for _, j := range u3 {
		b = binary.BigEndian.AppendUint32(b, uint32(j))
	}
	return b
}

// Key slots of a client's advert: slot 0 encrypts the shares sent to its
// neighbors, slot 1 agrees the pairwise masks.
const (
	slotEnc  = 0
	slotMask = 1
	nslots   = 2
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

// pairMaskKey derives the AES key of the pairwise mask of clients i and j
// from the X25519 secret of their mask keys.
func pairMaskKey(shared, session []byte, i, j int) ([]byte, error) {
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

// roundTranscript is the hash of a round's public record: the parameters'
// digest, the graph seed and the counted set.
func roundTranscript(digest [DigestSize]byte, seed [SeedSize]byte, counted []int) [DigestSize]byte {
	return sha256.Sum256(append([]byte(labelTranscript), countedMessage(digest, seed, 0, counted)...))
}
