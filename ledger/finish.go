package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/transport"
)

const (
	partyMsgTag = 0x50 // 'P': one party's own record, to party 0
	listMsgTag  = 0x4c // 'L': every party's record, from party 0
)

// Finish is the end of a run for party id of mesh m: the parties agree on
// the receipt and sign it. r holds what every party states alike (the
// protocol, parameters, security model, transcript hash, public leakage,
// spends, start and end) and no Parties; mine is this party's own record
// (its role, input commitment and Stats; Finish sets its Name and
// Fingerprint from id). In a first step ("parties") every party sends its
// record to party 0, which sends the list to all; then each builds the
// receipt with Parties in mesh order and [Exchange] signs it. Start and
// End are party 0's (the parties' clocks differ): the others take them from
// its list and sign them as given. A party that
// lies in its record, or a party 0 that relays different lists, makes the
// parties' receipts differ, which the signature step reports
// ([ErrMismatch]).
func Finish(ctx context.Context, id *transport.Identity, m transport.Mesh, r *Receipt, mine Party) (*SignedReceipt, error) {
	if len(r.Parties) != 0 {
		return nil, errs.Step("ledger", id.Name(), "parties", "", invalid("Finish builds Parties; the receipt given has %d", len(r.Parties)))
	}
	mine.Name, mine.Fingerprint = id.Name(), FingerprintOf(id)
	full := *r
	parties, err := exchangeParties(ctx, id, m, mine, &full)
	if err != nil {
		return nil, err
	}
	full.Parties = parties
	if err := full.Validate(); err != nil {
		return nil, errs.Step("ledger", id.Name(), "parties", "", err)
	}
	return Exchange(ctx, id, m, &full)
}

// FinishConn is [Finish] for two parties over one connection; self is this
// party's index (0 or 1), the other party's is 1-self.
func FinishConn(ctx context.Context, id *transport.Identity, c transport.Conn, self int, r *Receipt, mine Party) (*SignedReceipt, error) {
	if self != 0 && self != 1 {
		return nil, errs.Step("ledger", id.Name(), "parties", c.Peer(), invalid("self must be 0 or 1, got %d", self))
	}
	conns := make([]transport.Conn, 2)
	conns[1-self] = c
	m, err := transport.NewMesh(self, conns)
	if err != nil {
		return nil, err
	}
	return Finish(ctx, id, m, r, mine)
}

// exchangeParties collects every party's record through party 0, with
// party 0's Start and End, which the others adopt into r.
func exchangeParties(ctx context.Context, id *transport.Identity, m transport.Mesh, mine Party, r *Receipt) ([]Party, error) {
	self, n := m.Self(), m.Size()
	fail := func(peer string, err error) error {
		return errs.Step("ledger", id.Name(), "parties", peer, err)
	}
	if n > MaxParties {
		return nil, fail("", invalid("%d parties exceed %d", n, MaxParties))
	}
	if self != 0 {
		hub, err := m.Conn(0)
		if err != nil {
			return nil, fail("", err)
		}
		var e enc
		e.u8(partyMsgTag)
		encodeParty(&e, mine)
		if err := hub.Send(ctx, e.b); err != nil {
			return nil, fail(hub.Peer(), err)
		}
		b, err := hub.Recv(ctx)
		if err != nil {
			return nil, fail(hub.Peer(), err)
		}
		if len(b) == 1 && b[0] == abortMsgTag {
			return nil, fail(hub.Peer(), fmt.Errorf("%w: party 0 could not collect every party's record", ErrAborted))
		}
		d := &dec{b: b, what: "party list"}
		if tag := d.u8("tag"); d.err == nil && tag != listMsgTag {
			d.off = 0
			d.fail("tag %#x, want %#x", tag, listMsgTag)
		}
		if k := d.count("parties", MaxParties, minPartySize); d.err == nil && k != n {
			d.fail("%d parties for a mesh of %d", k, n)
		}
		parties := make([]Party, n)
		for j := range parties {
			parties[j] = decodeParty(d)
		}
		r.Start = time.Unix(0, d.i64("start")).UTC()
		r.End = time.Unix(0, d.i64("end")).UTC()
		d.end()
		if d.err != nil {
			return nil, fail(hub.Peer(), d.err)
		}
		if parties[self] != mine {
			return nil, fail(hub.Peer(), fmt.Errorf("%w: party 0 relays another record for this party", ErrMismatch))
		}
		return parties, nil
	}
	parties := make([]Party, n)
	parties[0] = mine
	conns := make([]transport.Conn, n)
	abort := func(peer string, err error) error {
		for _, c := range conns {
			if c != nil {
				_ = c.Send(ctx, []byte{abortMsgTag})
			}
		}
		return fail(peer, err)
	}
	for j := 1; j < n; j++ {
		c, err := m.Conn(j)
		if err != nil {
			return nil, abort("", err)
		}
		conns[j] = c
	}
	for j := 1; j < n; j++ {
		b, err := conns[j].Recv(ctx)
		if err != nil {
			return nil, abort(conns[j].Peer(), err)
		}
		d := &dec{b: b, what: "party record"}
		if tag := d.u8("tag"); d.err == nil && tag != partyMsgTag {
			d.off = 0
			d.fail("tag %#x, want %#x", tag, partyMsgTag)
		}
		parties[j] = decodeParty(d)
		d.end()
		if d.err != nil {
			return nil, abort(conns[j].Peer(), d.err)
		}
	}
	var e enc
	e.u8(listMsgTag)
	e.u32(uint32(n))
	for _, p := range parties {
		encodeParty(&e, p)
	}
	e.i64(r.Start.UnixNano())
	e.i64(r.End.UnixNano())
	for j := 1; j < n; j++ {
		if err := conns[j].Send(ctx, e.b); err != nil {
			return nil, fail(conns[j].Peer(), err)
		}
	}
	return parties, nil
}
