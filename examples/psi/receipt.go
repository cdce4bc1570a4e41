package main

import (
	"context"
	"fmt"

	"github.com/veil-go/veil/examples/internal/roles"
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/psi"
	"github.com/veil-go/veil/transport"
)

// finishReceipt agrees on the receipt over conn (A is party 0, B party 1),
// checks it and appends it to rec's ledger; it returns the receipt's digest
// in hex. input is this party's commitment to its input (-opening), or zero.
func finishReceipt(ctx context.Context, rec *roles.Receipts, c *config, id *transport.Identity, conn transport.Conn, res *psi.Result, input ledger.Commitment) (string, error) {
	self, role := 0, "receiver"
	if c.role == "b" {
		self, role = 1, "sender"
	}
	rc := &ledger.Receipt{
		Protocol:      "psi/" + c.protocol.String() + " " + c.mode.String(),
		Version:       1,
		Params:        fmt.Appendf(nil, "min-sum=%d lattice-sum=%t", c.minSum, c.lattice), // the sum path is a parameter both agree on
		SecurityModel: "semi-honest, two parties",
		Leakage:       ledger.PublicLeakage(res.Leakage),
	}
	return rec.Finish(ctx, id, conn, self, rc, ledger.Party{Role: role, Input: input, Stats: res.Stats})
}

// checkPolicy refuses, before any connection, a run that this party's
// -policy does not allow.
func checkPolicy(c *config, peer string) error {
	file := c.a
	if c.role == "b" {
		file = c.b
	}
	cols := []string{c.key}
	if c.role == "b" && (c.mode == psi.Join || c.mode == psi.Sum) {
		cols = append(cols, c.value)
	}
	return roles.CheckPolicy(c.policy, ledger.Request{Dataset: roles.Dataset(c.dataset, file, ""), Columns: cols,
		Counterparty: peer, Protocol: "psi", Mode: c.mode.String(), MinIntersection: int64(c.minSum)})
}
