package psi

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzDecoder checks that a decoder never panics, and that what it accepts
// re-encodes to the same bytes (the encoding is canonical).
func fuzzDecoder[M Message](f *testing.F, fresh func() M, seeds ...M) {
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
	fuzzDecoder(f, func() *Hello { return new(Hello) },
		&Hello{Version: 1, Role: RoleSender, Protocol: ECDH, Mode: Sum, RevealToBoth: true, TagLen: 12, Count: 1 << 20},
		&Hello{Version: 1, Role: RoleReceiver, Mode: Join, TagLen: 16})
}

func FuzzPointBatch(f *testing.F) {
	fuzzDecoder(f, func() *PointBatch { return new(PointBatch) },
		&PointBatch{Points: bytes.Repeat([]byte{1}, 64)})
}

func FuzzTagBatch(f *testing.F) {
	fuzzDecoder(f, func() *TagBatch { return new(TagBatch) },
		&TagBatch{TagLen: 12, Tags: bytes.Repeat([]byte{7}, 36)})
}

func FuzzJoinBatch(f *testing.F) {
	fuzzDecoder(f, func() *JoinBatch { return new(JoinBatch) },
		&JoinBatch{TagLen: 8, Tags: bytes.Repeat([]byte{2}, 16), Sealed: [][]byte{make([]byte, 16), make([]byte, 30)}})
}

func FuzzSumItemBatch(f *testing.F) {
	fuzzDecoder(f, func() *SumItemBatch { return new(SumItemBatch) },
		&SumItemBatch{Points: make([]byte, 32), Cipher: make([]byte, 64)})
}

func FuzzAck(f *testing.F) {
	fuzzDecoder(f, func() *Ack { return new(Ack) }, &Ack{Count: 300})
}

func FuzzMatches(f *testing.F) {
	fuzzDecoder(f, func() *Matches { return new(Matches) },
		&Matches{N: 11, Bitmap: []byte{0xff, 0x05}}, &Matches{N: 0, Bitmap: []byte{}})
}

func FuzzSumRequest(f *testing.F) {
	fuzzDecoder(f, func() *SumRequest { return new(SumRequest) }, &SumRequest{C1: [32]byte{1}})
}

func FuzzSumShare(f *testing.F) {
	fuzzDecoder(f, func() *SumShare { return new(SumShare) }, &SumShare{D: [32]byte{1}, Q: [32]byte{2}})
}

func FuzzOutcome(f *testing.F) {
	fuzzDecoder(f, func() *Outcome { return new(Outcome) }, &Outcome{Cardinality: 3, Sum: -9})
}

func TestMarshalRejectsBadMessages(t *testing.T) {
	bad := []Message{
		&Hello{Mode: 300},
		&PointBatch{Points: make([]byte, 33)},
		&TagBatch{TagLen: 4, Tags: make([]byte, 8)},
		&TagBatch{TagLen: 12, Tags: make([]byte, 13)},
		&JoinBatch{TagLen: 8, Tags: make([]byte, 8), Sealed: [][]byte{make([]byte, 3)}},
		&JoinBatch{TagLen: 8, Tags: make([]byte, 9), Sealed: [][]byte{make([]byte, 16)}},
		&SumItemBatch{Points: make([]byte, 32), Cipher: make([]byte, 32)},
		&Matches{N: 9, Bitmap: []byte{1}},
	}
	for i, m := range bad {
		_, err := m.MarshalBinary()
		require.ErrorIs(t, err, ErrInvalidParams, "message %d", i)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, m := range []Message{&Hello{Version: 1, Role: RoleSender, TagLen: 12}, &Ack{Count: 1},
		&TagBatch{TagLen: 8, Tags: make([]byte, 8)}, &Outcome{Cardinality: 1}, &SumShare{}} {
		b, err := m.MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		out, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, out)
	})
}
