package mpc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// Result is what one party's run of a program cost and what it disclosed.
// The program's own outputs are what it keeps from its calls (the values
// [Party.Open] returns, for example).
type Result struct {
	// Party is the party's index.
	Party int
	// Stats is the party's traffic during the run and the run's duration.
	Stats report.Stats
	// Leakage lists what the run revealed, as this party saw it: the
	// length of every input (to all), and the number of values opened to
	// all or to one party. Values opened inside the protocols (masked
	// openings of multiplication, comparison, truncation) are uniformly
	// random and are not listed.
	Leakage report.Leakage
}

// RunParty runs prog as party mesh.Self() of a computation over mesh, with
// correlated randomness from dealer, and returns the party's [Result].
// Every party runs the same prog. If prog fails, the party closes its mesh
// so that the others stop promptly, and the error reads
// `mpc party <i>, step <step>[, peer "<name>"]: <cause>`.
func RunParty(ctx context.Context, mesh transport.Mesh, dealer Dealer, cfg Config, prog func(ctx context.Context, p *Party) error) (*Result, error) {
	if prog == nil {
		return nil, fmt.Errorf("mpc: %w: nil program", ErrInvalidParams)
	}
	p, err := NewParty(mesh, dealer, cfg)
	if err != nil {
		if mesh != nil {
			_ = mesh.Close() // the others must not wait for this party
		}
		return nil, err
	}
	start, before := time.Now(), mesh.Stats()
	if err := prog(ctx, p); err != nil {
		if p.err != nil {
			return nil, err // a step already failed (and closed the mesh); err says which
		}
		return nil, p.fail("program", -1, err)
	}
	return p.result(start, before), nil
}

// result is the Result of p's run since start, when the mesh had counted before.
func (p *Party) result(start time.Time, before transport.Stats) *Result {
	s := p.mesh.Stats()
	return &Result{
		Party: p.self,
		Stats: report.Stats{Stats: transport.Stats{
			BytesSent:        s.BytesSent - before.BytesSent,
			BytesReceived:    s.BytesReceived - before.BytesReceived,
			MessagesSent:     s.MessagesSent - before.MessagesSent,
			MessagesReceived: s.MessagesReceived - before.MessagesReceived,
		}, Duration: time.Since(start)},
		Leakage: p.Leakage(),
	}
}

// RunInProcess runs prog as every one of n parties in this process, over
// an in-memory mesh with a fresh in-process [TrustedDealer], each party on
// its own goroutine, and returns every party's [Result] (indexed by party)
// when all have finished. It is for tests, demos and a first program; a
// deployment runs [RunParty] in each party's process. The error joins every
// party's error; when one party fails, the others fail promptly too.
func RunInProcess(ctx context.Context, n int, cfg Config, prog func(ctx context.Context, p *Party) error) ([]*Result, error) {
	if prog == nil {
		return nil, fmt.Errorf("mpc: %w: nil program", ErrInvalidParams)
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	dealer, err := NewTrustedDealer(n, DealerConfig{Workers: cfg.Workers})
	if err != nil {
		return nil, err
	}
	meshes, err := transport.NewMemMesh(n, transport.Options{})
	if err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	defer func() {
		for _, m := range meshes {
			_ = m.Close()
		}
	}()
	views := make([]Dealer, n)
	for i := range views {
		if views[i], err = dealer.Party(i); err != nil {
			return nil, err
		}
	}
	results := make([]*Result, n)
	failures := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i], failures[i] = RunParty(ctx, meshes[i], views[i], cfg, prog)
			if failures[i] != nil {
				failures[i] = errs.Step("mpc", roleName(i), "program", "", failures[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(failures...); err != nil {
		return nil, err
	}
	return results, nil
}

// leakage accumulates a party's disclosures, one per recipient, kind and
// subject, in the order they first occur.
type leakage struct {
	list report.Leakage
}

func (l *leakage) add(to, what, about string, count int) {
	for i := range l.list {
		d := &l.list[i]
		if d.To == to && d.What == what && d.About == about {
			d.Count += int64(count)
			return
		}
	}
	l.list = append(l.list, report.Disclosure{To: to, What: what, About: about, Count: int64(count)})
}

// Leakage is what this party's computation has revealed so far (see
// [Result.Leakage]): inputs' lengths and opened values, counted per
// recipient.
func (p *Party) Leakage() report.Leakage {
	return append(report.Leakage(nil), p.leak.list...)
}
