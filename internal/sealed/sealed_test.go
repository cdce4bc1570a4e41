package sealed

import (
	"crypto/ecdh"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/transport"
)

const label = "veil/test/v1"

var session = []byte("round 7")

func parties(t testing.TB, names ...string) []*transport.Identity {
	ca, err := transport.NewCA("test CA")
	require.NoError(t, err)
	ids := make([]*transport.Identity, len(names))
	for i, n := range names {
		ids[i], err = ca.Issue(n)
		require.NoError(t, err)
	}
	return ids
}

// relay marshals and unmarshals an advert, as a hub forwarding it would.
func relay(t *testing.T, a *Advert) *Advert {
	b, err := a.MarshalBinary()
	require.NoError(t, err)
	var out Advert
	require.NoError(t, out.UnmarshalBinary(b))
	return &out
}

func TestSealOpen(t *testing.T) {
	ids := parties(t, "alice", "bob")
	ka, err := New(ids[0], label, session, 0, 2)
	require.NoError(t, err)
	kb, err := New(ids[1], label, session, 1, 2)
	require.NoError(t, err)
	pb, err := Verify(ids[0], label, session, relay(t, kb.Advert()), 1, 2, "bob")
	require.NoError(t, err)
	pa, err := Verify(ids[1], label, session, relay(t, ka.Advert()), 0, 2, "alice")
	require.NoError(t, err)
	require.Equal(t, "bob", pb.Name)

	box, err := ka.Seal(pb, []byte("ad"), []byte("share for bob"))
	require.NoError(t, err)
	require.Len(t, box, len("share for bob")+Overhead)
	pt, err := kb.Open(pa, []byte("ad"), box)
	require.NoError(t, err)
	require.Equal(t, "share for bob", string(pt))

	// Wrong associated data, a flipped byte, a truncated box, or the box
	// reflected back to its sender: all fail to open.
	_, err = kb.Open(pa, []byte("other"), box)
	require.ErrorIs(t, err, ErrOpen)
	for i := range box {
		c := append([]byte(nil), box...)
		c[i] ^= 0x80
		_, err = kb.Open(pa, []byte("ad"), c)
		require.ErrorIs(t, err, ErrOpen, "byte %d", i)
	}
	_, err = kb.Open(pa, []byte("ad"), box[:Overhead-1])
	require.ErrorIs(t, err, ErrOpen)
	_, err = ka.Open(pb, []byte("ad"), box)
	require.ErrorIs(t, err, ErrOpen, "a box is bound to its direction")

	// Both sides derive the same secret per slot, and different slots differ.
	s0, err := ka.Shared(0, pb)
	require.NoError(t, err)
	s0b, err := kb.Shared(0, pa)
	require.NoError(t, err)
	require.Equal(t, s0, s0b)
	s1, err := ka.Shared(1, pb)
	require.NoError(t, err)
	require.NotEqual(t, s0, s1)
	_, err = ka.Shared(2, pb)
	require.Error(t, err)
}

// TestHubCannotSubstituteKeys is the reason for the signature: a relaying
// hub that swaps in keys of its own is caught by the receiver.
func TestHubCannotSubstituteKeys(t *testing.T) {
	ids := parties(t, "alice", "bob", "hub")
	alice, bob, hub := ids[0], ids[1], ids[2]
	kb, err := New(bob, label, session, 1, 1)
	require.NoError(t, err)
	kh, err := New(hub, label, session, 1, 1) // the hub's own keys, claiming index 1
	require.NoError(t, err)

	// 1. Bob's advert with the hub's key in it: the signature fails.
	forged := relay(t, kb.Advert())
	forged.Keys[0] = kh.Advert().Keys[0]
	_, err = Verify(alice, label, session, forged, 1, 1, "bob")
	require.ErrorIs(t, err, ErrBadAdvert)
	require.ErrorIs(t, err, transport.ErrBadSignature)

	// 2. The hub's own validly signed advert as Bob's: the name is wrong.
	_, err = Verify(alice, label, session, relay(t, kh.Advert()), 1, 1, "bob")
	require.ErrorIs(t, err, ErrBadAdvert)

	// 3. Bob's advert replayed in another session, under another label or
	// for another index: refused.
	_, err = Verify(alice, label, []byte("round 8"), relay(t, kb.Advert()), 1, 1, "bob")
	require.ErrorIs(t, err, transport.ErrBadSignature)
	_, err = Verify(alice, "veil/other/v1", session, relay(t, kb.Advert()), 1, 1, "bob")
	require.ErrorIs(t, err, transport.ErrBadSignature)
	moved := relay(t, kb.Advert())
	moved.Index = 2
	_, err = Verify(alice, label, session, moved, 2, 1, "bob")
	require.ErrorIs(t, err, transport.ErrBadSignature)
	_, err = Verify(alice, label, session, relay(t, kb.Advert()), 2, 1, "")
	require.ErrorIs(t, err, ErrBadAdvert)

	// 4. Bob's certificate from another CA: refused.
	other := parties(t, "bob")[0]
	ko, err := New(other, label, session, 1, 1)
	require.NoError(t, err)
	_, err = Verify(alice, label, session, relay(t, ko.Advert()), 1, 1, "bob")
	require.ErrorIs(t, err, transport.ErrPeerIdentity)

	// The genuine advert passes.
	_, err = Verify(alice, label, session, relay(t, kb.Advert()), 1, 1, "bob")
	require.NoError(t, err)
}

func TestNewRejects(t *testing.T) {
	id := parties(t, "a")[0]
	for _, tc := range []struct {
		label       string
		index, keys int
	}{{"", 0, 1}, {label, -1, 1}, {label, 0, 0}, {label, 0, MaxKeys + 1}} {
		_, err := New(id, tc.label, session, tc.index, tc.keys)
		require.Error(t, err)
	}
	_, err := New(nil, label, session, 0, 1)
	require.Error(t, err)
}

func FuzzAdvertUnmarshal(f *testing.F) {
	ids := parties(f, "alice")
	k, err := New(ids[0], label, session, 3, 2)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := k.Advert().MarshalBinary()
	f.Add(good)
	f.Add([]byte{})
	f.Add(good[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Advert
		if err := a.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := a.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded advert does not re-encode: %v", err)
		}
		if string(again) != string(b) {
			t.Fatalf("re-encoding differs")
		}
		_, _ = Verify(ids[0], label, session, &a, a.Index, len(a.Keys), "")
	})
}

func TestPrivateKeyMatchesAdvert(t *testing.T) {
	ids := parties(t, "alice")
	k, err := New(ids[0], label, session, 3, 2)
	require.NoError(t, err)
	for slot := range 2 {
		priv, err := k.PrivateKey(slot)
		require.NoError(t, err)
		sk, err := ecdh.X25519().NewPrivateKey(priv)
		require.NoError(t, err)
		require.Equal(t, k.Advert().Keys[slot][:], sk.PublicKey().Bytes())
	}
	_, err = k.PrivateKey(2)
	require.Error(t, err)
}
