package psi

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// disclosure returns the one disclosure to `to` of kind what (and note
// prefix, if given), failing the test if there is not exactly one.
func disclosure(t *testing.T, l report.Leakage, to, what, note string) report.Disclosure {
	t.Helper()
	var found []report.Disclosure
	for _, d := range l {
		if d.To == to && d.What == what && strings.HasPrefix(d.Note, note) {
			found = append(found, d)
		}
	}
	require.Len(t, found, 1, "%s learns %s %q in %v", to, what, note, l)
	return found[0]
}

// TestRunInProcessLeakage runs every protocol and mode through
// RunInProcess and checks both results, their Stats and their Leakage
// against the plaintext and the package doc's security model.
func TestRunInProcessLeakage(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, proto := range []Protocol{ECDH, KKRT} {
		for _, mode := range []Mode{Intersection, Cardinality, Join, Sum} {
			if proto == KKRT && (mode == Cardinality || mode == Sum) {
				continue
			}
			for _, reveal := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/reveal=%v", proto, mode, reveal), func(t *testing.T) {
					set, ys := genCase(r, 11, 13, 7, true, mode)
					want := reference(set, ys)
					nS, nR := distinct(set.Items), distinct(ys)
					cfg := Config{Protocol: proto, Mode: mode, RevealToBoth: reveal, BatchSize: MinBatchSize}
					recv, send, err := RunInProcess(context.Background(), Set{Items: ys}, set, cfg)
					require.NoError(t, err)
					require.Equal(t, want.card, recv.Cardinality)
					if learnsMembers(mode) {
						require.Equal(t, want.recvIdx, recv.Indices)
					}
					require.Equal(t, reveal, send.Learned)

					for _, res := range []*Result{recv, send} {
						require.Positive(t, res.Stats.Duration)
						require.Positive(t, res.Stats.BytesSent)
						require.Positive(t, res.Stats.MessagesReceived)
						l := res.Leakage
						require.EqualValues(t, nS, disclosure(t, l, "receiver", report.InputSize, "").Count)
						require.EqualValues(t, nR, disclosure(t, l, "sender", report.InputSize, "").Count)
						disclosure(t, l, "all", report.Parameters, "protocol "+proto.String())
						wantCard := int64(want.card)
						if !res.Learned {
							wantCard = 0 // the sender cannot count the receiver's matches
						}
						for _, to := range []string{"receiver", "sender"} {
							learns := to == "receiver" || reveal
							switch mode {
							case Intersection, Join:
								if !learns {
									require.Empty(t, without(l.To(to), report.InputSize, report.Parameters), "%s learns nothing more", to)
									continue
								}
								require.Equal(t, wantCard, disclosure(t, l, to, report.Membership, "").Count)
							case Cardinality, Sum:
								if !learns {
									require.Empty(t, without(l.To(to), report.InputSize, report.Parameters), "%s learns nothing more", to)
									continue
								}
								require.Equal(t, wantCard, disclosure(t, l, to, report.Cardinality, "").Count)
								if mode == Sum {
									disclosure(t, l, to, report.Output, "the sum")
								}
							}
						}
						if mode == Join {
							require.Equal(t, wantCard, disclosure(t, l, "receiver", report.Payloads, "the sender's payload").Count)
							require.EqualValues(t, nS, disclosure(t, l, "receiver", report.Payloads, "the length").Count)
						}
					}
				})
			}
		}
	}
}

// without drops the disclosures of the given kinds.
func without(l report.Leakage, kinds ...string) report.Leakage {
	var out report.Leakage
	for _, d := range l {
		keep := true
		for _, k := range kinds {
			keep = keep && d.What != k
		}
		if keep {
			out = append(out, d)
		}
	}
	return out
}

func distinct(items [][]byte) int {
	m := map[string]bool{}
	for _, x := range items {
		m[string(x)] = true
	}
	return len(m)
}

// TestRunInProcessError returns the first party's error, not the
// consequence at the other party.
func TestRunInProcessError(t *testing.T) {
	set := Set{Items: Items([]string{"a"}), Values: []int64{1}}
	_, _, err := RunInProcess(context.Background(), Set{Items: Items([]string{"a"})}, set, Config{})
	require.ErrorIs(t, err, ErrInvalidParams)
	require.EqualError(t, err, "psi: invalid parameters: the sender's set has values, which only sum mode uses, in intersection mode")
	_, _, err = RunInProcess(context.Background(), Set{}, Set{Items: Items([]string{"a"})}, Config{Protocol: KKRT, Mode: Cardinality})
	require.ErrorIs(t, err, ErrUnsupported)
}

// TestErrorFormat checks the one error format of a run: package, role,
// step and peer once, then the cause.
func TestErrorFormat(t *testing.T) {
	set := Set{Items: Items([]string{"a", "b"})}
	ys := Items([]string{"b", "c"})
	pr := runPair(t, set, ys, Config{Mode: Cardinality}, Config{Mode: Intersection})
	require.EqualError(t, pr.recvErr, `psi receiver, step hello, peer "sender": mismatch: peer runs mode cardinality, we run intersection`)
	require.EqualError(t, pr.sendErr, `psi sender, step hello, peer "receiver": mismatch: peer runs mode intersection, we run cardinality`)

	// The peer goes away mid-run: the transport's error follows the step
	// prefix, which appears once.
	for _, proto := range []Protocol{ECDH, KKRT} {
		cs, cr := transport.Pipe("sender", "receiver", transport.Options{})
		go func() {
			// Answer the hello, then hang up.
			_, _ = cs.Recv(context.Background())
			h, _ := newHello(roleSender, 3, mustDefaults(t, Config{Protocol: proto})).MarshalBinary()
			_ = cs.Send(context.Background(), h)
			cs.Close()
		}()
		_, err := RunReceiver(context.Background(), cr, Set{Items: ys}, Config{Protocol: proto})
		require.Error(t, err)
		require.True(t, errors.Is(err, transport.ErrClosed), "%v", err)
		msg := err.Error()
		t.Log(msg)
		require.True(t, strings.HasPrefix(msg, "psi receiver, step "), msg)
		require.Equal(t, 1, strings.Count(msg, "psi "), msg)
		require.NotContains(t, msg, "kkrt:", msg)
		if proto == KKRT {
			require.True(t, strings.HasPrefix(msg, "psi receiver, step kkrt "), msg)
		}
	}
}

func mustDefaults(t *testing.T, c Config) Config {
	t.Helper()
	c, err := c.withDefaults()
	require.NoError(t, err)
	return c
}
