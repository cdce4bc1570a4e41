package ledger

import (
	"bytes"
	"testing"
)

// FuzzSignedReceipt: decoding arbitrary bytes never panics, and a signed
// receipt (or receipt) that decodes re-encodes to the same bytes.
func FuzzSignedReceipt(f *testing.F) {
	ps := identities(f, 2)
	r := sampleReceipt(f, ps)
	s := signAll(f, r, ps)
	sb, err := s.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	rb, err := r.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sb)
	f.Add(rb)
	f.Fuzz(func(t *testing.T, b []byte) {
		var s SignedReceipt
		if s.UnmarshalBinary(b) == nil {
			again, err := s.MarshalBinary()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("signed receipt does not re-encode: %v", err)
			}
		}
		var r Receipt
		if r.UnmarshalBinary(b) == nil {
			again, err := r.MarshalBinary()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("receipt does not re-encode: %v", err)
			}
		}
	})
}

// FuzzSignatureMessage: a peer's signature message never panics the
// decoder.
func FuzzSignatureMessage(f *testing.F) {
	ps := identities(f, 2)
	r := sampleReceipt(f, ps)
	digest, err := r.Digest()
	if err != nil {
		f.Fatal(err)
	}
	sig, err := Sign(ps[1], r)
	if err != nil {
		f.Fatal(err)
	}
	var e enc
	e.u8(sigMsgTag)
	e.u32(1)
	e.digest(digest)
	encodeSig(&e, sig)
	f.Add(e.b)
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := decodeSigMsg(b, 1, digest); err == nil {
			_ = verifyParty(ps[0], r, 1, digest, s)
		}
	})
}
