package transport

import (
	"crypto/x509"
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

func x509VerifyOptions(ca *CA) x509.VerifyOptions {
	return x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
}

// checkLeaks records the goroutine count now and, when the test and its
// cleanups are done, fails it if the count has not come back.
func checkLeaks(t *testing.T) {
	base := goroutines()
	t.Cleanup(func() { requireGoroutinesBack(t, base) })
}
