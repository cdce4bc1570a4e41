package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/veil-go/veil/examples/internal/roles"
	"github.com/veil-go/veil/internal/progress"
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/psi"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// Party names, the common names of their certificates with -role (the
// same as examples/psi's, so one demo CA serves both).
const (
	nameA = "party-a" // the bank, mesh index 0, PSI receiver
	nameB = "party-b" // the shop, mesh index 1, PSI sender
)

// runRole runs one party as its own process: the bank (-role a) or the
// shop (-role b), over one mutual-TLS connection that carries the PSI
// alignment, the dealer-free preprocessing and the MPC phase in turn.
func runRole(ctx context.Context, c *config, stdout, stderr io.Writer) error {
	self, peer, idx := nameA, nameB, 0
	if c.role == "b" {
		self, peer, idx = nameB, nameA, 1
	}
	if err := checkPolicy(c, peer); err != nil { // before any connection
		return err
	}
	me, other, err := loadOwn(c)
	if err != nil {
		return err
	}
	s, err := roles.Pair{Prog: "vertical", Role: c.role, Self: self, Peer: peer, TLS: c.tls,
		Listen: c.listen, Connect: c.connect, Ledger: c.ledger}.Start(ctx, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	id, conn, rec := s.ID, s.Conn, s.Receipts
	res := &result{prep: c.prep, role: c.role, transport: s.Transport()}
	start := time.Now()
	prog := progress.New(stderr, "vertical", c.json)
	prog.Phase("aligning %d customers by private set intersection", len(me.ids))
	shared, pres, err := alignAs(ctx, c.protocol, conn, idx, me, prog)
	if err != nil {
		return fmt.Errorf("aligning customers by PSI: %w", err)
	}
	res.psiSeconds = time.Since(start).Seconds()
	res.aligned = len(shared)
	res.psiBytes = pres.Stats.BytesSent + pres.Stats.BytesReceived
	res.psiScheme = psiScheme(c.protocol, len(shared))
	other.size = peerSize(pres.Leakage, idx)
	if len(shared) < 2 {
		return fmt.Errorf("the parties share %d customer IDs; correlation needs at least 2", len(shared))
	}
	mpcStart := time.Now()
	prog.Phase("%d shared customers aligned in %.1f s; computing the statistics on shares", len(shared), res.psiSeconds)
	conns := make([]transport.Conn, 2)
	conns[1-idx] = conn
	mesh, err := transport.NewMesh(idx, conns)
	if err != nil {
		return err
	}
	lr, err := correlateAs(ctx, mesh, nil, pick(me, shared))
	if err != nil {
		return fmt.Errorf("computing on shares: %w", err)
	}
	res.mpcSeconds = time.Since(mpcStart).Seconds()
	st := lr.Stats.Stats // this party's traffic: what it sent and received is what both sent
	setMPC(res, lr, transport.Stats{BytesSent: st.BytesSent + st.BytesReceived, MessagesSent: st.MessagesSent + st.MessagesReceived})
	res.seconds = time.Since(start).Seconds()
	if rec != nil {
		if res.receipt, err = finishReceipt(ctx, rec, c, id, conn, idx, pres, lr); err != nil {
			return fmt.Errorf("receipt: %w", err)
		}
	}
	bank, shop := me, other
	if idx == 1 {
		bank, shop = other, me
	}
	return output(stdout, c, bank, shop, res)
}

// loadOwn reads this party's file, or makes its half of the synthetic
// data; other stands for the party in the other process.
func loadOwn(c *config) (me, other *holder, err error) {
	if c.a == "" && c.b == "" {
		bank, shop, err := synthetic(c.rows, c.seed, c.x, c.y)
		if err != nil {
			return nil, nil, err
		}
		if c.role == "b" {
			bank, shop = shop, bank
		}
		me, other = bank, shop
	} else if c.role == "a" {
		if me, err = readHolder("bank", c.a, c.key, c.x); err != nil {
			return nil, nil, err
		}
		other = &holder{name: "shop", column: c.y}
	} else {
		if me, err = readHolder("shop", c.b, c.key, c.y); err != nil {
			return nil, nil, err
		}
		other = &holder{name: "bank", column: c.x}
	}
	other.ids, other.values = nil, nil // this process knows nothing of them
	other.source = "the other party's process"
	return me, other, nil
}

// alignAs runs PSI as one party over conn: the bank (idx 0) as receiver,
// the shop (idx 1) as sender, the intersection revealed to both; it
// returns this party's shared IDs sorted, so that row k of both aligned
// columns is the same customer.
func alignAs(ctx context.Context, proto psi.Protocol, conn transport.Conn, idx int, h *holder, prog *progress.Meter) ([]string, *psi.Result, error) {
	opts := psi.Config{Protocol: proto, Mode: psi.Intersection, RevealToBoth: true}
	var res *psi.Result
	var err error
	if idx == 0 {
		opts.Progress = prog.Items("aligning (bank)")
		res, err = psi.RunReceiver(ctx, conn, psi.Set{Items: psi.Items(h.ids)}, opts)
	} else {
		res, err = psi.RunSender(ctx, conn, psi.Set{Items: psi.Items(h.ids)}, opts)
	}
	if err != nil {
		return nil, nil, err
	}
	return sortedAt(h.ids, res.Indices), res, nil
}

// peerSize is the other party's number of distinct IDs, from the PSI
// leakage statement of party idx.
func peerSize(l report.Leakage, idx int) int {
	to, about := "receiver", "sender"
	if idx == 1 {
		to, about = "sender", "receiver"
	}
	for _, d := range l {
		if d.To == to && d.About == about && d.What == report.InputSize {
			return int(d.Count)
		}
	}
	return 0
}

// finishReceipt agrees on the receipt over conn (the bank is party 0, the
// shop party 1), checks it and appends it to rec's ledger, which hashed the
// run's messages (PSI, preprocessing and MPC); it returns the receipt's
// digest in hex.
func finishReceipt(ctx context.Context, rec *roles.Receipts, c *config, id *transport.Identity, conn transport.Conn, idx int, pres *psi.Result, lr *linReg) (string, error) {
	role := "bank"
	if idx == 1 {
		role = "shop"
	}
	leak := append(append(report.Leakage{}, pres.Leakage...), lr.Leakage...)
	rc := &ledger.Receipt{
		Protocol:      "vertical: psi/" + c.protocol.String() + " intersection, mpc correlation",
		Version:       1,
		Params:        fmt.Appendf(nil, "psi=%s preprocessing=%s columns=%s,%s", c.protocol, c.prep, c.x, c.y),
		SecurityModel: "semi-honest, two parties, dishonest majority; dealer-free preprocessing by oblivious transfer, no third party",
		Leakage:       ledger.PublicLeakage(leak),
	}
	st := report.Stats{Stats: pres.Stats.Add(lr.Stats.Stats), Duration: pres.Stats.Duration + lr.Stats.Duration}
	return rec.Finish(ctx, id, conn, idx, rc, ledger.Party{Role: role, Stats: st})
}

// checkPolicy refuses, before any connection, a run that this party's
// -policy does not allow: the alignment (protocol psi, mode intersection,
// on the ID column) and the statistics (protocol mpc, mode correlation,
// on the ID and value columns) must both be allowed with the other party.
func checkPolicy(c *config, peer string) error {
	file, col := c.a, c.x
	if c.role == "b" {
		file, col = c.b, c.y
	}
	dataset := roles.Dataset(c.dataset, file, "synthetic")
	return roles.CheckPolicy(c.policy,
		ledger.Request{Dataset: dataset, Columns: []string{c.key}, Counterparty: peer, Protocol: "psi", Mode: "intersection"},
		ledger.Request{Dataset: dataset, Columns: []string{c.key, col}, Counterparty: peer, Protocol: "mpc", Mode: "correlation"})
}
