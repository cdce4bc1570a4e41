package ledger

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"slices"
)

const commitLabel = "veil/ledger input commitment v1\x00"

// SaltSize is the length of a commitment's salt.
const SaltSize = 32

// Commitment is a salted hash of a party's input:
// SHA-256(label || salt || input), with a fresh 32-byte salt that only the
// input's owner keeps. Without the salt it reveals nothing about the input
// that a guess could check (the salt has 256 bits); with the salt the owner
// can show what it contributed ([Commitment.Verify]).
type Commitment [DigestSize]byte

// Opening is what the owner keeps to open its commitment later.
type Opening struct {
	Salt [SaltSize]byte
}

// Commit commits to input with a fresh salt from crypto/rand. The owner
// stores the Opening (and the input) and puts the Commitment in the
// receipt.
func Commit(input []byte) (Commitment, Opening, error) {
	var o Opening
	if _, err := rand.Read(o.Salt[:]); err != nil {
		return Commitment{}, Opening{}, fmt.Errorf("ledger: commitment salt: %w", err)
	}
	return commitWith(o, input), o, nil
}

func commitWith(o Opening, input []byte) Commitment {
	h := sha256.New()
	h.Write([]byte(commitLabel))
	h.Write(o.Salt[:])
	h.Write(input)
	var c Commitment
	h.Sum(c[:0])
	return c
}

// Verify checks that the commitment opens to input with o; the error
// wraps [ErrMismatch].
func (c Commitment) Verify(o Opening, input []byte) error {
	want := commitWith(o, input)
	if subtle.ConstantTimeCompare(c[:], want[:]) != 1 {
		return fmt.Errorf("ledger: %w: the commitment does not open to this input", ErrMismatch)
	}
	return nil
}

// SetEncoding is a canonical encoding of a set of items, for [Commit]: the
// distinct items sorted, each preceded by its 4-byte big-endian length, so
// that the same set gives the same bytes whatever the order and the
// duplicates of the input.
func SetEncoding(items [][]byte) []byte {
	s := slices.Clone(items)
	slices.SortFunc(s, bytes.Compare)
	s = slices.CompactFunc(s, bytes.Equal)
	n := 0
	for _, it := range s {
		n += 4 + len(it)
	}
	out := make([]byte, 0, n)
	for _, it := range s {
		out = binary.BigEndian.AppendUint32(out, uint32(len(it)))
		out = append(out, it...)
	}
	return out
}
