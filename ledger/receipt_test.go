package ledger

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReceiptCanonical(t *testing.T) {
	ps := identities(t, 2)
	r := sampleReceipt(t, ps)
	b, err := r.MarshalBinary()
	require.NoError(t, err)
	b2, err := r.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, b, b2, "same receipt, same bytes")

	var got Receipt
	require.NoError(t, got.UnmarshalBinary(b))
	again, err := got.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, b, again, "decoded receipt re-encodes to the same bytes")
	require.Equal(t, r.Leakage, got.Leakage)
	require.Equal(t, r.Spends, got.Spends)
	require.Equal(t, r.Parties, got.Parties)
	require.True(t, r.Start.Equal(got.Start) && r.End.Equal(got.End))

	// Trailing bytes, truncations and a wrong magic are malformed.
	var x Receipt
	require.ErrorIs(t, x.UnmarshalBinary(append(bytes.Clone(b), 0)), ErrMalformed)
	for n := range len(b) {
		require.ErrorIs(t, x.UnmarshalBinary(b[:n]), ErrMalformed, "cut at %d", n)
	}
}

func TestReceiptValidate(t *testing.T) {
	ps := identities(t, 2)
	for name, mut := range map[string]func(r *Receipt){
		"no protocol":        func(r *Receipt) { r.Protocol = "" },
		"no parties":         func(r *Receipt) { r.Parties = nil },
		"unnamed party":      func(r *Receipt) { r.Parties[1].Name = "" },
		"same certificate":   func(r *Receipt) { r.Parties[1].Fingerprint = r.Parties[0].Fingerprint },
		"NaN epsilon":        func(r *Receipt) { r.Spends[0].Epsilon = math.NaN() },
		"negative epsilon":   func(r *Receipt) { r.Spends[0].Epsilon = -1 },
		"negative zero":      func(r *Receipt) { r.Spends[0].Delta = math.Copysign(0, -1) },
		"delta 1":            func(r *Receipt) { r.Spends[0].Delta = 1 },
		"no dataset":         func(r *Receipt) { r.Spends[0].Dataset = "" },
		"ends before starts": func(r *Receipt) { r.End = r.Start.Add(-1) },
		"zero start":         func(r *Receipt) { r.Start = r.Start.AddDate(-2000, 0, 0) },
	} {
		r := sampleReceipt(t, ps)
		mut(r)
		_, err := r.MarshalBinary()
		require.ErrorIs(t, err, ErrInvalidParams, name)
	}
}

func TestSignedReceiptVerifies(t *testing.T) {
	ps := identities(t, 2)
	r := sampleReceipt(t, ps)
	s := signAll(t, r, ps)
	require.NoError(t, s.Verify(ps[0]))
	require.NoError(t, s.Verify(ps[1]))

	b, err := s.MarshalBinary()
	require.NoError(t, err)
	var got SignedReceipt
	require.NoError(t, got.UnmarshalBinary(b))
	require.NoError(t, got.Verify(ps[1]))
	again, err := got.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, b, again)
}

// TestEveryByteFlipFails flips each byte of an encoded signed receipt (all
// eight bits at once, and bit 0 alone): every change fails decoding or
// verification, with an error that names what failed.
func TestEveryByteFlipFails(t *testing.T) {
	ps := identities(t, 2)
	s := signAll(t, sampleReceipt(t, ps), ps)
	b, err := s.MarshalBinary()
	require.NoError(t, err)
	decodeFails, verifyFails := 0, 0
	for i := range len(b) {
		for _, mask := range []byte{0xff, 0x01} {
			c := bytes.Clone(b)
			c[i] ^= mask
			var got SignedReceipt
			err := got.UnmarshalBinary(c)
			if err != nil {
				require.ErrorIs(t, err, ErrMalformed, "byte %d", i)
				require.Contains(t, err.Error(), "receipt", "byte %d: %v", i, err)
				decodeFails++
				continue
			}
			err = got.Verify(ps[0])
			require.Error(t, err, "byte %d ^ %#x verifies", i, mask)
			require.Contains(t, err.Error(), "party ", "byte %d: %v", i, err)
			require.True(t, errors.Is(err, ErrBadSignature) || errors.Is(err, ErrMismatch) ||
				errors.Is(err, ErrPeerIdentity) || errors.Is(err, ErrMissingSignature), "byte %d: %v", i, err)
			verifyFails++
		}
	}
	t.Logf("%d bytes: %d flips fail decoding, %d fail verification", len(b), decodeFails, verifyFails)
	require.Positive(t, verifyFails)
}

func TestVerifyFailures(t *testing.T) {
	ps := identities(t, 2)
	r := sampleReceipt(t, ps)

	t.Run("wrong CA", func(t *testing.T) {
		s := signAll(t, r, ps)
		err := s.Verify(otherID)
		require.ErrorIs(t, err, ErrPeerIdentity)
		require.Contains(t, err.Error(), `party 0 "party-0"`)
	})
	t.Run("missing signature", func(t *testing.T) {
		s := signAll(t, r, ps)
		s.Signatures[1] = Signature{}
		err := s.Verify(ps[0])
		require.ErrorIs(t, err, ErrMissingSignature)
		require.Contains(t, err.Error(), `party 1 "party-1"`)
		// The encoding keeps the gap, and verification still names it.
		b, err := s.MarshalBinary()
		require.NoError(t, err)
		var got SignedReceipt
		require.NoError(t, got.UnmarshalBinary(b))
		require.ErrorIs(t, got.Verify(ps[0]), ErrMissingSignature)
	})
	t.Run("swapped signatures", func(t *testing.T) {
		s := signAll(t, r, ps)
		s.Signatures[0], s.Signatures[1] = s.Signatures[1], s.Signatures[0]
		require.ErrorIs(t, s.Verify(ps[0]), ErrMismatch)
	})
	t.Run("signature by another CA's party of the same name", func(t *testing.T) {
		s := signAll(t, r, ps)
		s.Signatures[1] = Signature{Chain: otherID.Chain(), Sig: s.Signatures[1].Sig}
		require.ErrorIs(t, s.Verify(ps[0]), ErrMismatch)
	})
	t.Run("party named other than its certificate", func(t *testing.T) {
		// Every party signs a receipt whose name for party 1 is not its
		// certificate's: the fingerprint matches, the name does not.
		misnamed := sampleReceipt(t, ps)
		misnamed.Parties[1].Name = "party-9"
		s := signAll(t, misnamed, ps)
		err := s.Verify(ps[0])
		require.ErrorIs(t, err, ErrMismatch)
		require.Contains(t, err.Error(), `party 1 "party-9": `)
		require.Contains(t, err.Error(), `certificate names "party-1"`)
	})
	t.Run("changed field", func(t *testing.T) {
		s := signAll(t, r, ps)
		s.Receipt.Parties[1].Stats.BytesSent++
		err := s.Verify(ps[0])
		require.ErrorIs(t, err, ErrBadSignature)
		require.Contains(t, err.Error(), `party 0 "party-0"`)
	})
	t.Run("non-party cannot sign", func(t *testing.T) {
		_, err := Sign(identities(t, 3)[2], r)
		require.ErrorIs(t, err, ErrInvalidParams)
	})
}

func TestCommitment(t *testing.T) {
	in := SetEncoding([][]byte{[]byte("b"), []byte("a"), []byte("b")})
	require.Equal(t, SetEncoding([][]byte{[]byte("a"), []byte("b")}), in, "order and duplicates do not matter")
	c, o, err := Commit(in)
	require.NoError(t, err)
	require.NoError(t, c.Verify(o, in))
	require.ErrorIs(t, c.Verify(o, SetEncoding([][]byte{[]byte("a")})), ErrMismatch)
	o2 := o
	o2.Salt[0] ^= 1
	require.ErrorIs(t, c.Verify(o2, in), ErrMismatch)
	// Fresh salt: the same input commits to a different value each time.
	c2, _, err := Commit(in)
	require.NoError(t, err)
	require.NotEqual(t, c, c2)
}
