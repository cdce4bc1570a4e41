package psi

import (
	"bytes"
	"context"
	"fmt"
	"math"

	"github.com/veil-go/veil/transport"
)

// engine is one PSI protocol. The runner validates the inputs, removes
// duplicates and exchanges Hello; an engine runs the rest over conn. To add
// a protocol, implement engine in its own file and return it from engineFor.
type engine interface {
	// sender runs the sender's side; peer is the receiver's Hello, which
	// agrees with o.
	sender(ctx context.Context, conn transport.Conn, in *senderInput, peer *Hello, o Options) (*Result, error)
	// receiver runs the receiver's side; peer is the sender's Hello.
	receiver(ctx context.Context, conn transport.Conn, in *receiverInput, peer *Hello, o Options) (*Result, error)
}

// engineFor returns the engine of a protocol.
func engineFor(p Protocol) (engine, error) {
	switch p {
	case ECDH:
		return ecdhEngine{}, nil
	case KKRT:
		return kkrtEngine{}, nil
	}
	return nil, fmt.Errorf("%w: unknown protocol %d", ErrInvalidParams, int(p))
}

// receiverInput is the receiver's set without duplicates.
type receiverInput struct {
	items    [][]byte // distinct items, in order of first appearance
	distinct []int32  // distinct[i]: index in items of input i
}

// senderInput is the sender's set without duplicates, with merged payloads
// (Join) or summed values (Sum).
type senderInput struct {
	receiverInput
	payloads [][]byte
	values   []int64
}

// prepareSender validates the sender's set for the mode and merges
// duplicates: join payloads of one item must be equal (else ErrDuplicate),
// sum values of one item are added.
func prepareSender(set SenderSet, mode Mode, workers int) (*senderInput, error) {
	n := len(set.Items)
	switch {
	case mode == Join && len(set.Payloads) != n:
		return nil, fmt.Errorf("%w: join needs one payload per item (%d payloads, %d items)", ErrInvalidParams, len(set.Payloads), n)
	case mode != Join && set.Payloads != nil:
		return nil, fmt.Errorf("%w: payloads given in %s mode", ErrInvalidParams, mode)
	case mode == Sum && len(set.Values) != n:
		return nil, fmt.Errorf("%w: sum needs one value per item (%d values, %d items)", ErrInvalidParams, len(set.Values), n)
	case mode != Sum && set.Values != nil:
		return nil, fmt.Errorf("%w: values given in %s mode", ErrInvalidParams, mode)
	}
	ri, err := dedup(set.Items, workers)
	if err != nil {
		return nil, err
	}
	in := &senderInput{receiverInput: ri}
	switch mode {
	case Join:
		in.payloads = make([][]byte, len(ri.items))
		have := make([]bool, len(ri.items))
		for i, p := range set.Payloads {
			if len(p) > MaxPayload {
				return nil, fmt.Errorf("%w: payload %d is %d bytes, above %d", ErrInvalidParams, i, len(p), MaxPayload)
			}
			d := ri.distinctOf(i)
			if !have[d] {
				in.payloads[d], have[d] = p, true
			} else if !bytes.Equal(in.payloads[d], p) {
				return nil, fmt.Errorf("%w: item %d repeats an earlier item with another payload", ErrDuplicate, i)
			}
		}
	case Sum:
		in.values = make([]int64, len(ri.items))
		for i, v := range set.Values {
			if v < -MaxValue || v > MaxValue {
				return nil, fmt.Errorf("%w: value %d of item %d outside [-2^40, 2^40]", ErrInvalidParams, v, i)
			}
			d := ri.distinctOf(i)
			s := in.values[d] + v
			if s < -math.MaxInt64/2 || s > math.MaxInt64/2 {
				return nil, fmt.Errorf("%w: values of the copies of item %d add up beyond 2^62", ErrInvalidParams, i)
			}
			in.values[d] = s
		}
	}
	return in, nil
}

// RunSender runs the sender's side of a PSI over conn. The sender holds set
// (with payloads in Join mode, values in Sum mode) and learns nothing unless
// opts.RevealToBoth. Both parties must pass equal Protocol, Mode,
// RevealToBoth and TagLen. Duplicates in set.Items are merged first (see the
// package doc).
func RunSender(ctx context.Context, conn transport.Conn, set SenderSet, opts Options) (*Result, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	in, err := prepareSender(set, o.Mode, o.Workers)
	if err != nil {
		return nil, err
	}
	return run(ctx, conn, RoleSender, len(in.items), o, func(e engine, peer *Hello) (*Result, error) {
		return e.sender(ctx, conn, in, peer, o)
	})
}

// RunReceiver runs the receiver's side of a PSI over conn and returns what
// the mode reveals to it. Duplicates in items are merged first; Indices then
// lists every copy of a shared item.
func RunReceiver(ctx context.Context, conn transport.Conn, items [][]byte, opts Options) (*Result, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	in, err := dedup(items, o.Workers)
	if err != nil {
		return nil, err
	}
	return run(ctx, conn, RoleReceiver, len(in.items), o, func(e engine, peer *Hello) (*Result, error) {
		return e.receiver(ctx, conn, &in, peer, o)
	})
}

// run exchanges Hello, checks that the peer agrees, and hands over to the
// protocol's engine.
func run(ctx context.Context, conn transport.Conn, role Role, count int, o Options, body func(engine, *Hello) (*Result, error)) (*Result, error) {
	if conn == nil {
		return nil, fmt.Errorf("%w: nil connection", ErrInvalidParams)
	}
	e, err := engineFor(o.Protocol)
	if err != nil {
		return nil, err
	}
	start := conn.Stats()
	c := &stepConn{conn: conn, role: role}
	mine := newHello(role, count, o)
	if err := c.send(ctx, "hello", mine); err != nil {
		return nil, err
	}
	var theirs Hello
	if err := c.recv(ctx, "hello", &theirs); err != nil {
		return nil, err
	}
	if err := mine.agrees(&theirs); err != nil {
		return nil, c.wrap("hello", err)
	}
	res, err := body(e, &theirs)
	if err != nil {
		return nil, err
	}
	res.Protocol, res.Mode = o.Protocol, o.Mode
	end := conn.Stats()
	res.Stats = transport.Stats{
		BytesSent:        end.BytesSent - start.BytesSent,
		BytesReceived:    end.BytesReceived - start.BytesReceived,
		MessagesSent:     end.MessagesSent - start.MessagesSent,
		MessagesReceived: end.MessagesReceived - start.MessagesReceived,
	}
	return res, nil
}

// agrees checks a peer's Hello against ours.
func (h *Hello) agrees(p *Hello) error {
	switch {
	case p.Version != h.Version:
		return fmt.Errorf("%w: peer speaks version %d, we speak %d", ErrMismatch, p.Version, h.Version)
	case p.Role == h.Role:
		return fmt.Errorf("%w: both parties run as role %d", ErrMismatch, h.Role)
	case p.Protocol != h.Protocol:
		return fmt.Errorf("%w: peer runs protocol %s, we run %s", ErrMismatch, p.Protocol, h.Protocol)
	case p.Mode != h.Mode:
		return fmt.Errorf("%w: peer runs mode %s, we run %s", ErrMismatch, p.Mode, h.Mode)
	case p.RevealToBoth != h.RevealToBoth:
		return fmt.Errorf("%w: peer RevealToBoth=%v, ours %v", ErrMismatch, p.RevealToBoth, h.RevealToBoth)
	case p.TagLen != h.TagLen:
		return fmt.Errorf("%w: peer TagLen=%d, ours %d", ErrMismatch, p.TagLen, h.TagLen)
	}
	return nil
}

// Message is what every message type of the protocols implements; see
// DecodeMessage.
type Message interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// newHello is a party's Hello for its options.
func newHello(role Role, count int, o Options) *Hello {
	return &Hello{Version: protocolVersion, Role: role, Protocol: o.Protocol, Mode: o.Mode,
		RevealToBoth: o.RevealToBoth, TagLen: o.TagLen, Count: uint64(count)}
}

// stepConn sends and receives typed messages and names the role, step and
// peer in its errors.
type stepConn struct {
	conn transport.Conn
	role Role
}

func (c *stepConn) wrap(step string, err error) error {
	who := "sender"
	if c.role == RoleReceiver {
		who = "receiver"
	}
	return fmt.Errorf("psi %s, step %s, peer %q: %w", who, step, c.conn.Peer(), err)
}

// check wraps a local step's error, if any.
func (c *stepConn) check(step string, err error) error {
	if err != nil {
		return c.wrap(step, err)
	}
	return nil
}

func (c *stepConn) send(ctx context.Context, step string, m Message) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return c.wrap(step, err)
	}
	if err := c.conn.Send(ctx, b); err != nil {
		return c.wrap(step, err)
	}
	return nil
}

func (c *stepConn) recv(ctx context.Context, step string, m Message) error {
	b, err := c.conn.Recv(ctx)
	if err != nil {
		return c.wrap(step, err)
	}
	if err := m.UnmarshalBinary(b); err != nil {
		return c.wrap(step, err)
	}
	return nil
}

// recvRaw returns the next message undecoded, for steps that accept several
// kinds.
func (c *stepConn) recvRaw(ctx context.Context, step string) ([]byte, error) {
	b, err := c.conn.Recv(ctx)
	if err != nil {
		return nil, c.wrap(step, err)
	}
	return b, nil
}

// pipeline sends n batches built by produce, keeping at most window of them
// unanswered, and hands each of the n answers to consume in order. It is how
// a party streams with bounded memory: the peer answers or acknowledges each
// batch.
func pipeline(ctx context.Context, n, window int, produce func(k int) error, consume func(k int) error) error {
	sent, got := 0, 0
	for got < n {
		if sent < n && sent-got < window {
			if err := produce(sent); err != nil {
				return err
			}
			sent++
			continue
		}
		if err := consume(got); err != nil {
			return err
		}
		got++
	}
	return nil
}

// progress reports done/total if the caller asked for it.
type progress struct {
	fn          func(done, total int)
	done, total int
}

func (p *progress) add(n int) {
	p.done += n
	if p.fn != nil {
		p.fn(p.done, p.total)
	}
}
