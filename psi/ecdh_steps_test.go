package psi

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// wire round-trips a message through its encoding, as a transport would.
func wire(t *testing.T, m message) message {
	t.Helper()
	b, err := m.MarshalBinary()
	require.NoError(t, err)
	out, err := decodeMessage(b)
	require.NoError(t, err)
	return out
}

// TestStepsByHand drives the local steps without a transport, in every
// mode, and checks the result against the plaintext.
func TestStepsByHand(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(17, 18))
	for _, mode := range []Mode{Intersection, Cardinality, Join, Sum} {
		t.Run(mode.String(), func(t *testing.T) {
			set, ys := genCase(r, 30, 20, 18, true, mode)
			o := Config{Mode: mode, RevealToBoth: true, BatchSize: MinBatchSize}
			rc, err := prepareECDHReceiver(ys, o)
			require.NoError(t, err)
			sd, err := prepareECDHSender(set, o)
			require.NoError(t, err)
			require.NoError(t, rc.Start(wire(t, sd.helloMsg()).(*helloMsg)))
			require.NoError(t, sd.Start(wire(t, rc.helloMsg()).(*helloMsg)))

			_, err = sd.StreamBatch(ctx, 0)
			require.ErrorIs(t, err, ErrInvalidParams, "stream before the evaluations")
			for k := range rc.BlindBatches() {
				q, err := rc.Blind(ctx, k)
				require.NoError(t, err)
				ans, err := sd.Evaluate(ctx, wire(t, q).(*pointBatch))
				require.NoError(t, err)
				if learnsMembers(mode) {
					require.NoError(t, rc.Unblind(ctx, k, wire(t, ans).(*pointBatch)))
				} else {
					require.NoError(t, rc.EvaluationAck(k, wire(t, ans).(*ackMsg)))
				}
			}
			require.False(t, sd.EvaluationsPending())
			_, err = rc.Result()
			require.ErrorIs(t, err, ErrInvalidParams, "result before the stream")
			for k := range sd.StreamBatches() {
				m, err := sd.StreamBatch(ctx, k)
				require.NoError(t, err)
				ack, err := rc.HandleStream(ctx, wire(t, m))
				require.NoError(t, err)
				require.NoError(t, sd.StreamAck(k, wire(t, ack).(*ackMsg)))
				require.ErrorIs(t, sd.StreamAck(k, ack), ErrMalformed, "second ack of batch %d", k)
			}
			require.False(t, rc.StreamPending())
			_, err = rc.HandleStream(ctx, &tagBatch{TagLen: DefaultTagLen, Tags: make([]byte, DefaultTagLen)})
			require.ErrorIs(t, err, ErrMalformed, "a batch past the end")
			if mode == Sum {
				req, err := rc.DecryptRequest()
				require.NoError(t, err)
				share, err := sd.DecryptShare(wire(t, req).(*sumRequest))
				require.NoError(t, err)
				_, err = sd.DecryptShare(req)
				require.ErrorIs(t, err, ErrMalformed, "answered once")
				require.NoError(t, rc.Decrypt(ctx, wire(t, share).(*sumShare)))
			}
			res, err := rc.Result()
			require.NoError(t, err)
			rev, err := rc.Reveal()
			require.NoError(t, err)
			require.NoError(t, sd.HandleReveal(wire(t, rev)))
			sres, err := sd.Result()
			require.NoError(t, err)

			want := reference(set, ys)
			require.Equal(t, want.card, res.Cardinality)
			require.Equal(t, want.card, sres.Cardinality)
			if learnsMembers(mode) {
				require.Equal(t, want.recvIdx, res.Indices)
				require.Equal(t, want.sendIdx, sres.Indices)
			}
			if mode == Sum {
				require.Equal(t, want.sum, res.Sum)
				require.Equal(t, want.sum, sres.Sum)
			}
		})
	}
}

func TestStepsRejectWrongMessages(t *testing.T) {
	ctx := context.Background()
	set := Set{Items: Items([]string{"a", "b", "c"})}
	ys := Items([]string{"b", "c", "d"})
	rc, err := prepareECDHReceiver(ys, Config{Mode: Cardinality})
	require.NoError(t, err)
	sd, err := prepareECDHSender(set, Config{Mode: Cardinality})
	require.NoError(t, err)
	require.NoError(t, rc.Start(sd.helloMsg()))
	require.NoError(t, sd.Start(rc.helloMsg()))
	q, err := rc.Blind(ctx, 0)
	require.NoError(t, err)
	// Evaluations where an ackMsg is due, an ack with the wrong count, an ack
	// for a batch out of order.
	require.ErrorIs(t, rc.Unblind(ctx, 0, q), ErrMalformed)
	require.ErrorIs(t, rc.EvaluationAck(0, &ackMsg{Count: 2}), ErrMalformed)
	require.ErrorIs(t, rc.EvaluationAck(1, &ackMsg{Count: 3}), ErrMalformed)
	// Too many items for the sender.
	_, err = sd.Evaluate(ctx, &pointBatch{Points: make([]byte, 4*pointLen)})
	require.ErrorIs(t, err, ErrMalformed)
	ans, err := sd.Evaluate(ctx, q)
	require.NoError(t, err)
	require.NoError(t, rc.EvaluationAck(0, ans.(*ackMsg)))
	// A stream message of the wrong kind.
	_, err = rc.HandleStream(ctx, &joinBatch{TagLen: DefaultTagLen})
	require.ErrorIs(t, err, ErrMalformed)
	_, err = rc.HandleStream(ctx, &pointBatch{Points: make([]byte, pointLen)})
	require.ErrorIs(t, err, ErrMalformed, "points before the tags")
	// Reveal without RevealToBoth, decryption outside Sum.
	require.ErrorIs(t, sd.HandleReveal(&outcomeMsg{}), ErrMalformed)
	_, err = sd.DecryptShare(&sumRequest{})
	require.ErrorIs(t, err, ErrMalformed)
	_, err = rc.DecryptRequest()
	require.ErrorIs(t, err, ErrInvalidParams)

	_, err = prepareECDHReceiver(ys, Config{Protocol: KKRT})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = prepareECDHSender(set, Config{Mode: Sum})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = decodeMessage([]byte{0x99})
	require.ErrorIs(t, err, ErrMalformed)
}

// prepareECDHReceiver validates opts, merges duplicate items and draws the
// receiver's key.
func prepareECDHReceiver(items [][]byte, opts Config) (*ecdhReceiver, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Protocol != ECDH {
		return nil, fmt.Errorf("%w: ECDH receiver with protocol %s", ErrInvalidParams, o.Protocol)
	}
	in, err := dedup(items, o.Workers)
	if err != nil {
		return nil, err
	}
	return newECDHReceiver(in, o)
}

// prepareECDHSender validates opts and the sender's set, merges duplicates and
// draws the sender's keys and shuffle.
func prepareECDHSender(set Set, opts Config) (*ecdhSender, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Protocol != ECDH {
		return nil, fmt.Errorf("%w: ECDH sender with protocol %s", ErrInvalidParams, o.Protocol)
	}
	in, err := prepareSender(set, o.Mode, o.Workers, o.LatticeSum)
	if err != nil {
		return nil, err
	}
	return newECDHSender(in, o)
}
