package mpc

import (
	"encoding/binary"
	"fmt"
)

// Message kinds on the wire.
const (
	kindArith         byte = 1 // additive shares over Z_2^64 to be summed
	kindBool          byte = 2 // XOR shares to be combined with exclusive or
	kindInput         byte = 3 // an input owner's seed for the receiver's share
	kindPublic        byte = 4 // public values (headers of high-level protocols)
	kindShamir        byte = 5 // Shamir shares over GF(2^61-1)
	kindSeed          byte = 6 // a networked dealer's seed for a party
	kindDealerRequest byte = 7 // the last party's request to a networked dealer
	kindDealerReply   byte = 8 // a networked dealer's correcting shares
	kindMax           byte = kindDealerReply
)

// headerSize is the size of a message's header: kind (1 byte), step
// (4 bytes, big-endian) and the number of words (4 bytes, big-endian).
const headerSize = 9

// message is what a party sends a peer at one step of a computation: a
// vector of 64-bit words tagged with its kind and the sender's step
// counter. Its encoding is the 9-byte header followed by the words in
// little-endian order; UnmarshalBinary rejects anything else.
type message struct {
	Kind  byte
	Step  uint32
	Words []uint64
}

// MarshalBinary encodes m.
func (m *message) MarshalBinary() ([]byte, error) {
	if m.Kind == 0 || m.Kind > kindMax {
		return nil, fmt.Errorf("mpc: %w: message kind %d", ErrInvalidParams, m.Kind)
	}
	if uint64(len(m.Words)) > 1<<32-1 {
		return nil, fmt.Errorf("mpc: %w: %d words in one message", ErrInvalidParams, len(m.Words))
	}
	return appendMessage(make([]byte, 0, headerSize+8*len(m.Words)), m.Kind, m.Step, m.Words), nil
}

func appendMessage(b []byte, kind byte, step uint32, words []uint64) []byte {
	b = append(b, kind)
	b = binary.BigEndian.AppendUint32(b, step)
	b = binary.BigEndian.AppendUint32(b, uint32(len(words)))
	for _, w := range words {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return b
}

// UnmarshalBinary decodes data into m, checking the header and that the
// length matches the announced word count exactly.
func (m *message) UnmarshalBinary(data []byte) error {
	kind, step, count, err := parseHeader(data, -1)
	if err != nil {
		return err
	}
	m.Kind, m.Step = kind, step
	m.Words = make([]uint64, count)
	for i := range m.Words {
		m.Words[i] = binary.LittleEndian.Uint64(data[headerSize+8*i:])
	}
	return nil
}

// parseHeader checks data's header and total length; if want >= 0 the
// word count must equal it.
func parseHeader(data []byte, want int) (kind byte, step uint32, count int, err error) {
	if len(data) < headerSize {
		return 0, 0, 0, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrMalformed, len(data), headerSize)
	}
	kind = data[0]
	if kind == 0 || kind > kindMax {
		return 0, 0, 0, fmt.Errorf("%w: unknown kind %d", ErrMalformed, kind)
	}
	step = binary.BigEndian.Uint32(data[1:5])
	c := uint64(binary.BigEndian.Uint32(data[5:9]))
	if uint64(len(data)-headerSize) != 8*c {
		return 0, 0, 0, fmt.Errorf("%w: header announces %d words, body holds %d bytes", ErrMalformed, c, len(data)-headerSize)
	}
	if want >= 0 && int(c) != want {
		return 0, 0, 0, fmt.Errorf("%w: %d words, expected %d", ErrMalformed, c, want)
	}
	return kind, step, int(c), nil
}
