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

// FuzzPeerMessages: party 0's signature bundle and party list, and a
// party's record, as a peer may send them, never panic the decoders, and a
// record that decodes re-encodes to the same bytes.
func FuzzPeerMessages(f *testing.F) {
	ps := identities(f, 2)
	r := sampleReceipt(f, ps)
	digest, err := r.Digest()
	if err != nil {
		f.Fatal(err)
	}
	s := signAll(f, r, ps)
	var bundle enc
	bundle.u8(bundleMsgTag)
	bundle.digest(digest)
	for _, sig := range s.Signatures {
		encodeSig(&bundle, sig)
	}
	var rec enc
	rec.u8(partyMsgTag)
	encodeParty(&rec, r.Parties[1])
	f.Add(bundle.b)
	f.Add(rec.b)
	f.Add([]byte{abortMsgTag})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeBundle(b, 2, digest)
		if len(b) > 0 && b[0] == partyMsgTag {
			d := &dec{b: b[1:], what: "party record"}
			p := decodeParty(d)
			d.end()
			if d.err == nil {
				var e enc
				encodeParty(&e, p)
				if !bytes.Equal(e.b, b[1:]) {
					t.Fatal("party record does not re-encode")
				}
			}
		}
	})
}
