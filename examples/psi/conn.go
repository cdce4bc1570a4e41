package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/veil-go/veil/examples/internal/roles"
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/psi"
	"github.com/veil-go/veil/transport"
)

// Party names, the common names of their certificates with -role.
const (
	nameA = "party-a"
	nameB = "party-b"
)

// loopback connects A and B in this process over mutual TLS 1.3 on
// 127.0.0.1, with a throwaway CA. close ends both sides.
func loopback(ctx context.Context) (a, b transport.Conn, close func(), desc string, err error) {
	meshes, err := transport.NewTLSLoopbackMesh(ctx, 2, transport.Options{})
	if err != nil {
		return nil, nil, nil, "", err
	}
	close = func() {
		for _, m := range meshes {
			m.Close()
		}
	}
	if a, err = meshes[0].Conn(1); err == nil {
		b, err = meshes[1].Conn(0)
	}
	if err != nil {
		close()
		return nil, nil, nil, "", err
	}
	return a, b, close, "mutual TLS 1.3 on 127.0.0.1 (throwaway CA), both parties in this process", nil
}

// runRole runs one party as its own process: A (receiver) or B (sender).
func runRole(ctx context.Context, c *config, stdout, stderr io.Writer) error {
	self, peer := nameA, nameB
	if c.role == "b" {
		self, peer = nameB, nameA
	}
	if c.role == "a" && c.a == "" || c.role == "b" && c.b == "" {
		return fmt.Errorf("-role %s needs this party's file -%s", c.role, c.role)
	}
	if err := checkPolicy(c, peer); err != nil { // before any connection
		return err
	}
	a, b, err := load(c)
	if err != nil {
		return err
	}
	own, set := a, psi.Set{}
	if b != nil {
		if set, err = senderSet(c, b); err != nil {
			return err
		}
		own = b
	} else {
		set.Items = psi.Items(a.ids)
	}
	var input ledger.Commitment // with -opening
	var open ledger.Opening
	if c.opening != "" {
		if input, open, err = ledger.Commit(inputEncoding(c.value, set)); err != nil {
			return err
		}
	}
	s, err := roles.Pair{Prog: "psi", Role: c.role, Self: self, Peer: peer, TLS: c.tls,
		Listen: c.listen, Connect: c.connect, Ledger: c.ledger}.Start(ctx, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	id, conn, rec := s.ID, s.Conn, s.Receipts
	o := &outcome{a: a, b: b, transport: s.Transport()}
	start := time.Now()
	var res *psi.Result
	if c.role == "a" {
		res, err = psi.RunReceiver(ctx, conn, set, opts(c, progressFor(c, stderr, "A")))
		o.recv = res
	} else {
		res, err = psi.RunSender(ctx, conn, set, opts(c, progressFor(c, stderr, "B")))
		o.send = res
	}
	if err != nil {
		return err
	}
	o.seconds = time.Since(start).Seconds()
	o.bytes = res.Stats.BytesSent + res.Stats.BytesReceived
	if rec != nil {
		if o.receipt, err = finishReceipt(ctx, rec, c, id, conn, res, input); err != nil {
			return err
		}
		if c.opening != "" {
			if err := writeOpening(c, own, o.receipt, input, open); err != nil {
				return err
			}
		}
	}
	return finish(c, o, stdout)
}
