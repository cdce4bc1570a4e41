package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Progress is shown on a terminal only: never on a buffer or a pipe, and
// never with -json.
func TestProgressOnlyOnTerminal(t *testing.T) {
	require.Nil(t, newProgress(&bytes.Buffer{}, false))
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	require.Nil(t, newProgress(w, false))
	require.Nil(t, newProgress(os.Stderr, true))
	var quiet *progress
	quiet.phase("nothing %d", 1) // a nil progress says nothing, without panicking
	require.Nil(t, quiet.items("x"))

	var b bytes.Buffer
	p := &progress{w: &b}
	p.phase("aligning %d", 5)
	p.items("psi")(1, 4)
	p.items("psi")(4, 4)
	require.True(t, strings.Contains(b.String(), "vertical: aligning 5"), b.String())
	require.Contains(t, b.String(), "4 of 4 items (100%)")
}
