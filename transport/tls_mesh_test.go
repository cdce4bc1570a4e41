package transport

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
	checkLeaks(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewTLSLoopbackStar(cancelled, 5, Options{})
	require.ErrorIs(t, err, context.Canceled)
	_, err = NewTLSLoopbackMesh(context.Background(), 1, Options{})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewTLSLoopbackStar(context.Background(), 0, Options{})
	require.ErrorIs(t, err, ErrInvalidParams)
}

// meshParties issues identities party-0..party-(n-1) from one CA.
func meshParties(t *testing.T, n int) (*CA, []*Identity) {
	t.Helper()
	ca := newTestCA(t)
	ids := make([]*Identity, n)
	for i := range ids {
		ids[i] = issue(t, ca, PartyName(i))
	}
	return ca, ids
}

// freeAddr returns a 127.0.0.1 address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

type meshResult struct {
	m   Mesh
	err error
}

func startDialMesh(ctx context.Context, cfg MeshConfig) <-chan meshResult {
	ch := make(chan meshResult, 1)
	go func() {
		m, err := DialMesh(ctx, cfg)
		ch <- meshResult{m, err}
	}()
	return ch
}

// TestDialMeshSeparateStarts: parties started at different times, each
// listening on its own address, find each other (dials are retried).
func TestDialMeshSeparateStarts(t *testing.T) {
	base := goroutines()
	const n = 3
	_, ids := meshParties(t, n)
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = freeAddr(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var chans []<-chan meshResult
	for i := n - 1; i >= 0; i-- { // the dialers first: nobody listens yet
		chans = append(chans, startDialMesh(ctx, MeshConfig{Self: i, Addrs: addrs, Identity: ids[i]}))
		time.Sleep(30 * time.Millisecond)
	}
	meshes := make([]Mesh, n)
	for _, ch := range chans {
		r := <-ch
		require.NoError(t, r.err)
		meshes[r.m.Self()] = r.m
	}
	exchangeAll(t, meshes)
	for _, m := range meshes {
		require.NoError(t, m.Close())
	}
	requireGoroutinesBack(t, base)
}

// TestDialMeshRefusesStrangers: a party with a valid certificate but a name
// the mesh does not expect, or the name of a party already connected, is
// refused; the mesh waits for the right parties and completes.
func TestDialMeshRefusesStrangers(t *testing.T) {
	base := goroutines()
	ca, ids := meshParties(t, 3)
	mallory := issue(t, ca, "mallory")
	l, err := Listen("127.0.0.1:0", ids[0], Options{})
	require.NoError(t, err)
	addrs := []string{l.Addr().String(), "", ""}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hub := startDialMesh(ctx, MeshConfig{Self: 0, Addrs: addrs, Identity: ids[0], Listener: l, Star: true})

	one, err := Dial(ctx, addrs[0], ids[1], PartyName(0), Options{})
	require.NoError(t, err)
	_, err = Dial(ctx, addrs[0], ids[1], PartyName(0), Options{})
	requirePeerErr(t, err, PartyName(0), "handshake", ErrPeerIdentity) // a second party-1
	_, err = Dial(ctx, addrs[0], mallory, PartyName(0), Options{})
	requirePeerErr(t, err, PartyName(0), "handshake", ErrPeerIdentity) // nobody expects mallory
	two, err := DialMesh(ctx, MeshConfig{Self: 2, Addrs: addrs, Identity: ids[2], Star: true})
	require.NoError(t, err)

	r := <-hub
	require.NoError(t, r.err)
	h1, err := r.m.Conn(1)
	require.NoError(t, err)
	require.NoError(t, one.Send(ctx, []byte("from 1")))
	got, err := h1.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "from 1", string(got))
	h2, err := r.m.Conn(2)
	require.NoError(t, err)
	require.Equal(t, PartyName(2), h2.Peer())

	require.NoError(t, one.Close())
	require.NoError(t, two.Close())
	require.NoError(t, r.m.Close())
	require.NoError(t, l.Close())
	requireGoroutinesBack(t, base)
}

// TestDialMeshMissingParty: if a party never shows up, setup ends with the
// context and the error names the missing party; nothing is left running.
func TestDialMeshMissingParty(t *testing.T) {
	base := goroutines()
	_, ids := meshParties(t, 3)
	addrs := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r0 := startDialMesh(ctx, MeshConfig{Self: 0, Addrs: addrs, Identity: ids[0]})
	r1 := startDialMesh(ctx, MeshConfig{Self: 1, Addrs: addrs, Identity: ids[1]})
	for _, ch := range []<-chan meshResult{r0, r1} {
		r := <-ch
		requirePeerErr(t, r.err, PartyName(2), "accept", context.DeadlineExceeded)
	}
	// Party 2 alone: it keeps dialing parties that have gone, until its
	// deadline, and names the first.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	_, err := DialMesh(ctx2, MeshConfig{Self: 2, Addrs: addrs, Identity: ids[2]})
	require.Error(t, err)
	var pe *PeerError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, []string{PartyName(0), PartyName(1)}, pe.Peer)
	requireGoroutinesBack(t, base)
}

func TestDialMeshInvalid(t *testing.T) {
	checkLeaks(t)
	_, ids := meshParties(t, 2)
	addrs := []string{"127.0.0.1:1", "127.0.0.1:2"}
	ctx := context.Background()
	for name, cfg := range map[string]MeshConfig{
		"OneParty":      {Self: 0, Addrs: addrs[:1], Identity: ids[0]},
		"SelfOutside":   {Self: 2, Addrs: addrs, Identity: ids[0]},
		"NoIdentity":    {Self: 0, Addrs: addrs},
		"WrongIdentity": {Self: 0, Addrs: addrs, Identity: ids[1]},
		"NamesCount":    {Self: 0, Addrs: addrs, Identity: ids[0], Names: []string{"party-0"}},
		"NamesRepeated": {Self: 0, Addrs: addrs, Identity: ids[0], Names: []string{"party-0", "party-0"}},
		"NoAddress":     {Self: 1, Addrs: []string{"", ""}, Identity: ids[1]},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DialMesh(ctx, cfg)
			require.ErrorIs(t, err, ErrInvalidParams)
		})
	}
}

// TestDialMeshPartyNotAcceptingYet: a party whose listener is open but who
// has not started accepting (its handshakes time out on the dialer) is
// dialed again until it does.
func TestDialMeshPartyNotAcceptingYet(t *testing.T) {
	checkLeaks(t)
	_, ids := meshParties(t, 2)
	opts := Options{HandshakeTimeout: 200 * time.Millisecond}
	l, err := Listen("127.0.0.1:0", ids[0], opts)
	require.NoError(t, err)
	defer l.Close()
	addrs := []string{l.Addr().String(), ""}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	spoke := startDialMesh(ctx, MeshConfig{Self: 1, Addrs: addrs, Identity: ids[1], Options: opts})
	time.Sleep(500 * time.Millisecond) // a few handshake timeouts
	hub, err := DialMesh(ctx, MeshConfig{Self: 0, Addrs: addrs, Identity: ids[0], Listener: l, Options: opts})
	require.NoError(t, err)
	r := <-spoke
	require.NoError(t, r.err)
	exchangeAll(t, []Mesh{hub, r.m})
	require.NoError(t, hub.Close())
	require.NoError(t, r.m.Close())
}
