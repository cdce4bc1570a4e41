package he

import (
	"context"
	"math/rand"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

func TestRunThresholdWithDropouts(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	const n = 9 // hub + 8 spokes
	p, err := NewParams(Config{Preset: IntLogN13, Bound: 1 << 20, MaxWeight: 8, KeyHolders: 5, Threshold: 3})
	require.NoError(t, err)
	star, err := transport.NewMemStar(n, transport.Options{})
	require.NoError(t, err)
	defer func() {
		for _, m := range star {
			m.Close()
		}
	}()
	round := Round{
		Holders: []int{1, 2, 3, 4, 5},
		Clients: []int{1, 2, 3, 4, 5, 6, 7, 8},
		Length:  100,
		// Client 7 never sends, so the collection always runs to the end
		// of its window; the window is wide enough for slow runs (-race on
		// a loaded machine) to have every other ciphertext in by then.
		CollectWindow: 3 * time.Second,
		ShareWindow:   10 * time.Second,
	}
	inputs := map[int]SpokeInput{}
	plain := map[int][]int64{}
	for _, j := range round.Clients {
		v := randInts(r, round.Length, 1<<20)
		in := SpokeInput{Ints: v}
		switch j {
		case 7:
			in.Silent = true // never sends
		case 2, 3:
			in.DropAfterSend = true // key holders 1 and 2 crash after contributing
		}
		plain[j] = v
		inputs[j] = in
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := RunInProcess(ctx, star, p, round, inputs)
	if res != nil {
		t.Log(res.SpokeErrors)
	}
	require.NoError(t, err)
	// The decrypted sum is exactly the plaintext sum of the counted clients.
	want := make([]int64, round.Length)
	for _, j := range res.Counted {
		for i, x := range plain[j] {
			want[i] += x
		}
	}
	require.Equal(t, want, res.Ints)
	require.Equal(t, []int{1, 2, 3, 4, 5, 6, 8}, res.Counted)
	require.Equal(t, []int{7}, res.Missing)
	require.ElementsMatch(t, []int{2, 3}, res.Dropped)
	require.Equal(t, []int{1, 4, 5}, res.Decryptors)
	require.Greater(t, res.Bytes[6].BytesReceived, int64(p.CiphertextBytes(round.Length)))
	t.Logf("keygen %v collect %v aggregate %v decrypt %v; client 6 sent %d B, holder 1 sent %d B",
		res.KeyGen, res.Collect, res.Aggregate, res.Decrypt, res.Bytes[6].BytesReceived, res.Bytes[1].BytesReceived)
}

func TestRunNofNRealsAndTooManyDrops(t *testing.T) {
	p, err := NewParams(Config{Preset: RealLogN13, RealBound: 10, MaxWeight: 3, KeyHolders: 3})
	require.NoError(t, err)
	star, err := transport.NewMemStar(4, transport.Options{})
	require.NoError(t, err)
	round := Round{Holders: []int{1, 2, 3}, Clients: []int{1, 2, 3}, Length: 5}
	inputs := map[int]SpokeInput{
		1: {Floats: []float64{1, 2, 3, 4, 5}},
		2: {Floats: []float64{-1, 0.5, 0, 0, 10}},
		3: {Floats: []float64{0.25, 0, 0, -4, -10}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := RunInProcess(ctx, star, p, round, inputs)
	require.NoError(t, err)
	require.InDeltaSlice(t, []float64{0.25, 2.5, 3, 0, 5}, res.Floats, 1e-5)

	// N-of-N cannot survive a dropped key holder: a clear error, no hang.
	star, err = transport.NewMemStar(4, transport.Options{})
	require.NoError(t, err)
	in := inputs[2]
	in.DropAfterSend = true
	inputs[2] = in
	_, err = RunInProcess(ctx, star, p, round, inputs)
	require.ErrorIs(t, err, ErrNotEnoughShares)
}

func TestRunOverTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	star, err := transport.NewTLSLoopbackStar(ctx, 4, transport.Options{})
	require.NoError(t, err)
	defer func() {
		for _, m := range star {
			m.Close()
		}
	}()
	p, err := NewParams(Config{Preset: IntLogN13, Bound: 100, MaxWeight: 3, KeyHolders: 3, Threshold: 2})
	require.NoError(t, err)
	round := Round{Holders: []int{1, 2, 3}, Clients: []int{1, 2, 3}, Length: 3}
	inputs := map[int]SpokeInput{1: {Ints: []int64{1, 2, 3}}, 2: {Ints: []int64{-5, 0, 5}}, 3: {Ints: []int64{100, -100, 0}}}
	res, err := RunInProcess(ctx, star, p, round, inputs)
	require.NoError(t, err)
	require.Equal(t, []int64{96, -98, 8}, res.Ints)
}

func TestRunFaults(t *testing.T) {
	p, err := NewParams(Config{Preset: IntLogN13, Bound: 100, MaxWeight: 3, KeyHolders: 3, Threshold: 2})
	require.NoError(t, err)
	round := Round{Holders: []int{1, 2, 3}, Clients: []int{1, 2, 3}, Length: 2, CollectWindow: 300 * time.Millisecond, ShareWindow: 300 * time.Millisecond}
	before := runtime.NumGoroutine()

	t.Run("holders absent at key generation", func(t *testing.T) {
		star, err := transport.NewMemStar(4, transport.Options{})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		t0 := time.Now()
		_, err = RunHub(ctx, star[0], p, round)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Contains(t, err.Error(), "key generation")
		require.Less(t, time.Since(t0), 2*time.Second)
	})
	t.Run("garbage ciphertext is left out", func(t *testing.T) {
		star, err := transport.NewMemStar(5, transport.Options{})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r := round
		r.Clients = []int{1, 2, 4}
		// Wide windows: the assertions below need clients 1 and 2 counted
		// even on a loaded machine under -race.
		r.CollectWindow, r.ShareWindow = 5*time.Second, 5*time.Second
		done := make(chan error, 4)
		for _, j := range []int{1, 2, 3} {
			go func() {
				_, err := RunSpoke(ctx, star[j], p, r, SpokeInput{Ints: []int64{int64(j), 1}})
				done <- err
			}()
		}
		go func() { // client 4 sends junk once it has the key
			c, _ := star[4].Conn(0)
			_, err := recvType(ctx, c, tPublicKey)
			if err == nil {
				err = c.Send(ctx, []byte{tCiphertext, 1, 2, 3})
			}
			done <- err
		}()
		res, err := RunHub(ctx, star[0], p, r)
		require.NoError(t, err)
		require.Equal(t, []int64{3, 2}, res.Ints)
		require.Equal(t, []int{1, 2}, res.Counted)
		require.Equal(t, []int{4}, res.Missing)
		for i := 0; i < 4; i++ {
			require.NoError(t, <-done)
		}
	})
	t.Run("bad round", func(t *testing.T) {
		star, err := transport.NewMemStar(4, transport.Options{})
		require.NoError(t, err)
		for _, r := range []Round{
			{Holders: []int{1, 2}, Clients: []int{1}, Length: 1},
			{Holders: []int{1, 2, 2}, Clients: []int{1}, Length: 1},
			{Holders: []int{1, 2, 3}, Clients: []int{4}, Length: 1},
			{Holders: []int{0, 2, 3}, Clients: []int{1}, Length: 1},
			{Holders: []int{1, 2, 3}, Clients: []int{1, 2, 3}, Length: -1},
		} {
			_, err := RunHub(context.Background(), star[0], p, r)
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", r)
		}
		_, err = RunHub(context.Background(), star[1], p, round)
		require.ErrorIs(t, err, ErrInvalidParams)
	})
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if runtime.NumGoroutine() > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines leaked: %d > %d\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
	}
}
