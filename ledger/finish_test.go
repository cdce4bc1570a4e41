package ledger

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
	"github.com/veil-go/veil/transport/transporttest"
)

func common() *Receipt {
	start := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	return &Receipt{Protocol: "secagg", Version: 2, SecurityModel: "malicious server", Start: start, End: start.Add(time.Minute),
		Spends: []Spend{{Dataset: "gradients", Owner: "party-1", Epsilon: 1}}}
}

func finishAll(t *testing.T, n int, wrap func(i int, m transport.Mesh) transport.Mesh, lie func(i int, p *Party)) ([]*SignedReceipt, []error) {
	ctx := bounded(t)
	ps := identities(t, n)
	meshes, err := transport.NewMemStar(n, transport.Options{})
	require.NoError(t, err)
	out := make([]*SignedReceipt, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m := meshes[i]
			if wrap != nil {
				m = wrap(i, m)
			}
			defer m.Close()
			c, _, err := Commit([]byte{byte(i)})
			if err != nil {
				errs[i] = err
				return
			}
			mine := Party{Role: []string{"server", "client", "client", "client"}[i], Input: c,
				Stats: report.Stats{Stats: transport.Stats{BytesSent: int64(1000 * i)}, Duration: time.Duration(i) * time.Second}}
			if lie != nil {
				lie(i, &mine)
			}
			r := common()
			if i != 0 {
				r.Start, r.End = r.Start.Add(time.Duration(i)*time.Second), r.End.Add(time.Duration(i)*time.Hour) // other clocks
			}
			out[i], errs[i] = Finish(ctx, ps[i], m, r, mine)
		})
	}
	wg.Wait()
	return out, errs
}

func TestFinish(t *testing.T) {
	out, errs := finishAll(t, 4, nil, nil)
	ref, err := out[0].MarshalBinary()
	require.NoError(t, err)
	for i := range 4 {
		require.NoError(t, errs[i])
		require.NoError(t, out[i].Verify(identities(t, 1)[0]))
		require.EqualValues(t, 1000*2, out[i].Receipt.Parties[2].Stats.BytesSent, "each party's own Stats")
		require.True(t, out[i].Receipt.Start.Equal(common().Start) && out[i].Receipt.End.Equal(common().End), "party 0's clock")
		rb, err := out[i].Receipt.MarshalBinary()
		require.NoError(t, err)
		r0, err := out[0].Receipt.MarshalBinary()
		require.NoError(t, err)
		require.True(t, bytes.Equal(rb, r0), "party %d holds the same receipt", i)
	}
	require.NotEmpty(t, ref)
}

func TestFinishFaults(t *testing.T) {
	t.Run("hub relays another record", func(t *testing.T) {
		_, errs := finishAll(t, 3, func(i int, m transport.Mesh) transport.Mesh {
			if i != 0 {
				return m
			}
			return transporttest.WrapMesh(m, func(peer int, c transport.Conn) transport.Conn {
				if peer != 1 {
					return c
				}
				return transporttest.Corrupt(c, 0, func(msg []byte) []byte {
					msg[len(msg)-17] ^= 1 // the last party's duration, as party 1 is told
					return msg
				})
			})
		}, nil)
		require.ErrorIs(t, errs[0], ErrMismatch, "party 1 signs a receipt that differs from party 0's")
		require.Contains(t, errs[0].Error(), `peer "party-1"`)
		require.ErrorIs(t, errs[1], ErrAborted)
		require.Error(t, errs[2], "aborted, or its link closed by party 0 first")
	})
	t.Run("truncated record", func(t *testing.T) {
		_, errs := finishAll(t, 2, func(i int, m transport.Mesh) transport.Mesh {
			if i != 1 {
				return m
			}
			return transporttest.WrapMesh(m, func(_ int, c transport.Conn) transport.Conn { return transporttest.Truncate(c, 0, 10) })
		}, nil)
		require.ErrorIs(t, errs[0], ErrMalformed)
		require.Contains(t, errs[0].Error(), "step parties")
		require.ErrorIs(t, errs[1], ErrAborted)
	})
}
