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
	sendHelloSize   = 2 + 8 + 16 + 1
	tagPayloads     = 'P'
	tagAck          = 'A'
	ackSize         = 2 + 4
	// MaxPayload bounds each join payload.
	MaxPayload = 1 << 16
	// sealOverhead is the AES-GCM tag appended to each sealed payload.
	sealOverhead  = 16
	valuesHdrSize = 2 + 4
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
	// Payloads says that the values come with a payload per item
	// ([PayloadValues] instead of [Values]).
	Payloads bool
}

// MarshalBinary encodes the message.
func (m *SenderHello) MarshalBinary() ([]byte, error) {
	b := make([]byte, sendHelloSize)
	b[0], b[1] = tagSenderHelo, version
	binary.LittleEndian.PutUint64(b[2:], uint64(m.N))
	copy(b[10:], m.CodeKey[:])
	if m.Payloads {
		b[26] = 1
	}
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
	if b[26] > 1 {
		return fmt.Errorf("%w: sender hello flags %#x", ErrMalformed, b[26])
	}
	m.N, m.Payloads = int(n), b[26] == 1
	copy(m.CodeKey[:], b[10:26])
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

// PayloadItem is one sender item of a join: its NumHashes values, the
// item's payload key masked by each of its NumHashes OPRF keys, and the
// payload sealed under that key with AES-128-GCM (zero nonce: each key
// seals one payload).
type PayloadItem struct {
	Tags   []byte // NumHashes*Len bytes
	Masked [NumHashes][16]byte
	Sealed []byte // payload + 16-byte GCM tag
}

// PayloadValues is a chunk of the sender's values with payloads (join).
type PayloadValues struct {
	Len   int
	Items []PayloadItem
}

func payloadItemSize(l, sealed int) int { return NumHashes*l + NumHashes*16 + 4 + sealed }

// appendPayloadItem appends one item's encoding.
func appendPayloadItem(b []byte, it *PayloadItem) []byte {
	b = append(b, it.Tags...)
	for f := range it.Masked {
		b = append(b, it.Masked[f][:]...)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(it.Sealed)))
	return append(b, it.Sealed...)
}

// MarshalBinary encodes the message.
func (m *PayloadValues) MarshalBinary() ([]byte, error) {
	if m.Len < 1 || m.Len > 16 {
		return nil, fmt.Errorf("%w: value length %d", ErrInvalidParams, m.Len)
	}
	b := make([]byte, valuesHdrSize, valuesHdrSize+len(m.Items)*payloadItemSize(m.Len, 64))
	b[0], b[1] = tagPayloads, byte(m.Len)
	binary.LittleEndian.PutUint32(b[2:], uint32(len(m.Items)))
	for i := range m.Items {
		it := &m.Items[i]
		if len(it.Tags) != NumHashes*m.Len || len(it.Sealed) < sealOverhead || len(it.Sealed) > MaxPayload+sealOverhead {
			return nil, fmt.Errorf("%w: payload item %d", ErrInvalidParams, i)
		}
		b = appendPayloadItem(b, it)
	}
	return b, nil
}

// UnmarshalBinary decodes the message; the slices alias b.
func (m *PayloadValues) UnmarshalBinary(b []byte) error {
	if len(b) < valuesHdrSize || b[0] != tagPayloads || b[1] < 1 || b[1] > 16 {
		return fmt.Errorf("%w: payload values header", ErrMalformed)
	}
	l := int(b[1])
	count := binary.LittleEndian.Uint32(b[2:])
	rest := b[valuesHdrSize:]
	if uint64(count)*uint64(payloadItemSize(l, sealOverhead)) > uint64(len(rest)) {
		return fmt.Errorf("%w: %d payload items in %d bytes", ErrMalformed, count, len(rest))
	}
	items := make([]PayloadItem, count)
	for i := range items {
		fixed := payloadItemSize(l, 0)
		if len(rest) < fixed {
			return fmt.Errorf("%w: payload item %d truncated", ErrMalformed, i)
		}
		it := &items[i]
		it.Tags = rest[:NumHashes*l]
		for f := range it.Masked {
			copy(it.Masked[f][:], rest[NumHashes*l+16*f:])
		}
		n := binary.LittleEndian.Uint32(rest[fixed-4:])
		if n < sealOverhead || n > MaxPayload+sealOverhead || uint64(len(rest)-fixed) < uint64(n) {
			return fmt.Errorf("%w: payload item %d: sealed length %d", ErrMalformed, i, n)
		}
		it.Sealed = rest[fixed : fixed+int(n)]
		rest = rest[fixed+int(n):]
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d bytes after the payload items", ErrMalformed, len(rest))
	}
	m.Len, m.Items = l, items
	return nil
}

// Ack is the receiver's acknowledgement of one values chunk: the number of
// sender items it held.
type Ack struct {
	Count int
}

// MarshalBinary encodes the message.
func (m *Ack) MarshalBinary() ([]byte, error) {
	if m.Count < 0 || m.Count > MaxItems {
		return nil, fmt.Errorf("%w: acknowledgement of %d items", ErrInvalidParams, m.Count)
	}
	b := make([]byte, ackSize)
	b[0], b[1] = tagAck, version
	binary.LittleEndian.PutUint32(b[2:], uint32(m.Count))
	return b, nil
}

// UnmarshalBinary decodes the message.
func (m *Ack) UnmarshalBinary(b []byte) error {
	if len(b) != ackSize || b[0] != tagAck || b[1] != version {
		return fmt.Errorf("%w: acknowledgement of %d bytes", ErrMalformed, len(b))
	}
	n := binary.LittleEndian.Uint32(b[2:])
	if n > MaxItems {
		return fmt.Errorf("%w: acknowledgement of %d items", ErrMalformed, n)
	}
	m.Count = int(n)
	return nil
}
