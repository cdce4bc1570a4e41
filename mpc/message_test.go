package mpc

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range []message{
		{Kind: kindArith, Step: 0, Words: []uint64{}},
		{Kind: kindBool, Step: 1<<32 - 1, Words: []uint64{1, 2, ^uint64(0)}},
		{Kind: kindShamir, Step: 7, Words: []uint64{ShamirPrime - 1}},
	} {
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Len(t, b, headerSize+8*len(m.Words))
		var got message
		require.NoError(t, got.UnmarshalBinary(b))
		require.Equal(t, m.Kind, got.Kind)
		require.Equal(t, m.Step, got.Step)
		require.Equal(t, len(m.Words), len(got.Words))
		require.Equal(t, append([]uint64{}, m.Words...), append([]uint64{}, got.Words...))
	}
	_, err := (&message{Kind: 0}).MarshalBinary()
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestMessageRejects(t *testing.T) {
	good, _ := (&message{Kind: kindArith, Step: 3, Words: []uint64{1, 2}}).MarshalBinary()
	cases := map[string][]byte{
		"empty":      nil,
		"short":      good[:8],
		"truncated":  good[:len(good)-1],
		"extra":      append(append([]byte{}, good...), 0),
		"kind zero":  append([]byte{0}, good[1:]...),
		"kind large": append([]byte{200}, good[1:]...),
		"huge count": {1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff},
	}
	for name, b := range cases {
		var m message
		require.ErrorIs(t, m.UnmarshalBinary(b), ErrMalformed, name)
	}
}

func FuzzMessageUnmarshal(f *testing.F) {
	good, _ := (&message{Kind: kindArith, Step: 3, Words: []uint64{1, 2}}).MarshalBinary()
	f.Add(good)
	f.Add(good[:5])
	f.Add([]byte{})
	f.Add([]byte{5, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, data []byte) {
		var m message
		if err := m.UnmarshalBinary(data); err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, b))
	})
}

func meshConn(t *testing.T, m transport.Mesh, j int) transport.Conn {
	c, err := m.Conn(j)
	require.NoError(t, err)
	return c
}

// FuzzPeerMessage feeds arbitrary bytes to a party as its peer's message
// at each kind of step: the party must return a result or an error
// (ErrMalformed for bad data), never panic or hang.
func FuzzPeerMessage(f *testing.F) {
	f.Add(uint8(0), appendMessage(nil, kindArith, 0, []uint64{1, 2, 3, 4}))
	f.Add(uint8(1), appendMessage(nil, kindInput, 0, []uint64{4, 1, 2, 3, 4}))
	f.Add(uint8(1), appendMessage(nil, kindInput, 0, []uint64{1 << 40, 1, 2, 3, 4}))
	f.Add(uint8(2), appendMessage(nil, kindShamir, 0, []uint64{1, 2, 3, ShamirPrime}))
	f.Add(uint8(3), appendMessage(nil, kindBool, 0, []uint64{1, 2, 3, 4}))
	f.Add(uint8(0), []byte{1, 0, 0})
	f.Add(uint8(4), appendMessage(nil, kindSeed, 0, []uint64{1, 2, 3, 4}))
	f.Add(uint8(5), appendMessage(nil, kindDealerReply, 1, []uint64{1, 2, 3, 4}))
	f.Fuzz(func(t *testing.T, op uint8, data []byte) {
		meshes, err := transport.NewMemMesh(2, transport.Options{})
		require.NoError(t, err)
		d, err := NewTrustedDealer(2, DealerConfig{})
		require.NoError(t, err)
		d0, err := d.Party(0)
		require.NoError(t, err)
		p, err := NewParty(meshes[0], d0, Config{MaxLength: 1 << 16})
		require.NoError(t, err)
		c, err := meshes[1].Conn(0)
		require.NoError(t, err)
		require.NoError(t, c.Send(context.Background(), data))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		x := Share{1, 2, 3, 4}
		switch op % 6 {
		case 0:
			_, err = p.Open(ctx, x)
		case 1:
			_, err = p.Input(ctx, 1, nil)
		case 2:
			sh, _ := ShamirSplit([]uint64{1, 2, 3, 4}, 2, 2)
			_, err = p.OpenShamir(ctx, sh[0], 2)
		case 3:
			_, err = p.OpenBool(ctx, BoolShare(x))
		case 4: // a dealer's seed
			_, err = NewRemoteDealer(ctx, meshConn(t, meshes[0], 1), 0, 2)
		case 5: // a dealer's reply to the last party
			dealerEnd, mine := transport.Pipe("dealer", "party-1", transport.Options{})
			require.NoError(t, dealerEnd.Send(ctx, appendMessage(nil, kindSeed, 0, []uint64{1, 2, 3, 4})))
			require.NoError(t, dealerEnd.Send(ctx, data))
			var rd Dealer
			if rd, err = NewRemoteDealer(ctx, mine, 1, 2); err == nil {
				_, err = rd.Triples(ctx, 4)
			}
		}
		if err != nil {
			require.False(t, errors.Is(err, context.DeadlineExceeded), "hung: %v", err)
			require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrInconsistent), "%v", err)
		}
	})
}
