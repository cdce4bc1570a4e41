package ledger

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/psi"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// TestPSIRunReceipt: after a PSI cardinality run over transcript-recording
// connections, both parties build the same receipt (the receiver's
// cardinality left out by PublicLeakage), exchange signatures and end with
// identical signed receipts that verify.
func TestPSIRunReceipt(t *testing.T) {
	ctx := bounded(t)
	ps := identities(t, 2)
	items := func(prefix string, n int) [][]byte {
		s := make([][]byte, n)
		for i := range s {
			s[i] = fmt.Appendf(nil, "%s-%d", prefix, i)
		}
		return s
	}
	send := items("x", 300)
	recv := append(items("x", 40), items("y", 200)...)
	a, c := transport.Pipe(ps[0].Name(), ps[1].Name(), transport.Options{})
	defer a.Close()
	defer c.Close()
	var ta, tc Transcript
	ca, cc := ta.Conn(ps[0].Name(), a), tc.Conn(ps[1].Name(), c)
	cfg := psi.Config{Mode: psi.Cardinality}
	start := time.Now()
	var out [2]*SignedReceipt
	var errs [2]error
	var results [2]*psi.Result
	var wg sync.WaitGroup
	sendDigest, recvDigest := sha256.Sum256(SetEncoding(send)), sha256.Sum256(SetEncoding(recv))
	wg.Go(func() {
		results[0], errs[0] = psi.RunSender(ctx, ca, psi.Set{Items: send}, cfg)
		if errs[0] == nil {
			out[0], errs[0] = finishReceipt(ctx, ps, 0, ca, &ta, results[0], sendDigest, start)
		}
	})
	results[1], errs[1] = psi.RunReceiver(ctx, cc, psi.Set{Items: recv}, cfg)
	if errs[1] == nil {
		out[1], errs[1] = finishReceipt(ctx, ps, 1, cc, &tc, results[1], recvDigest, start)
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.EqualValues(t, 40, results[1].Cardinality)
	require.NotEqual(t, results[0].Leakage, results[1].Leakage, "the receiver's leakage has the cardinality")
	b0, err := out[0].Receipt.MarshalBinary()
	require.NoError(t, err)
	b1, err := out[1].Receipt.MarshalBinary()
	require.NoError(t, err)
	require.True(t, bytes.Equal(b0, b1), "both parties hold the same receipt")
	for i := range 2 {
		require.NoError(t, out[i].Verify(ps[1-i]))
		require.Equal(t, results[i].Stats, out[1-i].Receipt.Parties[i].Stats, "party %d's own Stats, as the other holds them", i)
	}
	for _, d := range out[0].Receipt.Leakage {
		if d.What == report.Cardinality {
			require.Zero(t, d.Count, "the receipt does not tell the sender the cardinality")
		}
	}
}

func TestPublicLeakage(t *testing.T) {
	l := report.Leakage{
		{To: "receiver", What: report.InputSize, About: "sender", Count: 10},
		{To: "receiver", What: report.Cardinality, Count: 4},
		{To: "analyst", What: report.Output, Count: 3},
	}
	p := PublicLeakage(l)
	require.EqualValues(t, 10, p[0].Count)
	require.Zero(t, p[1].Count)
	require.Zero(t, p[2].Count)
	require.EqualValues(t, 4, l[1].Count, "the input is not changed")
}
