package psi

import (
	"context"
	"math/rand/v2"
	"testing"
	"testing/cryptotest"

	"github.com/gtank/ristretto255"
	"github.com/stretchr/testify/require"
)

// view is what the receiver sees of a run driven by hand, with the
// parties' states kept so that a test can play a curious party.
type view struct {
	rc     *ecdhReceiver
	sd     *ecdhSender
	stream []message // the sender's stream batches, in order
	req    *sumRequest
}

// handEvaluate prepares both ECDH parties, exchanges the hellos and runs
// the evaluation phase by hand, each message through its wire encoding.
func handEvaluate(t *testing.T, set Set, ys [][]byte, o Config) (*ecdhReceiver, *ecdhSender) {
	t.Helper()
	ctx := context.Background()
	rc, err := prepareECDHReceiver(ys, o)
	require.NoError(t, err)
	sd, err := prepareECDHSender(set, o)
	require.NoError(t, err)
	require.NoError(t, rc.Start(wire(t, sd.helloMsg()).(*helloMsg)))
	require.NoError(t, sd.Start(wire(t, rc.helloMsg()).(*helloMsg)))
	for k := range rc.BlindBatches() {
		q, err := rc.Blind(ctx, k)
		require.NoError(t, err)
		ans, err := sd.Evaluate(ctx, wire(t, q).(*pointBatch))
		require.NoError(t, err)
		if learnsMembers(o.Mode) {
			require.NoError(t, rc.Unblind(ctx, k, wire(t, ans).(*pointBatch)))
		} else {
			require.NoError(t, rc.EvaluationAck(k, wire(t, ans).(*ackMsg)))
		}
	}
	return rc, sd
}

func handRun(t *testing.T, set Set, ys [][]byte, o Config) *view {
	t.Helper()
	ctx := context.Background()
	rc, sd := handEvaluate(t, set, ys, o)
	v := &view{rc: rc, sd: sd}
	for k := range sd.StreamBatches() {
		m, err := sd.StreamBatch(ctx, k)
		require.NoError(t, err)
		m = wire(t, m)
		v.stream = append(v.stream, m)
		ack, err := rc.HandleStream(ctx, m)
		require.NoError(t, err)
		require.NoError(t, sd.StreamAck(k, wire(t, ack).(*ackMsg)))
	}
	if o.Mode == Sum {
		req, err := rc.DecryptRequest()
		require.NoError(t, err)
		v.req = req
		share, err := sd.DecryptShare(wire(t, v.req).(*sumRequest))
		require.NoError(t, err)
		require.NoError(t, rc.Decrypt(ctx, wire(t, share).(*sumShare)))
	}
	return v
}

// indexOf returns the index of item in items, or -1.
func indexOf(items [][]byte, item []byte) int {
	for i, it := range items {
		if string(it) == string(item) {
			return i
		}
	}
	return -1
}

// senderPoints returns the blinded points H(x)^a of the sender's stream in
// Cardinality and Sum mode, in stream order, and the C1 halves of the
// ciphertexts (Sum).
func senderPoints(t *testing.T, v *view) (pts, c1s [][]byte) {
	for _, m := range v.stream {
		switch b := m.(type) {
		case *pointBatch:
			for i := range b.Len() {
				pts = append(pts, b.Points[i*pointLen:(i+1)*pointLen])
			}
		case *sumItemBatch:
			for i := range len(b.Points) / pointLen {
				pts = append(pts, b.Points[i*pointLen:(i+1)*pointLen])
				c1s = append(c1s, b.Cipher[2*i*pointLen:(2*i+1)*pointLen])
			}
		}
	}
	return pts, c1s
}

// TestReceiverCannotLinkMatchesToItems (D1): in Cardinality and Sum mode the
// receiver finds, for each matching sender point, where its tag sits among
// the evaluations of its own items. The sender shuffles those evaluations
// as a whole, so the position must say nothing about which of the
// receiver's items matched; without the shuffle it is the item's index.
func TestReceiverCannotLinkMatchesToItems(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 71) // the shuffles draw from crypto/rand: no flake
	r := rand.New(rand.NewPCG(71, 72))
	for _, mode := range []Mode{Cardinality, Sum} {
		t.Run(mode.String(), func(t *testing.T) {
			set, ys := genCase(r, 20, 20, 30, false, mode)
			o := Config{Mode: mode, BatchSize: MinBatchSize}
			v := handRun(t, set, ys, o)
			tl := o.TagLen
			if tl == 0 {
				tl = DefaultTagLen
			}
			var tags [][]byte
			for _, m := range v.stream {
				if tb, ok := m.(*tagBatch); ok {
					for i := range tb.Len() {
						tags = append(tags, tb.Tags[i*tl:(i+1)*tl])
					}
				}
			}
			require.Len(t, tags, len(v.rc.in.items))
			pts, _ := senderPoints(t, v)
			linked, matches := 0, 0
			for p, enc := range pts {
				e, err := decodePoint(enc)
				require.NoError(t, err)
				e.ScalarMult(v.rc.b, e)
				tag := make([]byte, tl)
				tagOf(tag, e.Encode(nil))
				pos := indexOf(tags, tag)
				if pos < 0 {
					continue
				}
				matches++
				x := v.sd.in.items[v.sd.perm[p]]
				if indexOf(v.rc.in.items, x) == pos {
					linked++
				}
			}
			require.Equal(t, 30, matches)
			// A uniform shuffle leaves about 30/50 of the matches in place
			// (Poisson(0.6): 8 or more has probability about 1e-7); without
			// the shuffle all 30 are.
			require.Less(t, linked, 8, "the receiver links %d of %d matches to its items", linked, matches)
		})
	}
}

// TestStreamOrderHidesSenderOrder (D1): the receiver learns at which stream
// positions the sender's items matched; the sender's random order must keep
// that from being their positions in the sender's input.
func TestStreamOrderHidesSenderOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(73, 74))
	for _, mode := range []Mode{Intersection, Cardinality, Join, Sum} {
		t.Run(mode.String(), func(t *testing.T) {
			set, ys := genCase(r, 30, 10, 20, false, mode)
			o := Config{Mode: mode, BatchSize: MinBatchSize, RevealToBoth: learnsMembers(mode)}
			v := handRun(t, set, ys, o)
			// Which stream positions matched, as the receiver sees it.
			var matchedPos []int
			if learnsMembers(mode) {
				bm := v.rc.bitmap
				if mode == Join {
					_, err := v.rc.Result()
					require.NoError(t, err)
					bm = v.rc.bitmap
				}
				for p := range len(v.sd.in.items) {
					if bm[p/8]>>(p%8)&1 == 1 {
						matchedPos = append(matchedPos, p)
					}
				}
			} else {
				pts, _ := senderPoints(t, v)
				for p, enc := range pts {
					e, _ := decodePoint(enc)
					e.ScalarMult(v.rc.b, e)
					tag := make([]byte, DefaultTagLen)
					tagOf(tag, e.Encode(nil))
					if _, ok := v.rc.set[keyOf(tag)]; ok {
						matchedPos = append(matchedPos, p)
					}
				}
			}
			require.Len(t, matchedPos, 20)
			// The sender's input positions of the shared items.
			var inputPos []int
			for i, x := range v.sd.in.items {
				if indexOf(ys, x) >= 0 {
					inputPos = append(inputPos, i)
				}
			}
			require.NotEqual(t, inputPos, matchedPos, "stream positions of matches equal the sender's input positions")
		})
	}
}

// TestSumRequestIsRerandomised (D1): the sender knows every ciphertext it
// sent, so it could find the matched subset from the C1 it is asked to
// decrypt unless the receiver rerandomises it with a secret t. Check that
// C1 minus the sum of the matched C1s is not a small multiple of G.
func TestSumRequestIsRerandomised(t *testing.T) {
	r := rand.New(rand.NewPCG(75, 76))
	set, ys := genCase(r, 10, 10, 12, false, Sum)
	v := handRun(t, set, ys, Config{Mode: Sum, BatchSize: MinBatchSize})
	_, c1s := senderPoints(t, v)
	sum := ristretto255.NewIdentityElement()
	for p, enc := range c1s {
		if indexOf(ys, v.sd.in.items[v.sd.perm[p]]) >= 0 {
			e, err := decodePoint(enc)
			require.NoError(t, err)
			sum.Add(sum, e)
		}
	}
	req, err := decodePoint(v.req.C1[:])
	require.NoError(t, err)
	diff := ristretto255.NewElement().Subtract(req, sum)
	jg := ristretto255.NewIdentityElement()
	g := ristretto255.NewGeneratorElement()
	for j := range 1 << 10 {
		require.Zero(t, diff.Equal(jg), "C1 = sum of matched C1 + %d*G: the sender sees the matched subset", j)
		jg.Add(jg, g)
	}
}
