package psi

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/dp"
)

// streamWork drives a run by hand and returns, per stream batch, the
// receiver's count of expensive operations while handling it, and the
// result.
func streamWork(t *testing.T, set Set, ys [][]byte, o Config, tamper func(k int, m message)) ([]int64, *Result) {
	t.Helper()
	ctx := context.Background()
	rc, sd := handEvaluate(t, set, ys, o)
	var work []int64
	for k := range sd.StreamBatches() {
		m, err := sd.StreamBatch(ctx, k)
		require.NoError(t, err)
		m = wire(t, m)
		if tamper != nil {
			tamper(k, m)
		}
		before := rc.ops.Load()
		ack, err := rc.HandleStream(ctx, m)
		require.NoError(t, err)
		work = append(work, rc.ops.Load()-before)
		require.NoError(t, sd.StreamAck(k, wire(t, ack).(*ackMsg)))
	}
	if o.Mode == Sum {
		req, err := rc.DecryptRequest()
		require.NoError(t, err)
		share, err := sd.DecryptShare(wire(t, req).(*sumRequest))
		require.NoError(t, err)
		require.NoError(t, rc.Decrypt(ctx, wire(t, share).(*sumShare)))
	}
	res, err := rc.Result()
	require.NoError(t, err)
	return work, res
}

// TestReceiverWorkIndependentOfMatches (S1): a sender that times the
// acknowledgements of its stream batches must learn nothing about which
// items matched, so the receiver's work on each batch is the same whether
// all of the batch's items match or none does.
func TestReceiverWorkIndependentOfMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	const nX, nY = 40, 50
	for _, mode := range []Mode{Intersection, Cardinality, Join, Sum} {
		t.Run(mode.String(), func(t *testing.T) {
			o := Config{Mode: mode, BatchSize: MinBatchSize}
			allSet, allYs := genCase(r, 0, nY-nX, nX, false, mode) // every sender item matches
			noneSet, noneYs := genCase(r, nX, nY, 0, false, mode)  // none does
			all, resAll := streamWork(t, allSet, allYs, o, nil)
			none, resNone := streamWork(t, noneSet, noneYs, o, nil)
			require.Equal(t, nX, resAll.Cardinality)
			require.Zero(t, resNone.Cardinality)
			require.Equal(t, none, all, "receiver work per stream batch, all matched vs none")
			if mode == Join || mode == Sum {
				require.Positive(t, all[len(all)-1], "the expensive operations are counted")
			}
		})
	}
}

// TestMinimumStreamBatch (S1): the receiver refuses a stream batch below
// MinBatchSize items unless it is the last of its stage.
func TestMinimumStreamBatch(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(63, 64))
	set, ys := genCase(r, 30, 30, 10, false, Intersection)
	o := Config{BatchSize: MinBatchSize}
	rc, err := prepareECDHReceiver(ys, o)
	require.NoError(t, err)
	sd, err := prepareECDHSender(set, o)
	require.NoError(t, err)
	require.NoError(t, rc.Start(sd.helloMsg()))
	require.NoError(t, sd.Start(rc.helloMsg()))
	for k := range rc.BlindBatches() {
		q, err := rc.Blind(ctx, k)
		require.NoError(t, err)
		ans, err := sd.Evaluate(ctx, q)
		require.NoError(t, err)
		require.NoError(t, rc.Unblind(ctx, k, ans.(*pointBatch)))
	}
	m, err := sd.StreamBatch(ctx, 0)
	require.NoError(t, err)
	tb := m.(*tagBatch)
	one := &tagBatch{TagLen: tb.TagLen, Tags: tb.Tags[:tb.TagLen]}
	_, err = rc.HandleStream(ctx, one)
	require.ErrorIs(t, err, ErrMalformed, "a one-item batch with 40 items outstanding")
	_, err = rc.HandleStream(ctx, tb)
	require.NoError(t, err)
}

// TestJoinCollisionIsNonMatch (C2): a tag that hits but whose payload does
// not open (an accidental collision), and a second sender item on an item
// already matched, are non-matches, not an error blaming the sender.
func TestJoinCollisionIsNonMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	const n = 40
	set, ys := genCase(r, 0, 0, n, false, Join) // every item matches
	o := Config{Mode: Join, RevealToBoth: true, BatchSize: MinBatchSize}
	_, res := streamWork(t, set, ys, o, func(k int, m message) {
		if k != 0 {
			return
		}
		jb := m.(*joinBatch)
		tl := jb.TagLen
		copy(jb.Tags[tl:2*tl], jb.Tags[:tl]) // item 1 now collides with item 0
		s := jb.Sealed[2]
		s[len(s)-1] ^= 1 // item 2's payload fails to open
	})
	require.Equal(t, n-2, res.Cardinality)
	want := map[string][]byte{}
	for i, x := range set.Items {
		want[string(x)] = set.Payloads[i]
	}
	for k, i := range res.Indices {
		require.Equal(t, string(want[string(ys[i])]), string(res.Payloads[k]))
	}
}

// TestSumMinCardinality (S3): a receiver that picks Y = {target} would learn
// the target's value from the sum; with MinSumCardinality 2 it learns only
// the cardinality, and a larger intersection still gets its sum.
func TestSumMinCardinality(t *testing.T) {
	target := []byte("target")
	set := Set{Items: [][]byte{target, []byte("a"), []byte("b")}, Values: []int64{123456, 7, 8}}
	o := Config{Mode: Sum, RevealToBoth: true, MinSumCardinality: 2}
	pr := runPair(t, set, [][]byte{target, []byte("z")}, o, o)
	require.NoError(t, pr.recvErr)
	require.NoError(t, pr.sendErr)
	require.Equal(t, 1, pr.recv.Cardinality)
	require.True(t, pr.recv.SumWithheld)
	require.Zero(t, pr.recv.Sum, "the single item's value is not revealed")
	require.True(t, pr.send.SumWithheld)
	require.Zero(t, pr.send.Sum)

	pr = runPair(t, set, [][]byte{target, []byte("a")}, o, o)
	require.NoError(t, pr.recvErr)
	require.False(t, pr.recv.SumWithheld)
	require.Equal(t, int64(123463), pr.recv.Sum)

	// Both parties must agree on the threshold.
	pr = runPair(t, set, [][]byte{target}, o, Config{Mode: Sum, RevealToBoth: true})
	require.ErrorIs(t, pr.recvErr, ErrMismatch)
	_, err := Config{MinSumCardinality: 2}.withDefaults()
	require.ErrorIs(t, err, ErrInvalidParams, "only in Sum mode")
}

// TestSumNoise (S3): with SumNoise the released sum carries the sender's
// discrete Laplace noise.
func TestSumNoise(t *testing.T) {
	r := rand.New(rand.NewPCG(67, 68))
	set, ys := genCase(r, 5, 5, 10, false, Sum)
	exact := reference(set, ys).sum
	budget, err := dp.NewAccountant(0.015, 0) // room for one release of 0.01
	require.NoError(t, err)
	so := Config{Mode: Sum, RevealToBoth: true, SumNoise: &dp.DiscreteLaplaceConfig{Epsilon: 0.01, Sensitivity: 1000, Budget: budget}}
	ro := Config{Mode: Sum, RevealToBoth: true}
	pr := runPair(t, set, ys, so, ro)
	require.NoError(t, pr.recvErr)
	require.NoError(t, pr.sendErr)
	noise := pr.recv.Sum - exact
	require.NotZero(t, noise, "noise of scale 1e5 is 0 with probability about 5e-6")
	require.Less(t, max(noise, -noise), int64(1e8))
	require.Equal(t, pr.recv.Sum, pr.send.Sum)

	// The second run does not fit the budget: refused before the sum is
	// decrypted.
	pr = runPair(t, set, ys, so, ro)
	require.ErrorIs(t, pr.sendErr, dp.ErrBudgetExceeded)
	require.Error(t, pr.recvErr)
	require.Nil(t, pr.recv, "the receiver gets no sum")

	_, err = Config{Mode: Sum, SumNoise: &dp.DiscreteLaplaceConfig{Epsilon: -1, Sensitivity: 1, Budget: budget}}.withDefaults()
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = Config{Mode: Sum, SumNoise: &dp.DiscreteLaplaceConfig{Epsilon: 1, Sensitivity: 1}}.withDefaults()
	require.ErrorIs(t, err, ErrInvalidParams, "SumNoise needs a budget")
}

// TestSumLeakageStatesThreshold: a withheld sum is not reported as disclosed.
func TestSumLeakageStatesThreshold(t *testing.T) {
	set := Set{Items: [][]byte{[]byte("t"), []byte("u")}, Values: []int64{5, 6}}
	o := Config{Mode: Sum, MinSumCardinality: 2}
	pr := runPair(t, set, [][]byte{[]byte("t")}, o, o)
	require.NoError(t, pr.recvErr)
	for _, d := range pr.recv.Leakage {
		require.NotContains(t, d.Note, "sum of the sender's values", "withheld sum reported as disclosed")
	}
}
