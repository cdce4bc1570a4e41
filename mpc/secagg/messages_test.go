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
		&AdvertMsg{ID: 3, Params: [DigestSize]byte{1}, Commitment: [NonceSize]byte{4}, CommitmentSig: []byte("sig"), Advert: []byte("signed keys")},
		&KeyListMsg{To: 1, Reveals: []RevealMsg{{ID: 2, Nonce: [NonceSize]byte{3}}, {ID: 5}},
			Keys: []AdvertMsg{{ID: 2, CommitmentSig: []byte{}, Advert: []byte{}}, {ID: 5, Params: [DigestSize]byte{9}, CommitmentSig: []byte{8}, Advert: []byte{1, 2}}}},
		&ShareBundleMsg{From: 1, Shares: []EncryptedShare{{From: 1, To: 2, Ciphertext: ct}}},
		&ShareDeliveryMsg{To: 2, Shares: []EncryptedShare{{From: 1, To: 2, Ciphertext: ct}, {From: 3, To: 2, Ciphertext: ct}}},
		&MaskedInputMsg{ID: 4, Vector: []uint64{1, 1 << 63, 0}},
		&UnmaskRequestMsg{To: 4, Counted: []int{2, 3, 4}, Signatures: []CountedSigMsg{{From: 2, Sig: []byte("sig")}, {From: 3, Sig: []byte{}}}},
		&UnmaskResponseMsg{From: 4, KeyShares: []SecretShare{{Owner: 1, Value: v}}, SeedShares: []SecretShare{{Owner: 2}}},
		&AbortMsg{Reason: "too many dropouts"},
		&CountedSetMsg{To: 4, Counted: []int{2, 3, 4}},
		&CountedSigMsg{From: 4, Sig: []byte("signature")},
		&AnnounceMsg{Params: []byte("params")},
		&EnrolmentMsg{To: 2, Enrolled: []Enrolled{{ID: 1, Commitment: [NonceSize]byte{1}}, {ID: 2}}},
		&RevealMsg{ID: 7, Nonce: [NonceSize]byte{5}},
	}
}

func blank(m message) message {
	switch m.(type) {
	case *AdvertMsg:
		return &AdvertMsg{}
	case *KeyListMsg:
		return &KeyListMsg{}
	case *ShareBundleMsg:
		return &ShareBundleMsg{}
	case *ShareDeliveryMsg:
		return &ShareDeliveryMsg{}
	case *MaskedInputMsg:
		return &MaskedInputMsg{}
	case *UnmaskRequestMsg:
		return &UnmaskRequestMsg{}
	case *UnmaskResponseMsg:
		return &UnmaskResponseMsg{}
	case *AbortMsg:
		return &AbortMsg{}
	case *CountedSetMsg:
		return &CountedSetMsg{}
	case *CountedSigMsg:
		return &CountedSigMsg{}
	case *AnnounceMsg:
		return &AnnounceMsg{}
	case *EnrolmentMsg:
		return &EnrolmentMsg{}
	case *RevealMsg:
		return &RevealMsg{}
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
	b, _ := (&AdvertMsg{ID: 0}).MarshalBinary()
	assert.ErrorIs(t, (&AdvertMsg{}).UnmarshalBinary(b), ErrMalformed)
	_, err := (&AdvertMsg{ID: 1, Advert: make([]byte, MaxAdvertSize+1)}).MarshalBinary()
	assert.ErrorIs(t, err, ErrInvalidParams)
	b, _ = (&AdvertMsg{ID: MaxClients + 1}).MarshalBinary()
	assert.ErrorIs(t, (&AdvertMsg{}).UnmarshalBinary(b), ErrMalformed)
	// A count that claims more elements than the message holds.
	b = []byte{tagMaskedInput, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}
	assert.ErrorIs(t, (&MaskedInputMsg{}).UnmarshalBinary(b), ErrMalformed)
	_, err = (&ShareBundleMsg{From: 1, Shares: []EncryptedShare{{From: 1, To: 2, Ciphertext: []byte{1}}}}).MarshalBinary()
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

func FuzzAdvertMsg(f *testing.F)      { fuzzDecoder(f, sampleMessages()[0]) }
func FuzzKeyListMsg(f *testing.F)     { fuzzDecoder(f, sampleMessages()[1]) }
func FuzzShareBundle(f *testing.F)    { fuzzDecoder(f, sampleMessages()[2]) }
func FuzzShareDelivery(f *testing.F)  { fuzzDecoder(f, sampleMessages()[3]) }
func FuzzMaskedInput(f *testing.F)    { fuzzDecoder(f, sampleMessages()[4]) }
func FuzzUnmaskRequest(f *testing.F)  { fuzzDecoder(f, sampleMessages()[5]) }
func FuzzUnmaskResponse(f *testing.F) { fuzzDecoder(f, sampleMessages()[6]) }
func FuzzCountedSet(f *testing.F)     { fuzzDecoder(f, sampleMessages()[8]) }
func FuzzCountedSig(f *testing.F)     { fuzzDecoder(f, sampleMessages()[9]) }
func FuzzAbort(f *testing.F)          { fuzzDecoder(f, sampleMessages()[7]) }
func FuzzAnnounce(f *testing.F)       { fuzzDecoder(f, sampleMessages()[10]) }
func FuzzEnrolment(f *testing.F)      { fuzzDecoder(f, sampleMessages()[11]) }
func FuzzReveal(f *testing.F)         { fuzzDecoder(f, sampleMessages()[12]) }
