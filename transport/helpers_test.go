package transport

import (
	"runtime"
	"testing"
	"time"
)

// goroutines is the current goroutine count, the baseline for
// requireGoroutinesBack.
func goroutines() int { return runtime.NumGoroutine() }

// requireGoroutinesBack fails the test if the goroutine count does not
// return to base within a few seconds: a leak.
func requireGoroutinesBack(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutine leak: %d running, %d before\n%s", n, base, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
