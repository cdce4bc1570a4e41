package secagg

import (
	"crypto/ecdh"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The review's F2: a server that lies about who dropped out. It keeps
// victim v's masked input, tells one group of v's neighbours "v dropped"
// (counted set without v: they send shares of v's mask key) and another
// "v was counted" (counted set with v: they send shares of v's seed), with
// colluding clients handing over both their shares and signing both sets.
// With t shares of each it removes v's masks and reads v's input.

// attackOutcome is what the lying server got.
type attackOutcome struct {
	keyShares, seedShares int // shares of v's mask key and of v's seed
	refused               int // honest clients that refused to answer
	recovered             bool
}

// lyingServer runs a round with every client online, then splits v's
// honest neighbours into two worlds as described above. Every other
// honest client is put in the world where more of its neighbours are, and
// signs that world's set; colluders sign both. Each honest client of a
// world gets its world's set with every signature on it by its neighbours.
func lyingServer(t *testing.T, p *Params, v int, colluders []int) attackOutcome {
	t.Helper()
	n := p.Clients()
	ids := identities(t, n)
	r := rand.New(rand.NewPCG(uint64(n), uint64(v)))
	inputs := randomInputs(r, n, p.Length(), 1000)
	srv, cs, dels := shareWith(t, p)
	var masked []uint64
	for i := 1; i <= n; i++ {
		m, err := cs[i].MaskInput(dels[i], inputs[i-1])
		require.NoError(t, err)
		if i == v {
			masked = m.Vector
		}
	}

	corrupt := make(map[int]bool)
	for _, c := range colluders {
		corrupt[c] = true
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i + 1
	}
	sets := [2][]int{slices.DeleteFunc(slices.Clone(all), func(j int) bool { return j == v }), all} // world 0: v dropped; 1: v counted
	world := make(map[int]int)
	var honest []int
	for _, j := range srv.Neighbors(v) {
		if !corrupt[j] {
			honest = append(honest, j)
		}
	}
	// Half of them in world 0, grown greedily from one so that the two
	// halves lie on either side of v on the ring (they then share most
	// neighbours with their own world).
	for _, j := range honest {
		world[j] = 1
	}
	world[honest[0]] = 0
	for range len(honest)/2 - 1 {
		best, most := 0, -1
		for _, j := range honest {
			if world[j] == 0 {
				continue
			}
			c := 0
			for _, i := range srv.Neighbors(j) {
				if w, ok := world[i]; ok && w == 0 && i != v {
					c++
				}
			}
			if c > most {
				best, most = j, c
			}
		}
		world[best] = 0
	}
	world[v] = 1  // v refuses a set without itself
	for range 3 { // the others join the world most of their neighbours are in
		for i := 1; i <= n; i++ {
			if corrupt[i] || i == v || slices.Contains(honest, i) {
				continue
			}
			var in [2]int
			for _, j := range srv.Neighbors(i) {
				if w, ok := world[j]; ok {
					in[w]++
				}
			}
			world[i] = 0
			if in[1] > in[0] {
				world[i] = 1
			}
		}
	}
	sigs := [2]map[int]CountedSigMsg{{}, {}}
	for i := 1; i <= n; i++ {
		if corrupt[i] {
			for w := range 2 {
				sig, err := ids[i].Sign(countedMessage(p.digest, srv.seed, i, sets[w]))
				require.NoError(t, err)
				sigs[w][i] = CountedSigMsg{From: i, Sig: sig}
			}
			continue
		}
		w := world[i]
		m, err := cs[i].SignCounted(&CountedSetMsg{To: i, Counted: sets[w]})
		require.NoError(t, err)
		sigs[w][i] = *m
	}

	var out attackOutcome
	var keyX, seedX []int
	var keyY, seedY []shareValue
	for _, c := range colluders { // both shares of v, handed over
		keyX, keyY = append(keyX, c), append(keyY, cs[c].held[v][0])
		seedX, seedY = append(seedX, c), append(seedY, cs[c].held[v][1])
	}
	for _, j := range honest {
		w := world[j]
		req := &UnmaskRequestMsg{To: j, Counted: sets[w]}
		for _, i := range srv.Neighbors(j) {
			if sig, ok := sigs[w][i]; ok {
				req.Signatures = append(req.Signatures, sig)
			}
		}
		resp, err := cs[j].Unmask(req)
		if err != nil {
			require.ErrorIs(t, err, ErrProtocol)
			out.refused++
			continue
		}
		for _, s := range resp.KeyShares {
			if s.Owner == v {
				keyX, keyY = append(keyX, j), append(keyY, s.Value)
			}
		}
		for _, s := range resp.SeedShares {
			if s.Owner == v {
				seedX, seedY = append(seedX, j), append(seedY, s.Value)
			}
		}
	}
	out.keyShares, out.seedShares = len(keyX), len(seedX)
	thr := p.Threshold()
	if out.keyShares < thr || out.seedShares < thr {
		return out
	}
	// Both secrets: remove v's self mask and pairwise masks.
	priv, err := combineSecret(keyX, keyY, thr)
	require.NoError(t, err)
	sk, err := ecdh.X25519().NewPrivateKey(priv)
	require.NoError(t, err)
	session := p.cfg.Session[:]
	jobs := []maskJob{undoSelfMask(t, seedX, seedY, thr, session, v)}
	for _, j := range srv.Neighbors(v) {
		jobs = append(jobs, undoPairMask(t, sk, srv.keys[j].maskKey, session, v, j))
	}
	applyMasks(masked, jobs, 1)
	out.recovered = slices.Equal(masked, inputs[v-1])
	return out
}

// undoPairMask is the mask job that removes the pairwise mask of v and j
// from v's masked input, given one side's private mask key and the other's
// public one.
func undoPairMask(t *testing.T, sk *ecdh.PrivateKey, pub *ecdh.PublicKey, session []byte, v, j int) maskJob {
	t.Helper()
	shared, err := sk.ECDH(pub)
	require.NoError(t, err)
	key, err := pairMaskKey(shared, session, v, j)
	require.NoError(t, err)
	job, err := newMaskJob(key, v < j) // undo v's sign
	require.NoError(t, err)
	return job
}

// assertSafe checks that the lying server got fewer than t shares of one
// of v's secrets, and so not v's input.
func assertSafe(t *testing.T, p *Params, o attackOutcome) {
	t.Helper()
	assert.False(t, o.recovered, "the server recovered the victim's input")
	assert.True(t, o.keyShares < p.Threshold() || o.seedShares < p.Threshold(),
		"shares of the mask key %d and of the seed %d, threshold %d", o.keyShares, o.seedShares, p.Threshold())
	t.Logf("k=%d t=%d: %d key shares, %d seed shares, %d honest clients refused", p.Degree(), p.Threshold(), o.keyShares, o.seedShares, o.refused)
}

// Variant 1: the SecAgg+ defaults of the review (n=100: k=86, t=37), no
// colluder. Those parameters are now refused (t <= k/2), the defaults for
// n=100 are the complete graph (no sparse graph meets the bound), and a
// sparse graph at the lowest threshold allowed (t = k/2+1) resists too.
func TestLyingServerSparseNoColluder(t *testing.T) {
	_, err := NewParams(Config{Clients: 100, Length: 1, Graph: SparseGraph, Degree: 86, Threshold: 37})
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Contains(t, err.Error(), "need t > k/2 = 43")

	p := newParams(t, Config{Clients: 100, Length: 4, Graph: SparseGraph})
	assert.Greater(t, 2*p.Threshold(), p.Degree()+completeColluders(100, DefaultCorruptRate)-1)
	assertSafe(t, p, lyingServer(t, p, 7, nil))

	p = newParams(t, Config{Clients: 60, Length: 4, Graph: SparseGraph, Degree: 20, Threshold: 11, Session: [SessionSize]byte{1}})
	require.Equal(t, SparseGraph, p.Graph())
	assertSafe(t, p, lyingServer(t, p, 7, nil))
}

// Variant 2: the complete graph with its default threshold and one
// colluding client, for even n (the review: n=30, t=15). The default
// threshold now withstands floor(CorruptRate n) = 3 colluders.
func TestLyingServerCompleteOneColluder(t *testing.T) {
	p := newParams(t, Config{Clients: 30, Length: 4})
	require.Equal(t, 17, p.Threshold())
	v := 5
	assertSafe(t, p, lyingServer(t, p, v, []int{1}))
	// And the three colluders the threshold is sized for.
	assertSafe(t, p, lyingServer(t, p, v, []int{1, 2, 3}))
}

// Variant 3: the complete graph with Threshold <= (n-1)/2, no colluder:
// refused, with the reason.
func TestLyingServerLowThresholdRefused(t *testing.T) {
	for _, thr := range []int{10, 14, 15, 16} { // (29+3)/2 = 16
		_, err := NewParams(Config{Clients: 30, Length: 4, Threshold: thr})
		require.ErrorIs(t, err, ErrInvalidParams, "threshold %d", thr)
		assert.Contains(t, err.Error(), "lies about who dropped out")
	}
	p := newParams(t, Config{Clients: 30, Length: 4, Threshold: 17})
	assertSafe(t, p, lyingServer(t, p, 5, nil))
}

// The attack harness works: beyond the corruption the parameters assume,
// the same lying server does recover the input. On the complete graph of
// 30 clients (t = 17) it needs 2t-(n-1) = 5 colluders; with 4 it fails.
func TestLyingServerBeyondAssumedCorruption(t *testing.T) {
	p := newParams(t, Config{Clients: 30, Length: 4})
	o := lyingServer(t, p, 5, []int{1, 2, 3, 4, 6}) // on the complete graph, any five are neighbours of 5
	assert.True(t, o.recovered, "%+v", o)
	o = lyingServer(t, p, 5, []int{1, 2, 3, 4})
	assert.False(t, o.recovered, "%+v", o)
}

// The attack the consistency step itself stops (the thresholds do not): a
// server that tells each honest client i "only i and the victim v were
// counted". Every client then gives one share per neighbour, as the
// thresholds assume: the seed of v and the mask keys of all the others. So
// the server has v's seed and the mask key of every neighbour of v, which
// remove all of v's masks, and reads v's input. With the consistency step a
// client answers only with t signers of its set among its counted
// neighbours; a set of two clients has at most two.
func isolatingServer(t *testing.T, p *Params, v int) attackOutcome {
	t.Helper()
	n := p.Clients()
	inputs := randomInputs(rand.New(rand.NewPCG(uint64(n), uint64(v))), n, p.Length(), 1000)
	srv, cs, dels := shareWith(t, p)
	var masked []uint64
	for i := 1; i <= n; i++ {
		m, err := cs[i].MaskInput(dels[i], inputs[i-1])
		require.NoError(t, err)
		if i == v {
			masked = m.Vector
		}
	}
	sets := make(map[int][]int)
	sigs := make(map[int]CountedSigMsg)
	for i := 1; i <= n; i++ {
		sets[i] = []int{min(i, v), max(i, v)}
		if i == v {
			sets[i] = []int{v}
		}
		m, err := cs[i].SignCounted(&CountedSetMsg{To: i, Counted: sets[i]})
		require.NoError(t, err)
		sigs[i] = *m
	}
	var out attackOutcome
	keyX, keyY := make(map[int][]int), make(map[int][]shareValue)
	var seedX []int
	var seedY []shareValue
	for i := 1; i <= n; i++ {
		if i == v {
			continue
		}
		req := &UnmaskRequestMsg{To: i, Counted: sets[i]}
		for _, j := range sets[i] { // every signature there is on i's set
			if j != i && sets[j] != nil && slices.Equal(sets[j], sets[i]) {
				req.Signatures = append(req.Signatures, sigs[j])
			}
		}
		resp, err := cs[i].Unmask(req)
		if err != nil {
			require.ErrorIs(t, err, ErrProtocol)
			out.refused++
			continue
		}
		for _, s := range resp.KeyShares {
			keyX[s.Owner], keyY[s.Owner] = append(keyX[s.Owner], i), append(keyY[s.Owner], s.Value)
		}
		for _, s := range resp.SeedShares {
			if s.Owner == v {
				seedX, seedY = append(seedX, i), append(seedY, s.Value)
			}
		}
	}
	thr := p.Threshold()
	out.seedShares = len(seedX)
	out.keyShares = len(keyX[srv.Neighbors(v)[0]])
	if len(seedX) < thr {
		return out
	}
	session := p.cfg.Session[:]
	jobs := []maskJob{undoSelfMask(t, seedX, seedY, thr, session, v)}
	for _, j := range srv.Neighbors(v) {
		if len(keyX[j]) < thr {
			return out
		}
		priv, err := combineSecret(keyX[j], keyY[j], thr)
		require.NoError(t, err)
		sk, err := ecdh.X25519().NewPrivateKey(priv)
		require.NoError(t, err)
		jobs = append(jobs, undoPairMask(t, sk, srv.keys[v].maskKey, session, v, j))
	}
	applyMasks(masked, jobs, 1)
	out.recovered = slices.Equal(masked, inputs[v-1])
	return out
}

func TestIsolatingServerRefused(t *testing.T) {
	for _, cfg := range []Config{
		{Clients: 30, Length: 4},
		{Clients: 60, Length: 4, Graph: SparseGraph, Degree: 20, Threshold: 11, Session: [SessionSize]byte{1}},
	} {
		p := newParams(t, cfg)
		o := isolatingServer(t, p, 5)
		assert.False(t, o.recovered, "%v graph: the server recovered the victim's input", p.Graph())
		assert.Equal(t, p.Clients()-1, o.refused, "%v graph: every client but the victim refuses", p.Graph())
	}
}

// undoSelfMask is the job that removes client v's self mask, from thr
// shares (xs, ys) of its seed.
func undoSelfMask(t *testing.T, xs []int, ys []shareValue, thr int, session []byte, v int) maskJob {
	t.Helper()
	seed, err := combineSecret(xs, ys, thr)
	require.NoError(t, err)
	key, err := selfMaskKey(seed, session, v)
	require.NoError(t, err)
	job, err := newMaskJob(key, true)
	require.NoError(t, err)
	return job
}
