package psi

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/dp"
	"github.com/veil-go/veil/transport"
)

// latticeCase builds a Sum case whose values reach 2^62 in total.
func latticeCase(r *rand.Rand, shared, onlyX, onlyY int, big bool) (Set, [][]byte) {
	set, ys := genCase(r, onlyX, onlyY, shared, false, Sum)
	if big && len(set.Values) > 0 {
		// |values| add up to at most 2^62: each about 2^62/n, signs mixed.
		each := int64(MaxLatticeSum / uint64(len(set.Values)))
		for i := range set.Values {
			v := each - r.Int64N(each/4+1)
			if r.IntN(3) == 0 {
				v = -v
			}
			set.Values[i] = v
		}
	}
	return set, ys
}

// With LatticeSum the sum is exact up to 2^62, for negative values, across
// several chunks of encrypted values, with and without RevealToBoth, and a
// sum below MinSumCardinality is withheld.
func TestLatticeSumAgainstPlaintext(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	cases := []struct {
		name                 string
		shared, onlyX, onlyY int
		big, reveal          bool
		minCard              int
	}{
		{"2^62 all shared", 4, 0, 0, true, false, 0},
		{"big mixed", 40, 30, 10, true, true, 0},
		{"empty sender", 0, 0, 5, false, false, 0},
		{"no match", 0, 9, 9, true, true, 0},
		{"withheld", 3, 20, 5, true, true, 4},
	}
	for _, tc := range cases {
		set, ys := latticeCase(r, tc.shared, tc.onlyX, tc.onlyY, tc.big)
		o := Config{Mode: Sum, LatticeSum: true, RevealToBoth: tc.reveal, MinSumCardinality: tc.minCard}
		pr := runPair(t, set, ys, o, o)
		require.NoError(t, pr.recvErr, tc.name)
		require.NoError(t, pr.sendErr, tc.name)
		want := reference(set, ys)
		require.Equal(t, want.card, pr.recv.Cardinality, tc.name)
		if tc.minCard > want.card {
			require.True(t, pr.recv.SumWithheld, tc.name)
			require.Zero(t, pr.recv.Sum, tc.name)
		} else {
			require.Equal(t, want.sum, pr.recv.Sum, tc.name)
		}
		if tc.big && want.card > 2 {
			require.Greater(t, math.Abs(float64(want.sum)), float64(MaxSumLimit), "%s: beyond ElGamal's 2^44", tc.name)
		}
		if tc.reveal {
			require.Equal(t, pr.recv.Sum, pr.send.Sum, tc.name)
		}
	}
}

// The lattice steps by hand, past the stream (no ECDH): with more sender
// items than one chunk holds, each chunk's values follow the sender's
// stream order and the receiver's selection of that order, so the sum is
// over the matched items, whatever the permutation.
func TestLatticeChunksFollowTheStream(t *testing.T) {
	for _, withheld := range []bool{false, true} {
		rc, ans, want := latticeByHand(t, withheld)
		require.NoError(t, rc.LatticeResult(wire(t, ans).(*latticeAnswer)))
		if !withheld {
			require.Equal(t, want, rc.sum)
			continue
		}
		// Below MinSumCardinality nothing is selected: even the mask's
		// holder cannot read the sum from the answer.
		require.True(t, rc.withheld)
		require.Zero(t, rc.sum)
		require.Zero(t, int64(ans.M-rc.mask), "withheld sum decrypted")
	}
}

// latticeByHand runs the lattice steps over 2*8192+77 sender items of
// which the receiver matched a random third, and returns the receiver, the
// sender's answer and the plaintext sum.
func latticeByHand(t *testing.T, withheld bool) (*ecdhReceiver, *latticeAnswer, int64) {
	r := rand.New(rand.NewPCG(67, 68))
	n := 2*8192 + 77
	o, err := Config{Mode: Sum, LatticeSum: true}.withDefaults()
	require.NoError(t, err)
	if withheld {
		o.MinSumCardinality = n
	}
	in := &senderInput{values: make([]int64, n)}
	in.items = make([][]byte, n)
	for d := range in.values {
		in.values[d] = r.Int64N(1<<50) - 1<<49
	}
	s, err := newECDHSender(in, o)
	require.NoError(t, err)
	s.started = true
	s.acked = s.StreamBatches()
	rc := &ecdhReceiver{o: o, started: true, nX: n, got: n}
	var want int64
	for p := range n { // the receiver matched these stream positions
		ok := r.IntN(3) == 0
		rc.sel = append(rc.sel, ok)
		if ok {
			rc.card++
			want += in.values[s.perm[p]]
		}
	}
	key, err := s.LatticeKey()
	require.NoError(t, err)
	require.NoError(t, rc.LatticeKey(wire(t, key).(*latticeBlob)))
	require.Equal(t, 3, s.LatticeChunks())
	for k := range s.LatticeChunks() {
		require.True(t, rc.LatticeChunksPending())
		c, err := s.LatticeChunk(k)
		require.NoError(t, err)
		require.NoError(t, rc.LatticeChunk(wire(t, c).(*latticeBlob)))
	}
	require.False(t, rc.LatticeChunksPending())
	_, err = s.LatticeChunk(3)
	require.ErrorIs(t, err, ErrInvalidParams)
	sample, err := rc.LatticeSample()
	require.NoError(t, err)
	ans, err := s.LatticeDecrypt(wire(t, sample).(*latticeBlob))
	require.NoError(t, err)
	_, err = s.LatticeDecrypt(sample)
	require.ErrorIs(t, err, ErrMalformed, "one decryption per run")
	return rc, ans, want
}

// answerTap records the sender's decryption (the latticeAnswer it sends).
type answerTap struct {
	transport.Conn
	mu  sync.Mutex
	ans []uint64
}

func (c *answerTap) Send(ctx context.Context, msg []byte) error {
	if len(msg) > 0 && msg[0] == kindLatticeAnswer {
		var a latticeAnswer
		if a.UnmarshalBinary(msg) == nil {
			c.mu.Lock()
			c.ans = append(c.ans, a.M)
			c.mu.Unlock()
		}
	}
	return c.Conn.Send(ctx, msg)
}

// The sender decrypts the sum plus the receiver's fresh uniform mask: its
// view of the number differs from the sum, and from run to run with the
// same inputs (fixing the mask to 0 fails this test).
func TestLatticeSumSenderSeesMaskedSum(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	set, ys := latticeCase(r, 20, 10, 10, true)
	want := reference(set, ys).sum
	o := Config{Mode: Sum, LatticeSum: true}
	var seen []uint64
	for range 2 {
		cs, cr := transport.Pipe("sender", "receiver", transport.Options{})
		tap := &answerTap{Conn: cs}
		pr := runPairOn(t, tap, cr, set, ys, o, o)
		require.NoError(t, pr.recvErr)
		require.NoError(t, pr.sendErr)
		require.Equal(t, want, pr.recv.Sum)
		require.False(t, pr.send.Learned)
		require.Len(t, tap.ans, 1)
		require.NotEqual(t, uint64(want), tap.ans[0], "the sender decrypted the bare sum")
		seen = append(seen, tap.ans[0])
	}
	require.NotEqual(t, seen[0], seen[1])
}

// SumNoise is added by the sender to what it decrypts, and spent once.
func TestLatticeSumNoise(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	set, ys := latticeCase(r, 10, 5, 5, true)
	want := reference(set, ys).sum
	budget, err := dp.NewAccountant(0.75, 0) // room for one release of 0.5
	require.NoError(t, err)
	so := Config{Mode: Sum, LatticeSum: true, SumNoise: &dp.DiscreteLaplaceConfig{Epsilon: 0.5, Sensitivity: 1 << 20, Budget: budget}}
	ro := Config{Mode: Sum, LatticeSum: true}
	pr := runPair(t, set, ys, so, ro)
	require.NoError(t, pr.recvErr)
	require.NoError(t, pr.sendErr)
	require.NotEqual(t, want, pr.recv.Sum, "noise added")
	require.Less(t, math.Abs(float64(pr.recv.Sum-want)), float64(1<<32))
	// The budget had room for one release: a second run is refused.
	pr = runPair(t, set, ys, so, ro)
	require.ErrorIs(t, pr.sendErr, dp.ErrBudgetExceeded)
}

func TestLatticeSumRules(t *testing.T) {
	for _, c := range []Config{
		{Mode: Intersection, LatticeSum: true},
		{Mode: Intersection, MaxSum: MaxSumLimit + 1},
		{Mode: Sum, LatticeSum: true, MaxSum: MaxLatticeSum + 1},
		{Mode: Sum, MaxSum: MaxLatticeSum + 1},
	} {
		_, err := c.withDefaults()
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", c)
	}
	c, err := Config{Mode: Sum, LatticeSum: true}.withDefaults()
	require.NoError(t, err)
	require.EqualValues(t, MaxLatticeSum, c.MaxSum)
	// A declared MaxSum beyond ElGamal's decoding selects the lattice path;
	// up to MaxSumLimit it stays ElGamal.
	c, err = Config{Mode: Sum, MaxSum: MaxSumLimit + 1}.withDefaults()
	require.NoError(t, err)
	require.True(t, c.LatticeSum)
	require.EqualValues(t, MaxSumLimit+1, c.MaxSum)
	c, err = Config{Mode: Sum, MaxSum: MaxSumLimit}.withDefaults()
	require.NoError(t, err)
	require.False(t, c.LatticeSum)

	items := Items([]string{"a", "b"})
	_, err = prepareSender(Set{Items: items, Values: []int64{MaxLatticeSum, 1}}, Sum, 1, true)
	require.ErrorIs(t, err, ErrInvalidParams, "|values| beyond 2^62")
	_, err = prepareSender(Set{Items: items, Values: []int64{MaxLatticeSum - 1, -1}}, Sum, 1, true)
	require.NoError(t, err)
	_, err = prepareSender(Set{Items: items, Values: []int64{MaxValue + 1, 0}}, Sum, 1, false)
	require.ErrorIs(t, err, ErrInvalidParams)

	// Both parties must agree on LatticeSum.
	set := Set{Items: items, Values: []int64{1, 2}}
	pr := runPair(t, set, items, Config{Mode: Sum, LatticeSum: true}, Config{Mode: Sum})
	require.ErrorIs(t, pr.recvErr, ErrMismatch)

	// Through MaxSum: the sum of values beyond ElGamal's range is exact
	// when both declare the bound; a peer that does not is a mismatch that
	// says why.
	big := Set{Items: Items([]string{"a", "b", "c"}), Values: []int64{1 << 61, 1<<61 - 10, -5}}
	auto := Config{Mode: Sum, MaxSum: 1 << 62}
	pr = runPair(t, big, Items([]string{"a", "b", "z"}), auto, auto)
	require.NoError(t, pr.recvErr)
	require.NoError(t, pr.sendErr)
	require.EqualValues(t, int64(1)<<62-10, pr.recv.Sum)
	pr = runPair(t, Set{Items: items, Values: []int64{1, 2}}, items, Config{Mode: Sum}, auto)
	require.ErrorIs(t, pr.recvErr, ErrMismatch)
	require.ErrorContains(t, pr.recvErr, "MaxSum above 2^44 implies LatticeSum")
	require.ErrorIs(t, pr.sendErr, ErrMismatch)

	// A sum beyond the receiver's MaxSum is refused, never wrong.
	set = Set{Items: items, Values: []int64{600, 500}}
	pr = runPair(t, set, items, Config{Mode: Sum, LatticeSum: true}, Config{Mode: Sum, LatticeSum: true, MaxSum: 1000})
	require.ErrorIs(t, pr.recvErr, ErrOutOfRange)
}
