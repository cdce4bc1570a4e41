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
}

// aggregate runs one secure-aggregation round with every party in this
// process over loopback TLS.
func aggregate(ctx context.Context, o *options) (*outcome, error) {
	start := time.Now()
	cfg, err := secagg.NewConfig(o.clients, o.dim, secagg.WithGraph(secagg.SparseGraph))
	if err != nil {
		return nil, err
	}
	plan, err := planNoise(o)
	if err != nil {
		return nil, err
	}
	meshes, err := transport.NewTLSLoopbackStar(ctx, o.clients+1, transport.Options{})
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
	errs := make([]error, o.clients)
	var wg sync.WaitGroup
	for i := range o.clients {
		var opts []secagg.ClientOption
		switch {
		case slices.Contains(o.dropBefore, i):
			opts = append(opts, secagg.WithDropBefore(secagg.StageMaskedInput))
		case slices.Contains(o.dropAfter, i):
			opts = append(opts, secagg.WithDropBefore(secagg.StageUnmask))
		}
		update := o.updates[i]
		if plan != nil {
			noise, err := plan.clientNoise(o.clients)
			if err != nil {
				return nil, err
			}
			opts = append(opts, secagg.WithNoise(noise))
			update = clip(update)
		}
		input := secagg.FromInt64s(update)
		wg.Go(func() {
			errs[i] = secagg.RunClient(ctx, meshes[i+1], cfg, input, opts...)
		})
	}
	res, err := secagg.RunServer(ctx, meshes[0], cfg)
	if err != nil {
		cancel()
		wg.Wait()
		if errors.Is(err, secagg.ErrTooManyDropouts) {
			return nil, fmt.Errorf("round aborted, no sum revealed: %w", err)
		}
		return nil, err
	}
	wg.Wait()
	for i, e := range errs {
		if e != nil {
			return nil, fmt.Errorf("client %d: %w", i, e)
		}
	}
	out := &outcome{
		clients:        o.clients,
		sum:            secagg.ToInt64s(res.Sum),
		seconds:        time.Since(start).Seconds(),
		bytesPerClient: float64(res.Traffic.BytesSent+res.Traffic.BytesReceived) / float64(o.clients),
		graph:          cfg.Graph().String(),
		degree:         cfg.Degree(),
		t:              cfg.Threshold(),
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
