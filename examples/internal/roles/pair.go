package roles

import (
	"context"
	"fmt"
	"io"

	"github.com/veil-go/veil/transport"
)

// Pair is one side of a two-party example run as its own process: the
// -role, -listen/-connect, -tls-*/-demo-certs and -ledger flags, and the
// certificate names of both sides.
type Pair struct {
	Prog       string // the example's name, for messages
	Role       string // this party's -role value
	Self, Peer string // certificate names
	TLS        TLS
	// Listen or Connect: this party accepts the other on Listen (and writes
	// the demo CA for both names if needed) or dials it at Connect.
	Listen, Connect string
	Ledger          string // -ledger: the receipts' ledger DSN, or ""
}

// Session is a started [Pair]: its identity, the connection to the peer
// (through the receipt's transcript when -ledger is given) and the
// receipts (nil without -ledger).
type Session struct {
	ID       *transport.Identity
	Conn     transport.Conn
	Receipts *Receipts
}

// Start loads this party's identity (refusing a certificate with another
// name), opens the ledger before any message is sent, so that a ledger that
// does not open stops the run, and connects to the peer. Close ends it.
func (p Pair) Start(ctx context.Context, log io.Writer) (*Session, error) {
	var names []string
	if p.Listen != "" {
		names = []string{p.Self, p.Peer}
	}
	id, err := p.TLS.Identity(ctx, p.Self, names, p.Prog, log)
	if err != nil {
		return nil, err
	}
	if id.Name() != p.Self {
		return nil, fmt.Errorf("-tls-cert names %q, party %s must be %q", id.Name(), p.Role, p.Self)
	}
	rec, err := OpenReceipts(ctx, p.Ledger)
	if err != nil {
		return nil, err
	}
	var conn transport.Conn
	if p.Listen != "" {
		conn, err = Accept(ctx, p.Listen, id, p.Peer, p.Prog, "party "+p.Role, log)
	} else {
		conn, err = Dial(ctx, p.Connect, id, p.Peer)
	}
	if err != nil {
		rec.Close()
		return nil, err
	}
	if rec != nil {
		conn = rec.Transcript.Conn(p.Self, conn)
	}
	return &Session{ID: id, Conn: conn, Receipts: rec}, nil
}

// Transport describes the connection, for the example's report.
func (s *Session) Transport() string {
	return fmt.Sprintf("mutual TLS 1.3, %s talking to %s", s.ID.Name(), s.Conn.Peer())
}

// Close closes the connection and the ledger.
func (s *Session) Close() {
	s.Conn.Close()
	s.Receipts.Close()
}
