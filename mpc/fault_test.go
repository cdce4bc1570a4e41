package mpc

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

// waitGoroutines waits for the goroutine count to drop back to base.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), base, "leaked goroutines")
}

func TestPeerDisconnectStopsEveryone(t *testing.T) {
	base := runtime.NumGoroutine()
	start := time.Now()
	errs := runPartiesErr(t, 4, func(ctx context.Context, p *Party) error {
		x := make(Share, 100)
		for round := 0; ; round++ {
			if p.Self() == 2 && round == 3 {
				return p.mesh.Close() // party 2 vanishes mid-computation
			}
			if _, err := p.Mul(ctx, x, x); err != nil {
				return err
			}
		}
	})
	require.Less(t, time.Since(start), 5*time.Second)
	for i, err := range errs {
		if i == 2 {
			continue
		}
		require.Error(t, err)
		require.ErrorIs(t, err, transport.ErrClosed, "party %d: %v", i, err)
		var pe *transport.PeerError
		require.True(t, errors.As(err, &pe), "party %d: error names the peer", i)
	}
	waitGoroutines(t, base)
}

func TestMalformedPeerData(t *testing.T) {
	bad := map[string]func(step uint32) []byte{
		"short":       func(uint32) []byte { return []byte{1, 2, 3} },
		"wrong-count": func(s uint32) []byte { return appendMessage(nil, kindArith, s, make([]uint64, 3)) },
		"wrong-step":  func(s uint32) []byte { return appendMessage(nil, kindArith, s+7, make([]uint64, 20)) },
		"wrong-kind":  func(s uint32) []byte { return appendMessage(nil, kindBool, s, make([]uint64, 20)) },
		"bad-kind":    func(s uint32) []byte { return appendMessage(nil, 99, s, make([]uint64, 20)) },
		"truncated":   func(s uint32) []byte { return appendMessage(nil, kindArith, s, make([]uint64, 20))[:50] },
	}
	for name, msg := range bad {
		t.Run(name, func(t *testing.T) {
			errs := runPartiesErr(t, 3, func(ctx context.Context, p *Party) error {
				x := make(Share, 10)
				if p.Self() == 1 {
					for j := range 3 {
						if j != 1 {
							c, _ := p.mesh.Conn(j)
							_ = c.Send(ctx, msg(p.step))
						}
					}
					return nil
				}
				_, err := p.Mul(ctx, x, x)
				if err == nil {
					return errors.New("no error")
				}
				// the party is now aborted
				_, err2 := p.Open(ctx, x)
				require.ErrorIs(t, err2, ErrAborted)
				return err
			})
			malformed := 0
			for i, err := range errs {
				if i == 1 {
					continue
				}
				require.Error(t, err)
				if errors.Is(err, ErrMalformed) {
					malformed++
				} else {
					require.ErrorIs(t, err, transport.ErrClosed)
				}
			}
			require.Positive(t, malformed)
		})
	}
}

func TestContextCancelAborts(t *testing.T) {
	meshes, err := transport.NewMemMesh(2, transport.Options{})
	require.NoError(t, err)
	d, err := NewTrustedDealer(2)
	require.NoError(t, err)
	d0, err := d.Party(0)
	require.NoError(t, err)
	p, err := NewParty(meshes[0], d0)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = p.Open(ctx, Share{1}) // party 1 never answers
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// the mesh was closed, so the silent peer sees it
	c, _ := meshes[1].Conn(0)
	_, _ = c.Recv(context.Background()) // the share sent before the deadline
	_, err = c.Recv(context.Background())
	require.ErrorIs(t, err, transport.ErrClosed)
}

func TestNewPartyValidation(t *testing.T) {
	meshes, err := transport.NewMemMesh(3, transport.Options{})
	require.NoError(t, err)
	d, err := NewTrustedDealer(3)
	require.NoError(t, err)
	d0, err := d.Party(0)
	require.NoError(t, err)
	_, err = d.Party(0)
	require.ErrorIs(t, err, ErrInvalidParams, "a dealer view is issued once")
	_, err = d.Party(3)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewTrustedDealer(1)
	require.ErrorIs(t, err, ErrInvalidParams)
	for _, opts := range [][]Option{{WithWorkers(0)}, {WithMaxLength(0)}, {WithFracBits(0)}, {WithFracBits(31)}} {
		_, err = NewParty(meshes[0], d0, opts...)
		require.ErrorIs(t, err, ErrInvalidParams)
	}
	_, err = NewParty(nil, d0)
	require.ErrorIs(t, err, ErrInvalidParams)
	star, err := transport.NewMemStar(3, transport.Options{})
	require.NoError(t, err)
	_, err = NewParty(star[1], d0)
	require.ErrorIs(t, err, ErrInvalidParams, "a star is not a full mesh")
	p, err := NewParty(meshes[0], d0, WithMaxLength(8))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = p.Open(ctx, make(Share, 9))
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = p.Mul(ctx, make(Share, 2), make(Share, 3))
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = p.OpenTo(ctx, Share{1}, 5)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = p.Input(ctx, -1, nil)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = Add(Share{1}, Share{})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = Split(Share{1, 2, 3}, 1, 1)
	require.ErrorIs(t, err, ErrInvalidParams)
	parts, err := Split(Concat(Share{1}, Share{2, 3}), 1, 2)
	require.NoError(t, err)
	require.Equal(t, []Share{{1}, {2, 3}}, parts)
}

func TestTLSMesh(t *testing.T) {
	if testing.Short() {
		t.Skip("network test")
	}
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const n = 3
	meshes, err := transport.NewTLSLoopbackMesh(ctx, n, transport.Options{})
	require.NoError(t, err)
	d, err := NewTrustedDealer(n)
	require.NoError(t, err)
	x := []uint64{3, 1 << 63, 5, ^uint64(0)}
	res := make([][]uint64, n)
	errs := make(chan error, n)
	for i := range n {
		di, err := d.Party(i)
		require.NoError(t, err)
		p, err := NewParty(meshes[i], di)
		require.NoError(t, err)
		go func() {
			var in []uint64
			if i == 0 {
				in = x
			}
			s, err := p.Input(ctx, 0, in)
			if err == nil {
				s, err = p.Mul(ctx, s, s)
			}
			if err == nil {
				s, err = p.LTZ(ctx, s)
			}
			if err == nil {
				res[i], err = p.Open(ctx, s)
			}
			if i == 2 { // then party 2 drops out; the others must notice
				_ = meshes[i].Close()
			} else if err == nil {
				_, err = p.Open(ctx, s)
				if err == nil {
					err = errors.New("open succeeded without party 2")
				} else if errors.Is(err, transport.ErrClosed) || errors.Is(err, transport.ErrTruncated) {
					err = nil
				}
			}
			errs <- err
		}()
	}
	for range n {
		require.NoError(t, <-errs)
	}
	for i := range n {
		require.Equal(t, []uint64{0, 0, 0, 0}, res[i]) // squares are non-negative here: 9, 0, 25, 1
		_ = meshes[i].Close()
	}
	waitGoroutines(t, base)
}

func TestRunLocal(t *testing.T) {
	meshes, err := transport.NewMemMesh(3, transport.Options{})
	require.NoError(t, err)
	boom := errors.New("boom")
	start := time.Now()
	err = RunLocal(context.Background(), meshes, func(ctx context.Context, p *Party) error {
		if p.Self() == 1 {
			return boom // a program error on one party
		}
		_, err := p.Open(ctx, Share{1})
		return err
	})
	require.ErrorIs(t, err, boom)
	require.ErrorIs(t, err, transport.ErrClosed, "the others stopped because party 1 closed its mesh")
	require.Less(t, time.Since(start), 5*time.Second)
	err = RunLocal(context.Background(), []transport.Mesh{meshes[1], meshes[0]}, nil)
	require.ErrorIs(t, err, ErrInvalidParams)
}
