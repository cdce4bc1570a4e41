package secagg

import (
	"context"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/internal/sealed"
	"github.com/veil-go/veil/transport"
	"github.com/veil-go/veil/transport/transporttest"
)

// dropAt wraps client meshes so that client i's link to the server closes
// before it sends its message of stage drop[i] (it has sent drop[i]-1
// messages by then, plus its nonce after the advert), as a client that
// goes offline.
func dropAt(meshes []transport.Mesh, drop map[int]int) []transport.Mesh {
	out := append([]transport.Mesh(nil), meshes...)
	for i, stage := range drop {
		sent := stage - 1
		if stage > dropBeforeKeys {
			sent++ // the reveal
		}
		out[i] = transporttest.WrapMesh(meshes[i], func(_ int, c transport.Conn) transport.Conn {
			return transporttest.CloseAfter(c, sent)
		})
	}
	return out
}

// runStar runs a round over meshes with the package's test identities.
func runStar(t *testing.T, ctx context.Context, meshes []transport.Mesh, p *Params, in [][]uint64) (*Result, error, []error) {
	t.Helper()
	ids := identities(t, p.Clients())
	var wg sync.WaitGroup
	errs := make([]error, len(meshes))
	for i := 1; i < len(meshes); i++ {
		wg.Go(func() { _, errs[i] = RunClient(ctx, meshes[i], p, ids[i], in[i-1]) })
	}
	res, err := RunServer(ctx, meshes[0], p, ids[0])
	wg.Wait()
	return res, err, errs
}

func TestRunnerMemStar(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, g := range []Graph{CompleteGraph, SparseGraph} {
		t.Run(g.String(), func(t *testing.T) {
			const n, dim = 12, 20
			// Three drops: complete, 11 neighbours, t = 7; sparse, degree 8,
			// t = 5.
			thr := map[Graph]int{CompleteGraph: 7, SparseGraph: 5}[g]
			p := newParams(t, Config{Clients: n, Length: dim, Graph: g, Degree: 8, Threshold: thr, RoundTimeout: 5 * time.Second})
			drop := map[int]int{2: dropBeforeShares, 5: dropBeforeInput, 9: dropBeforeUnmask}
			meshes := dropAt(memStar(t, n+1), drop)
			in := randomInputs(r, n, dim, 1000)
			res, err, errs := runStar(t, context.Background(), meshes, p, in)
			require.NoError(t, err)
			for i, e := range errs[1:] {
				if _, dropped := drop[i+1]; dropped {
					assert.ErrorIs(t, e, transport.ErrClosed, "client %d", i+1)
				} else {
					assert.NoError(t, e, "client %d", i+1)
				}
			}
			counted := []int{1, 3, 4, 6, 7, 8, 9, 10, 11, 12}
			assert.Equal(t, counted, res.Counted)
			assert.Equal(t, []int{2, 5}, res.Dropped)
			assert.Equal(t, plainSum(in, counted, dim), res.Sum)
			assert.Contains(t, res.Excluded, 2)
			assert.Contains(t, res.Excluded, 5)
			assert.Positive(t, res.Stats.BytesReceived)
			assert.Positive(t, res.Stats.Duration)
			// The leakage states the counted and dropped clients.
			part := res.Leakage.To("server")
			require.Len(t, part, 3)
			assert.Contains(t, part.String(), "counted (10) and which dropped (2)")
		})
	}
}

func TestRunInProcess(t *testing.T) {
	const n, dim = 6, 5
	p := newParams(t, Config{Clients: n, Length: dim, Threshold: 3})
	in := randomInputs(rand.New(rand.NewPCG(2, 3)), n, dim, 0)
	res, err := RunInProcess(context.Background(), p, in, nil)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3, 4, 5, 6}, res.Counted)
	assert.Equal(t, plainSum(in, res.Counted, dim), res.Sum)
	// Identities from a CA the others do not trust: the server rejects the
	// clients' keys and the round aborts.
	ids := identities(t, n)
	rogue, err := IssueIdentities(p)
	require.NoError(t, err)
	mixed := append([]*transport.Identity{ids[0]}, rogue[1:]...)
	_, err = RunInProcess(context.Background(), p, in, mixed)
	assert.ErrorIs(t, err, ErrTooManyDropouts)
}

func TestRunnerAbortTellsClients(t *testing.T) {
	const n, dim = 5, 3
	p := newParams(t, Config{Clients: n, Length: dim, Threshold: 3, RoundTimeout: 5 * time.Second})
	meshes := dropAt(memStar(t, n+1), map[int]int{1: dropBeforeInput, 2: dropBeforeInput})
	in := randomInputs(rand.New(rand.NewPCG(1, 1)), n, dim, 10)
	res, err, errs := runStar(t, context.Background(), meshes, p, in)
	require.ErrorIs(t, err, ErrTooManyDropouts)
	assert.Nil(t, res)
	for i := 3; i <= n; i++ {
		assert.ErrorIs(t, errs[i], ErrAborted, "client %d", i)
		assert.True(t, strings.HasPrefix(errs[i].Error(), `secagg client `), errs[i].Error())
	}
	assert.Contains(t, err.Error(), "secagg server, step masked input: ")
}

// A server that substitutes client 1's advertised keys in the lists it
// relays (here: the link from the server rewrites them) is caught by every
// other client, which gives up; the round aborts and no sum is revealed.
func TestRunnerSubstitutedKeysAbort(t *testing.T) {
	const n, dim = 5, 2
	p := newParams(t, Config{Clients: n, Length: dim, Threshold: 3, RoundTimeout: 5 * time.Second})
	ids := identities(t, n)
	forged, err := sealed.New(ids[0], labelSealed, p.digest[:], 1, nslots)
	require.NoError(t, err)
	forgedAdvert, err := forged.Advert().MarshalBinary()
	require.NoError(t, err)
	meshes := memStar(t, n+1)
	meshes[0] = transporttest.WrapMesh(meshes[0], func(peer int, c transport.Conn) transport.Conn {
		if peer == 1 {
			return c
		}
		return transporttest.Corrupt(c, 2, func(b []byte) []byte { // the key list (after the announcement and the enrolled set)
			var kl KeyListMsg
			require.NoError(t, kl.UnmarshalBinary(b))
			require.Equal(t, 1, kl.Keys[0].ID)
			kl.Keys[0].Advert = forgedAdvert
			out, err := kl.MarshalBinary()
			require.NoError(t, err)
			return out
		})
	})
	in := randomInputs(rand.New(rand.NewPCG(4, 4)), n, dim, 10)
	res, err, errs := runStar(t, context.Background(), meshes, p, in)
	require.ErrorIs(t, err, ErrTooManyDropouts)
	assert.Nil(t, res)
	for i := 2; i <= n; i++ {
		assert.ErrorIs(t, errs[i], ErrBadAdvert, "client %d", i)
		assert.True(t, strings.HasPrefix(errs[i].Error(), `secagg client `+string(rune('0'+i))+`, step share keys, peer "party-0": `), errs[i].Error())
	}
	assert.ErrorIs(t, errs[1], ErrAborted)
}

// A client that never answers is dropped when the round times out.
func TestRunnerSilentClientTimesOut(t *testing.T) {
	const n, dim = 4, 2
	p := newParams(t, Config{Clients: n, Length: dim, Threshold: 2, RoundTimeout: 2 * time.Second}) // wide enough for -race under load
	meshes := memStar(t, n+1)
	meshes[n] = transporttest.WrapMesh(meshes[n], func(_ int, c transport.Conn) transport.Conn { return transporttest.SilentAfter(c, 0) })
	in := [][]uint64{{1, 2}, {3, 4}, {5, 6}, {7, 8}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ids := identities(t, n)
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	for i := 1; i <= n; i++ {
		wg.Go(func() { _, errs[i] = RunClient(ctx, meshes[i], p, ids[i], in[i-1]) })
	}
	res, err := RunServer(ctx, meshes[0], p, ids[0])
	cancel() // the silent client waits for a key list that never comes
	wg.Wait()
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3}, res.Counted)
	assert.Equal(t, []uint64{9, 12}, res.Sum)
	assert.ErrorIs(t, res.Excluded[n], context.DeadlineExceeded)
}

func TestRunnerTLSLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("TLS setup")
	}
	const n, dim = 6, 10
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := newParams(t, Config{Clients: n, Length: dim, Threshold: 3})
	meshes, err := transport.NewTLSLoopbackStar(ctx, n+1, transport.Options{})
	require.NoError(t, err)
	defer func() {
		for _, m := range meshes {
			_ = m.Close()
		}
	}()
	in := randomInputs(rand.New(rand.NewPCG(7, 7)), n, dim, 1<<20)
	res, err, errs := runStar(t, ctx, dropAt(meshes, map[int]int{3: dropBeforeUnmask, 4: dropBeforeInput}), p, in)
	require.NoError(t, err)
	for _, i := range []int{1, 2, 5, 6} {
		assert.NoError(t, errs[i], "client %d", i)
	}
	counted := []int{1, 2, 3, 5, 6}
	assert.Equal(t, counted, res.Counted)
	assert.Equal(t, plainSum(in, counted, dim), res.Sum)
}

// When the server goes away mid-round, every client returns promptly with a
// transport error, and no goroutine is left behind.
func TestRunnerServerVanishes(t *testing.T) {
	const n = 4
	ids := identities(t, n)
	before := runtime.NumGoroutine()
	p := newParams(t, Config{Clients: n, Length: 2, Threshold: 2})
	meshes, err := transport.NewMemStar(n+1, transport.Options{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	for i := 1; i <= n; i++ {
		wg.Go(func() { _, errs[i] = RunClient(context.Background(), meshes[i], p, ids[i], []uint64{1, 2}) })
	}
	// The server announces the round, reads the adverts, then disappears.
	for i := 1; i <= n; i++ {
		c, err := meshes[0].Conn(i)
		require.NoError(t, err)
		b, err := (&AnnounceMsg{Params: p.marshal()}).MarshalBinary()
		require.NoError(t, err)
		require.NoError(t, c.Send(context.Background(), b))
		_, err = c.Recv(context.Background())
		require.NoError(t, err)
	}
	start := time.Now()
	require.NoError(t, meshes[0].Close())
	wg.Wait()
	assert.Less(t, time.Since(start), 2*time.Second)
	for i := 1; i <= n; i++ {
		assert.ErrorIs(t, errs[i], transport.ErrClosed, "client %d", i)
		_ = meshes[i].Close()
	}
	// (A polling loop: assert.Eventually runs its condition on a goroutine.)
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if runtime.NumGoroutine() > before {
		t.Errorf("goroutines leaked")
		buf := make([]byte, 1<<16)
		t.Logf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
	}
}

// Cancelling the server's context ends RunServer promptly with the context
// error.
func TestRunnerServerCancel(t *testing.T) {
	const n = 3
	p := newParams(t, Config{Clients: n, Length: 2, Threshold: 2})
	meshes := memStar(t, n+1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := RunServer(ctx, meshes[0], p, identities(t, n)[0]) // no client ever speaks
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// memStar is an in-memory star of n parties (server 0), closed when the
// test ends.
func memStar(t *testing.T, n int) []transport.Mesh {
	t.Helper()
	meshes, err := transport.NewMemStar(n, transport.Options{})
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, m := range meshes {
			_ = m.Close()
		}
	})
	return meshes
}

// A server that skips the consistency step's signatures (it asks for the
// shares with the counted set alone) gets none over the runner: every
// client refuses with ErrProtocol and tells the server it gives up.
func TestRunnerUnsignedUnmaskRefused(t *testing.T) {
	const n, dim = 4, 2
	p := newParams(t, Config{Clients: n, Length: dim, RoundTimeout: 5 * time.Second})
	ids := identities(t, n)
	meshes := memStar(t, n+1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Go(func() { _, errs[i] = RunClient(ctx, meshes[i], p, ids[i], []uint64{uint64(i), 0}) })
	}
	conns := make([]transport.Conn, n+1)
	for i := 1; i <= n; i++ {
		var err error
		conns[i], err = meshes[0].Conn(i)
		require.NoError(t, err)
	}
	recv := func(i int, m message) {
		b, err := conns[i].Recv(ctx)
		require.NoError(t, err)
		require.NoError(t, m.UnmarshalBinary(b))
	}
	send := func(i int, m message) {
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		require.NoError(t, conns[i].Send(ctx, b))
	}
	srv, err := NewServer(p, ids[0])
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		send(i, &AnnounceMsg{Params: p.marshal()})
	}
	for i := 1; i <= n; i++ {
		var m AdvertMsg
		recv(i, &m)
		require.NoError(t, srv.AddAdvert(&m))
	}
	enr, err := srv.Enrolment()
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		send(i, enr[i])
	}
	for i := 1; i <= n; i++ {
		var m RevealMsg
		recv(i, &m)
		require.NoError(t, srv.AddReveal(&m))
	}
	lists, err := srv.KeyLists()
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		send(i, lists[i])
	}
	for i := 1; i <= n; i++ {
		var m ShareBundleMsg
		recv(i, &m)
		require.NoError(t, srv.AddShares(&m))
	}
	dels, err := srv.Deliveries()
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		send(i, dels[i])
	}
	for i := 1; i <= n; i++ {
		var m MaskedInputMsg
		recv(i, &m)
		require.NoError(t, srv.AddMaskedInput(&m))
	}
	sets, err := srv.CountedSets()
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		send(i, sets[i])
	}
	for i := 1; i <= n; i++ {
		var m CountedSigMsg
		recv(i, &m)
	}
	for i := 1; i <= n; i++ { // the signatures withheld
		send(i, &UnmaskRequestMsg{To: i, Counted: sets[i].Counted})
	}
	for i := 1; i <= n; i++ {
		b, err := conns[i].Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, tagAbort, b[0], "client %d answered", i)
	}
	wg.Wait()
	for i := 1; i <= n; i++ {
		assert.ErrorIs(t, errs[i], ErrProtocol, "client %d", i)
		assert.Contains(t, errs[i].Error(), "step unmask")
	}
}

// A client with no Params of its own joins on the server's announcement,
// checked against its expectations; weaker parameters are refused before
// it advertises anything, and the receipt-ready transcript is the same
// for every party.
func TestJoinRound(t *testing.T) {
	const n, dim = 5, 3
	p := newParams(t, Config{Clients: n, Length: dim, Threshold: 3, RoundTimeout: 5 * time.Second})
	ids := identities(t, n)
	meshes := memStar(t, n+1)
	in := randomInputs(rand.New(rand.NewPCG(8, 8)), n, dim, 100)
	want := Expectation{Length: dim, MaxClients: 10, MinThreshold: 3}
	var wg sync.WaitGroup
	res := make([]*ClientResult, n+1)
	errs := make([]error, n+1)
	for i := 1; i <= n; i++ {
		wg.Go(func() { res[i], errs[i] = JoinRound(context.Background(), meshes[i], want, ids[i], in[i-1]) })
	}
	srvRes, err := RunServer(context.Background(), meshes[0], p, ids[0])
	wg.Wait()
	require.NoError(t, err)
	assert.Equal(t, plainSum(in, srvRes.Counted, dim), srvRes.Sum)
	for i := 1; i <= n; i++ {
		require.NoError(t, errs[i])
		assert.Equal(t, p.Digest(), res[i].Params.Digest())
		assert.Equal(t, srvRes.Transcript, res[i].Transcript, "client %d", i)
		assert.Equal(t, srvRes.Counted, res[i].Counted)
		assert.Equal(t, srvRes.Leakage, res[i].RoundLeakage)
	}

	announce := &AnnounceMsg{Params: p.marshal()}
	for _, bad := range []Expectation{
		{Length: dim + 1},
		{Length: dim, MaxClients: n - 1},
		{Length: dim, MinClients: n + 1},
		{Length: dim, MinThreshold: 4},
		{Length: dim, MinSecurityBits: 50},
		{Length: dim, MinCorruptRate: 0.2},
		{Length: dim, Names: []string{"a", "b", "c", "d", "e", "f"}},
	} {
		_, err := bad.Accept(announce)
		assert.ErrorIs(t, err, ErrMismatch, "%+v", bad)
	}
	_, err = Expectation{}.Accept(announce)
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = want.Accept(&AnnounceMsg{Params: []byte{1, 2, 3}})
	assert.ErrorIs(t, err, ErrMalformed)
}
