package ot

import (
	"context"
	"math/rand/v2"
	"testing"
	"testing/cryptotest"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

func TestCorrelatedOT64(t *testing.T) {
	ctx := testCtx(t)
	// Small chunks and messages so that several chunks and correction
	// messages are used.
	s, r := extPair(t, Config{ChunkRows: 256, Workers: 3})
	rng := rand.New(rand.NewPCG(9, 10))
	for _, m := range []int{0, 1, 63, 64, 65, 1000, maxCorrPerMsg + 129} {
		correlatedOT(t, ctx, rng, s, r, m, "IKNP")
	}
	_, err := r.CorrelatedOT64(ctx, make([]uint64, 1), 65)
	require.ErrorIs(t, err, ErrInvalidParams)
}

// correlatedOT runs m correlated OTs from s to r with correlations and
// choice words drawn from rng (one word more than m needs: the bits beyond
// m are ignored) and checks y_j = x_j + c_j*delta_j for every OT.
func correlatedOT(t *testing.T, ctx context.Context, rng *rand.Rand, s OneOfTwoSender, r OneOfTwoReceiver, m int, what string) {
	t.Helper()
	delta := make([]uint64, m)
	words := make([]uint64, (m+63)/64+1)
	for j := range delta {
		delta[j] = rng.Uint64()
	}
	for j := range words {
		words[j] = rng.Uint64()
	}
	var x, y []uint64
	es, er := both(func() (err error) {
		x, err = s.CorrelatedOT64(ctx, delta)
		return err
	}, func() (err error) {
		y, err = r.CorrelatedOT64(ctx, words, m)
		return err
	})
	require.NoError(t, es)
	require.NoError(t, er)
	require.Len(t, x, m)
	require.Len(t, y, m)
	for j := range m {
		c := words[j/64] >> (j % 64) & 1
		require.Equal(t, x[j]+c*delta[j], y[j], "%s m %d OT %d", what, m, j)
	}
}

// TestCorrelatedOTHidesDelta: run twice with the same randomness on both
// sides and the same choices but different correlations, the receiver's
// outputs at choice 0 and every message it receives but the corrections
// are identical; of the corrections, those at choice 0 differ by exactly
// the change of delta and are masked by H(j, q_j ^ s), which the receiver
// cannot compute. (A consistency check of where delta enters the view, not
// a simulation proof.)
func TestCorrelatedOTHidesDelta(t *testing.T) {
	const m = 300
	choices := []uint64{0x5555_0000_ffff_1234, 0, ^uint64(0), 0x8000_0000_0000_0001, 7}
	bit := func(j int) uint64 { return choices[j/64] >> (j % 64) & 1 }
	run := func(flip uint64) ([]uint64, [][]byte) {
		ctx := testCtx(t)
		a, b := transport.Pipe("sender", "receiver", transport.Options{})
		cryptotest.SetGlobalRandom(t, 2)
		drawn := make(chan struct{})
		rec := &recordingConn{Conn: b}
		sconn := &firstRecvConn{Conn: a, first: drawn}
		delta := make([]uint64, m)
		for j := range delta {
			delta[j] = uint64(j)*0x9e3779b97f4a7c15 + flip
		}
		var out []uint64
		es, er := both(func() error {
			s, err := NewSender(ctx, sconn, Config{})
			if err != nil {
				return err
			}
			_, err = s.CorrelatedOT64(ctx, delta)
			return err
		}, func() error {
			<-drawn
			r, err := NewReceiver(ctx, rec, Config{})
			if err != nil {
				return err
			}
			out, err = r.CorrelatedOT64(ctx, choices, m)
			return err
		})
		require.NoError(t, es)
		require.NoError(t, er)
		return out, rec.got
	}
	out1, view1 := run(0)
	out2, view2 := run(12345)
	require.Equal(t, len(view1), len(view2))
	for i := range view1[:len(view1)-1] {
		require.Equal(t, view1[i], view2[i], "message %d", i)
	}
	var c1, c2 Corrections
	require.NoError(t, c1.UnmarshalBinary(view1[len(view1)-1]))
	require.NoError(t, c2.UnmarshalBinary(view2[len(view2)-1]))
	for j := range m {
		require.Equal(t, c1.Tau[j]+12345, c2.Tau[j], "OT %d", j)
		// Masked by H(j, q_j ^ s), not by nothing nor by the receiver's
		// own output: neither tau_j nor tau_j - y_j is delta_j.
		delta := uint64(j) * 0x9e3779b97f4a7c15
		require.NotEqual(t, delta, c1.Tau[j], "OT %d: correction unmasked", j)
		if bit(j) == 0 {
			require.NotEqual(t, delta, c1.Tau[j]-out1[j], "OT %d: correction masked by the receiver's output", j)
		}
		if bit(j) == 0 {
			require.Equal(t, out1[j], out2[j], "OT %d", j)
		} else {
			require.Equal(t, out1[j]+12345, out2[j], "OT %d", j)
		}
	}
}

// TestCorrelatedOTMalformed: corrections cut short, or too few of them, are
// errors wrapping ErrMalformed for the receiver, not a panic or wrong output.
func TestCorrelatedOTMalformed(t *testing.T) {
	for _, cut := range []int{1, 8} {
		ctx := testCtx(t)
		a, b := transport.Pipe("sender", "receiver", transport.Options{})
		rc := &mangleConn{Conn: b, mangle: func(m []byte) []byte {
			if len(m) > 0 && m[0] == tagCorr {
				if cut == 8 { // a well-formed message with one correction fewer
					n := len(m) - corrHdrSize - 8
					m = append([]byte(nil), m[:corrHdrSize+n]...)
					m[1]--
					return m
				}
				return m[:len(m)-cut]
			}
			return m
		}}
		var s *Sender
		var r *Receiver
		es, er := both(func() (err error) {
			s, err = NewSender(ctx, a, Config{})
			return err
		}, func() (err error) {
			r, err = NewReceiver(ctx, rc, Config{})
			return err
		})
		require.NoError(t, es)
		require.NoError(t, er)
		es, er = both(func() error {
			_, err := s.CorrelatedOT64(ctx, make([]uint64, 100))
			return err
		}, func() error {
			_, err := r.CorrelatedOT64(ctx, []uint64{1, 2}, 100)
			return err
		})
		require.NoError(t, es)
		require.ErrorIs(t, er, ErrMalformed, "cut %d", cut)
		a.Close()
		b.Close()
	}
}

// mangleConn rewrites every message it receives.
type mangleConn struct {
	transport.Conn
	mangle func([]byte) []byte
}

func (c *mangleConn) Recv(ctx context.Context) ([]byte, error) {
	m, err := c.Conn.Recv(ctx)
	if err != nil {
		return m, err
	}
	return c.mangle(m), nil
}
