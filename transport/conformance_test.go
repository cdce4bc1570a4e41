package transport_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/transport"
	"github.com/veil-go/veil/transport/transporttest"
)

// pairs are the Conn implementations of this package, each as a
// transporttest.TestConn pair maker.
var pairs = []struct {
	name string
	pair func(t testing.TB, opts transport.Options) (transport.Conn, transport.Conn)
}{
	{"mem", func(t testing.TB, opts transport.Options) (transport.Conn, transport.Conn) {
		return transport.Pipe("alice", "bob", opts)
	}},
	{"tcp", transport.PlainTCPPair}, // framing over plain TCP, no TLS
	{"tls", transport.TLSPair},
}

// TestConformance runs the exported conformance suite on every Conn
// implementation, and on connections wrapped by fault wrappers that inject
// no fault: the wrappers keep the contract.
func TestConformance(t *testing.T) {
	for _, impl := range pairs {
		t.Run(impl.name, func(t *testing.T) {
			transport.CheckLeaks(t)
			transporttest.TestConn(t, func(t *testing.T) (transport.Conn, transport.Conn) {
				return impl.pair(t, transport.Options{})
			})
		})
		t.Run(impl.name+"/wrapped", func(t *testing.T) {
			transport.CheckLeaks(t)
			transporttest.TestConn(t, func(t *testing.T) (transport.Conn, transport.Conn) {
				a, b := impl.pair(t, transport.Options{})
				return transporttest.Delay(a, 0), transporttest.CloseAfter(transporttest.SilentAfter(b, math.MaxInt), math.MaxInt)
			})
		})
	}
}

// TestMeshes runs the mesh check on every way this package builds meshes.
func TestMeshes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name string
		make func() ([]transport.Mesh, error)
	}{
		{"MemMesh", func() ([]transport.Mesh, error) { return transport.NewMemMesh(4, transport.Options{}) }},
		{"MemStar", func() ([]transport.Mesh, error) { return transport.NewMemStar(5, transport.Options{}) }},
		{"TLSMesh", func() ([]transport.Mesh, error) { return transport.NewTLSLoopbackMesh(ctx, 4, transport.Options{}) }},
		{"TLSStar", func() ([]transport.Mesh, error) { return transport.NewTLSLoopbackStar(ctx, 40, transport.Options{}) }},
		{"NewMesh", assembledRing},
		{"WrappedStar", func() ([]transport.Mesh, error) {
			meshes, err := transport.NewMemStar(3, transport.Options{})
			for i, m := range meshes {
				meshes[i] = transporttest.WrapMesh(m, func(_ int, c transport.Conn) transport.Conn { return transporttest.Delay(c, 0) })
			}
			return meshes, err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			transport.CheckLeaks(t)
			meshes, err := tc.make()
			require.NoError(t, err)
			defer func() {
				for _, m := range meshes {
					require.NoError(t, m.Close())
				}
			}()
			transporttest.TestMesh(t, meshes)
		})
	}
}

// assembledRing builds a ring of four parties from pipes with NewMesh: each
// party reaches its two neighbours only.
func assembledRing() ([]transport.Mesh, error) {
	const n = 4
	conns := make([][]transport.Conn, n)
	for i := range conns {
		conns[i] = make([]transport.Conn, n)
	}
	for i := range n {
		j := (i + 1) % n
		conns[i][j], conns[j][i] = transport.Pipe(transport.PartyName(i), transport.PartyName(j), transport.Options{})
	}
	meshes := make([]transport.Mesh, n)
	for i := range meshes {
		m, err := transport.NewMesh(i, conns[i])
		if err != nil {
			return nil, err
		}
		meshes[i] = m
	}
	return meshes, nil
}

func TestNewMeshInvalid(t *testing.T) {
	a, b := transport.Pipe("party-0", "party-1", transport.Options{})
	defer a.Close()
	defer b.Close()
	for _, tc := range []struct {
		self  int
		conns []transport.Conn
	}{
		{-1, []transport.Conn{nil, a}},
		{2, []transport.Conn{nil, a}},
		{0, nil},
		{0, []transport.Conn{a, b}}, // a connection to itself
	} {
		_, err := transport.NewMesh(tc.self, tc.conns)
		require.ErrorIs(t, err, transport.ErrInvalidParams, "party %d of %d", tc.self, len(tc.conns))
	}
}
