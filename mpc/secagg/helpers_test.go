package secagg

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/transport"
)

// Stages at which a simulated client drops out: before sending the message
// of that step.
const (
	dropNever = iota
	dropBeforeKeys
	dropBeforeShares
	dropBeforeInput
	dropBeforeUnmask
)

var testIDs struct {
	sync.Mutex
	ca  *transport.CA
	ids []*transport.Identity
}

// identities returns identities named transport.PartyName(0..n), from one
// CA shared by the package's tests (issuing certificates is slow).
func identities(t testing.TB, n int) []*transport.Identity {
	t.Helper()
	testIDs.Lock()
	defer testIDs.Unlock()
	var err error
	if testIDs.ca == nil {
		testIDs.ca, err = transport.NewCA("secagg test CA")
		require.NoError(t, err)
	}
	for i := len(testIDs.ids); i <= n; i++ {
		id, err := testIDs.ca.Issue(transport.PartyName(i))
		require.NoError(t, err)
		testIDs.ids = append(testIDs.ids, id)
	}
	return testIDs.ids[:n+1]
}

// minThreshold is the lowest threshold NewParams accepts for n clients on
// the sparse graph of degree k (k/2+1), or 0 (the default) where that is the
// complete graph.
func minThreshold(n int, g Graph, k int) int {
	if g == SparseGraph && k < n-1 {
		return k/2 + 1
	}
	return 0
}

// newParams builds params or fails the test.
func newParams(t testing.TB, cfg Config) *Params {
	t.Helper()
	p, err := NewParams(cfg)
	require.NoError(t, err)
	return p
}

// simulate drives one round through the local steps in one goroutine.
// drop[i] is the stage at which client i vanishes.
func simulate(t testing.TB, p *Params, inputs [][]uint64, drop map[int]int) (*Result, error) {
	t.Helper()
	ids := identities(t, p.Clients())
	srv, err := NewServer(p, ids[0])
	require.NoError(t, err)
	clients := make([]*Client, p.Clients()+1)
	for i := 1; i <= p.Clients(); i++ {
		clients[i], err = NewClient(p, i, ids[i])
		require.NoError(t, err)
	}
	active := func(stage int) []int {
		var ids []int
		for i := 1; i <= p.Clients(); i++ {
			if d := drop[i]; d == dropNever || d > stage {
				ids = append(ids, i)
			}
		}
		return ids
	}
	for _, i := range active(dropBeforeKeys) {
		m, err := clients[i].Advertise()
		require.NoError(t, err)
		require.NoError(t, srv.AddAdvert(roundTrip(t, m, &AdvertMsg{})))
	}
	lists, err := revealAll(t, srv, clients, active(dropBeforeKeys))
	if err != nil {
		return nil, err
	}
	for _, i := range active(dropBeforeShares) {
		m, err := clients[i].ShareKeys(roundTrip(t, lists[i], &KeyListMsg{}))
		if err != nil {
			return nil, err
		}
		require.NoError(t, srv.AddShares(roundTrip(t, m, &ShareBundleMsg{})))
	}
	dels, err := srv.Deliveries()
	if err != nil {
		return nil, err
	}
	for _, i := range active(dropBeforeInput) {
		m, err := clients[i].MaskInput(roundTrip(t, dels[i], &ShareDeliveryMsg{}), inputs[i-1])
		if err != nil {
			return nil, err
		}
		require.NoError(t, srv.AddMaskedInput(roundTrip(t, m, &MaskedInputMsg{})))
	}
	sets, err := srv.CountedSets()
	if err != nil {
		return nil, err
	}
	for _, i := range active(dropBeforeUnmask) {
		m, err := clients[i].SignCounted(roundTrip(t, sets[i], &CountedSetMsg{}))
		if err != nil {
			return nil, err
		}
		require.NoError(t, srv.AddCountedSig(roundTrip(t, m, &CountedSigMsg{})))
	}
	reqs, err := srv.UnmaskRequests()
	if err != nil {
		return nil, err
	}
	for _, i := range active(dropBeforeUnmask) {
		m, err := clients[i].Unmask(roundTrip(t, reqs[i], &UnmaskRequestMsg{}))
		if err != nil {
			return nil, err
		}
		require.NoError(t, srv.AddUnmaskResponse(roundTrip(t, m, &UnmaskResponseMsg{})))
	}
	return srv.Finish()
}

// revealAll closes the advertise step and runs the reveal step for the
// clients in ids (every enrolled one), up to the key lists.
func revealAll(t testing.TB, srv *Server, cs []*Client, ids []int) (map[int]*KeyListMsg, error) {
	t.Helper()
	enr, err := srv.Enrolment()
	if err != nil {
		return nil, err
	}
	for _, i := range ids {
		r, err := cs[i].Reveal(roundTrip(t, enr[i], &EnrolmentMsg{}))
		require.NoError(t, err)
		require.NoError(t, srv.AddReveal(roundTrip(t, r, &RevealMsg{})))
	}
	return srv.KeyLists()
}

// allIDs is 1..n.
func allIDs(n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i + 1
	}
	return ids
}

// roundTrip encodes m and decodes it into out, as a transport would.
func roundTrip[T message](t testing.TB, m T, out T) T {
	t.Helper()
	b, err := m.MarshalBinary()
	require.NoError(t, err)
	require.NoError(t, out.UnmarshalBinary(b))
	return out
}

// randomInputs returns n vectors of dim signed values in [-bound, bound],
// or of uniform words if bound is 0.
func randomInputs(r *rand.Rand, n, dim int, bound int64) [][]uint64 {
	in := make([][]uint64, n)
	for i := range in {
		in[i] = make([]uint64, dim)
		for k := range in[i] {
			if bound == 0 {
				in[i][k] = r.Uint64()
			} else {
				in[i][k] = uint64(r.Int64N(2*bound+1) - bound)
			}
		}
	}
	return in
}

// plainSum is the reference: the sum modulo 2^64 of the counted inputs.
func plainSum(inputs [][]uint64, counted []int, dim int) []uint64 {
	s := make([]uint64, dim)
	for _, i := range counted {
		for k, v := range inputs[i-1] {
			s[k] += v
		}
	}
	return s
}

// expectedCounted lists the clients not dropped before their masked input.
func expectedCounted(n int, drop map[int]int) []int {
	var c []int
	for i := 1; i <= n; i++ {
		if d := drop[i]; d == dropNever || d > dropBeforeInput {
			c = append(c, i)
		}
	}
	return c
}

// randomDrops picks count distinct clients, each dropping at a random stage.
func randomDrops(r *rand.Rand, n, count int) map[int]int {
	perm := r.Perm(n)
	drop := make(map[int]int, count)
	for _, p := range perm[:count] {
		drop[p+1] = 1 + r.IntN(4)
	}
	return drop
}
