package bench

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Ops is what a Case's Setup returns for one problem size: the Veil
// operation, its baseline, and how many items one operation handles.
type Ops struct {
	// Veil runs the measured operation once and returns the bytes it put
	// on the wire: per party for multiparty kernels, both directions for
	// two-party protocols (0 if it does not communicate).
	Veil func(ctx context.Context) (bytes int64, err error)
	// Baseline runs the baseline once; nil for a row without one.
	Baseline func(ctx context.Context) (bytes int64, err error)
	// BaselineName says what the baseline is.
	BaselineName string
	// Items is the number of items (values, bytes, elements, mults) one Veil
	// operation handles; BaselineItems the same for one baseline operation
	// (0: same as Items).
	Items, BaselineItems float64
	// Close releases what Setup allocated; may be nil.
	Close func()
}

// Case is one kernel of the suite.
type Case struct {
	Group  string // package: "he", "psi", "mpc", "secagg", "dp", "transport", "floor"
	Name   string // what is measured, e.g. "encrypt+add+decrypt BGV LogN13"
	Item   string // unit of one item, plural: "values", "bytes", "elements", "mults"
	Anchor string // published or measured reference from ANCHORS.md, as text
	// QuickSizes and FullSizes are the problem sizes (set size, clients,
	// parties, vector length) for -quick and for the full run. A kernel
	// without a size uses {0}.
	QuickSizes, FullSizes []int
	// Chart and Series place the rows of this case in a chart: the x value
	// is the size, the y value the seconds per Veil operation.
	Chart, Series string
	// Headline marks the case whose ratio RESULTS.md quotes for its group.
	Headline bool
	// Expect is the rough wall time of the full run of this case on 2 cores.
	Expect time.Duration
	// Setup prepares the operations for one size.
	Setup func(ctx context.Context, size int) (*Ops, error)
}

// Sizes returns the sizes for the quick or full run.
func (c *Case) Sizes(quick bool) []int {
	s := c.FullSizes
	if quick {
		s = c.QuickSizes
	}
	if len(s) == 0 {
		return []int{0}
	}
	return s
}

// Row is the measured result of one case at one size.
type Row struct {
	Group        string  `json:"group"`
	Kernel       string  `json:"kernel"`
	Size         int     `json:"size,omitempty"`
	Item         string  `json:"item"`
	VeilSeconds  float64 `json:"veil_seconds_per_op"`
	VeilRate     float64 `json:"veil_items_per_second"`
	VeilIters    int     `json:"veil_iterations"`
	BytesPerItem float64 `json:"bytes_per_item,omitempty"`
	Baseline     string  `json:"baseline,omitempty"`
	BaseSeconds  float64 `json:"baseline_seconds_per_op,omitempty"`
	BaseRate     float64 `json:"baseline_items_per_second,omitempty"`
	BaseIters    int     `json:"baseline_iterations,omitempty"`
	// Ratio is Veil's cost per item over the baseline's: 3 means Veil
	// spends three times the baseline's time per item.
	Ratio  float64 `json:"ratio,omitempty"`
	Anchor string  `json:"anchor,omitempty"`
	Chart  string  `json:"chart,omitempty"`
	Series string  `json:"series,omitempty"`
	// Headline: this row's ratio is quoted in RESULTS.md's headlines.
	Headline bool   `json:"headline,omitempty"`
	Err      string `json:"error,omitempty"`
}

// Config tunes a run.
type Config struct {
	Quick bool
	// MinTime is how long each side of a row is repeated at least (after
	// one run); 0 picks 100 ms for quick runs and 1 s otherwise.
	MinTime time.Duration
	// MaxIters bounds the repetitions of one side; 0 means 1<<24.
	MaxIters int
	// Filter, when not empty, keeps only cases whose "group/name" contains it.
	Filter string
	// Progress receives one line per row as it runs; may be nil.
	Progress io.Writer
}

func (c Config) minTime() time.Duration {
	switch {
	case c.MinTime > 0:
		return c.MinTime
	case c.Quick:
		return 100 * time.Millisecond
	default:
		return time.Second
	}
}

func (c Config) maxIters() int {
	if c.MaxIters > 0 {
		return c.MaxIters
	}
	return 1 << 24
}

// Select returns the cases that match the filter.
func Select(cases []Case, filter string) []Case {
	if filter == "" {
		return cases
	}
	var out []Case
	for _, c := range cases {
		if strings.Contains(c.Group+"/"+c.Name, filter) {
			out = append(out, c)
		}
	}
	return out
}

// Expected sums the expected wall time of the full run of cases.
func Expected(cases []Case) time.Duration {
	var d time.Duration
	for _, c := range cases {
		d += c.Expect
	}
	return d
}

// Run measures every case at every size and returns the rows in order. A
// case that fails gets a row with Err set; Run returns an error only when
// ctx ends.
func Run(ctx context.Context, cfg Config, cases []Case) ([]Row, error) {
	cases = Select(cases, cfg.Filter)
	total := 0
	for i := range cases {
		total += len(cases[i].Sizes(cfg.Quick))
	}
	var rows []Row
	n := 0
	for i := range cases {
		c := &cases[i]
		for _, size := range c.Sizes(cfg.Quick) {
			if err := ctx.Err(); err != nil {
				return rows, err
			}
			n++
			start := time.Now()
			row := runOne(ctx, cfg, c, size)
			rows = append(rows, row)
			if cfg.Progress != nil {
				status := fmt.Sprintf("%s/op", fmtDuration(row.VeilSeconds))
				if row.Err != "" {
					status = "error: " + row.Err
				}
				fmt.Fprintf(cfg.Progress, "[%d/%d] %s %s%s: %s (%.1fs)\n", n, total, c.Group, c.Name,
					sizeSuffix(size), status, time.Since(start).Seconds())
			}
		}
	}
	return rows, nil
}

func sizeSuffix(size int) string {
	if size == 0 {
		return ""
	}
	return fmt.Sprintf(" [%s]", fmtSize(size))
}

func runOne(ctx context.Context, cfg Config, c *Case, size int) (row Row) {
	row = Row{Group: c.Group, Kernel: c.Name, Size: size, Item: c.Item, Anchor: c.Anchor, Chart: c.Chart, Series: c.Series, Headline: c.Headline}
	defer func() {
		if r := recover(); r != nil {
			row.Err = fmt.Sprintf("panic: %v", r)
		}
	}()
	ops, err := c.Setup(ctx, size)
	if err != nil {
		row.Err = err.Error()
		return row
	}
	if ops.Close != nil {
		defer ops.Close()
	}
	if ops.Veil == nil || ops.Items <= 0 {
		row.Err = "case has no Veil operation"
		return row
	}
	sec, iters, bytes, err := Measure(ctx, ops.Veil, cfg.minTime(), cfg.maxIters())
	if err != nil {
		row.Err = err.Error()
		return row
	}
	row.VeilSeconds, row.VeilIters = sec, iters
	row.VeilRate = ops.Items / sec
	if bytes > 0 {
		row.BytesPerItem = float64(bytes) / ops.Items
	}
	if ops.Baseline == nil {
		return row
	}
	baseItems := ops.BaselineItems
	if baseItems <= 0 {
		baseItems = ops.Items
	}
	sec, iters, _, err = Measure(ctx, ops.Baseline, cfg.minTime(), cfg.maxIters())
	if err != nil {
		row.Err = "baseline: " + err.Error()
		return row
	}
	row.Baseline = ops.BaselineName
	row.BaseSeconds, row.BaseIters = sec, iters
	row.BaseRate = baseItems / sec
	row.Ratio = row.BaseRate / row.VeilRate
	return row
}

// Measure runs op repeatedly: once, then (discarding a first run shorter
// than minTime or 250 ms as warm-up) until minTime has passed or maxIters
// runs were made; a single slow first run is the figure. It returns the mean seconds per run, the number of timed
// runs, and the mean bytes per run.
func Measure(ctx context.Context, op func(context.Context) (int64, error), minTime time.Duration, maxIters int) (secPerOp float64, iters int, bytesPerOp int64, err error) {
	start := time.Now()
	firstBytes, err := op(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	first := time.Since(start)
	// A first run shorter than warmUp is a warm-up (cold caches, lazy
	// initialisation) and is not counted, even when minTime is tiny.
	const warmUp = 250 * time.Millisecond
	if (first >= minTime && first >= warmUp) || maxIters <= 1 {
		return first.Seconds(), 1, firstBytes, nil
	}
	// Time batches of doubling size, so that the clock is read rarely for
	// fast operations.
	var bytes int64
	var elapsed time.Duration
	for batch := 1; iters < maxIters && elapsed < minTime; batch *= 2 {
		batch = min(batch, maxIters-iters)
		if err := ctx.Err(); err != nil {
			return 0, 0, 0, err
		}
		t0 := time.Now()
		for range batch {
			b, err := op(ctx)
			if err != nil {
				return 0, 0, 0, err
			}
			bytes += b
		}
		elapsed += time.Since(t0)
		iters += batch
	}
	return elapsed.Seconds() / float64(iters), iters, bytes / int64(iters), nil
}

// Groups returns the distinct groups of rows, in first-seen order.
func Groups(rows []Row) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if !seen[r.Group] {
			seen[r.Group] = true
			out = append(out, r.Group)
		}
	}
	return out
}

// sortedCharts returns the chart names of rows, sorted.
func sortedCharts(rows []Row) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if r.Chart != "" && r.Err == "" && !seen[r.Chart] {
			seen[r.Chart] = true
			out = append(out, r.Chart)
		}
	}
	sort.Strings(out)
	return out
}
