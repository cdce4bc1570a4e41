package progress

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestItems: nothing before the delay, at most five updates a second, a
// newline at the end.
func TestItems(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	m := newMeter(&buf, "psi", time.Second, func() time.Time { return clock })
	p := m.Items("party A")
	p(10, 100)
	require.Empty(t, buf.String(), "before the delay")
	clock = clock.Add(2 * time.Second)
	p(20, 100)
	require.Equal(t, "\rpsi: party A: 20 of 100 items (20%)\033[K", buf.String())
	clock = clock.Add(100 * time.Millisecond)
	p(30, 100)
	require.NotContains(t, buf.String(), "30 of", "throttled")
	p(100, 100)
	require.True(t, strings.HasSuffix(buf.String(), "\rpsi: party A: 100 of 100 items (100%)\033[K\n"), "%q", buf.String())
	m.Phase("done in %d s", 3)
	require.True(t, strings.HasSuffix(buf.String(), "\rpsi: done in 3 s\033[K\n"), "%q", buf.String())
}

// TestOnlyOnTerminal: never on a buffer or a pipe, never when quiet; a nil
// meter says nothing.
func TestOnlyOnTerminal(t *testing.T) {
	require.Nil(t, New(&bytes.Buffer{}, "x", false))
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	require.False(t, IsTerminal(w))
	require.Nil(t, New(w, "x", false))
	require.Nil(t, New(os.Stderr, "x", true))
	var quiet *Meter
	quiet.Phase("nothing %d", 1)
	require.Nil(t, quiet.Items("x"))
}
