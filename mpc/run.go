package mpc

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/veil-go/veil/transport"
)

// RunLocal runs prog as every party of meshes (one mesh per party, all in
// this process, e.g. from transport.NewMemMesh or
// transport.NewTLSLoopbackMesh) with a fresh in-process [TrustedDealer],
// each party on its own goroutine, and returns when all have finished. It
// is for tests and one-process demos; a real deployment runs one Party per
// process. The error joins every party's error; if one party fails, its
// mesh is closed and the others fail promptly too.
func RunLocal(ctx context.Context, meshes []transport.Mesh, prog func(ctx context.Context, p *Party) error, opts ...Option) error {
	dealer, err := NewTrustedDealer(len(meshes))
	if err != nil {
		return err
	}
	parties := make([]*Party, len(meshes))
	for i, m := range meshes {
		if m == nil || m.Self() != i {
			return fmt.Errorf("%w: mesh %d is not party %d's", ErrInvalidParams, i, i)
		}
		d, err := dealer.Party(i)
		if err != nil {
			return err
		}
		if parties[i], err = NewParty(m, d, opts...); err != nil {
			return err
		}
	}
	errs := make([]error, len(parties))
	var wg sync.WaitGroup
	for i, p := range parties {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = prog(ctx, p); errs[i] != nil {
				_ = p.fail("program", errs[i]) // let the others stop promptly
				errs[i] = fmt.Errorf("party %d: %w", i, errs[i])
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
