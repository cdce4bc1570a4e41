package dp

import "math"

func f64bits(x float64) uint64     { return math.Float64bits(x) }
func f64frombits(b uint64) float64 { return math.Float64frombits(b) }
func nextDown(x float64) float64   { return math.Nextafter(x, math.Inf(-1)) }
