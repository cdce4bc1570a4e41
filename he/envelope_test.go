package he

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// envelopeSamples holds one message of each type of the runner.
func envelopeSamples() []message {
	return []message{
		&crsMsg{CRS: CRS{1, 2, 3}},
		&keyGenMsg{Advert: []byte("advert"), Share: []byte("share")},
		&keyGenMsg{Share: []byte("share")},
		&advertsMsg{Adverts: [][]byte{[]byte("a0"), {}, []byte("a2")}},
		&dealsMsg{Boxes: [][]byte{{}, []byte("box1"), []byte("box2")}},
		&publicKeyMsg{Key: []byte("key")},
		&ciphertextMsg{Ciphertext: []byte("ct")},
		&decryptMsg{Attempt: 2, Active: []int{0, 3, 4}, Masks: []byte("masks")},
		&decryptMsg{Masks: []byte("masks")},
		&shareMsg{Attempt: 1, Share: []byte("share")},
		&resultMsg{Counted: []int{1, 2, 5}, Values: []uint64{7, math.MaxUint64, 0}},
		&abortMsg{Reason: "he hub, step keygen: no"},
		&proofMsg{Proof: []byte("proof")},
		&contributionMsg{Client: 3, Masks: []byte("masks"), Proof: []byte("proof")},
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	for _, m := range envelopeSamples() {
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		got, err := decodeMessage(b)
		require.NoError(t, err, "%v", m.typ())
		require.Equal(t, m.typ(), got.typ())
		again, err := got.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again, "%v", m.typ())
		// Messages whose fields all carry their size refuse a byte more
		// or less.
		switch m.typ() {
		case typeCRS, typeAdverts, typeDeals, typeResult:
			_, err := decodeMessage(b[:len(b)-1])
			require.ErrorIs(t, err, ErrMalformed, "%v truncated", m.typ())
			_, err = decodeMessage(append(bytes.Clone(b), 0))
			require.ErrorIs(t, err, ErrMalformed, "%v padded", m.typ())
		}
	}
	res, err := decodeMessage(must(envelopeSamples()[10].MarshalBinary()))
	require.NoError(t, err)
	require.Equal(t, envelopeSamples()[10], res)
	for _, bad := range [][]byte{
		nil, {0}, {byte(typeContribution) + 1}, {byte(typeContribution), 0, 0, 0, 1, 0xff, 0, 0, 0},
		{byte(typeAdverts), 0xff, 0xff}, // 65535 fields in no bytes
		{byte(typeResult), 0xff, 0xff, 0xff, 0xff},
		{byte(typeDecrypt), 0, 0, 0, 0, 0xff, 0xff},
		append([]byte{byte(typeAbort)}, make([]byte, maxReason+1)...),
	} {
		_, err := decodeMessage(bad)
		require.ErrorIs(t, err, ErrMalformed, "%x", bad)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzEnvelope checks that the runner's decoder never panics and that what
// it accepts re-encodes to the same bytes.
func FuzzEnvelope(f *testing.F) {
	for _, m := range envelopeSamples() {
		b, err := m.MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
		f.Add(b[:len(b)-1])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMessage(data)
		if err != nil {
			return
		}
		out, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, out)
	})
}
