package secagg

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleMessages() []message {
	ct := bytes.Repeat([]byte{7}, ciphertextSize)
	var v shareValue
	v[3] = 9
	return []message{
		&AdvertiseKeys{ID: 3, EncKey: [32]byte{1}, MaskKey: [32]byte{2}},
		&KeyList{To: 1, Keys: []AdvertiseKeys{{ID: 2}, {ID: 5, EncKey: [32]byte{9}}}},
		&ShareBundle{From: 1, Shares: []EncryptedShare{{From: 1, To: 2, Ciphertext: ct}}},
		&ShareDelivery{To: 2, Shares: []EncryptedShare{{From: 1, To: 2, Ciphertext: ct}, {From: 3, To: 2, Ciphertext: ct}}},
		&MaskedInput{ID: 4, Vector: []uint64{1, 1 << 63, 0}},
		&UnmaskRequest{To: 4, Dropped: []int{1}, Survivors: []int{2, 3}},
		&UnmaskResponse{From: 4, KeyShares: []SecretShare{{Owner: 1, Value: v}}, SeedShares: []SecretShare{{Owner: 2}}},
		&Abort{Reason: "too many dropouts"},
	}
}

func blank(m message) message {
	switch m.(type) {
	case *AdvertiseKeys:
		return &AdvertiseKeys{}
	case *KeyList:
		return &KeyList{}
	case *ShareBundle:
		return &ShareBundle{}
	case *ShareDelivery:
		return &ShareDelivery{}
	case *MaskedInput:
		return &MaskedInput{}
	case *UnmaskRequest:
		return &UnmaskRequest{}
	case *UnmaskResponse:
		return &UnmaskResponse{}
	case *Abort:
		return &Abort{}
	}
	panic("unknown message")
}

func TestMessagesRoundTripAndReject(t *testing.T) {
	for _, m := range sampleMessages() {
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		got := blank(m)
		require.NoError(t, got.UnmarshalBinary(b))
		assert.Equal(t, m, got)
		// Every truncation and any trailing byte is rejected.
		for n := range len(b) {
			assert.ErrorIs(t, blank(m).UnmarshalBinary(b[:n]), ErrMalformed, "%T truncated to %d", m, n)
		}
		assert.ErrorIs(t, blank(m).UnmarshalBinary(append(b, 0)), ErrMalformed)
		// A wrong tag is rejected.
		b[0] ^= 0x80
		assert.ErrorIs(t, blank(m).UnmarshalBinary(b), ErrMalformed)
	}
}

func TestMessagesRejectBadIDsAndCounts(t *testing.T) {
	b, _ := (&AdvertiseKeys{ID: 0}).MarshalBinary()
	assert.ErrorIs(t, (&AdvertiseKeys{}).UnmarshalBinary(b), ErrMalformed)
	b, _ = (&AdvertiseKeys{ID: MaxClients + 1}).MarshalBinary()
	assert.ErrorIs(t, (&AdvertiseKeys{}).UnmarshalBinary(b), ErrMalformed)
	// A count that claims more elements than the message holds.
	b = []byte{tagMaskedInput, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}
	assert.ErrorIs(t, (&MaskedInput{}).UnmarshalBinary(b), ErrMalformed)
	_, err := (&ShareBundle{From: 1, Shares: []EncryptedShare{{From: 1, To: 2, Ciphertext: []byte{1}}}}).MarshalBinary()
	assert.ErrorIs(t, err, ErrInvalidParams)
}

func fuzzDecoder(f *testing.F, m message) {
	b, err := m.MarshalBinary()
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte{})
	f.Add(b[:len(b)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		got := blank(m)
		if err := got.UnmarshalBinary(data); err != nil {
			return
		}
		// Whatever decodes re-encodes to the same bytes.
		again, err := got.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, again)
	})
}

func FuzzAdvertiseKeys(f *testing.F)  { fuzzDecoder(f, sampleMessages()[0]) }
func FuzzKeyList(f *testing.F)        { fuzzDecoder(f, sampleMessages()[1]) }
func FuzzShareBundle(f *testing.F)    { fuzzDecoder(f, sampleMessages()[2]) }
func FuzzShareDelivery(f *testing.F)  { fuzzDecoder(f, sampleMessages()[3]) }
func FuzzMaskedInput(f *testing.F)    { fuzzDecoder(f, sampleMessages()[4]) }
func FuzzUnmaskRequest(f *testing.F)  { fuzzDecoder(f, sampleMessages()[5]) }
func FuzzUnmaskResponse(f *testing.F) { fuzzDecoder(f, sampleMessages()[6]) }
func FuzzAbort(f *testing.F)          { fuzzDecoder(f, sampleMessages()[7]) }
