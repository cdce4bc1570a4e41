package psi

import (
	"context"
	"errors"
	"fmt"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/internal/kkrt"
	"github.com/veil-go/veil/transport"
)

// KKRT engine: OT-based PSI (Kolesnikov, Kumaresan, Rosulek, Trieu, CCS
// 2016) from internal/kkrt, after the runner's helloMsg:
//
//	R -> S  kkrt hello: distinct count, cuckoo bins, cuckoo hash key
//	S -> R  kkrt hello: distinct count, code key
//	        128 base OTs (ristretto255) and their IKNP extension to 512
//	R -> S  OT extension: 512 bits per cuckoo bin (1.27 bins per item for large sets)
//	S -> R  OPRF values: 3 per sender item, max(TagLen, lambda+log2(3nm+m^2/2)) bits
//	        rounded up to bytes, in a random order (m receiver items), in chunks
//	R -> S  a 6-byte acknowledgement per chunk (at most 4 chunks unanswered)
//	R -> S  (RevealToBoth) matchesMsg: bitmap over the sender's stream order
//
// It serves Intersection and Join (with or without RevealToBoth). In Join
// mode each sender item also carries its payload sealed with AES-128-GCM
// under a fresh key, sent masked by each of the item's 3 OPRF keys (16
// bytes each): the receiver opens the payloads of its matches and sees
// every payload's length, as with ECDH. It does not serve Cardinality or
// Sum: in KKRT the receiver compares the sender's values with its own OPRF
// outputs, so it learns which of its items matched, while those modes
// promise it learns nothing about which. Both return ErrUnsupported; use
// ECDH.
//
// Each party accepts a peer set of at most kkrt.DefaultMaxPeerItems (2^24)
// distinct items with KKRT (the sender keeps ~81 bytes per receiver item).
type kkrtEngine struct{}

// kkrtCheck rejects the modes KKRT cannot serve with its guarantees.
func kkrtCheck(o Config) error {
	if o.Mode != Intersection && o.Mode != Join {
		return fmt.Errorf("%w: KKRT serves Intersection and Join only (in %s mode the receiver would learn which items match); use ECDH",
			ErrUnsupported, o.Mode)
	}
	return nil
}

// kkrtConfig is the configuration of internal/kkrt for a run.
func kkrtConfig(o Config) kkrt.Config {
	return kkrt.Config{Workers: o.Workers, MinValueBytes: min(o.TagLen, 16)}
}

// kkrtError makes an error of internal/kkrt an error of this package's
// step "kkrt <phase>" (for example "kkrt oprf"), without a second prefix.
func kkrtError(c *stepConn, err error) error {
	var se *errs.StepError
	if errors.As(err, &se) && se.Pkg == "kkrt" {
		return errs.Step("psi", c.role.String(), "kkrt "+se.Step, se.Peer, se.Err)
	}
	return c.wrap("kkrt", err)
}

// checkPeerCount compares the count the peer announced to KKRT with its
// helloMsg's.
func checkPeerCount(got int, peer *helloMsg) error {
	if uint64(got) != peer.Count {
		return fmt.Errorf("%w: peer announced %d distinct items, its hello said %d", ErrMalformed, got, peer.Count)
	}
	return nil
}

func (kkrtEngine) receiver(ctx context.Context, conn transport.Conn, in *receiverInput, peer *helloMsg, o Config) (*Result, error) {
	c := &stepConn{conn: conn, role: roleReceiver}
	if err := kkrtCheck(o); err != nil {
		return nil, c.wrap("kkrt", err)
	}
	kr, err := kkrt.Receive(ctx, conn, in.items, kkrtConfig(o))
	if err != nil {
		return nil, kkrtError(c, err)
	}
	if err := checkPeerCount(kr.Stats.PeerItems, peer); err != nil {
		return nil, c.wrap("kkrt", err)
	}
	matched := make([]bool, len(in.items))
	for _, i := range kr.Intersection {
		matched[i] = true
	}
	res := &Result{Learned: true, Cardinality: len(kr.Intersection), Indices: in.indicesOf(matched)}
	if o.Mode == Join {
		if len(kr.Payloads) != len(kr.Intersection) {
			return nil, c.wrap("kkrt", fmt.Errorf("%w: join without payloads", ErrMalformed))
		}
		payloadOf := make([][]byte, len(in.items))
		for k, d := range kr.Intersection {
			payloadOf[d] = kr.Payloads[k]
		}
		res.Payloads = make([][]byte, len(res.Indices))
		for k, i := range res.Indices {
			res.Payloads[k] = payloadOf[in.distinctOf(i)]
		}
	}
	kkrtProgress(o, in, peer)
	if o.RevealToBoth {
		m := &matchesMsg{N: uint32(peer.Count), Bitmap: make([]byte, (peer.Count+7)/8)}
		for _, p := range kr.SenderMatches {
			m.Bitmap[p/8] |= 1 << (p % 8)
		}
		if err := c.send(ctx, "reveal", m); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (kkrtEngine) sender(ctx context.Context, conn transport.Conn, in *senderInput, peer *helloMsg, o Config) (*Result, error) {
	c := &stepConn{conn: conn, role: roleSender}
	if err := kkrtCheck(o); err != nil {
		return nil, c.wrap("kkrt", err)
	}
	kc := kkrtConfig(o)
	if o.Mode == Join {
		kc.Payloads = in.payloads
	}
	ks, err := kkrt.Send(ctx, conn, in.items, kc)
	if err != nil {
		return nil, kkrtError(c, err)
	}
	if err := checkPeerCount(ks.Stats.PeerItems, peer); err != nil {
		return nil, c.wrap("kkrt", err)
	}
	kkrtProgress(o, &in.receiverInput, peer)
	res := &Result{}
	if o.RevealToBoth {
		var m matchesMsg
		if err := c.recv(ctx, "reveal", &m); err != nil {
			return nil, err
		}
		if int(m.N) != len(ks.Order) {
			return nil, c.wrap("reveal", fmt.Errorf("%w: matches over %d items, we streamed %d", ErrMalformed, m.N, len(ks.Order)))
		}
		matched := make([]bool, len(in.items))
		for p, idx := range ks.Order {
			if m.Bitmap[p/8]>>(p%8)&1 == 1 {
				matched[idx] = true
				res.Cardinality++
			}
		}
		res.Learned, res.Indices = true, in.indicesOf(matched)
	}
	return res, nil
}

// kkrtProgress reports the run as done: KKRT works on whole sets at once,
// so Config.Progress is called once, at the end.
func kkrtProgress(o Config, in *receiverInput, peer *helloMsg) {
	if o.Progress != nil {
		total := len(in.items) + int(peer.Count)
		o.Progress(total, total)
	}
}
