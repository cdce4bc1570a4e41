package he

import (
	"context"
	"errors"
	"math/rand"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/internal/sealed"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
	"github.com/veil-go/veil/transport/transporttest"
)

// holderSends is how many messages a key holder that is also a client sends
// up to and including its ciphertext: keygen, (T-of-N) deals, ciphertext.
func holderSends(p *Params) int {
	if p.cfg.Threshold > 0 {
		return 3
	}
	return 2
}

// crashAfter makes spoke j of star close its link to the hub after k
// messages, as a crash.
func crashAfter(star []transport.Mesh, j, k int) {
	star[j] = transporttest.WrapMesh(star[j], func(_ int, c transport.Conn) transport.Conn { return transporttest.CloseAfter(c, k) })
}

// silentAfter makes spoke j of star stop sending after k messages while
// staying connected.
func silentAfter(star []transport.Mesh, j, k int) {
	star[j] = transporttest.WrapMesh(star[j], func(_ int, c transport.Conn) transport.Conn { return transporttest.SilentAfter(c, k) })
}

func memStar(t *testing.T, n int) []transport.Mesh {
	star, err := transport.NewMemStar(n, transport.Options{})
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, m := range star {
			m.Close()
		}
	})
	return star
}

func disclosed(l report.Leakage, to, what string) *report.Disclosure {
	for i := range l {
		if l[i].To == to && l[i].What == what {
			return &l[i]
		}
	}
	return nil
}

func TestRunThresholdWithDropouts(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	const n = 9 // hub + 8 spokes
	p, err := NewParams(Config{Preset: IntLogN13, Bound: 1 << 20, MaxWeight: 8, KeyHolders: 5, Threshold: 3})
	require.NoError(t, err)
	star := memStar(t, n)
	round := Round{
		SemiHonestContributions: true,
		Holders:                 []int{1, 2, 3, 4, 5},
		Clients:                 []int{1, 2, 3, 4, 5, 6, 7, 8},
		Length:                  100,
		// Client 7 never sends, so the collection always runs to the end
		// of its window; the window is wide enough for slow runs (-race on
		// a loaded machine) to have every other ciphertext in by then.
		CollectWindow: 3 * time.Second,
		ShareWindow:   10 * time.Second,
	}
	silentAfter(star, 7, 0)             // never sends
	crashAfter(star, 2, holderSends(p)) // key holders 1 and 2 crash
	crashAfter(star, 3, holderSends(p)) // after contributing
	inputs := map[int]SpokeInput{}
	plain := map[int][]int64{}
	for _, j := range round.Clients {
		plain[j] = randInts(r, round.Length, 1<<20)
		inputs[j] = SpokeInput{Ints: plain[j]}
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
	// The crashed holders failed; the silent client got the result.
	require.Contains(t, res.SpokeErrors, 2)
	require.Contains(t, res.SpokeErrors, 3)
	require.NotContains(t, res.SpokeErrors, 7)

	// Traffic: what client 6 sent holds its ciphertext; the hub's total is
	// the sum over its links.
	require.Greater(t, res.PerSpoke[6].BytesReceived, int64(p.CiphertextBytes(round.Length)))
	var total transport.Stats
	for _, s := range res.PerSpoke {
		total = total.Add(s)
	}
	require.Equal(t, total, res.Stats.Stats)
	require.Positive(t, res.Stats.Duration)

	// Leakage, from the run: 100 sums of 7 clients, to the hub and every spoke.
	out := disclosed(res.Leakage, "hub", report.Output)
	require.NotNil(t, out)
	require.Equal(t, int64(100), out.Count)
	require.Equal(t, int64(700), disclosed(res.Leakage, "hub", report.InputSize).Count)
	require.Equal(t, int64(7), disclosed(res.Leakage, "clients", report.Participants).Count)
	require.Contains(t, disclosed(res.Leakage, "hub", report.Participants).Note, "missing [7]")
	t.Logf("keygen %v collect %v aggregate %v decrypt %v; client 6 sent %d B, holder 1 sent %d B\n%v",
		res.KeyGen, res.Collect, res.Aggregate, res.Decrypt, res.PerSpoke[6].BytesReceived, res.PerSpoke[1].BytesReceived, res.Leakage)
}

func TestRunNofNRealsAndTooManyDrops(t *testing.T) {
	p, err := NewParams(Config{Preset: RealLogN13, RealBound: 10, MaxWeight: 3, KeyHolders: 3})
	require.NoError(t, err)
	// Every default: holders 1-3, every spoke a client, length from the input.
	round := Round{SemiHonestContributions: true}
	inputs := map[int]SpokeInput{
		1: {Floats: []float64{1, 2, 3, 4, 5}},
		2: {Floats: []float64{-1, 0.5, 0, 0, 10}},
		3: {Floats: []float64{0.25, 0, 0, -4, -10}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := RunInProcess(ctx, memStar(t, 4), p, round, inputs)
	require.NoError(t, err)
	require.InDeltaSlice(t, []float64{0.25, 2.5, 3, 0, 5}, res.Floats, 1e-5)

	// N-of-N cannot survive a dropped key holder: a clear error, no hang.
	star := memStar(t, 4)
	crashAfter(star, 2, holderSends(p))
	_, err = RunInProcess(ctx, star, p, round, inputs)
	require.ErrorIs(t, err, ErrNotEnoughShares)
	require.True(t, strings.HasPrefix(err.Error(), "he hub, step decrypt: not enough decryption shares"), err.Error())
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
	p, err := NewParams(Config{Bound: 100, MaxWeight: 3, KeyHolders: 3, Threshold: 2}) // zero Preset: IntLogN13
	require.NoError(t, err)
	require.Equal(t, IntLogN13, p.Config().Preset)
	round := Round{SemiHonestContributions: true, Holders: []int{1, 2, 3}, Clients: []int{1, 2, 3}, Length: 3}
	inputs := map[int]SpokeInput{1: {Ints: []int64{1, 2, 3}}, 2: {Ints: []int64{-5, 0, 5}}, 3: {Ints: []int64{100, -100, 0}}}
	res, err := RunInProcess(ctx, star, p, round, inputs)
	require.NoError(t, err)
	require.Equal(t, []int64{96, -98, 8}, res.Ints)
}

// advertForger is the hub's link to a key holder, rewritten by a hub that
// puts its own keys in place of key holder 0's advert, to read the deals
// sealed to holder 0. It records the deals it receives.
type advertForger struct {
	transport.Conn
	forge func(crs CRS) []byte // the advert to relay for holder 0
	deals int
	crs   CRS
}

func (f *advertForger) Send(ctx context.Context, b []byte) error {
	if m, err := decodeMessage(b); err == nil {
		switch m := m.(type) {
		case *crsMsg:
			f.crs = m.CRS
		case *advertsMsg:
			m.Adverts[0] = f.forge(f.crs)
			b, _ = m.MarshalBinary()
		}
	}
	return f.Conn.Send(ctx, b)
}

func (f *advertForger) Recv(ctx context.Context) ([]byte, error) {
	b, err := f.Conn.Recv(ctx)
	if m, e := decodeMessage(b); e == nil && m.typ() == typeDeals {
		f.deals++
	}
	return b, err
}

func TestRunHubSubstitutesAdvert(t *testing.T) {
	p, err := NewParams(Config{Bound: 100, MaxWeight: 3, KeyHolders: 3, Threshold: 2})
	require.NoError(t, err)
	ca, err := transport.NewCA("test CA")
	require.NoError(t, err)
	ids := make([]*transport.Identity, 4)
	for j := range ids {
		ids[j], err = ca.Issue(transport.PartyName(j))
		require.NoError(t, err)
	}
	// Holder 0 (spoke 1) really advertises this; the hub keeps its keys.
	genuine := func(crs CRS) *sealed.Advert {
		k, err := sealed.New(ids[1], sealLabel, crs[:], 0, 1)
		require.NoError(t, err)
		return k.Advert()
	}
	forgeries := map[string]func(crs CRS) []byte{
		// The hub signs an advert for holder 0 with its own certificate,
		// valid under the same CA.
		"signed by the hub": func(crs CRS) []byte {
			k, err := sealed.New(ids[0], sealLabel, crs[:], 0, 1)
			require.NoError(t, err)
			b, _ := k.Advert().MarshalBinary()
			return b
		},
		// The hub puts its keys into holder 0's signed advert.
		"keys replaced": func(crs CRS) []byte {
			a := genuine(crs)
			mine, err := sealed.New(ids[0], sealLabel, crs[:], 0, 1)
			require.NoError(t, err)
			a.Keys = mine.Advert().Keys
			b, _ := a.MarshalBinary()
			return b
		},
	}
	for name, forge := range forgeries {
		t.Run(name, func(t *testing.T) {
			star := memStar(t, 4)
			var mu sync.Mutex
			links := map[int]*advertForger{}
			star[0] = transporttest.WrapMesh(star[0], func(j int, c transport.Conn) transport.Conn {
				mu.Lock()
				defer mu.Unlock()
				links[j] = &advertForger{Conn: c, forge: forge}
				return links[j]
			})
			inputs := map[int]SpokeInput{}
			for j := 1; j <= 3; j++ {
				inputs[j] = SpokeInput{Ints: []int64{int64(j)}, Identity: ids[j]}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			t0 := time.Now()
			res, err := RunInProcess(ctx, star, p, Round{SemiHonestContributions: true}, inputs)
			// The holders that got the forged advert refuse it before
			// sealing anything, and abort the round at once.
			require.Error(t, err)
			require.ErrorIs(t, err, ErrAborted)
			require.Less(t, time.Since(t0), 10*time.Second)
			// Spokes 2 and 3 refuse the advert, unless the round was
			// already aborted by the other when theirs came.
			caught := 0
			for _, j := range []int{2, 3} {
				if errors.Is(res.SpokeErrors[j], ErrBadAdvert) {
					require.ErrorIs(t, res.SpokeErrors[j], sealed.ErrBadAdvert, "spoke %d", j)
					caught++
				} else {
					require.ErrorIs(t, res.SpokeErrors[j], ErrAborted, "spoke %d", j)
				}
			}
			require.Positive(t, caught)
			require.Nil(t, res.Ints)
			// Nothing was sealed to the hub's keys: the holders that saw
			// the forgery sent no deals (holder 0 checks only the others'
			// adverts, which are genuine).
			mu.Lock()
			defer mu.Unlock()
			require.Zero(t, links[2].deals)
			require.Zero(t, links[3].deals)
		})
	}
}

func TestRunFaults(t *testing.T) {
	p, err := NewParams(Config{Preset: IntLogN13, Bound: 100, MaxWeight: 3, KeyHolders: 3, Threshold: 2})
	require.NoError(t, err)
	round := Round{SemiHonestContributions: true, Holders: []int{1, 2, 3}, Clients: []int{1, 2, 3}, Length: 2, CollectWindow: 300 * time.Millisecond, ShareWindow: 300 * time.Millisecond}
	before := runtime.NumGoroutine()

	t.Run("holders absent at key generation", func(t *testing.T) {
		star := memStar(t, 4)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		t0 := time.Now()
		_, err := RunHub(ctx, star[0], p, round)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.True(t, strings.HasPrefix(err.Error(), `he hub, step keygen, peer "party-`), err.Error())
		require.Less(t, time.Since(t0), 2*time.Second)
	})
	t.Run("garbage ciphertext is left out", func(t *testing.T) {
		star := memStar(t, 5)
		ca, err := transport.NewCA("test CA")
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
			id, err := ca.Issue(transport.PartyName(j))
			require.NoError(t, err)
			go func() {
				_, err := RunSpoke(ctx, star[j], p, r, SpokeInput{Ints: []int64{int64(j), 1}, Identity: id})
				done <- err
			}()
		}
		go func() { // client 4 sends junk once it has the key
			c, _ := star[4].Conn(0)
			_, err := expect[*publicKeyMsg](ctx, c)
			if err == nil {
				err = c.Send(ctx, []byte{byte(typeCiphertext), 1, 2, 3})
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
	t.Run("a failing spoke aborts the round", func(t *testing.T) {
		star := memStar(t, 4)
		// Spoke 2's key-generation message is cut short: the hub fails at
		// keygen naming it, and tells the other spokes.
		star[2] = transporttest.WrapMesh(star[2], func(_ int, c transport.Conn) transport.Conn { return transporttest.Truncate(c, 0, 10) })
		inputs := map[int]SpokeInput{1: {Ints: []int64{1, 1}}, 2: {Ints: []int64{2, 2}}, 3: {Ints: []int64{3, 3}}}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := RunInProcess(ctx, star, p, round, inputs)
		require.ErrorIs(t, err, ErrMalformed)
		require.True(t, strings.HasPrefix(err.Error(), `he hub, step keygen, peer "party-2": malformed message`), err.Error())
		for _, j := range []int{1, 3} {
			require.ErrorIs(t, res.SpokeErrors[j], ErrAborted, "spoke %d", j)
		}
	})
	t.Run("bad round", func(t *testing.T) {
		star := memStar(t, 4)
		for _, r := range []Round{
			{SemiHonestContributions: true, Holders: []int{1, 2}, Clients: []int{1}, Length: 1},
			{SemiHonestContributions: true, Holders: []int{1, 2, 2}, Clients: []int{1}, Length: 1},
			{SemiHonestContributions: true, Holders: []int{1, 2, 3}, Clients: []int{4}, Length: 1},
			{SemiHonestContributions: true, Holders: []int{0, 2, 3}, Clients: []int{1}, Length: 1},
			{SemiHonestContributions: true, Holders: []int{1, 2, 3}, Clients: []int{1, 2, 3}, Length: -1},
			{SemiHonestContributions: true, Names: []string{"a", "b"}},
		} {
			_, err := RunHub(context.Background(), star[0], p, r)
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", r)
		}
		_, err = RunHub(context.Background(), star[1], p, round)
		require.ErrorIs(t, err, ErrInvalidParams)
		// A T-of-N key holder without an identity is refused before it sends.
		_, err = RunSpoke(context.Background(), star[1], p, round, SpokeInput{Ints: []int64{1, 2}})
		require.ErrorIs(t, err, ErrInvalidParams)
		require.False(t, errors.Is(err, ErrAborted))
	})
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if runtime.NumGoroutine() > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines leaked: %d > %d\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
	}
}

// A key holder answers at most N-T+1 decryption requests in a round: each
// share spends statistical security of its smudging.
func TestSpokeLimitsDecryptionRequests(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		limit int
	}{
		{Config{Bound: 10, MaxWeight: 3, KeyHolders: 3}, 1},
		{Config{Bound: 10, MaxWeight: 3, KeyHolders: 4, Threshold: 2}, 3},
	} {
		p, hs, pk := collective(t, tc.cfg)
		if tc.cfg.Threshold > 0 {
			dealt := make([][]*ShamirShare, len(hs))
			for i, h := range hs {
				var err error
				dealt[i], err = h.GenShamirShares()
				require.NoError(t, err)
			}
			for j, h := range hs {
				var mine []*ShamirShare
				for i := range hs {
					mine = append(mine, dealt[i][j])
				}
				require.NoError(t, h.SetShamirShares(mine))
			}
		}
		enc, err := p.NewEncryptor(pk)
		require.NoError(t, err)
		ct, err := enc.EncryptInts([]int64{1, 2})
		require.NoError(t, err)
		masks, err := ct.Masks()
		require.NoError(t, err)
		var active []int
		if tc.cfg.Threshold > 0 {
			active = []int{0, 1}
		}
		a, b := transport.Pipe("spoke", "hub", transport.Options{})
		ss := &spokeState{ctx: context.Background(), hub: a, p: p, r: Round{SemiHonestContributions: true}, kh: hs[0], pk: pk}
		for k := 0; k < tc.limit; k++ {
			require.NoError(t, ss.share(&decryptMsg{Attempt: uint32(k), Active: active, Masks: masks}))
			m, err := expect[*shareMsg](context.Background(), b)
			require.NoError(t, err)
			require.Equal(t, uint32(k), m.Attempt)
		}
		err = ss.share(&decryptMsg{Attempt: uint32(tc.limit), Active: active, Masks: masks})
		require.ErrorIs(t, err, ErrMalformed)
		a.Close()
		b.Close()
	}
}

// TestRunRefusesUnverified is the runner's gate for the review's F3 attacks
// on collective keys: a client's crafted ciphertext (c1 = t^-1 for BGV, a
// scaled probe for CKKS) in the sum makes its decryption reveal the key
// (TestCraftedCollectiveProbe). The default path (SemiHonestContributions
// false) verifies proofs, and needs Params whose smudging is sized for
// what they bound (Config.VerifiedContributions); without them the hub and
// every spoke refuse the round with ErrUnverified before anything is sent:
// no key is made, nothing is decrypted.
//
// Mutation checked: without the gate in Round.resolve the round runs and
// the test fails.
func TestRunRefusesUnverified(t *testing.T) {
	for _, cfg := range []Config{
		{Preset: IntLogN13, Bound: 1000, MaxWeight: 3, KeyHolders: 3, MaxValues: 1 << 12},
		{Preset: RealLogN13, RealBound: 10, MaxWeight: 3, KeyHolders: 3, Threshold: 2, MaxValues: 1 << 12},
	} {
		p, err := NewParams(cfg)
		require.NoError(t, err)
		star := memStar(t, 4)
		inputs := map[int]SpokeInput{}
		for j := 1; j <= 3; j++ {
			if p.Scheme() == BGV {
				inputs[j] = SpokeInput{Ints: []int64{1, 2}}
			} else {
				inputs[j] = SpokeInput{Floats: []float64{1, 2}}
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := RunInProcess(ctx, star, p, Round{}, inputs)
		cancel()
		require.ErrorIs(t, err, ErrUnverified)
		require.Nil(t, res)
		_, err = RunHub(context.Background(), star[0], p, Round{})
		require.ErrorIs(t, err, ErrUnverified)
		_, err = RunSpoke(context.Background(), star[1], p, Round{}, inputs[1])
		require.ErrorIs(t, err, ErrUnverified)
		require.Zero(t, star[0].Stats().BytesSent)
		require.Zero(t, star[1].Stats().BytesSent)
	}
}

// TestSpokeRefusesStaleMasks: a key holder answers decryption requests only
// for ciphertexts under its round's key (L2).
func TestSpokeRefusesStaleMasks(t *testing.T) {
	cfg := Config{Bound: 10, MaxWeight: 3, KeyHolders: 3, MaxValues: 1 << 13}
	p, hs, pk := collective(t, cfg)
	_, _, pk2 := collective(t, cfg)
	p2 := pk2.p
	enc, err := p2.NewEncryptor(pk2)
	require.NoError(t, err)
	ct, err := enc.EncryptInts([]int64{1, 2})
	require.NoError(t, err)
	masks, err := ct.Masks()
	require.NoError(t, err)
	a, b := transport.Pipe("spoke", "hub", transport.Options{})
	defer a.Close()
	defer b.Close()
	ss := &spokeState{ctx: context.Background(), hub: a, p: p, r: Round{SemiHonestContributions: true}, kh: hs[0], pk: pk}
	require.ErrorIs(t, ss.share(&decryptMsg{Masks: masks}), ErrMismatch)
}

// TestRoundFitsTransport is the review's L1: a Length the transport cannot
// carry failed only at run time. The round now checks its largest message
// against the transport's limit up front.
//
// Mutation checked: without the size check in Round.resolve the first
// case is accepted and the test fails.
func TestRoundFitsTransport(t *testing.T) {
	p, err := NewParams(Config{Preset: IntLogN13, Bound: 10, MaxWeight: 2, KeyHolders: 2, MaxValues: 1 << 24})
	require.NoError(t, err)
	_, err = Round{SemiHonestContributions: true}.resolve(p, 3)
	require.ErrorIs(t, err, ErrInvalidParams)
	t.Log(err)
	_, err = Round{SemiHonestContributions: true, Length: 1 << 20}.resolve(p, 3)
	require.NoError(t, err)
	_, err = Round{SemiHonestContributions: true, Length: 1 << 20, MaxMessageSize: 1 << 20}.resolve(p, 3)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = Round{SemiHonestContributions: true, MaxMessageSize: 1 << 30}.resolve(p, 3)
	require.NoError(t, err)
}

// staleSender replaces a client's ciphertext with one encrypted, under the
// same Params, for another round's key.
type staleSender struct {
	transport.Conn
	stale []byte
}

func (s *staleSender) Send(ctx context.Context, b []byte) error {
	if m, err := decodeMessage(b); err == nil && m.typ() == typeCiphertext {
		b, _ = (&ciphertextMsg{Ciphertext: s.stale}).MarshalBinary()
	}
	return s.Conn.Send(ctx, b)
}

// TestHubLeavesOutStaleCiphertext (L2, runner side): a client that sends a
// ciphertext from another round (another key, same parameters) is left
// out and reported missing; the sum of the others is exact.
//
// Mutation checked: with both the ct.Key() check in hubState.collect and
// the fingerprint comparison of Aggregator.Add disabled, the stale
// ciphertext is counted and the sum is garbage (either check alone
// rejects it).
func TestHubLeavesOutStaleCiphertext(t *testing.T) {
	cfg := Config{Preset: IntLogN13, Bound: 1000, MaxWeight: 3, KeyHolders: 3, MaxValues: 1 << 13}
	p, err := NewParams(cfg)
	require.NoError(t, err)
	// a ciphertext of "another round": same Params, another key
	_, _, pk2 := collective(t, cfg)
	enc, err := pk2.p.NewEncryptor(pk2)
	require.NoError(t, err)
	ct, err := enc.EncryptInts([]int64{100, 200})
	require.NoError(t, err)
	stale, err := ct.MarshalBinary()
	require.NoError(t, err)

	star := memStar(t, 4)
	star[3] = transporttest.WrapMesh(star[3], func(j int, c transport.Conn) transport.Conn {
		return &staleSender{Conn: c, stale: stale}
	})
	inputs := map[int]SpokeInput{1: {Ints: []int64{1, 2}}, 2: {Ints: []int64{3, 4}}, 3: {Ints: []int64{5, 6}}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := RunInProcess(ctx, star, p, Round{SemiHonestContributions: true, Length: 2}, inputs)
	require.NoError(t, err)
	require.Equal(t, []int{3}, res.Missing)
	require.Equal(t, []int{1, 2}, res.Counted)
	require.Equal(t, []int64{4, 6}, res.Ints)
}

// craftingSender replaces a client's ciphertext with the review's F3 probe
// (chunk 0: c0 = 0, c1 = t^-1 for BGV, 2^70 for CKKS) and passes its
// (honest) proof on unchanged.
type craftingSender struct {
	transport.Conn
	p *Params
}

func (s *craftingSender) Send(ctx context.Context, b []byte) error {
	if m, err := decodeMessage(b); err == nil && m.typ() == typeCiphertext {
		ct, err := s.p.UnmarshalCiphertext(m.(*ciphertextMsg).Ciphertext)
		if err != nil {
			return err
		}
		craftProbe(s.p, ct)
		c, _ := ct.MarshalBinary()
		b, _ = (&ciphertextMsg{Ciphertext: c}).MarshalBinary()
	}
	return s.Conn.Send(ctx, b)
}

// TestRunVerified runs the default path: every client proves its
// ciphertext, the hub and every key holder verify, and the sums are exact
// (BGV T-of-N and N-of-N, CKKS N-of-N). In the first two rounds client 3
// sends the review's crafted probe (c1 = t^-1 for BGV, 2^70 for CKKS) with
// its honest proof: the hub rejects it, names it, leaves it out, and the
// sum is exactly that of the others: nothing of the key is recovered (on
// the semi-honest path the BGV probe decrypts to s mod t,
// TestCraftedCollectiveProbe).
//
// Mutation checked: with the hub's VerifyProof call in hubState.receive
// removed, the probe reaches the key holders, which refuse it (ErrBadProof),
// make no share and drop out, and the round fails; with the key holders' check in
// spokeState.contribution also removed, the round decrypts the probe and
// this test fails.
func TestRunVerified(t *testing.T) {
	cases := []struct {
		cfg     Config
		crafted bool
	}{
		{verifiedBGV(2), true},
		{verifiedCKKS(0), true},
		{verifiedBGV(0), false},
	}
	if raceDetector {
		cases = cases[:1]
	}
	for _, tc := range cases {
		p, err := NewParams(tc.cfg)
		require.NoError(t, err)
		star := memStar(t, 4)
		round := Round{Holders: []int{1, 2, 3}, Clients: []int{1, 2, 3}, Length: 10}
		if tc.crafted {
			star[3] = transporttest.WrapMesh(star[3], func(_ int, c transport.Conn) transport.Conn { return &craftingSender{Conn: c, p: p} })
		}
		inputs := map[int]SpokeInput{}
		wantI := make([]int64, round.Length)
		wantF := make([]float64, round.Length)
		for _, j := range round.Clients {
			v := make([]int64, round.Length)
			f := make([]float64, round.Length)
			for i := range v {
				v[i] = int64(j*100 + i)
				f[i] = float64(v[i]) / 8
				if !(tc.crafted && j == 3) {
					wantI[i] += v[i]
					wantF[i] += f[i]
				}
			}
			if p.Scheme() == BGV {
				inputs[j] = SpokeInput{Ints: v}
			} else {
				inputs[j] = SpokeInput{Floats: f}
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		res, err := RunInProcess(ctx, star, p, round, inputs)
		cancel()
		require.NoError(t, err)
		if tc.crafted {
			require.Equal(t, []int{3}, res.Rejected)
			require.Equal(t, []int{1, 2}, res.Counted)
			require.Contains(t, disclosed(res.Leakage, "hub", report.Participants).Note, "counted [1 2]")
		} else {
			require.Empty(t, res.Rejected)
			require.Equal(t, round.Clients, res.Counted)
		}
		if p.Scheme() == BGV {
			require.Equal(t, wantI, res.Ints, "%+v", tc)
		} else {
			require.InDeltaSlice(t, wantF, res.Floats, 1e-5)
		}
		require.Empty(t, res.SpokeErrors)
		require.Greater(t, res.PerSpoke[2].BytesReceived, int64(p.ProofBytes(round.Length)))
	}
}

// TestContributionBoundToClient: a proof is made for its client's index
// (Round.proofContext), so another client's honest ciphertext and proof,
// passed off as this client's (copying an input to learn it from the
// sum), does not verify; as its own client's it does.
func TestContributionBoundToClient(t *testing.T) {
	ss, masks, proof := holderWithContribution(t, nil)
	require.ErrorIs(t, ss.contribution(&contributionMsg{Client: 3, Masks: masks, Proof: proof}), ErrBadProof)
	require.NoError(t, ss.contribution(&contributionMsg{Client: 2, Masks: masks, Proof: proof}))
}

// TestHolderRefusesCraftedContribution: a key holder verifies every
// contribution the hub forwards, so a hub that forwards the crafted probe
// (with an honest proof of another ciphertext) gets ErrBadProof and no
// decryption share: the holder has nothing verified to decrypt.
func TestHolderRefusesCraftedContribution(t *testing.T) {
	ss, masks, proof := holderWithContribution(t, craftProbe)
	require.ErrorIs(t, ss.contribution(&contributionMsg{Client: 2, Masks: masks, Proof: proof}), ErrBadProof)
	require.ErrorIs(t, ss.share(&decryptMsg{}), ErrMalformed)
	require.Zero(t, ss.hub.Stats().BytesSent, "no share was sent")
}

// TestHolderCountsWhatItVerified: a key holder adds each client's verified
// contribution once and holds the hub to that set: a contribution the hub
// forwards twice is refused (the holder's sum would count it twice), and
// so is a result whose counted set is not the set of clients it verified.
//
// Mutations checked: without the repeat check of spokeState.contribution,
// or without the counted-set comparison of spokeState.result, every he
// test passed; each fails this one.
func TestHolderCountsWhatItVerified(t *testing.T) {
	ss, masks, proof := holderWithContribution(t, nil)
	ss.res = &SpokeResult{}
	m := &contributionMsg{Client: 2, Masks: masks, Proof: proof}
	require.NoError(t, ss.contribution(m))
	require.ErrorIs(t, ss.contribution(m), ErrMalformed, "forwarded twice")
	for _, counted := range [][]int{{2, 3}, {3}, nil} {
		require.ErrorIs(t, ss.result(&resultMsg{Counted: counted, Values: []uint64{1, 2}}), ErrMismatch, "counted %v", counted)
	}
	require.NoError(t, ss.result(&resultMsg{Counted: []int{2}, Values: []uint64{1, 2}}))
}

// holderWithContribution is key holder 1 of a verified 3-holder BGV round,
// talking to a hub over a pipe, and client 2's proven contribution as the
// hub forwards it (its masks and proof), changed by alter after proving
// when alter is not nil.
func holderWithContribution(t *testing.T, alter func(*Params, *Ciphertext)) (*spokeState, []byte, []byte) {
	t.Helper()
	p, hs, pk := collective(t, verifiedBGV(0))
	enc, err := p.NewEncryptor(pk)
	require.NoError(t, err)
	r := Round{Holders: []int{1, 2, 3}, Clients: []int{1, 2, 3}}
	ct, pr, err := enc.EncryptIntsProven([]int64{1, 2}, r.proofContext(2))
	require.NoError(t, err)
	if alter != nil {
		alter(p, ct)
	}
	masks, err := ct.Masks()
	require.NoError(t, err)
	proof, err := pr.MarshalBinary()
	require.NoError(t, err)
	a, b := transport.Pipe("spoke", "hub", transport.Options{})
	t.Cleanup(func() { a.Close(); b.Close() })
	return &spokeState{ctx: context.Background(), hub: a, p: p, r: r, kh: hs[0], pk: pk}, masks, proof
}
