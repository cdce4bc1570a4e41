package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchGroup runs every case of a group as sub-benchmarks "<name>/<size>/veil"
// and ".../baseline", each reporting items/s (and bytes/item where the
// kernel communicates). With -short the quick sizes are used.
func benchGroup(b *testing.B, group string) {
	ran := false
	for _, c := range Cases() {
		if c.Group != group {
			continue
		}
		ran = true
		for _, size := range c.Sizes(testing.Short()) {
			name := strings.ReplaceAll(c.Name, " ", "_")
			if size > 0 {
				name += fmt.Sprintf("/size=%d", size)
			}
			b.Run(name, func(b *testing.B) {
				ctx := context.Background()
				ops, err := c.Setup(ctx, size)
				if err != nil {
					b.Skipf("setup: %v", err)
				}
				if ops.Close != nil {
					defer ops.Close()
				}
				b.Run("veil", func(b *testing.B) { benchOp(b, ctx, ops.Veil, ops.Items, c.Item) })
				if ops.Baseline != nil {
					items := ops.BaselineItems
					if items <= 0 {
						items = ops.Items
					}
					b.Run("baseline", func(b *testing.B) { benchOp(b, ctx, ops.Baseline, items, c.Item) })
				}
			})
		}
	}
	if !ran {
		b.Skipf("no %s kernels in this build", group)
	}
}

func benchOp(b *testing.B, ctx context.Context, op func(context.Context) (int64, error), items float64, unit string) {
	var sent int64
	b.ResetTimer()
	for b.Loop() {
		n, err := op(ctx)
		if err != nil {
			b.Fatal(err)
		}
		sent += n
	}
	sec := b.Elapsed().Seconds()
	if sec > 0 {
		b.ReportMetric(items*float64(b.N)/sec, unit+"/s")
	}
	if sent > 0 {
		b.ReportMetric(float64(sent)/(items*float64(b.N)), "bytes/"+strings.TrimSuffix(unit, "s"))
	}
}

func BenchmarkFloor(b *testing.B)     { benchGroup(b, "floor") }
func BenchmarkTransport(b *testing.B) { benchGroup(b, "transport") }
func BenchmarkDP(b *testing.B)        { benchGroup(b, "dp") }
func BenchmarkHE(b *testing.B)        { benchGroup(b, "he") }
func BenchmarkPSI(b *testing.B)       { benchGroup(b, "psi") }
func BenchmarkOT(b *testing.B)        { benchGroup(b, "ot") }
func BenchmarkMPC(b *testing.B)       { benchGroup(b, "mpc") }
func BenchmarkSecAgg(b *testing.B)    { benchGroup(b, "secagg") }

// Every case is well-formed: named, documented, with sizes and an estimate.
func TestCasesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Cases() {
		key := c.Group + "/" + c.Name
		assert.False(t, seen[key], "duplicate kernel %s", key)
		seen[key] = true
		assert.NotEmpty(t, c.Group, key)
		assert.NotEmpty(t, c.Item, key)
		assert.NotEmpty(t, c.Anchor, key)
		assert.NotNil(t, c.Setup, key)
		assert.Positive(t, c.Expect, key)
		if c.Chart != "" {
			assert.NotEmpty(t, c.Series, key)
			_, ok := charts[c.Chart]
			assert.True(t, ok, "chart %q of %s has no labels", c.Chart, key)
		}
	}
}

// A smoke test of the runner's quick table builder on tiny settings: rows
// come back for every size, the table, JSON and charts are produced.
func TestRunQuickSmoke(t *testing.T) {
	cases := Select(Cases(), "transport/")
	require.NotEmpty(t, cases)
	var progress bytes.Buffer
	rows, err := Run(context.Background(), Config{Quick: true, MinTime: time.Millisecond, MaxIters: 3, Progress: &progress}, cases)
	require.NoError(t, err)
	want := 0
	for _, c := range cases {
		want += len(c.QuickSizes)
	}
	require.Len(t, rows, want)
	for _, r := range rows {
		require.Empty(t, r.Err)
		assert.Positive(t, r.VeilSeconds)
		assert.Positive(t, r.BaseSeconds)
		assert.InDelta(t, r.BaseRate/r.VeilRate, r.Ratio, 1e-9)
	}
	assert.Equal(t, want, strings.Count(progress.String(), "\n"))

	var md bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, rows))
	assert.Equal(t, want+2, strings.Count(md.String(), "\n"))
	assert.Contains(t, md.String(), "| transport: in-memory Pipe send+recv | 2^10 |")

	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, Report{Machine: ThisMachine(), Rows: rows}))
	var back Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Len(t, back.Rows, want)

	dir := t.TempDir()
	files, err := WritePlots(dir, rows)
	require.NoError(t, err)
	require.Contains(t, files, "transport.png")
	st, err := os.Stat(filepath.Join(dir, "transport.png"))
	require.NoError(t, err)
	assert.Positive(t, st.Size())

	var res bytes.Buffer
	m := ThisMachine()
	m.Shared = true
	require.NoError(t, WriteResults(&res, m, rows, "charts", files, "veilbench -quick"))
	assert.Contains(t, res.String(), "Measured while the machine was shared")
	assert.Contains(t, res.String(), "![")
	assert.Contains(t, res.String(), m.GoVersion)
}

// A failing case yields a row with the error, not an aborted run; a
// cancelled context stops the run.
func TestRunErrors(t *testing.T) {
	bad := []Case{{Group: "x", Name: "fails", Item: "ops", Setup: func(context.Context, int) (*Ops, error) {
		return nil, fmt.Errorf("boom")
	}}, {Group: "x", Name: "panics", Item: "ops", Setup: func(context.Context, int) (*Ops, error) {
		return &Ops{Items: 1, Veil: func(context.Context) (int64, error) { panic("oops") }}, nil
	}}}
	rows, err := Run(context.Background(), Config{Quick: true}, bad)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, "boom", rows[0].Err)
	assert.Contains(t, rows[1].Err, "oops")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Run(ctx, Config{Quick: true}, Cases())
	require.ErrorIs(t, err, context.Canceled)
}

// A chart with one point per series (as -quick makes) renders; log axes
// used to panic there.
func TestPlotSinglePoints(t *testing.T) {
	rows := []Row{
		{Group: "he", Kernel: "x", Size: 3, VeilSeconds: 0.03, Chart: "he", Series: "a"},
		{Group: "secagg", Kernel: "y", Size: 10, VeilSeconds: 0.04, Chart: "secagg", Series: "b"},
		{Group: "secagg", Kernel: "z", Size: 20, VeilSeconds: 0.09, Chart: "secagg", Series: "c"},
		{Group: "psi", Kernel: "w", Size: 256, Err: "failed", Chart: "psi", Series: "d"},
	}
	files, err := WritePlots(t.TempDir(), rows)
	require.NoError(t, err)
	assert.Equal(t, []string{"he.png", "secagg.png"}, files)
}

func TestMeasure(t *testing.T) {
	calls := 0
	sec, iters, by, err := Measure(context.Background(), func(context.Context) (int64, error) {
		calls++
		time.Sleep(100 * time.Microsecond)
		return 10, nil
	}, 5*time.Millisecond, 1000)
	require.NoError(t, err)
	assert.Equal(t, calls, iters+1) // first run is warm-up
	assert.GreaterOrEqual(t, sec, 100e-6)
	assert.Equal(t, int64(10), by)
}
