// Package progress shows a long run's progress on a terminal, for the
// examples: one status line rewritten in place, at most five times a
// second, and lines for phases. It writes nothing when its writer is not a
// terminal (a pipe, a file, a buffer) or when the caller asks for quiet
// (-json): a nil *Meter is valid and says nothing.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// DefaultDelay is how long a run goes before its item counts are shown:
// short runs stay quiet.
const DefaultDelay = 2 * time.Second

// interval is the least time between two updates of the status line.
const interval = 200 * time.Millisecond

// Meter writes progress to a terminal.
type Meter struct {
	w      io.Writer
	prefix string
	delay  time.Duration
	now    func() time.Time

	mu    sync.Mutex
	start time.Time
	last  time.Time
}

// New returns a meter that writes lines starting with prefix to w, or nil
// when quiet is set or w is not a terminal.
func New(w io.Writer, prefix string, quiet bool) *Meter {
	if quiet || !IsTerminal(w) {
		return nil
	}
	return newMeter(w, prefix, DefaultDelay, time.Now)
}

func newMeter(w io.Writer, prefix string, delay time.Duration, now func() time.Time) *Meter {
	return &Meter{w: w, prefix: prefix, delay: delay, now: now, start: now()}
}

// IsTerminal reports whether w is a character device.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Phase writes a line for a new phase of the run, at once.
func (m *Meter) Phase(format string, args ...any) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(m.w, "\r%s: %s\033[K\n", m.prefix, fmt.Sprintf(format, args...))
}

// Items returns a callback (the shape of psi.Config.Progress) that rewrites
// the status line with what has been done of total, once the meter's delay
// has passed, at most five times a second, and ends the line when done
// reaches total. It returns nil for a nil meter.
func (m *Meter) Items(what string) func(done, total int) {
	if m == nil {
		return nil
	}
	return func(done, total int) {
		m.mu.Lock()
		defer m.mu.Unlock()
		t := m.now()
		finished := done >= total
		if t.Sub(m.start) < m.delay || (!finished && t.Sub(m.last) < interval) {
			return
		}
		m.last = t
		pct := 100
		if total > 0 {
			pct = int(int64(done) * 100 / int64(total))
		}
		fmt.Fprintf(m.w, "\r%s: %s: %d of %d items (%d%%)\033[K", m.prefix, what, done, total, pct)
		if finished {
			fmt.Fprintln(m.w)
		}
	}
}
