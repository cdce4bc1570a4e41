package mpc

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

// TestDealerMemoryPerRequestBounded is the review's F7: one 33-byte
// request for the accepted maximum of 2^28 triples (which once made the
// dealer allocate 18 GiB for 3 parties) while the heap is sampled. The
// dealer works chunk by chunk, so its heap stays within a few chunks while
// it answers; the requester reads some replies and hangs up, which ends the
// dealer's work.
func TestDealerMemoryPerRequestBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 2^28-element request chunks")
	}
	const parties, request, replies, limit = 3, 1 << 28, 64, 64 << 20
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dSide, pSide := dealerLinks(parties)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // heap sampler
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	served := make(chan error, 1)
	go func() { served <- RunDealer(ctx, dSide, DealerConfig{}) }()
	last := pSide[parties-1]
	_, err := last.Recv(ctx) // its seed
	require.NoError(t, err)
	req := appendMessage(nil, kindDealerRequest, 1, []uint64{reqTriples, request, 0})
	require.NoError(t, last.Send(ctx, req))
	for range replies {
		data, err := last.Recv(ctx)
		require.NoError(t, err)
		require.Len(t, data, headerSize+8*dealerChunk)
	}
	require.NoError(t, last.Close())
	err = <-served
	require.Error(t, err, "the dealer stops when the requester hangs up")
	close(stop)
	wg.Wait()
	grew := int64(peak.Load()) - int64(before.HeapAlloc)
	t.Logf("request of %d bytes for %d triples (%d parties): heap grew by at most %.1f MiB while %d replies (%d MiB) were served",
		len(req), request, parties, float64(grew)/(1<<20), replies, replies*8*dealerChunk>>20)
	require.Less(t, grew, int64(limit))
}

// TestDealerSessionCap: the work of a session is capped, in process and
// over the network, where an over-cap request is refused before any work.
func TestDealerSessionCap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	td, err := NewTrustedDealer(2, DealerConfig{MaxElements: 1000})
	require.NoError(t, err)
	last, err := td.Party(1)
	require.NoError(t, err)
	_, err = last.Triples(ctx, 600)
	require.NoError(t, err)
	_, err = last.DaBits(ctx, 401)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = last.DaBits(ctx, 400)
	require.NoError(t, err, "the refused request used nothing")
	_, err = NewTrustedDealer(2, DealerConfig{MaxElements: -1})
	require.ErrorIs(t, err, ErrInvalidParams)

	dSide, pSide := dealerLinks(2)
	served := make(chan error, 1)
	go func() { served <- RunDealer(ctx, dSide, DealerConfig{MaxElements: 1 << 20}) }()
	_, err = pSide[1].Recv(ctx)
	require.NoError(t, err)
	require.NoError(t, pSide[1].Send(ctx, appendMessage(nil, kindDealerRequest, 1, []uint64{reqTriples, 1 << 28, 0})))
	err = <-served
	require.ErrorIs(t, err, ErrInvalidParams)
	require.ErrorContains(t, err, "work cap")
	_, err = pSide[1].Recv(ctx)
	require.True(t, errors.Is(err, transport.ErrClosed), "%v", err)
}
