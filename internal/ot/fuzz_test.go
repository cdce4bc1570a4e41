package ot

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/transport"
)

func FuzzBaseSetup(f *testing.F) {
	_, setup, err := NewBaseSender(3, Config{})
	require.NoError(f, err)
	good, _ := setup.MarshalBinary()
	f.Add(good)
	f.Add([]byte{tagBaseA})
	f.Add(append([]byte{tagBaseA, 1, 0, 0, 0}, make([]byte, 32)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m BaseSetup
		if m.UnmarshalBinary(b) != nil {
			return
		}
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func FuzzBaseResponse(f *testing.F) {
	s, setup, err := NewBaseSender(2, Config{})
	require.NoError(f, err)
	r, err := NewBaseReceiver([]bool{true, false}, Config{})
	require.NoError(f, err)
	resp, _, err := r.Respond(setup)
	require.NoError(f, err)
	good, _ := resp.MarshalBinary()
	f.Add(good)
	f.Add(good[:40])
	f.Add([]byte{tagBaseB, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m BaseResponse
		if m.UnmarshalBinary(b) != nil {
			return
		}
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
		if len(m.B) == 2 {
			_, _ = s.Finish(&m) // must not panic on any points
		}
	})
}

func FuzzExtChunk(f *testing.F) {
	c := ExtChunk{Offset: 256, Rows: 128, Width: 128, U: make([]byte, 128*16)}
	good, err := c.MarshalBinary()
	require.NoError(f, err)
	f.Add(good)
	f.Add(good[:16])
	f.Add([]byte{tagExt, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m ExtChunk
		if m.UnmarshalBinary(b) != nil {
			return
		}
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func FuzzChosenMessages(f *testing.F) {
	c := ChosenMessages{Y: make([][2]Block, 3)}
	good, _ := c.MarshalBinary()
	f.Add(good)
	f.Add(good[:7])
	f.Fuzz(func(t *testing.T, b []byte) {
		var m ChosenMessages
		if m.UnmarshalBinary(b) != nil {
			return
		}
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func FuzzCorrections(f *testing.F) {
	good, _ := (&Corrections{Tau: []uint64{1, 2, 3}}).MarshalBinary()
	f.Add(good)
	f.Add([]byte{tagCorr})
	f.Add([]byte{tagCorr, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Corrections
		if m.UnmarshalBinary(b) != nil {
			return
		}
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func FuzzSoftSetup(f *testing.F) {
	good, err := (&SoftSetup{K: 4}).MarshalBinary()
	require.NoError(f, err)
	f.Add(good)
	f.Add(good[:softSetupHdr])
	f.Add(append([]byte{tagSoftSetup, 9}, good[2:]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m SoftSetup
		if m.UnmarshalBinary(b) != nil {
			return
		}
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func FuzzSoftChunk(f *testing.F) {
	c := SoftChunk{K: 3, Offset: 256, Rows: 128, U: make([]byte, softNumBlocks(3)*16)}
	good, err := c.MarshalBinary()
	require.NoError(f, err)
	f.Add(good)
	f.Add(good[:softChunkHdr])
	f.Add([]byte{tagSoftChunk, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m SoftChunk
		if m.UnmarshalBinary(b) != nil {
			return
		}
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

// FuzzProductCorrections feeds the products' receiver a peer's correction
// message: it is read only when well formed and of the expected length, and
// anything else is an error wrapping ErrMalformed or ErrProtocol.
func FuzzProductCorrections(f *testing.F) {
	good, _ := (&Corrections{Tau: make([]uint64, productWords(2))}).MarshalBinary()
	f.Add(good, uint8(2))
	f.Add(good, uint8(3))
	f.Add([]byte{tagCorr, 65, 0, 0, 0}, uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, n uint8) {
		a, c := transport.Pipe("sender", "receiver", transport.Options{})
		defer a.Close()
		defer c.Close()
		ctx := testCtx(t)
		require.NoError(t, a.Send(ctx, b))
		dst := make([]uint64, productWords(int(n%8)))
		if len(dst) == 0 {
			return // nothing is read
		}
		err := recvWords(ctx, c, dst)
		if err != nil {
			require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrProtocol), "%v", err)
			return
		}
		var m Corrections
		require.NoError(t, m.UnmarshalBinary(b))
		require.Equal(t, m.Tau, dst)
	})
}
