package psi

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzDecoder checks that a decoder never panics, and that what it accepts
// re-encodes to the same bytes (the encoding is canonical).
func fuzzDecoder[M message](f *testing.F, fresh func() M, seeds ...M) {
	for _, s := range seeds {
		b, err := s.MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
		f.Add(b[:len(b)-1])
		f.Add(append(bytes.Clone(b), 0))
	}
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m := fresh()
		if err := m.UnmarshalBinary(b); err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		out, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, out)
	})
}

func FuzzHello(f *testing.F) {
	fuzzDecoder(f, func() *helloMsg { return new(helloMsg) },
		&helloMsg{Version: 1, role: roleSender, Protocol: ECDH, Mode: Sum, RevealToBoth: true, TagLen: 12, Count: 1 << 20},
		&helloMsg{Version: 1, role: roleReceiver, Mode: Join, TagLen: 16})
}

func FuzzPointBatch(f *testing.F) {
	fuzzDecoder(f, func() *pointBatch { return new(pointBatch) },
		&pointBatch{Points: bytes.Repeat([]byte{1}, 64)})
}

func FuzzTagBatch(f *testing.F) {
	fuzzDecoder(f, func() *tagBatch { return new(tagBatch) },
		&tagBatch{TagLen: 12, Tags: bytes.Repeat([]byte{7}, 36)})
}

func FuzzJoinBatch(f *testing.F) {
	fuzzDecoder(f, func() *joinBatch { return new(joinBatch) },
		&joinBatch{TagLen: 8, Tags: bytes.Repeat([]byte{2}, 16), Sealed: [][]byte{make([]byte, 16), make([]byte, 30)}})
}

func FuzzSumItemBatch(f *testing.F) {
	fuzzDecoder(f, func() *sumItemBatch { return new(sumItemBatch) },
		&sumItemBatch{Points: make([]byte, 32), Cipher: make([]byte, 64)})
}

func FuzzAck(f *testing.F) {
	fuzzDecoder(f, func() *ackMsg { return new(ackMsg) }, &ackMsg{Count: 300})
}

func FuzzMatches(f *testing.F) {
	fuzzDecoder(f, func() *matchesMsg { return new(matchesMsg) },
		&matchesMsg{N: 11, Bitmap: []byte{0xff, 0x05}}, &matchesMsg{N: 0, Bitmap: []byte{}})
}

func FuzzSumRequest(f *testing.F) {
	fuzzDecoder(f, func() *sumRequest { return new(sumRequest) }, &sumRequest{C1: [32]byte{1}})
}

func FuzzSumShare(f *testing.F) {
	fuzzDecoder(f, func() *sumShare { return new(sumShare) }, &sumShare{D: [32]byte{1}, Q: [32]byte{2}})
}

func FuzzOutcome(f *testing.F) {
	fuzzDecoder(f, func() *outcomeMsg { return new(outcomeMsg) }, &outcomeMsg{Cardinality: 3, Sum: -9})
}

func TestMarshalRejectsBadMessages(t *testing.T) {
	bad := []message{
		&helloMsg{Mode: 300},
		&pointBatch{Points: make([]byte, 33)},
		&tagBatch{TagLen: 4, Tags: make([]byte, 8)},
		&tagBatch{TagLen: 12, Tags: make([]byte, 13)},
		&joinBatch{TagLen: 8, Tags: make([]byte, 8), Sealed: [][]byte{make([]byte, 3)}},
		&joinBatch{TagLen: 8, Tags: make([]byte, 9), Sealed: [][]byte{make([]byte, 16)}},
		&sumItemBatch{Points: make([]byte, 32), Cipher: make([]byte, 32)},
		&matchesMsg{N: 9, Bitmap: []byte{1}},
	}
	for i, m := range bad {
		_, err := m.MarshalBinary()
		require.ErrorIs(t, err, ErrInvalidParams, "message %d", i)
	}
}

// decodeRoundTrip: decodeMessage refuses b with ErrMalformed or decodes
// it to a message that encodes back to b.
func decodeRoundTrip(t *testing.T, b []byte) {
	m, err := decodeMessage(b)
	if err != nil {
		require.ErrorIs(t, err, ErrMalformed)
		return
	}
	out, err := m.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, b, out)
}

func FuzzDecodeMessage(f *testing.F) {
	for _, m := range []message{&helloMsg{Version: 1, role: roleSender, TagLen: 12}, &ackMsg{Count: 1},
		&tagBatch{TagLen: 8, Tags: make([]byte, 8)}, &outcomeMsg{Cardinality: 1}, &sumShare{}} {
		b, err := m.MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(decodeRoundTrip)
}

func FuzzLatticeMessages(f *testing.F) {
	for _, k := range []byte{kindLatticeKey, kindLatticeChunk, kindLatticeSample} {
		n, _ := latticeSize(k)
		b, err := (&latticeBlob{kind: k, Data: make([]byte, n)}).MarshalBinary()
		require.NoError(f, err)
		f.Add(b[:40])
		f.Add(b)
	}
	b, _ := (&latticeAnswer{M: 7}).MarshalBinary()
	f.Add(b)
	f.Fuzz(decodeRoundTrip)
}
