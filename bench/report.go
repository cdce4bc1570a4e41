package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine describes where a run happened.
type Machine struct {
	CPU       string    `json:"cpu"`
	Cores     int       `json:"cores"`
	GoVersion string    `json:"go_version"`
	OS        string    `json:"os"`
	Date      time.Time `json:"date"`
	Quick     bool      `json:"quick"`
	Shared    bool      `json:"shared"` // measured while the machine was shared with other work
}

// ThisMachine reads the CPU model from /proc/cpuinfo (where there is one).
func ThisMachine() Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), GoVersion: runtime.Version(),
		OS: runtime.GOOS + "/" + runtime.GOARCH, Date: time.Now().UTC()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// String is a one-line description of the machine.
func (m Machine) String() string {
	s := fmt.Sprintf("%s, %d cores, %s, %s, %s", m.CPU, m.Cores, m.GoVersion, m.OS, m.Date.Format("2006-01-02 15:04 MST"))
	if m.Quick {
		s += ", -quick sizes"
	}
	if m.Shared {
		s += ", measured while the machine was shared"
	}
	return s
}

// Report is what -json writes.
type Report struct {
	Machine Machine `json:"machine"`
	Command string  `json:"command,omitempty"` // how the figures were produced
	Rows    []Row   `json:"rows"`
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteMarkdown writes the rows as a Markdown table, one section per group.
func WriteMarkdown(w io.Writer, rows []Row) error {
	var b strings.Builder
	b.WriteString("| kernel | size | Veil | baseline (same run) | cost ratio | published / reference anchor |\n")
	b.WriteString("|---|---:|---|---|---:|---|\n")
	for _, r := range rows {
		size := ""
		if r.Size > 0 {
			size = fmtSize(r.Size)
		}
		veil, base, ratio := "—", "—", "—"
		switch {
		case r.Err != "":
			veil = "error: " + cell(r.Err)
		default:
			veil = fmt.Sprintf("%s/op, %s %s/s", fmtDuration(r.VeilSeconds), fmtCount(r.VeilRate), r.Item)
			if r.BytesPerItem > 0 {
				veil += fmt.Sprintf(", %s/%s", fmtBytes(r.BytesPerItem), strings.TrimSuffix(r.Item, "s"))
			}
			if r.Baseline != "" {
				base = fmt.Sprintf("%s: %s %s/s", cell(r.Baseline), fmtCount(r.BaseRate), r.Item)
				ratio = fmtRatio(r.Ratio)
			}
		}
		fmt.Fprintf(&b, "| %s: %s | %s | %s | %s | %s | %s |\n", r.Group, cell(r.Kernel), size, veil, base, ratio, cell(r.Anchor))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

func fmtRatio(r float64) string {
	switch {
	case r == 0 || math.IsInf(r, 0) || math.IsNaN(r):
		return "—"
	case r >= 100:
		return fmt.Sprintf("%.0fx", r)
	case r >= 10:
		return fmt.Sprintf("%.1fx", r)
	default:
		return fmt.Sprintf("%.2fx", r)
	}
}

func fmtDuration(sec float64) string {
	switch {
	case sec >= 1:
		return fmt.Sprintf("%.2f s", sec)
	case sec >= 1e-3:
		return fmt.Sprintf("%.2f ms", sec*1e3)
	case sec >= 1e-6:
		return fmt.Sprintf("%.2f us", sec*1e6)
	default:
		return fmt.Sprintf("%.1f ns", sec*1e9)
	}
}

func fmtCount(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.2fk", v/1e3)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func fmtBytes(v float64) string {
	switch {
	case v >= 1<<20:
		return fmt.Sprintf("%.2f MiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.2f KiB", v/(1<<10))
	default:
		return fmt.Sprintf("%.1f B", v)
	}
}

func fmtSize(n int) string {
	if n >= 1024 && n&(n-1) == 0 {
		return fmt.Sprintf("2^%d", bitsLen(n)-1)
	}
	return fmt.Sprint(n)
}

func bitsLen(n int) int {
	l := 0
	for ; n > 0; n >>= 1 {
		l++
	}
	return l
}
