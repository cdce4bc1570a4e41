package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/psi"
	"github.com/veil-go/veil/transport"
)

// receipts records a run in this party's ledger (-ledger): it opens the
// ledger before any message is sent, hashes the run's messages, and at the
// end agrees on the receipt with the other party, checks both signatures
// and appends it.
type receipts struct {
	l     *ledger.Ledger
	tr    ledger.Transcript
	start time.Time
}

func openReceipts(ctx context.Context, c *config) (*receipts, error) {
	if c.ledger == "" {
		return nil, nil
	}
	l, err := ledger.Open(ctx, ledger.Config{DSN: c.ledger})
	if err != nil {
		return nil, err
	}
	return &receipts{l: l, start: time.Now()}, nil
}

func (r *receipts) close() {
	if r != nil {
		r.l.Close()
	}
}

// finish agrees on the receipt over conn (A is party 0, B party 1), checks
// it and appends it; it returns the receipt's digest in hex. input is this
// party's commitment to its input (-opening), or zero.
func (r *receipts) finish(ctx context.Context, c *config, id *transport.Identity, conn transport.Conn, res *psi.Result, input ledger.Commitment) (string, error) {
	self, role := 0, "receiver"
	if c.role == "b" {
		self, role = 1, "sender"
	}
	rc := &ledger.Receipt{
		Protocol:      "psi/" + c.protocol.String() + " " + c.mode.String(),
		Version:       1,
		Params:        fmt.Appendf(nil, "min-sum=%d lattice-sum=%t", c.minSum, c.lattice), // the sum path is a parameter both agree on
		SecurityModel: "semi-honest, two parties",
		Transcript:    r.tr.Sum(),
		Leakage:       ledger.PublicLeakage(res.Leakage),
		Start:         r.start, // FinishConn takes A's (party 0's) start and end
		End:           time.Now(),
	}
	s, err := ledger.FinishConn(ctx, id, conn, self, rc, ledger.Party{Role: role, Input: input, Stats: res.Stats})
	if err != nil {
		return "", err
	}
	if err := s.Verify(id); err != nil {
		return "", err
	}
	if _, err := r.l.AppendReceipt(ctx, s); err != nil {
		return "", err
	}
	d, err := s.Receipt.Digest()
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(d[:]), nil
}

// checkPolicy refuses, before any connection, a run that this party's
// -policy does not allow.
func checkPolicy(c *config, peer string) error {
	if c.policy == "" {
		return nil
	}
	p, err := ledger.LoadPolicy(c.policy)
	if err != nil {
		return err
	}
	file := c.a
	if c.role == "b" {
		file = c.b
	}
	dataset := c.dataset
	if dataset == "" {
		dataset = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	cols := []string{c.key}
	if c.role == "b" && (c.mode == psi.Join || c.mode == psi.Sum) {
		cols = append(cols, c.value)
	}
	_, err = p.Check(ledger.Request{Dataset: dataset, Columns: cols, Counterparty: peer, Protocol: "psi", Mode: c.mode.String(), MinIntersection: int64(c.minSum)})
	return err
}
