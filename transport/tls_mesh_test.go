package transport

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// exchangeAll has every linked pair of the meshes send each other one
// message and checks what arrives and who it is from.
func exchangeAll(t *testing.T, meshes []Mesh) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, m := range meshes {
		for j := range m.Size() {
			c, err := m.Conn(j)
			if err != nil {
				require.ErrorIs(t, err, ErrNoLink)
				continue
			}
			require.Equal(t, PartyName(j), c.Peer())
			require.NoError(t, c.Send(ctx, fmt.Appendf(nil, "%d->%d", m.Self(), j)))
		}
	}
	for _, m := range meshes {
		for j := range m.Size() {
			c, err := m.Conn(j)
			if err != nil {
				continue
			}
			got, err := c.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprintf("%d->%d", j, m.Self()), string(got))
		}
	}
}

func TestTLSLoopbackMeshAndStar(t *testing.T) {
	base := goroutines()
	for _, tc := range []struct {
		name string
		n    int
		star bool
	}{
		{"mesh2", 2, false}, {"mesh5", 5, false}, {"star2", 2, true}, {"star40", 40, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			newMesh := NewTLSLoopbackMesh
			if tc.star {
				newMesh = NewTLSLoopbackStar
			}
			meshes, err := newMesh(ctx, tc.n, Options{})
			require.NoError(t, err)
			require.Len(t, meshes, tc.n)
			for i, m := range meshes {
				require.Equal(t, i, m.Self())
				require.Equal(t, tc.n, m.Size())
				for j := range tc.n {
					_, err := m.Conn(j)
					if j == i || (tc.star && i != 0 && j != 0) {
						require.ErrorIs(t, err, ErrNoLink)
					} else {
						require.NoError(t, err)
					}
				}
			}
			exchangeAll(t, meshes)
			for _, m := range meshes {
				require.NoError(t, m.Close())
			}
		})
	}
	requireGoroutinesBack(t, base)
}

func TestTLSLoopbackInvalid(t *testing.T) {
	_, err := NewTLSLoopbackMesh(context.Background(), 1, Options{})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewTLSLoopbackStar(context.Background(), 0, Options{})
	require.ErrorIs(t, err, ErrInvalidParams)
}
