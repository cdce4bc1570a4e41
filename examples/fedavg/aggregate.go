package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/veil-go/veil/mpc/secagg"
	"github.com/veil-go/veil/transport"
	"github.com/veil-go/veil/transport/transporttest"
)

// outcome is what the program reports.
type outcome struct {
	clients        int
	counted        []int // 0-based
	sum            []int64
	seconds        float64
	bytesPerClient float64
	graph          string
	degree, t      int
	noise          string
	plan           *dpPlan
	receipt        string // the receipt's digest (hex), with -ledger
}

// aggregate runs one secure-aggregation round with every party in this
// process over loopback TLS.
func aggregate(ctx context.Context, o *options) (*outcome, error) {
	start := time.Now()
	plan, err := planNoise(o)
	if err != nil {
		return nil, err
	}
	meshes, ids, err := loopbackStar(ctx, o.clients+1)
	if err != nil {
		return nil, fmt.Errorf("setting up loopback TLS: %w", err)
	}
	defer func() {
		for _, m := range meshes {
			_ = m.Close()
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cfg := secagg.Config{Clients: o.clients, Length: o.dim, Graph: secagg.SparseGraph}
	server, err := secagg.NewParams(cfg)
	if err != nil {
		return nil, err
	}
	wait, err := startClients(ctx, o, plan, server, meshes, ids)
	if err != nil {
		return nil, err
	}
	res, err := secagg.RunServer(ctx, meshes[0], server, ids[0])
	if err != nil {
		cancel()
		wait()
		if errors.Is(err, secagg.ErrTooManyDropouts) {
			return nil, fmt.Errorf("round aborted, no sum revealed: %w", err)
		}
		return nil, err
	}
	for i, e := range wait() {
		dropped := slices.Contains(o.dropBefore, i) || slices.Contains(o.dropAfter, i)
		if e != nil && !(dropped && errors.Is(e, transport.ErrClosed)) {
			return nil, fmt.Errorf("client %d: %w", i, e)
		}
	}
	out := &outcome{
		clients:        o.clients,
		sum:            secagg.ToInt64s(res.Sum),
		seconds:        time.Since(start).Seconds(),
		bytesPerClient: float64(res.Stats.BytesSent+res.Stats.BytesReceived) / float64(o.clients),
		graph:          server.Graph().String(),
		degree:         server.Degree(),
		t:              server.Threshold(),
		plan:           plan,
	}
	for _, id := range res.Counted {
		out.counted = append(out.counted, id-1)
	}
	if out.counted == nil {
		out.counted = []int{}
	}
	out.noise = plan.describe(o, len(out.counted))
	return out, nil
}

// startClients starts every client's RunClient; wait waits for them and
// returns their errors.
func startClients(ctx context.Context, o *options, plan *dpPlan, server *secagg.Params, meshes []transport.Mesh, ids []*transport.Identity) (wait func() []error, err error) {
	type client struct {
		p     *secagg.Params
		mesh  transport.Mesh
		input []uint64
	}
	// What the server announces: the shared parameters, session included.
	// Every client rebuilds them from these bytes (any change shows in the
	// digest its signatures cover); only its noise hook is its own.
	announced, err := server.MarshalBinary()
	if err != nil {
		return nil, err
	}
	clients := make([]client, o.clients)
	for i := range o.clients {
		var shared secagg.Params
		if err := shared.UnmarshalBinary(announced); err != nil {
			return nil, err
		}
		ccfg := shared.Config()
		update := o.updates[i]
		if plan != nil {
			noise, err := plan.clientNoise(o.clients)
			if err != nil {
				return nil, err
			}
			ccfg.Noise = noise
			update = clip(update)
		}
		p, err := secagg.NewParams(ccfg)
		if err != nil {
			return nil, err
		}
		// A dropping client's link to the server closes after the
		// messages it sends before its stage: its advert, graph nonce and
		// shared keys (3) for -drop-before-input, and the masked vector
		// too (4) for -drop-after-input.
		mesh := meshes[i+1]
		switch {
		case slices.Contains(o.dropBefore, i):
			mesh = closeAfter(mesh, 3)
		case slices.Contains(o.dropAfter, i):
			mesh = closeAfter(mesh, 4)
		}
		clients[i] = client{p, mesh, secagg.FromInt64s(update)}
	}
	errs := make([]error, o.clients)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { _, errs[i] = secagg.RunClient(ctx, c.mesh, c.p, ids[i+1], c.input) })
	}
	return func() []error { wg.Wait(); return errs }, nil
}

// closeAfter makes a client go offline: its link to the server closes
// after k messages.
func closeAfter(m transport.Mesh, k int) transport.Mesh {
	return transporttest.WrapMesh(m, func(_ int, c transport.Conn) transport.Conn {
		return transporttest.CloseAfter(c, k)
	})
}

// loopbackStar connects n parties (the server 0 and its clients) over
// mutual TLS on 127.0.0.1, like transport.NewTLSLoopbackStar, and also
// returns their identities: a client signs its advertised keys with the
// certificate it connects with.
func loopbackStar(ctx context.Context, n int) ([]transport.Mesh, []*transport.Identity, error) {
	ca, err := transport.NewCA("fedavg loopback CA")
	if err != nil {
		return nil, nil, err
	}
	ids := make([]*transport.Identity, n)
	for i := range ids {
		if ids[i], err = ca.Issue(transport.PartyName(i)); err != nil {
			return nil, nil, err
		}
	}
	l, err := transport.Listen("127.0.0.1:0", ids[0], transport.Options{})
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	addrs := make([]string, n)
	addrs[0] = l.Addr().String()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	meshes := make([]transport.Mesh, n)
	errs := make([]error, n)
	sem := make(chan struct{}, transport.DefaultSetupConcurrency) // dials at once
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cfg := transport.MeshConfig{Self: i, Addrs: addrs, Identity: ids[i], Star: true}
			if i == 0 {
				cfg.Listener = l
			} else {
				select {
				case sem <- struct{}{}:
					defer func() { <-sem }()
				case <-ctx.Done():
					errs[i] = ctx.Err()
					return
				}
			}
			if meshes[i], errs[i] = transport.DialMesh(ctx, cfg); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, m := range meshes {
			if m != nil {
				_ = m.Close()
			}
		}
		return nil, nil, err
	}
	return meshes, ids, nil
}
