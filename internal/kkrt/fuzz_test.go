package kkrt

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func FuzzReceiverHello(f *testing.F) {
	good, _ := (&ReceiverHello{N: 1000, Bins: NumBins(1000), CuckooKey: [16]byte{1}}).MarshalBinary()
	f.Add(good)
	f.Add(good[:10])
	bad := append([]byte(nil), good...)
	bad[17] = 0xff
	f.Add(bad)
	f.Fuzz(func(t *testing.T, b []byte) {
		var m ReceiverHello
		if m.UnmarshalBinary(b) != nil {
			return
		}
		require.Equal(t, NumBins(m.N), m.Bins)
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func FuzzSenderHello(f *testing.F) {
	good, _ := (&SenderHello{N: 7, CodeKey: [16]byte{2}}).MarshalBinary()
	f.Add(good)
	f.Add(good[:3])
	f.Fuzz(func(t *testing.T, b []byte) {
		var m SenderHello
		if m.UnmarshalBinary(b) != nil {
			return
		}
		require.LessOrEqual(t, m.N, MaxItems)
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func FuzzValues(f *testing.F) {
	good, _ := (&Values{Len: 11, Count: 2, Data: make([]byte, 66)}).MarshalBinary()
	f.Add(good)
	f.Add(good[:6])
	f.Add([]byte{tagValues, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Values
		if m.UnmarshalBinary(b) != nil {
			return
		}
		require.Len(t, m.Data, m.Count*NumHashes*m.Len)
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func FuzzPayloadValues(f *testing.F) {
	it := PayloadItem{Tags: make([]byte, NumHashes*6), Sealed: make([]byte, 20)}
	good, err := (&PayloadValues{Len: 6, Items: []PayloadItem{it, it}}).MarshalBinary()
	require.NoError(f, err)
	f.Add(good)
	f.Add(good[:30])
	f.Add([]byte{tagPayloads, 6, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m PayloadValues
		if m.UnmarshalBinary(b) != nil {
			return
		}
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func FuzzAck(f *testing.F) {
	good, _ := (&Ack{Count: 1 << 14}).MarshalBinary()
	f.Add(good)
	f.Add(good[:3])
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Ack
		if m.UnmarshalBinary(b) != nil {
			return
		}
		require.LessOrEqual(t, m.Count, MaxItems)
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}
