package secagg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// The steps of a round, as errors name them.
const (
	stepAnnounce  = "announce"
	stepAdvertise = "advertise"
	stepReveal    = "reveal"
	stepShare     = "share keys"
	stepInput     = "masked input"
	stepConsist   = "counted set" // the consistency step
	stepUnmask    = "unmask"
)

// ClientResult is the outcome of a round for one client.
type ClientResult struct {
	// Params are the round's parameters (with [JoinRound], as announced
	// by the server and accepted).
	Params *Params
	// Counted is the counted set the client signed.
	Counted []int
	// Transcript is the hash of the round's public record, the same for
	// the server and every client that finished ([Result.Transcript]).
	Transcript [DigestSize]byte
	// Stats is the client's traffic and the round's duration.
	Stats report.Stats
	// RoundLeakage is what the round disclosed to every party, as the
	// server's [Result.Leakage] states it (built from the counted set the
	// client signed), for a receipt every party agrees on.
	RoundLeakage report.Leakage
	// Leakage is what this client learned about the others.
	Leakage report.Leakage
}

// RunClient runs client mesh.Self() of a round over a star whose hub
// (party 0) runs [RunServer]. identity is the client's certificate and key,
// named p.Name(mesh.Self()): it signs the client's advertised keys and its
// CA pool checks the neighbors'. The server's announcement must be p's
// shared parameters ([ErrMismatch] otherwise); a client that has no Params
// of its own joins with [JoinRound]. RunClient returns once its unmasking
// shares are sent; it fails with an error wrapping [ErrAborted] if the
// server aborts the round or excludes this client, [ErrBadAdvert] or
// [ErrMismatch] if a neighbor's relayed keys do not verify (the client then
// tells the server it gives up), [ErrProtocol] if the server's relayed
// sets or nonces are not what an honest server sends, or a transport or
// context error. Errors read `secagg client 3, step unmask, peer "server": ...`.
func RunClient(ctx context.Context, mesh transport.Mesh, p *Params, identity *transport.Identity, input []uint64) (*ClientResult, error) {
	if p == nil {
		return nil, fmt.Errorf("secagg: %w: nil params", ErrInvalidParams)
	}
	return runClient(ctx, mesh, identity, input, func(m *AnnounceMsg) (*Params, error) {
		if !bytes.Equal(m.Params, p.marshal()) {
			return nil, fmt.Errorf("%w: the server announces other parameters than this client's", ErrMismatch)
		}
		return p, nil
	})
}

// JoinRound runs a client that takes the round's parameters from the
// server's announcement, checked against want ([Expectation.Accept]): the
// way to run a client in its own process without shipping a Config to it.
// The result's Params are the accepted parameters. Otherwise it is
// [RunClient].
func JoinRound(ctx context.Context, mesh transport.Mesh, want Expectation, identity *transport.Identity, input []uint64) (*ClientResult, error) {
	return runClient(ctx, mesh, identity, input, want.Accept)
}

func runClient(ctx context.Context, mesh transport.Mesh, identity *transport.Identity, input []uint64, accept func(*AnnounceMsg) (*Params, error)) (*ClientResult, error) {
	if mesh == nil || identity == nil {
		return nil, fmt.Errorf("secagg: %w: nil mesh or identity", ErrInvalidParams)
	}
	role := fmt.Sprintf("client %d", mesh.Self())
	conn, err := mesh.Conn(0)
	if err != nil {
		return nil, errs.Step("secagg", role, "connect", "", err)
	}
	st := &clientState{ctx: ctx, conn: conn, input: input, start: time.Now()}
	if err := st.announce(mesh.Self(), identity, accept); err != nil {
		st.giveUp(err)
		return nil, errs.Step("secagg", role, stepAnnounce, "", err)
	}
	for _, ph := range []struct {
		name string
		run  func() error
	}{
		{stepAdvertise, st.advertise},
		{stepReveal, st.reveal},
		{stepShare, st.shareKeys},
		{stepInput, st.maskInput},
		{stepConsist, st.signCounted},
		{stepUnmask, st.unmask},
	} {
		if err := ph.run(); err != nil {
			st.giveUp(err)
			return nil, errs.Step("secagg", role, ph.name, st.c.p.Name(0), err)
		}
	}
	return st.result(), nil
}

// clientState is one client's run: a phase per step.
type clientState struct {
	ctx   context.Context
	c     *Client
	conn  transport.Conn
	input []uint64
	start time.Time

	enr EnrolmentMsg
	kl  KeyListMsg
	del ShareDeliveryMsg
	set CountedSetMsg
	req UnmaskRequestMsg
}

func (st *clientState) send(m message) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	return st.conn.Send(st.ctx, b)
}

func (st *clientState) recv(m message) error {
	b, err := st.conn.Recv(st.ctx)
	if err != nil {
		return err
	}
	if len(b) > 0 && b[0] == tagAbort {
		var a AbortMsg
		if err := a.UnmarshalBinary(b); err != nil {
			return err
		}
		return fmt.Errorf("%w by the server: %s", ErrAborted, a.Reason)
	}
	return m.UnmarshalBinary(b)
}

// announce receives the server's parameters, accepts them and makes the
// client's state.
func (st *clientState) announce(id int, identity *transport.Identity, accept func(*AnnounceMsg) (*Params, error)) error {
	var m AnnounceMsg
	if err := st.recv(&m); err != nil {
		return err
	}
	p, err := accept(&m)
	if err != nil {
		return err
	}
	if len(st.input) != p.cfg.Length {
		return fmt.Errorf("%w: input of %d values, the round's length is %d", ErrInvalidParams, len(st.input), p.cfg.Length)
	}
	st.c, err = NewClient(p, id, identity)
	return err
}

func (st *clientState) advertise() error {
	m, err := st.c.Advertise()
	if err != nil {
		return err
	}
	return st.send(m)
}

func (st *clientState) reveal() error {
	if err := st.recv(&st.enr); err != nil {
		return err
	}
	m, err := st.c.Reveal(&st.enr)
	if err != nil {
		return err
	}
	return st.send(m)
}

func (st *clientState) shareKeys() error {
	if err := st.recv(&st.kl); err != nil {
		return err
	}
	m, err := st.c.ShareKeys(&st.kl)
	if err != nil {
		return err
	}
	return st.send(m)
}

func (st *clientState) maskInput() error {
	if err := st.recv(&st.del); err != nil {
		return err
	}
	m, err := st.c.MaskInput(&st.del, st.input)
	if err != nil {
		return err
	}
	return st.send(m)
}

func (st *clientState) signCounted() error {
	if err := st.recv(&st.set); err != nil {
		return err
	}
	m, err := st.c.SignCounted(&st.set)
	if err != nil {
		return err
	}
	return st.send(m)
}

func (st *clientState) unmask() error {
	if err := st.recv(&st.req); err != nil {
		return err
	}
	m, err := st.c.Unmask(&st.req)
	if err != nil {
		return err
	}
	return st.send(m)
}

// giveUp tells the server, best effort, that this client leaves the round
// because of a local check (not when the server ended it or the link is
// gone).
func (st *clientState) giveUp(err error) {
	if errors.Is(err, ErrAborted) || errors.Is(err, transport.ErrClosed) || st.ctx.Err() != nil {
		return
	}
	b, _ := (&AbortMsg{Reason: err.Error()}).MarshalBinary()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(st.ctx), time.Second)
	defer cancel()
	_ = st.conn.Send(ctx, b)
}

func (st *clientState) result() *ClientResult {
	counted := 0
	for _, s := range st.del.Shares {
		if _, ok := slices.BinarySearch(st.set.Counted, s.From); ok {
			counted++
		}
	}
	return &ClientResult{
		Params:       st.c.p,
		Counted:      slices.Clone(st.c.counted),
		Transcript:   roundTranscript(st.c.p.digest, st.c.graphSeed, st.c.counted),
		Stats:        report.Stats{Stats: st.conn.Stats(), Duration: time.Since(st.start)},
		RoundLeakage: serverLeakage(st.c.p, len(st.c.counted), st.c.p.cfg.Clients-len(st.c.counted)),
		Leakage: report.Leakage{
			{To: fmt.Sprintf("client %d", st.c.id), What: report.Participants, About: "neighbors", Count: int64(len(st.kl.Keys)),
				Note: fmt.Sprintf("%d neighbors advertised keys, %d shared them, %d were counted, %d dropped after sharing",
					len(st.kl.Keys), len(st.del.Shares), counted, len(st.del.Shares)-counted)},
			{To: fmt.Sprintf("client %d", st.c.id), What: report.Participants, About: "all", Count: int64(len(st.set.Counted)),
				Note: fmt.Sprintf("the enrolled set (%d clients, with their graph nonces, so the whole graph) and the counted set of the round (%d clients), which it signs", len(st.enr.Enrolled), len(st.set.Counted))},
		},
	}
}

// RunServer runs the server of a round over a star: mesh.Self() must be 0
// and clients are parties 1..p.Clients(). identity's CA pool checks the
// clients' signed keys. It first announces p's shared parameters to every
// client ([AnnounceMsg]: what [JoinRound] accepts and [RunClient]
// compares with its own). In each step it waits for every remaining client's
// message until the round timeout; a client that has not answered by then,
// whose connection fails, whose message is malformed or whose keys do not
// verify is dropped (Result.Excluded says why) and told so with an
// [AbortMsg]. If the dropouts exceed the threshold it tells the remaining
// clients and returns an error wrapping [ErrTooManyDropouts], revealing no
// sum.
func RunServer(ctx context.Context, mesh transport.Mesh, p *Params, identity *transport.Identity) (*Result, error) {
	if p == nil || mesh == nil {
		return nil, fmt.Errorf("secagg: %w: nil params or mesh", ErrInvalidParams)
	}
	n := p.cfg.Clients
	if mesh.Self() != 0 || mesh.Size() != n+1 {
		return nil, fmt.Errorf("secagg: %w: server must be party 0 of %d, is %d of %d", ErrInvalidParams, n+1, mesh.Self(), mesh.Size())
	}
	srv, err := NewServer(p, identity)
	if err != nil {
		return nil, err
	}
	st := &serverState{ctx: ctx, p: p, srv: srv, conns: make([]transport.Conn, n+1), excluded: make(map[int]error), start: time.Now()}
	for i := 1; i <= n; i++ {
		if st.conns[i], err = mesh.Conn(i); err != nil {
			return nil, errs.Step("secagg", "server", "connect", p.Name(i), err)
		}
		st.active = append(st.active, i)
	}
	for _, ph := range []struct {
		name string
		run  func() error
	}{
		{stepAnnounce, st.announce},
		{stepAdvertise, st.advertise},
		{stepReveal, st.reveal},
		{stepShare, st.shareKeys},
		{stepInput, st.maskedInput},
		{stepConsist, st.consistency},
		{stepUnmask, st.unmask},
	} {
		if err := ph.run(); err != nil {
			return nil, errs.Step("secagg", "server", ph.name, "", err)
		}
	}
	st.res.Excluded = st.excluded
	st.res.Stats = report.Stats{Stats: mesh.Stats(), Duration: time.Since(st.start)}
	return st.res, nil
}

// serverState is the server's run: a phase per step, each collecting the
// clients' messages and answering them.
type serverState struct {
	ctx      context.Context
	p        *Params
	srv      *Server
	conns    []transport.Conn
	active   []int
	excluded map[int]error
	start    time.Time
	res      *Result
}

// announce sends every client the round's shared parameters.
func (st *serverState) announce() error {
	m := &AnnounceMsg{Params: st.p.marshal()}
	st.sendAll(stepAnnounce, func(int) message { return m })
	return nil
}

func (st *serverState) advertise() error {
	err := st.collect(stepAdvertise, func(id int, b []byte) (func() error, error) {
		var m AdvertMsg
		if err := m.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		if m.ID != id {
			return nil, fmt.Errorf("%w: party %d claims id %d", ErrMalformed, id, m.ID)
		}
		a, err := st.srv.checkKeys(&m) // concurrently: signature checks
		if err != nil {
			return nil, err
		}
		return func() error { return st.srv.addKeys(a) }, nil
	})
	if err != nil {
		return err
	}
	enr, err := st.srv.Enrolment()
	if err != nil {
		return st.abortAll(err)
	}
	st.sendAll(stepReveal, func(id int) message { return enr[id] })
	return nil
}

func (st *serverState) reveal() error {
	err := st.collect(stepReveal, func(id int, b []byte) (func() error, error) {
		var m RevealMsg
		if err := m.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		if m.ID != id {
			return nil, fmt.Errorf("%w: party %d claims id %d", ErrMalformed, id, m.ID)
		}
		if err := st.srv.checkReveal(&m); err != nil {
			return nil, err
		}
		return func() error { return st.srv.AddReveal(&m) }, nil
	})
	if err != nil {
		return err
	}
	lists, err := st.srv.KeyLists()
	if err != nil {
		return st.abortAll(err)
	}
	st.sendAll(stepShare, func(id int) message { return lists[id] })
	return nil
}

func (st *serverState) shareKeys() error {
	err := st.collect(stepShare, func(id int, b []byte) (func() error, error) {
		var m ShareBundleMsg
		if err := m.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		if m.From != id {
			return nil, fmt.Errorf("%w: party %d claims id %d", ErrMalformed, id, m.From)
		}
		return func() error { return st.srv.AddShares(&m) }, nil
	})
	if err != nil {
		return err
	}
	dels, err := st.srv.Deliveries()
	if err != nil {
		return st.abortAll(err)
	}
	st.sendAll(stepInput, func(id int) message { return dels[id] })
	return nil
}

func (st *serverState) maskedInput() error {
	err := st.collect(stepInput, func(id int, b []byte) (func() error, error) {
		var m MaskedInputMsg
		if err := m.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		if m.ID != id {
			return nil, fmt.Errorf("%w: party %d claims id %d", ErrMalformed, id, m.ID)
		}
		return func() error { return st.srv.AddMaskedInput(&m) }, nil
	})
	if err != nil {
		return err
	}
	sets, err := st.srv.CountedSets()
	if err != nil {
		return st.abortAll(err)
	}
	st.sendAll(stepConsist, func(id int) message { return sets[id] })
	return nil
}

func (st *serverState) consistency() error {
	err := st.collect(stepConsist, func(id int, b []byte) (func() error, error) {
		var m CountedSigMsg
		if err := m.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		if m.From != id {
			return nil, fmt.Errorf("%w: party %d claims id %d", ErrMalformed, id, m.From)
		}
		if err := st.srv.checkCountedSig(&m); err != nil { // concurrently
			return nil, err
		}
		return func() error { return st.srv.addCountedSig(&m) }, nil
	})
	if err != nil {
		return err
	}
	reqs, err := st.srv.UnmaskRequests()
	if err != nil {
		return st.abortAll(err)
	}
	st.sendAll(stepUnmask, func(id int) message { return reqs[id] })
	return nil
}

func (st *serverState) unmask() error {
	err := st.collect(stepUnmask, func(id int, b []byte) (func() error, error) {
		var m UnmaskResponseMsg
		if err := m.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		if m.From != id {
			return nil, fmt.Errorf("%w: party %d claims id %d", ErrMalformed, id, m.From)
		}
		return func() error { return st.srv.AddUnmaskResponse(&m) }, nil
	})
	if err != nil {
		return err
	}
	res, err := st.srv.Finish()
	if err != nil {
		return err
	}
	st.res = res
	return nil
}

// collect receives one message from each active client, under the round
// timeout. check runs concurrently on each message and returns the step
// that records it, run serialised. The clients whose message was recorded
// stay active; the others are excluded and told so.
func (st *serverState) collect(step string, check func(id int, b []byte) (func() error, error)) error {
	rctx, cancel := context.WithTimeout(st.ctx, st.p.cfg.RoundTimeout)
	defer cancel()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		ok   []int
		lost []int
	)
	for _, id := range st.active {
		wg.Go(func() {
			b, err := st.conns[id].Recv(rctx)
			var add func() error
			if err == nil {
				add, err = checkOrAbort(id, b, check)
			}
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				err = add()
			}
			if err != nil {
				st.excluded[id] = errs.Step("secagg", "server", step, st.p.Name(id), err)
				lost = append(lost, id)
				return
			}
			ok = append(ok, id)
		})
	}
	wg.Wait()
	if err := st.ctx.Err(); err != nil {
		return err
	}
	slices.Sort(ok)
	st.active = ok
	st.tell(lost, "excluded at "+step)
	return nil
}

// checkOrAbort turns a client's AbortMsg into an error, or checks its
// message.
func checkOrAbort(id int, b []byte, check func(int, []byte) (func() error, error)) (func() error, error) {
	if len(b) > 0 && b[0] == tagAbort {
		var a AbortMsg
		if err := a.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: client %d gave up: %s", ErrAborted, id, a.Reason)
	}
	return check(id, b)
}

// sendAll sends each active client its message; a failed send excludes the
// client (it will not answer the next step either).
func (st *serverState) sendAll(step string, msg func(id int) message) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, id := range st.active {
		wg.Go(func() {
			b, err := msg(id).MarshalBinary()
			if err == nil {
				sctx, cancel := context.WithTimeout(st.ctx, st.p.cfg.RoundTimeout)
				err = st.conns[id].Send(sctx, b)
				cancel()
			}
			if err != nil {
				mu.Lock()
				st.excluded[id] = errs.Step("secagg", "server", step, st.p.Name(id), err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// tell sends an AbortMsg with reason to the listed clients, best effort.
func (st *serverState) tell(ids []int, reason string) {
	b, _ := (&AbortMsg{Reason: reason}).MarshalBinary()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(st.ctx, time.Second)
			_ = st.conns[id].Send(sctx, b)
			cancel()
		})
	}
	wg.Wait()
}

func (st *serverState) abortAll(err error) error {
	st.tell(st.active, err.Error())
	return err
}

// RunInProcess runs a whole round in this process: the server and one
// client per input, over an in-memory star, and returns the server's
// result. ids, if not nil, holds each party's identity (ids[0] the
// server's, ids[i] client i's, named as p.Name(i)); nil makes a throwaway
// CA and issues them. inputs[i-1] is client i's vector. It fails if any
// party fails.
func RunInProcess(ctx context.Context, p *Params, inputs [][]uint64, ids []*transport.Identity) (*Result, error) {
	if p == nil {
		return nil, fmt.Errorf("secagg: %w: nil params", ErrInvalidParams)
	}
	n := p.cfg.Clients
	if len(inputs) != n {
		return nil, fmt.Errorf("secagg: %w: %d inputs for %d clients", ErrInvalidParams, len(inputs), n)
	}
	if ids == nil {
		var err error
		if ids, err = IssueIdentities(p); err != nil {
			return nil, err
		}
	}
	if len(ids) != n+1 {
		return nil, fmt.Errorf("secagg: %w: %d identities for a server and %d clients", ErrInvalidParams, len(ids), n)
	}
	star, err := transport.NewMemStar(n+1, transport.Options{})
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, m := range star {
			_ = m.Close()
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cerrs := make([]error, n+1)
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Go(func() {
			if _, cerrs[i] = RunClient(ctx, star[i], p, ids[i], inputs[i-1]); cerrs[i] != nil {
				cancel()
			}
		})
	}
	res, err := RunServer(ctx, star[0], p, ids[0])
	if err != nil {
		cancel()
	}
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if err := errors.Join(cerrs...); err != nil {
		return nil, err
	}
	return res, nil
}

// IssueIdentities makes a throwaway CA and issues every party of p an
// identity under the roster's names: index 0 the server, i client i. It is
// meant for tests and one-process demos.
func IssueIdentities(p *Params) ([]*transport.Identity, error) {
	ca, err := transport.NewCA("veil secagg throwaway CA")
	if err != nil {
		return nil, err
	}
	ids := make([]*transport.Identity, p.cfg.Clients+1)
	for i := range ids {
		if ids[i], err = ca.Issue(p.Name(i)); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
