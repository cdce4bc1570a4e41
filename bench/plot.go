package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// chartInfo labels a chart; rows name their chart by key.
type chartInfo struct {
	title, x, y string
	logX, logY  bool
}

var charts = map[string]chartInfo{
	"psi":       {title: "PSI: time vs set size (both parties, one process)", x: "set size per party", y: "seconds", logX: true, logY: true},
	"secagg":    {title: "Secure aggregation: time vs clients", x: "clients", y: "seconds per round", logX: true, logY: true},
	"he":        {title: "Multiparty HE aggregation round: time vs parties", x: "parties", y: "seconds per aggregation", logY: true},
	"transport": {title: "Transport: time per message vs message size", x: "message size (bytes)", y: "seconds per message", logX: true, logY: true},
}

// WritePlots writes one PNG per chart that has rows into dir and returns
// the file names written (relative to dir), sorted.
func WritePlots(dir string, rows []Row) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	for _, key := range sortedCharts(rows) {
		info, ok := charts[key]
		if !ok {
			info = chartInfo{title: key, x: "size", y: "seconds"}
		}
		series := map[string]plotter.XYs{}
		var names []string
		for _, r := range rows {
			if r.Chart != key || r.Err != "" || r.Size <= 0 || r.VeilSeconds <= 0 {
				continue
			}
			if _, ok := series[r.Series]; !ok {
				names = append(names, r.Series)
			}
			series[r.Series] = append(series[r.Series], plotter.XY{X: float64(r.Size), Y: r.VeilSeconds})
		}
		if len(names) == 0 {
			continue
		}
		sort.Strings(names)
		p := plot.New()
		p.Title.Text = info.title
		p.X.Label.Text = info.x
		p.Y.Label.Text = info.y
		if info.logX {
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = logTicks{}
		}
		if info.logY {
			p.Y.Scale = plot.LogScale{}
			p.Y.Tick.Marker = logTicks{}
		}
		p.Add(plotter.NewGrid())
		var args []any
		for _, n := range names {
			xy := series[n]
			sort.Slice(xy, func(i, j int) bool { return xy[i].X < xy[j].X })
			args = append(args, n, xy)
		}
		if err := plotutil.AddLinePoints(p, args...); err != nil {
			return written, fmt.Errorf("chart %s: %w", key, err)
		}
		// Fix the ranges so that a log axis never sees zero (gonum widens a
		// single point's range to include 0, and its log ticks then panic).
		var all plotter.XYs
		for _, n := range names {
			all = append(all, series[n]...)
		}
		xmin, xmax, ymin, ymax := plotter.XYRange(all)
		p.X.Min, p.X.Max = pad(xmin, xmax, info.logX)
		p.Y.Min, p.Y.Max = pad(ymin, ymax, info.logY)
		p.Legend.Top = true
		p.Legend.Left = true
		name := key + ".png"
		if err := p.Save(6*vg.Inch, 4*vg.Inch, filepath.Join(dir, name)); err != nil {
			return written, fmt.Errorf("chart %s: %w", key, err)
		}
		written = append(written, name)
	}
	return written, nil
}

// pad widens [lo, hi] a little (by a factor of 2 on a log axis), so that
// single points are visible and log axes stay positive.
func pad(lo, hi float64, log bool) (float64, float64) {
	if log {
		return lo / 2, hi * 2
	}
	if lo == hi {
		return lo - 1, hi + 1
	}
	d := (hi - lo) * 0.05
	return lo - d, hi + d
}

// logTicks is plot.LogTicks with labels in short %g form (1e-05, 1000).
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 3, 64)
		}
	}
	return ticks
}
