package ledger

import (
	"context"
	"fmt"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/transport"
)

const (
	sigMsgTag    = 0x52 // 'R': one party's signature on a receipt, to party 0
	bundleMsgTag = 0x42 // 'B': every party's signature, from party 0
	abortMsgTag  = 0x41 // 'A': party 0 failed to collect the signatures
)

// Exchange is the last step of a run: the party id signs r and ends with
// r signed by every party of mesh m. Every party other than 0 sends its
// signature to party 0, which checks each and sends all of them to every
// party; each checks them all, against id's CA, against the certificate r
// names for each party, and against r's digest (a party that signed a
// different receipt is an error wrapping [ErrMismatch]). Party 0 relays
// signatures it cannot forge, so the same step serves a full mesh and a
// star (he, secagg), where the parties reach only the hub.
//
// r.Parties must be in mesh order: party i of the receipt is mesh index i,
// and id is party m.Self(). When party 0 fails to collect the signatures it
// tells the others, whose error wraps [ErrAborted]. Errors read
// "ledger <name>, step signatures, peer <peer>: <cause>".
func Exchange(ctx context.Context, id *transport.Identity, m transport.Mesh, r *Receipt) (*SignedReceipt, error) {
	self := m.Self()
	fail := func(peer string, err error) error {
		return errs.Step("ledger", id.Name(), "signatures", peer, err)
	}
	if m.Size() != len(r.Parties) {
		return nil, fail("", invalid("mesh of %d parties for a receipt of %d", m.Size(), len(r.Parties)))
	}
	if i := r.IndexOf(FingerprintOf(id)); i != self {
		return nil, fail("", invalid("this identity is party %d of the receipt, mesh index %d", i, self))
	}
	digest, err := r.Digest()
	if err != nil {
		return nil, fail("", err)
	}
	mine, err := Sign(id, r)
	if err != nil {
		return nil, fail("", err)
	}
	out := &SignedReceipt{Receipt: *r, Signatures: make([]Signature, len(r.Parties))}
	out.Signatures[self] = mine
	if self != 0 {
		hub, err := m.Conn(0)
		if err != nil {
			return nil, fail(r.Parties[0].Name, err)
		}
		var e enc
		e.u8(sigMsgTag)
		e.u32(uint32(self))
		e.digest(digest)
		encodeSig(&e, mine)
		if err := hub.Send(ctx, e.b); err != nil {
			return nil, fail(hub.Peer(), err)
		}
		b, err := hub.Recv(ctx)
		if err != nil {
			return nil, fail(hub.Peer(), err)
		}
		sigs, err := decodeBundle(b, len(r.Parties), digest)
		if err != nil {
			return nil, fail(hub.Peer(), err)
		}
		for j, sig := range sigs {
			if j == self {
				continue
			}
			if err := verifyParty(id, r, j, digest, sig); err != nil {
				return nil, fail(hub.Peer(), err)
			}
			out.Signatures[j] = sig
		}
		return out, nil
	}

	conns := make([]transport.Conn, m.Size())
	abort := func(peer string, err error) error {
		for _, c := range conns {
			if c != nil {
				_ = c.Send(ctx, []byte{abortMsgTag})
			}
		}
		return fail(peer, err)
	}
	for j := 1; j < len(conns); j++ {
		c, err := m.Conn(j)
		if err != nil {
			return nil, abort(r.Parties[j].Name, err)
		}
		conns[j] = c
	}
	for j := 1; j < len(conns); j++ {
		c := conns[j]
		b, err := c.Recv(ctx)
		if err != nil {
			return nil, abort(c.Peer(), err)
		}
		sig, err := decodeSigMsg(b, j, digest)
		if err == nil {
			err = verifyParty(id, r, j, digest, sig)
		}
		if err != nil {
			return nil, abort(c.Peer(), err)
		}
		out.Signatures[j] = sig
	}
	var e enc
	e.u8(bundleMsgTag)
	e.digest(digest)
	for _, sig := range out.Signatures {
		encodeSig(&e, sig)
	}
	for j := 1; j < len(conns); j++ {
		if err := conns[j].Send(ctx, e.b); err != nil {
			return nil, fail(conns[j].Peer(), err)
		}
	}
	return out, nil
}

// ExchangeConn is [Exchange] for a two-party run over one connection: the
// receipt's two parties are this identity and the peer, in the receipt's
// order.
func ExchangeConn(ctx context.Context, id *transport.Identity, c transport.Conn, r *Receipt) (*SignedReceipt, error) {
	if len(r.Parties) != 2 {
		return nil, errs.Step("ledger", id.Name(), "signatures", c.Peer(), invalid("ExchangeConn needs a receipt of 2 parties, got %d", len(r.Parties)))
	}
	self := r.IndexOf(FingerprintOf(id))
	if self < 0 {
		return nil, errs.Step("ledger", id.Name(), "signatures", c.Peer(), invalid("this identity is not a party of the receipt"))
	}
	conns := make([]transport.Conn, 2)
	conns[1-self] = c
	m, err := transport.NewMesh(self, conns)
	if err != nil {
		return nil, err
	}
	return Exchange(ctx, id, m, r)
}

func decodeSigMsg(b []byte, from int, digest [DigestSize]byte) (Signature, error) {
	d := &dec{b: b, what: "signature message"}
	if tag := d.u8("tag"); d.err == nil && tag != sigMsgTag {
		d.off = 0
		d.fail("tag %#x, want %#x", tag, sigMsgTag)
	}
	idx := d.u32("party index")
	got := d.digest("receipt digest")
	sig := decodeSig(d)
	d.end()
	if d.err != nil {
		return Signature{}, d.err
	}
	if int64(idx) != int64(from) {
		return Signature{}, fmt.Errorf("%w: signature message says party %d, sent by party %d", ErrMalformed, idx, from)
	}
	if got != digest {
		return Signature{}, fmt.Errorf("%w: the peer signs a different receipt (digest %x, ours %x)", ErrMismatch, got[:8], digest[:8])
	}
	return sig, nil
}

func decodeBundle(b []byte, n int, digest [DigestSize]byte) ([]Signature, error) {
	if len(b) == 1 && b[0] == abortMsgTag {
		return nil, fmt.Errorf("%w: party 0 could not collect every signature", ErrAborted)
	}
	d := &dec{b: b, what: "signature bundle"}
	if tag := d.u8("tag"); d.err == nil && tag != bundleMsgTag {
		d.off = 0
		d.fail("tag %#x, want %#x", tag, bundleMsgTag)
	}
	got := d.digest("receipt digest")
	sigs := make([]Signature, n)
	for j := range sigs {
		sigs[j] = decodeSig(d)
	}
	d.end()
	if d.err != nil {
		return nil, d.err
	}
	if got != digest {
		return nil, fmt.Errorf("%w: party 0 signs a different receipt (digest %x, ours %x)", ErrMismatch, got[:8], digest[:8])
	}
	return sigs, nil
}
