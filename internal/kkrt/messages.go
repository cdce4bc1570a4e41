package kkrt

import (
	"encoding/binary"
	"fmt"
)

const (
	version         = 1
	tagReceiverHelo = 'R'
	tagSenderHelo   = 'S'
	tagValues       = 'V'
	recvHelloSize   = 2 + 8 + 8 + 16
	sendHelloSize   = 2 + 8 + 16
	valuesHdrSize   = 2 + 4
)

// ReceiverHello is the receiver's first message: its number of distinct
// items, the number of cuckoo bins and the cuckoo hash key.
type ReceiverHello struct {
	N, Bins   int
	CuckooKey [16]byte
}

// MarshalBinary encodes the message.
func (m *ReceiverHello) MarshalBinary() ([]byte, error) {
	b := make([]byte, recvHelloSize)
	b[0], b[1] = tagReceiverHelo, version
	binary.LittleEndian.PutUint64(b[2:], uint64(m.N))
	binary.LittleEndian.PutUint64(b[10:], uint64(m.Bins))
	copy(b[18:], m.CuckooKey[:])
	return b, nil
}

// UnmarshalBinary decodes the message and checks that the bin count is the
// one [NumBins] gives for N.
func (m *ReceiverHello) UnmarshalBinary(b []byte) error {
	if len(b) != recvHelloSize || b[0] != tagReceiverHelo || b[1] != version {
		return fmt.Errorf("%w: receiver hello of %d bytes", ErrMalformed, len(b))
	}
	n := binary.LittleEndian.Uint64(b[2:])
	bins := binary.LittleEndian.Uint64(b[10:])
	if n > MaxItems {
		return fmt.Errorf("%w: receiver announces %d items, more than %d", ErrProtocol, n, MaxItems)
	}
	if bins != uint64(NumBins(int(n))) {
		return fmt.Errorf("%w: %d bins for %d items, want %d", ErrProtocol, bins, n, NumBins(int(n)))
	}
	m.N, m.Bins = int(n), int(bins)
	copy(m.CuckooKey[:], b[18:])
	return nil
}

// SenderHello is the sender's first message: its number of distinct items
// and the key of the pseudorandom code.
type SenderHello struct {
	N       int
	CodeKey [16]byte
}

// MarshalBinary encodes the message.
func (m *SenderHello) MarshalBinary() ([]byte, error) {
	b := make([]byte, sendHelloSize)
	b[0], b[1] = tagSenderHelo, version
	binary.LittleEndian.PutUint64(b[2:], uint64(m.N))
	copy(b[10:], m.CodeKey[:])
	return b, nil
}

// UnmarshalBinary decodes the message.
func (m *SenderHello) UnmarshalBinary(b []byte) error {
	if len(b) != sendHelloSize || b[0] != tagSenderHelo || b[1] != version {
		return fmt.Errorf("%w: sender hello of %d bytes", ErrMalformed, len(b))
	}
	n := binary.LittleEndian.Uint64(b[2:])
	if n > MaxItems {
		return fmt.Errorf("%w: sender announces %d items, more than %d", ErrProtocol, n, MaxItems)
	}
	m.N = int(n)
	copy(m.CodeKey[:], b[10:])
	return nil
}

// Values is one chunk of the sender's OPRF values: for each of Count items
// (in the sender's shuffled order) NumHashes values of Len bytes, one per
// cuckoo hash function.
type Values struct {
	Len   int
	Count int
	Data  []byte
}

// MarshalBinary encodes the message.
func (m *Values) MarshalBinary() ([]byte, error) {
	if m.Len < 1 || m.Len > 16 || m.Count < 0 || len(m.Data) != m.Count*NumHashes*m.Len {
		return nil, fmt.Errorf("%w: values chunk of %d items x %d bytes with %d bytes", ErrInvalidParams, m.Count, m.Len, len(m.Data))
	}
	b := make([]byte, valuesHdrSize+len(m.Data))
	putValuesHeader(b, m.Len, m.Count)
	copy(b[valuesHdrSize:], m.Data)
	return b, nil
}

func putValuesHeader(b []byte, l, count int) {
	b[0], b[1] = tagValues, byte(l)
	binary.LittleEndian.PutUint32(b[2:], uint32(count))
}

// UnmarshalBinary decodes the message; Data aliases b.
func (m *Values) UnmarshalBinary(b []byte) error {
	if len(b) < valuesHdrSize || b[0] != tagValues || b[1] < 1 || b[1] > 16 {
		return fmt.Errorf("%w: values header", ErrMalformed)
	}
	l := int(b[1])
	count := binary.LittleEndian.Uint32(b[2:])
	if count > MaxItems || uint64(len(b)-valuesHdrSize) != uint64(count)*NumHashes*uint64(l) {
		return fmt.Errorf("%w: values chunk of %d bytes for %d items x %d bytes", ErrMalformed, len(b), count, l)
	}
	m.Len, m.Count, m.Data = l, int(count), b[valuesHdrSize:]
	return nil
}
