package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progressDelay is how long a run goes before progress is shown: short
// runs stay quiet.
const progressDelay = 2 * time.Second

// progressFor returns a psi.Config.Progress callback that shows party
// who's progress on stderr, or nil when stderr is not a terminal or the
// output is JSON.
func progressFor(c *config, stderr io.Writer, who string) func(done, total int) {
	if c.json || !isTerminal(stderr) {
		return nil
	}
	return newProgress(stderr, who, progressDelay, time.Now)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// newProgress returns a callback that rewrites one line on w with the
// items done, at most five times a second, starting delay after its
// creation, and ends the line when the run is done.
func newProgress(w io.Writer, who string, delay time.Duration, now func() time.Time) func(done, total int) {
	start := now()
	var last time.Time
	return func(done, total int) {
		t := now()
		finished := done >= total
		if t.Sub(start) < delay || (!finished && t.Sub(last) < 200*time.Millisecond) {
			return
		}
		last = t
		pct := 100
		if total > 0 {
			pct = int(int64(done) * 100 / int64(total))
		}
		fmt.Fprintf(w, "\rparty %s: %d of %d items processed (%d%%)", who, done, total, pct)
		if finished {
			fmt.Fprintln(w)
		}
	}
}
