//go:build !unix

package ot

import "time"

// processCPU is not measured here; the benchmarks omit the metric.
func processCPU() time.Duration { return 0 }
