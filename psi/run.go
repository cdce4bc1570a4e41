package psi

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// engine is one PSI protocol. The runner validates the inputs, removes
// duplicates and exchanges helloMsg; an engine runs the rest over conn. To add
// a protocol, implement engine in its own file and return it from engineFor.
type engine interface {
	// sender runs the sender's side; peer is the receiver's helloMsg, which
	// agrees with o.
	sender(ctx context.Context, conn transport.Conn, in *senderInput, peer *helloMsg, o Config) (*Result, error)
	// receiver runs the receiver's side; peer is the sender's helloMsg.
	receiver(ctx context.Context, conn transport.Conn, in *receiverInput, peer *helloMsg, o Config) (*Result, error)
}

// engineFor returns the engine of a protocol.
func engineFor(p Protocol) (engine, error) {
	switch p {
	case ECDH:
		return ecdhEngine{}, nil
	case KKRT:
		return kkrtEngine{}, nil
	}
	return nil, fmt.Errorf("psi: %w: unknown protocol %d", ErrInvalidParams, int(p))
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
func prepareSender(set Set, mode Mode, workers int, lattice bool) (*senderInput, error) {
	n := len(set.Items)
	switch {
	case mode == Join && len(set.Payloads) != n:
		return nil, fmt.Errorf("psi: %w: the sender's set needs one payload per item in join mode (%d payloads, %d items)", ErrInvalidParams, len(set.Payloads), n)
	case mode != Join && set.Payloads != nil:
		return nil, fmt.Errorf("psi: %w: the sender's set has payloads, which only join mode uses, in %s mode", ErrInvalidParams, mode)
	case mode == Sum && len(set.Values) != n:
		return nil, fmt.Errorf("psi: %w: the sender's set needs one value per item in sum mode (%d values, %d items)", ErrInvalidParams, len(set.Values), n)
	case mode != Sum && set.Values != nil:
		return nil, fmt.Errorf("psi: %w: the sender's set has values, which only sum mode uses, in %s mode", ErrInvalidParams, mode)
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
				return nil, fmt.Errorf("psi: %w: payload %d is %d bytes, above %d", ErrInvalidParams, i, len(p), MaxPayload)
			}
			d := ri.distinctOf(i)
			if !have[d] {
				in.payloads[d], have[d] = p, true
			} else if !bytes.Equal(in.payloads[d], p) {
				return nil, fmt.Errorf("psi: %w: item %d repeats an earlier item with another payload", ErrDuplicate, i)
			}
		}
	case Sum:
		in.values = make([]int64, len(ri.items))
		var abs uint64 // the sum of |values|, which bounds every sum (lattice)
		for i, v := range set.Values {
			if lattice {
				// abs >= |v|, and cannot wrap: at most 2^62 + 2^63 here.
				if abs += absInt64(v); abs > MaxLatticeSum {
					return nil, fmt.Errorf("psi: %w: the |values| add up beyond 2^62 at item %d (Config.LatticeSum)", ErrInvalidParams, i)
				}
			} else if v < -MaxValue || v > MaxValue {
				return nil, fmt.Errorf("psi: %w: value %d of item %d outside [-2^40, 2^40]", ErrInvalidParams, v, i)
			}
			d := ri.distinctOf(i)
			s := in.values[d] + v
			if s < -math.MaxInt64/2 || s > math.MaxInt64/2 {
				return nil, fmt.Errorf("psi: %w: values of the copies of item %d add up beyond 2^62", ErrInvalidParams, i)
			}
			in.values[d] = s
		}
	}
	return in, nil
}

// prepareReceiver validates the receiver's set, which is items only in
// every mode (payloads and values are the sender's), and removes
// duplicates.
func prepareReceiver(set Set, mode Mode, workers int) (*receiverInput, error) {
	switch {
	case set.Payloads != nil:
		return nil, fmt.Errorf("psi: %w: the receiver's set has payloads (%s mode): only the sender's set carries payloads (join)", ErrInvalidParams, mode)
	case set.Values != nil:
		return nil, fmt.Errorf("psi: %w: the receiver's set has values (%s mode): only the sender's set carries values (sum)", ErrInvalidParams, mode)
	}
	in, err := dedup(set.Items, workers)
	if err != nil {
		return nil, err
	}
	return &in, nil
}

// RunSender runs the sender's side of a PSI over conn. The sender holds set
// (with Payloads in Join mode, Values in Sum mode, see [Set]) and learns
// nothing unless cfg.RevealToBoth. Both parties must pass equal Protocol,
// Mode, RevealToBoth and TagLen. Duplicates in set.Items are merged first
// (see the package doc).
func RunSender(ctx context.Context, conn transport.Conn, set Set, cfg Config) (*Result, error) {
	o, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	in, err := prepareSender(set, o.Mode, o.Workers, o.LatticeSum)
	if err != nil {
		return nil, err
	}
	return run(ctx, conn, roleSender, len(in.items), o, func(e engine, peer *helloMsg) (*Result, error) {
		return e.sender(ctx, conn, in, peer, o)
	})
}

// RunReceiver runs the receiver's side of a PSI over conn and returns what
// the mode reveals to it. The receiver's set is items only, in every mode
// (Payloads and Values must be nil, see [Set]). Duplicates in set.Items are
// merged first; Indices then lists every copy of a shared item.
func RunReceiver(ctx context.Context, conn transport.Conn, set Set, cfg Config) (*Result, error) {
	o, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	in, err := prepareReceiver(set, o.Mode, o.Workers)
	if err != nil {
		return nil, err
	}
	return run(ctx, conn, roleReceiver, len(in.items), o, func(e engine, peer *helloMsg) (*Result, error) {
		return e.receiver(ctx, conn, in, peer, o)
	})
}

// RunInProcess runs both roles in this process over an in-memory
// connection (for tests, demos and a first program): the receiver with
// receiverSet, the sender with senderSet, both with cfg. It returns both
// results, in the same order, or the error of the party that failed first
// (the other party's is then a consequence of it).
func RunInProcess(ctx context.Context, receiverSet, senderSet Set, cfg Config) (receiver, sender *Result, err error) {
	cs, cr := transport.Pipe("sender", "receiver", transport.Options{})
	defer cs.Close()
	defer cr.Close()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	fail := func(err error, conn transport.Conn) {
		once.Do(func() { first = err })
		conn.Close() // the peer's run ends instead of waiting
	}
	wg.Go(func() {
		var err error
		if sender, err = RunSender(ctx, cs, senderSet, cfg); err != nil {
			fail(err, cs)
		}
	})
	var errR error
	if receiver, errR = RunReceiver(ctx, cr, receiverSet, cfg); errR != nil {
		fail(errR, cr)
	}
	wg.Wait()
	if first != nil {
		return nil, nil, first
	}
	return receiver, sender, nil
}

// run exchanges hellos, checks that the peer agrees, hands over to the
// protocol's engine and completes the result with its cost and leakage.
func run(ctx context.Context, conn transport.Conn, role partyRole, count int, o Config, body func(engine, *helloMsg) (*Result, error)) (*Result, error) {
	if conn == nil {
		return nil, fmt.Errorf("psi: %w: nil connection", ErrInvalidParams)
	}
	e, err := engineFor(o.Protocol)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	start := conn.Stats()
	c := &stepConn{conn: conn, role: role}
	mine := newHello(role, count, o)
	if err := c.send(ctx, "hello", mine); err != nil {
		return nil, err
	}
	var theirs helloMsg
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
	res.Stats = report.Stats{Stats: transport.Stats{
		BytesSent:        end.BytesSent - start.BytesSent,
		BytesReceived:    end.BytesReceived - start.BytesReceived,
		MessagesSent:     end.MessagesSent - start.MessagesSent,
		MessagesReceived: end.MessagesReceived - start.MessagesReceived,
	}, Duration: time.Since(t0)}
	nR, nS := count, int(theirs.Count)
	if role == roleSender {
		nR, nS = nS, nR
	}
	res.Leakage = leakage(o, nR, nS, res)
	return res, nil
}

// leakage states what each party learns in a run with nR distinct
// receiver items and nS distinct sender items, as the package doc's
// security model says; res is one party's result (its Cardinality is known
// when res.Learned, or to the receiver always).
func leakage(o Config, nR, nS int, res *Result) report.Leakage {
	card := int64(0)
	if res.Learned {
		card = int64(res.Cardinality)
	}
	l := report.Leakage{
		{To: "receiver", What: report.InputSize, About: "sender", Count: int64(nS), Note: "the sender's number of distinct items"},
		{To: "sender", What: report.InputSize, About: "receiver", Count: int64(nR), Note: "the receiver's number of distinct items"},
		{To: "all", What: report.Parameters, Note: fmt.Sprintf("protocol %s, mode %s, reveal to both %v, tag length %d", o.Protocol, o.Mode, o.RevealToBoth, o.TagLen)},
	}
	learners := []string{"receiver"}
	if o.RevealToBoth {
		learners = append(learners, "sender")
	}
	for _, to := range learners {
		other := "sender"
		if to == "sender" {
			other = "receiver"
		}
		switch o.Mode {
		case Intersection, Join:
			l = append(l, report.Disclosure{To: to, What: report.Membership, About: other, Count: card,
				Note: "which of its items the " + other + " also holds"})
		case Cardinality:
			l = append(l, report.Disclosure{To: to, What: report.Cardinality, Count: card,
				Note: "the number of distinct shared items"})
		case Sum:
			l = append(l, report.Disclosure{To: to, What: report.Cardinality, Count: card,
				Note: "the number of distinct shared items"})
			switch {
			case res.SumWithheld:
				// Below MinSumCardinality: no sum is disclosed.
			case o.SumNoise != nil:
				l = append(l, report.Disclosure{To: to, What: report.Output, About: "sender", Count: 1,
					Note: fmt.Sprintf("the sum of the sender's values over the shared items, with discrete Laplace noise (epsilon %g, sensitivity %d)", o.SumNoise.Epsilon, o.SumNoise.Sensitivity)})
			default:
				l = append(l, report.Disclosure{To: to, What: report.Output, About: "sender", Count: 1,
					Note: "the sum of the sender's values over the shared items"})
			}
		}
	}
	if o.Mode == Join {
		l = append(l, report.Disclosure{To: "receiver", What: report.Payloads, About: "sender", Count: card,
			Note: "the sender's payload of each shared item"},
			report.Disclosure{To: "receiver", What: report.Payloads, About: "sender", Count: int64(nS),
				Note: "the length of every sender payload"})
	}
	return l
}

// agrees checks a peer's helloMsg against ours.
func (h *helloMsg) agrees(p *helloMsg) error {
	switch {
	case p.Version != h.Version:
		return fmt.Errorf("%w: peer speaks version %d, we speak %d", ErrMismatch, p.Version, h.Version)
	case p.role == h.role:
		return fmt.Errorf("%w: both parties run as role %d", ErrMismatch, h.role)
	case p.Protocol != h.Protocol:
		return fmt.Errorf("%w: peer runs protocol %s, we run %s", ErrMismatch, p.Protocol, h.Protocol)
	case p.Mode != h.Mode:
		return fmt.Errorf("%w: peer runs mode %s, we run %s", ErrMismatch, p.Mode, h.Mode)
	case p.RevealToBoth != h.RevealToBoth:
		return fmt.Errorf("%w: peer RevealToBoth=%v, ours %v", ErrMismatch, p.RevealToBoth, h.RevealToBoth)
	case p.TagLen != h.TagLen:
		return fmt.Errorf("%w: peer TagLen=%d, ours %d", ErrMismatch, p.TagLen, h.TagLen)
	case p.MinSum != h.MinSum:
		return fmt.Errorf("%w: peer MinSumCardinality=%d, ours %d", ErrMismatch, p.MinSum, h.MinSum)
	case p.LatticeSum != h.LatticeSum:
		return fmt.Errorf("%w: peer LatticeSum=%v, ours %v (a Sum MaxSum above 2^44 implies LatticeSum)", ErrMismatch, p.LatticeSum, h.LatticeSum)
	}
	return nil
}

// message is what every message type of the protocols implements; see
// decodeMessage.
type message interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// newHello is a party's helloMsg for its options.
func newHello(role partyRole, count int, o Config) *helloMsg {
	return &helloMsg{Version: protocolVersion, role: role, Protocol: o.Protocol, Mode: o.Mode,
		RevealToBoth: o.RevealToBoth, TagLen: o.TagLen, Count: uint64(count), MinSum: uint32(o.MinSumCardinality),
		LatticeSum: o.LatticeSum}
}

// stepConn sends and receives typed messages and names the role, step and
// peer in its errors.
type stepConn struct {
	conn transport.Conn
	role partyRole
}

// wrap makes err the error of step: `psi receiver, step hello, peer
// "shop": cause`, unless it already names a step.
func (c *stepConn) wrap(step string, err error) error {
	return errs.Step("psi", c.role.String(), step, c.conn.Peer(), err)
}

// check wraps a local step's error, if any.
func (c *stepConn) check(step string, err error) error {
	if err != nil {
		return c.wrap(step, err)
	}
	return nil
}

func (c *stepConn) send(ctx context.Context, step string, m message) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return c.wrap(step, err)
	}
	if err := c.conn.Send(ctx, b); err != nil {
		return c.wrap(step, err)
	}
	return nil
}

func (c *stepConn) recv(ctx context.Context, step string, m message) error {
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

func absInt64(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}
