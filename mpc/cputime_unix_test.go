//go:build unix

package mpc

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) this process has used, so that
// benchmarks can report a cost that other load on a shared machine
// disturbs less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
