package ledger

import (
	"context"
	"fmt"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/transport"
)

const sigMsgTag = 0x52 // 'R': one party's signature on a receipt

// Exchange is the last step of a run: the party id signs r, sends its
// signature to every other party of mesh m and receives theirs, checking
// each against id's CA, against the certificate r names for that party,
// and against r's digest (a peer that signed a different receipt is an
// error wrapping [ErrMismatch]). It returns the receipt signed by all.
//
// r.Parties must be in mesh order: party i of the receipt is mesh index i,
// and id is party m.Self(). Every pair of parties must be connected (a
// star, where spokes reach only the hub, is not supported yet). Errors
// read "ledger <name>, step signatures, peer <peer>: <cause>".
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
	var e enc
	e.u8(sigMsgTag)
	e.u32(uint32(self))
	e.digest(digest)
	encodeSig(&e, mine)
	msg := e.b

	conns := make([]transport.Conn, m.Size())
	for j := range conns {
		if j == self {
			continue
		}
		c, err := m.Conn(j)
		if err != nil {
			return nil, fail(r.Parties[j].Name, fmt.Errorf("%w: no link to party %d (a star is not supported): %w", ErrUnsupported, j, err))
		}
		conns[j] = c
	}
	// The messages are small: every send fits the peers' queues, so all
	// sends can go before any receive.
	for _, c := range conns {
		if c == nil {
			continue
		}
		if err := c.Send(ctx, msg); err != nil {
			return nil, fail(c.Peer(), err)
		}
	}
	out := &SignedReceipt{Receipt: *r, Signatures: make([]Signature, len(r.Parties))}
	out.Signatures[self] = mine
	for j, c := range conns {
		if c == nil {
			continue
		}
		b, err := c.Recv(ctx)
		if err != nil {
			return nil, fail(c.Peer(), err)
		}
		sig, err := decodeSigMsg(b, j, digest)
		if err == nil {
			err = verifyParty(id, r, j, digest, sig)
		}
		if err != nil {
			return nil, fail(c.Peer(), err)
		}
		out.Signatures[j] = sig
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
