package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/bench"
)

// The command runs a filtered quick suite, writes JSON, charts and a
// RESULTS.md, and rebuilds the same table from the JSON with -from.
func TestRunAndRebuild(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "r.json")
	md := filepath.Join(dir, "RESULTS.md")
	charts := filepath.Join(dir, "charts")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-quick", "-run", "transport/in-memory", "-min-time", "1ms",
		"-json", js, "-plot", charts, "-markdown-out", md}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), "| transport: in-memory Pipe send+recv |")
	assert.Contains(t, errOut.String(), "[1/2]")
	res, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(res), "![")
	assert.Contains(t, string(res), "(charts/transport.png)")

	// A hand-written section below the marker survives a rewrite.
	hand := bench.KeepMarker + "\n\n## Package figures\n\n- hand-written line\n"
	require.NoError(t, os.WriteFile(md, append(res, []byte("\n"+hand)...), 0o644))
	var rebuilt bytes.Buffer
	code = run(context.Background(), []string{"-from", js, "-markdown-out", md}, &rebuilt, &errOut)
	require.Equal(t, 0, code, errOut.String())
	res2, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(res2), bench.KeepMarker))
	assert.True(t, strings.HasSuffix(string(res2), hand), "the kept section ends the report")
	assert.Contains(t, string(res2), "| transport: in-memory Pipe send+recv |")

	var again bytes.Buffer
	code = run(context.Background(), []string{"-from", js}, &again, &errOut)
	require.Equal(t, 0, code, errOut.String())
	table := func(s string) string { return s[strings.Index(s, "| kernel"):] }
	assert.Equal(t, table(out.String()), table(again.String()))
}

func TestBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, 1, run(context.Background(), []string{"-run", "no-such-kernel"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "no kernel matches")
	assert.Equal(t, 2, run(context.Background(), []string{"stray"}, &out, &errOut))
	assert.Equal(t, 1, run(context.Background(), []string{"-from", filepath.Join(t.TempDir(), "none.json")}, &out, &errOut))
}
