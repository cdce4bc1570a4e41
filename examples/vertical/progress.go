package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress reports the run's phases on a terminal; a nil *progress (output
// piped, or -json) says nothing.
type progress struct {
	w    io.Writer
	mu   sync.Mutex
	last time.Time
}

// newProgress returns a progress writing to w when w is a terminal, and
// nil otherwise.
func newProgress(w io.Writer, quiet bool) *progress {
	f, ok := w.(*os.File)
	if quiet || !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &progress{w: w}
}

// phase starts a new line for a phase.
func (p *progress) phase(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\rvertical: "+format+"\033[K\n", args...)
}

// items returns a callback for psi's Options.Progress that rewrites one
// status line at most five times a second, or nil.
func (p *progress) items(what string) func(done, total int) {
	if p == nil {
		return nil
	}
	return func(done, total int) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if done < total && time.Since(p.last) < 200*time.Millisecond {
			return
		}
		p.last = time.Now()
		fmt.Fprintf(p.w, "\rvertical: %s: %d of %d items (%.0f%%)\033[K", what, done, total, 100*float64(done)/float64(max(total, 1)))
	}
}
