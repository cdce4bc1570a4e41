package roles

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/transport"
)

// Receipts records a two-party run in this party's ledger (-ledger): it
// opens the ledger before any message is sent, hashes the run's messages
// (Transcript.Conn wraps the connection), and at the end agrees on the
// receipt with the other party, checks both signatures and appends it.
type Receipts struct {
	Ledger     *ledger.Ledger
	Transcript ledger.Transcript
	Start      time.Time
}

// OpenReceipts opens the ledger at dsn; with no dsn it returns nil, which
// records nothing and which Close accepts.
func OpenReceipts(ctx context.Context, dsn string) (*Receipts, error) {
	if dsn == "" {
		return nil, nil
	}
	l, err := ledger.Open(ctx, ledger.Config{DSN: dsn})
	if err != nil {
		return nil, err
	}
	return &Receipts{Ledger: l, Start: time.Now()}, nil
}

// Close closes the ledger, if there is one.
func (r *Receipts) Close() {
	if r != nil {
		r.Ledger.Close()
	}
}

// Finish agrees on rc over conn as party self (0 or 1), with this run's
// transcript, its start (FinishConn takes party 0's start and end) and now
// as its end; it checks the signatures, appends the receipt and returns its
// digest in hex.
func (r *Receipts) Finish(ctx context.Context, id *transport.Identity, conn transport.Conn, self int, rc *ledger.Receipt, mine ledger.Party) (string, error) {
	rc.Transcript = r.Transcript.Sum()
	rc.Start, rc.End = r.Start, time.Now()
	s, err := ledger.FinishConn(ctx, id, conn, self, rc, mine)
	if err != nil {
		return "", err
	}
	return Record(ctx, r.Ledger, id, s)
}

// Record checks every signature on s, appends it to l and returns the
// receipt's digest in hex.
func Record(ctx context.Context, l *ledger.Ledger, id *transport.Identity, s *ledger.SignedReceipt) (string, error) {
	if err := s.Verify(id); err != nil {
		return "", err
	}
	if _, err := l.AppendReceipt(ctx, s); err != nil {
		return "", err
	}
	d, err := s.Receipt.Digest()
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(d[:]), nil
}
