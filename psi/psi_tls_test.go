package psi

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

// tlsPair connects two parties over mutual TLS 1.3 on 127.0.0.1.
func tlsPair(t testing.TB) (sender, receiver transport.Conn, closeAll func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	meshes, err := transport.NewTLSLoopbackMesh(ctx, 2, transport.Options{})
	require.NoError(t, err)
	closeAll = func() {
		for _, m := range meshes {
			m.Close()
		}
	}
	cs, err := meshes[0].Conn(1)
	require.NoError(t, err)
	cr, err := meshes[1].Conn(0)
	require.NoError(t, err)
	return cs, cr, closeAll
}

func TestOverTLS(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, mode := range []Mode{Intersection, Cardinality, Join, Sum} {
		t.Run(mode.String(), func(t *testing.T) {
			set, ys := genCase(r, 40, 30, 25, true, mode)
			cs, cr, closeAll := tlsPair(t)
			defer closeAll()
			o := Config{Mode: mode, RevealToBoth: true, BatchSize: 16}
			pr := runPairOn(t, cs, cr, set, ys, o, o)
			require.NoError(t, pr.recvErr)
			require.NoError(t, pr.sendErr)
			want := reference(set, ys)
			require.Equal(t, want.card, pr.recv.Cardinality)
			require.Equal(t, want.card, pr.send.Cardinality)
			if learnsMembers(mode) {
				require.Equal(t, want.recvIdx, pr.recv.Indices)
				require.Equal(t, want.sendIdx, pr.send.Indices)
			}
			if mode == Sum {
				require.Equal(t, want.sum, pr.recv.Sum)
			}
			require.Equal(t, transport.PartyName(0), cr.Peer())
		})
	}
}

// TestPeerDropsMidProtocol closes the sender's connection after a few
// messages: the receiver returns promptly with an error naming the peer.
func TestPeerDropsMidProtocol(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	set, ys := genCase(r, 50, 50, 50, false, Intersection)
	before := runtime.NumGoroutine()
	cs, cr, closeAll := tlsPair(t)
	defer func() {
		closeAll()
		// No goroutine of ours outlives the calls (the transport's readers
		// end with their connections).
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		require.LessOrEqual(t, runtime.NumGoroutine(), before)
	}()
	dropper := &tamperConn{Conn: cs, n: 3, tamper: func(b []byte) []byte {
		cs.Close()
		return b
	}}
	start := time.Now()
	pr := runPairOn(t, dropper, cr, set, ys, Config{BatchSize: MinBatchSize}, Config{BatchSize: MinBatchSize})
	require.Error(t, pr.recvErr)
	require.ErrorIs(t, pr.recvErr, transport.ErrClosed)
	require.Contains(t, pr.recvErr.Error(), fmt.Sprintf("peer %q", transport.PartyName(0)))
	require.Error(t, pr.sendErr)
	require.Less(t, time.Since(start), 10*time.Second)
}
