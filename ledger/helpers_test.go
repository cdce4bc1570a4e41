package ledger

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

var (
	idsOnce sync.Once
	ids     []*transport.Identity // party-0..party-3, one CA
	otherID *transport.Identity   // "party-1" from another CA
	idsErr  error
)

// identities returns n identities named party-0.. from one CA (issued once
// for the package's tests: certificates are slow to make).
func identities(t testing.TB, n int) []*transport.Identity {
	t.Helper()
	idsOnce.Do(func() {
		ca, err := transport.NewCA("test-ca")
		if err != nil {
			idsErr = err
			return
		}
		for i := range 4 {
			id, err := ca.Issue(transport.PartyName(i))
			if err != nil {
				idsErr = err
				return
			}
			ids = append(ids, id)
		}
		other, err := transport.NewCA("other-ca")
		if err != nil {
			idsErr = err
			return
		}
		otherID, idsErr = other.Issue(transport.PartyName(1))
	})
	require.NoError(t, idsErr)
	require.LessOrEqual(t, n, len(ids))
	return ids[:n]
}

// sampleReceipt is a receipt of a two-party (or n-party) run.
func sampleReceipt(t testing.TB, parties []*transport.Identity) *Receipt {
	t.Helper()
	start := time.Date(2026, 12, 2, 1, 0, 0, 123456789, time.UTC)
	r := &Receipt{
		Protocol:      "psi/ecdh cardinality",
		Version:       2,
		Params:        []byte("window=4 batch=1024"),
		SecurityModel: "semi-honest, two parties",
		Leakage: report.Leakage{
			{To: "receiver", What: report.InputSize, About: "sender", Count: 1000},
			{To: "receiver", What: report.Cardinality, Count: 12, Note: "the intersection's size"},
		},
		Spends: []Spend{{Dataset: "customers", Owner: "party-0", Epsilon: 0.5, Delta: 1e-9}},
		Start:  start,
		End:    start.Add(1500 * time.Millisecond),
	}
	for i, id := range parties {
		c, _, err := Commit([]byte{byte(i), 1, 2, 3})
		require.NoError(t, err)
		r.Parties = append(r.Parties, Party{
			Name: id.Name(), Role: []string{"sender", "receiver", "party 2", "party 3"}[i],
			Fingerprint: FingerprintOf(id), Input: c,
			Stats: report.Stats{Stats: transport.Stats{BytesSent: int64(100 * (i + 1)), BytesReceived: 7, MessagesSent: 3, MessagesReceived: 4}, Duration: time.Second},
		})
	}
	return r
}

// signAll signs r by every identity.
func signAll(t testing.TB, r *Receipt, parties []*transport.Identity) *SignedReceipt {
	t.Helper()
	s := &SignedReceipt{Receipt: *r}
	for _, id := range parties {
		sig, err := Sign(id, r)
		require.NoError(t, err)
		s.Signatures = append(s.Signatures, sig)
	}
	return s
}
