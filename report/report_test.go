package report

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLeakage(t *testing.T) {
	l := Leakage{
		{To: "receiver", What: InputSize, About: "sender", Count: 100},
		{To: "receiver", What: Membership, Count: 7},
		{To: "sender", What: InputSize, About: "receiver", Count: 50},
		{To: "all", What: Parameters, Note: "mode intersection"},
	}
	require.Len(t, l.To("receiver"), 3)
	require.Len(t, l.To("sender"), 2)
	require.Empty(t, l.To("nobody")[0:0])
	require.Equal(t, "receiver learns input size of sender (100)", l[0].String())
	require.Equal(t, "all learns parameters: mode intersection", l[3].String())
	require.Contains(t, l.String(), "; sender learns input size of receiver (50)")
}
