package mpc

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/report"
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
	d, err := NewTrustedDealer(2, DealerConfig{})
	require.NoError(t, err)
	d0, err := d.Party(0)
	require.NoError(t, err)
	p, err := NewParty(meshes[0], d0, Config{})
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
	d, err := NewTrustedDealer(3, DealerConfig{})
	require.NoError(t, err)
	d0, err := d.Party(0)
	require.NoError(t, err)
	_, err = d.Party(0)
	require.ErrorIs(t, err, ErrInvalidParams, "a dealer view is issued once")
	_, err = d.Party(3)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewTrustedDealer(1, DealerConfig{})
	require.ErrorIs(t, err, ErrInvalidParams)
	for _, cfg := range []Config{{Workers: -1}, {MaxLength: -1}, {MaxLength: 1<<28 + 1}, {FracBits: 31}} {
		_, err = NewParty(meshes[0], d0, cfg)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", cfg)
	}
	_, err = NewTrustedDealer(3, DealerConfig{Workers: -1})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewParty(nil, d0, Config{})
	require.ErrorIs(t, err, ErrInvalidParams)
	star, err := transport.NewMemStar(3, transport.Options{})
	require.NoError(t, err)
	_, err = NewParty(star[1], d0, Config{})
	require.ErrorIs(t, err, ErrInvalidParams, "a star is not a full mesh")
	p, err := NewParty(meshes[0], d0, Config{MaxLength: 8})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = p.Open(ctx, make(Share, 9))
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = p.Mul(ctx, make(Share, 2), make(Share, 3))
	require.ErrorIs(t, err, ErrMismatch)
	_, err = p.OpenTo(ctx, Share{1}, 5)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = p.Input(ctx, -1, nil)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = Add(Share{1}, Share{})
	require.ErrorIs(t, err, ErrMismatch)
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
	d, err := NewTrustedDealer(n, DealerConfig{})
	require.NoError(t, err)
	x := []uint64{3, 1 << 63, 5, ^uint64(0)}
	res := make([][]uint64, n)
	errs := make(chan error, n)
	for i := range n {
		di, err := d.Party(i)
		require.NoError(t, err)
		p, err := NewParty(meshes[i], di, Config{})
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

func TestRunInProcess(t *testing.T) {
	boom := errors.New("boom")
	start := time.Now()
	_, err := RunInProcess(context.Background(), 3, Config{}, func(ctx context.Context, p *Party) error {
		if p.Self() == 1 {
			return boom // a program error on one party
		}
		_, err := p.Open(ctx, Share{1})
		return err
	})
	require.ErrorIs(t, err, boom)
	require.ErrorIs(t, err, transport.ErrClosed, "the others stopped because party 1 closed its mesh")
	require.Less(t, time.Since(start), 5*time.Second)
	require.Contains(t, err.Error(), "mpc party 1, step program: boom")
	require.Contains(t, err.Error(), `mpc party 0, step open, peer "party-1": `)
	require.NotContains(t, err.Error(), "party 0: mpc", "no double prefix")

	_, err = RunInProcess(context.Background(), 1, Config{}, func(context.Context, *Party) error { return nil })
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = RunInProcess(context.Background(), 2, Config{FracBits: 40}, func(context.Context, *Party) error { return nil })
	require.ErrorIs(t, err, ErrInvalidParams)
	require.Equal(t, "mpc: invalid parameters: FracBits 40, limit 30", err.Error())

	// Results: every party's traffic and what it disclosed.
	res, err := RunInProcess(context.Background(), 3, Config{Workers: 2}, func(ctx context.Context, p *Party) error {
		if p.Parties() != 3 || p.Fixed().FracBits() != DefaultFracBits {
			return errors.New("wrong configuration")
		}
		x, err := p.Input(ctx, 0, []uint64{1, 2, 3})
		if err != nil {
			return err
		}
		y, err := p.Mul(ctx, x, x)
		if err != nil {
			return err
		}
		if _, err := p.OpenTo(ctx, y, 2); err != nil {
			return err
		}
		_, err = p.Open(ctx, y[:1])
		return err
	})
	require.NoError(t, err)
	require.Len(t, res, 3)
	for i, r := range res {
		require.Equal(t, i, r.Party)
		require.Positive(t, r.Stats.BytesSent)
		require.Positive(t, r.Stats.MessagesReceived)
		require.Positive(t, r.Stats.Duration)
		require.Equal(t, report.Leakage{
			{To: "all", What: report.InputSize, About: "party 0", Count: 3},
			{To: "party 2", What: report.Output, Count: 3},
			{To: "all", What: report.Output, Count: 1},
		}, r.Leakage)
	}
	// What the parties sent is what they received.
	var sent, recv int64
	for _, r := range res {
		sent += r.Stats.BytesSent
		recv += r.Stats.BytesReceived
	}
	require.Equal(t, sent, recv)
}

func TestStepErrors(t *testing.T) {
	errs := runPartiesErr(t, 2, func(ctx context.Context, p *Party) error {
		if p.Self() == 1 {
			c, _ := p.mesh.Conn(0)
			return c.Send(ctx, []byte{1, 2, 3})
		}
		_, err := p.Open(ctx, Share{1})
		require.ErrorIs(t, err, ErrMalformed)
		require.True(t, strings.HasPrefix(err.Error(), `mpc party 0, step open, peer "party-1": malformed message: `), err.Error())
		var se *errs.StepError
		require.ErrorAs(t, err, &se)
		require.Equal(t, "open", se.Step)
		_, err = p.Mul(ctx, Share{1}, Share{1})
		require.ErrorIs(t, err, ErrAborted)
		require.ErrorIs(t, err, ErrMalformed)
		require.True(t, strings.HasPrefix(err.Error(), "mpc party 0, step mul: aborted after step open failed: malformed message"), err.Error())
		return nil
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
}
