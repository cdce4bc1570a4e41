package secagg

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/veil-go/veil/transport"
)

// Stage names a round of the protocol, as seen by a client.
type Stage int

// The rounds, in order.
const (
	StageAdvertiseKeys Stage = iota + 1
	StageShareKeys
	StageMaskedInput
	StageUnmask
)

func (s Stage) String() string {
	switch s {
	case StageAdvertiseKeys:
		return "advertise keys"
	case StageShareKeys:
		return "share keys"
	case StageMaskedInput:
		return "masked input"
	case StageUnmask:
		return "unmask"
	}
	return fmt.Sprintf("Stage(%d)", int(s))
}

// WithDropBefore makes RunClient simulate a client that goes offline just
// before sending its message of stage s: it closes its connection to the
// server and returns nil. For tests and demos of dropouts.
func WithDropBefore(s Stage) ClientOption {
	return func(c *Client) error {
		if s < StageAdvertiseKeys || s > StageUnmask {
			return fmt.Errorf("%w: stage %d", ErrInvalidParams, int(s))
		}
		c.dropBefore = s
		return nil
	}
}

// RunClient runs client mesh.Self() of a round over a star whose hub (party
// 0) runs RunServer. It returns nil once its unmasking shares are sent, an
// error wrapping ErrAborted if the server aborts the round or excludes this
// client, or a transport or context error.
func RunClient(ctx context.Context, mesh transport.Mesh, cfg *Config, input []uint64, opts ...ClientOption) error {
	if cfg == nil || mesh == nil {
		return fmt.Errorf("%w: nil config or mesh", ErrInvalidParams)
	}
	c, err := NewClient(cfg, mesh.Self(), opts...)
	if err != nil {
		return err
	}
	if len(input) != cfg.dim {
		return fmt.Errorf("%w: input of %d values, dimension %d", ErrInvalidParams, len(input), cfg.dim)
	}
	conn, err := mesh.Conn(0)
	if err != nil {
		return fmt.Errorf("secagg: client %d: %w", c.id, err)
	}
	send := func(s Stage, m message) (bool, error) {
		if c.dropBefore == s {
			_ = conn.Close()
			return true, nil
		}
		b, err := m.MarshalBinary()
		if err != nil {
			return false, err
		}
		if err := conn.Send(ctx, b); err != nil {
			return false, fmt.Errorf("secagg: client %d: %s: %w", c.id, s, err)
		}
		return false, nil
	}
	recv := func(s Stage, m message) error {
		b, err := conn.Recv(ctx)
		if err != nil {
			return fmt.Errorf("secagg: client %d: waiting for %s: %w", c.id, s, err)
		}
		if len(b) > 0 && b[0] == tagAbort {
			var a Abort
			if err := a.UnmarshalBinary(b); err != nil {
				return fmt.Errorf("secagg: client %d: %s: %w", c.id, s, err)
			}
			return fmt.Errorf("%w: client %d before %s: %s", ErrAborted, c.id, s, a.Reason)
		}
		if err := m.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("secagg: client %d: %s: %w", c.id, s, err)
		}
		return nil
	}

	adv, err := c.AdvertiseKeys()
	if err != nil {
		return err
	}
	if gone, err := send(StageAdvertiseKeys, adv); gone || err != nil {
		return err
	}
	var kl KeyList
	if err := recv(StageShareKeys, &kl); err != nil {
		return err
	}
	bundle, err := c.ShareKeys(&kl)
	if err != nil {
		return err
	}
	if gone, err := send(StageShareKeys, bundle); gone || err != nil {
		return err
	}
	var del ShareDelivery
	if err := recv(StageMaskedInput, &del); err != nil {
		return err
	}
	masked, err := c.MaskInput(&del, input)
	if err != nil {
		return err
	}
	if gone, err := send(StageMaskedInput, masked); gone || err != nil {
		return err
	}
	var req UnmaskRequest
	if err := recv(StageUnmask, &req); err != nil {
		return err
	}
	resp, err := c.Unmask(&req)
	if err != nil {
		return err
	}
	_, err = send(StageUnmask, resp)
	return err
}

// RunServer runs the server of a round over a star: mesh.Self() must be 0
// and clients are parties 1..cfg.Clients(). In each round it waits for every
// remaining client's message until the config's round timeout; a client that
// has not answered by then, whose connection fails or whose message is
// malformed is dropped (Result.Excluded says why) and told so with an Abort.
// If the dropouts exceed the threshold it tells the remaining clients and
// returns an error wrapping ErrTooManyDropouts, revealing no sum.
func RunServer(ctx context.Context, mesh transport.Mesh, cfg *Config) (*Result, error) {
	if cfg == nil || mesh == nil {
		return nil, fmt.Errorf("%w: nil config or mesh", ErrInvalidParams)
	}
	if mesh.Self() != 0 || mesh.Size() != cfg.n+1 {
		return nil, fmt.Errorf("%w: server must be party 0 of %d, is %d of %d", ErrInvalidParams, cfg.n+1, mesh.Self(), mesh.Size())
	}
	srv, err := NewServer(cfg)
	if err != nil {
		return nil, err
	}
	r := &serverRun{cfg: cfg, srv: srv, conns: make([]transport.Conn, cfg.n+1), excluded: make(map[int]error)}
	for i := 1; i <= cfg.n; i++ {
		if r.conns[i], err = mesh.Conn(i); err != nil {
			return nil, fmt.Errorf("secagg: server: %w", err)
		}
	}
	active := make([]int, cfg.n)
	for i := range active {
		active[i] = i + 1
	}
	res, err := r.run(ctx, active)
	if err != nil {
		return nil, err
	}
	res.Excluded = r.excluded
	res.Traffic = mesh.Stats()
	return res, nil
}

type serverRun struct {
	cfg      *Config
	srv      *Server
	conns    []transport.Conn
	excluded map[int]error
}

func (r *serverRun) run(ctx context.Context, active []int) (*Result, error) {
	var err error
	if active, err = r.collect(ctx, StageAdvertiseKeys, active, func(id int, b []byte) error {
		var m AdvertiseKeys
		if err := m.UnmarshalBinary(b); err != nil {
			return err
		}
		if m.ID != id {
			return fmt.Errorf("%w: party %d claims id %d", ErrMalformed, id, m.ID)
		}
		return r.srv.AddKeys(&m)
	}); err != nil {
		return nil, err
	}
	lists, err := r.srv.KeyLists()
	if err != nil {
		return nil, r.abortAll(ctx, active, err)
	}
	r.sendAll(ctx, StageShareKeys, active, func(id int) message { return lists[id] })

	if active, err = r.collect(ctx, StageShareKeys, active, func(id int, b []byte) error {
		var m ShareBundle
		if err := m.UnmarshalBinary(b); err != nil {
			return err
		}
		if m.From != id {
			return fmt.Errorf("%w: party %d claims id %d", ErrMalformed, id, m.From)
		}
		return r.srv.AddShares(&m)
	}); err != nil {
		return nil, err
	}
	dels, err := r.srv.Deliveries()
	if err != nil {
		return nil, r.abortAll(ctx, active, err)
	}
	r.sendAll(ctx, StageMaskedInput, active, func(id int) message { return dels[id] })

	if active, err = r.collect(ctx, StageMaskedInput, active, func(id int, b []byte) error {
		var m MaskedInput
		if err := m.UnmarshalBinary(b); err != nil {
			return err
		}
		if m.ID != id {
			return fmt.Errorf("%w: party %d claims id %d", ErrMalformed, id, m.ID)
		}
		return r.srv.AddMaskedInput(&m)
	}); err != nil {
		return nil, err
	}
	reqs, err := r.srv.UnmaskRequests()
	if err != nil {
		return nil, r.abortAll(ctx, active, err)
	}
	r.sendAll(ctx, StageUnmask, active, func(id int) message { return reqs[id] })

	if _, err = r.collect(ctx, StageUnmask, active, func(id int, b []byte) error {
		var m UnmaskResponse
		if err := m.UnmarshalBinary(b); err != nil {
			return err
		}
		if m.From != id {
			return fmt.Errorf("%w: party %d claims id %d", ErrMalformed, id, m.From)
		}
		return r.srv.AddUnmaskResponse(&m)
	}); err != nil {
		return nil, err
	}
	return r.srv.Finish()
}

// collect receives one message from each active client, under the round
// timeout, and hands it to handle (serialised). It returns the clients
// whose message was accepted, sorted; the others are excluded and told so.
func (r *serverRun) collect(ctx context.Context, s Stage, active []int, handle func(id int, b []byte) error) ([]int, error) {
	rctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		ok   []int
		lost []int
	)
	for _, id := range active {
		wg.Go(func() {
			b, err := r.conns[id].Recv(rctx)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				err = handle(id, b)
			}
			if err != nil {
				r.excluded[id] = fmt.Errorf("%s: %w", s, err)
				lost = append(lost, id)
				return
			}
			ok = append(ok, id)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("secagg: server: %s: %w", s, err)
	}
	slices.Sort(ok)
	r.tell(ctx, lost, fmt.Sprintf("excluded at %s", s))
	return ok, nil
}

// sendAll sends each active client its message; a failed send excludes the
// client (it will not answer the next round either).
func (r *serverRun) sendAll(ctx context.Context, s Stage, active []int, msg func(id int) message) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, id := range active {
		wg.Go(func() {
			b, err := msg(id).MarshalBinary()
			if err == nil {
				sctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
				err = r.conns[id].Send(sctx, b)
				cancel()
			}
			if err != nil {
				mu.Lock()
				r.excluded[id] = fmt.Errorf("sending %s: %w", s, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// tell sends an Abort with reason to the listed clients, best effort.
func (r *serverRun) tell(ctx context.Context, ids []int, reason string) {
	b, _ := (&Abort{Reason: reason}).MarshalBinary()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(ctx, time.Second)
			_ = r.conns[id].Send(sctx, b)
			cancel()
		})
	}
	wg.Wait()
}

func (r *serverRun) abortAll(ctx context.Context, active []int, err error) error {
	r.tell(ctx, active, err.Error())
	if !errors.Is(err, ErrTooManyDropouts) && !errors.Is(err, ErrAborted) {
		return fmt.Errorf("%w: %w", ErrAborted, err)
	}
	return err
}
