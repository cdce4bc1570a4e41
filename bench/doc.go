// Package bench is Veil's cross-package benchmark suite.
//
// It holds a curated list of kernels ([Cases]): each one measures a Veil
// operation (HE aggregation, PSI, MPC multiplication, secure aggregation, a
// DP sampler, transport throughput) and, in the same run, a baseline that
// bounds it from below (raw lattigo, the scalar multiplications an ECDH PSI
// cannot avoid, plain uint64 arithmetic, a naive sampler, an in-memory copy).
// A row of the result gives Veil's figure, the baseline's, their cost ratio
// per item, and the published anchor from docs/ANCHORS.md for context.
//
// Two ways to run it:
//
//	go test -run '^$' -bench . ./bench/...   # testing.B, b.ReportMetric in domain units
//	go run ./bench/cmd/veilbench -quick      # Markdown table in under a minute
//	go run ./bench/cmd/veilbench -json out.json -plot charts -markdown-out bench/RESULTS.md
//
// Both drive the same [Case] definitions, so a kernel is written once.
//
// Figures measured on a machine shared with other work are noisy; compare
// the ratios measured within one run rather than absolute times across runs.
package bench
