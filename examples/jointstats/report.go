package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/veil-go/veil/internal/csvio"
)

// writeReport prints what was computed, by whom, what was revealed and how
// long it took, for a reader who has never seen Veil.
func writeReport(w io.Writer, cfg *config, ps []party, res *result) {
	var b strings.Builder
	fmt.Fprintf(&b, "Veil jointstats: %d hospitals compute joint statistics of column %q without pooling their records.\n\n", len(ps), cfg.column)
	b.WriteString("Who took part\n")
	rows := 0
	for i, p := range ps {
		rows += len(p.values)
		state := "sent its encrypted totals; not needed for decryption"
		if slices.Contains(res.decryptor, i) {
			state = "sent its encrypted totals; took part in decryption"
		}
		if slices.Contains(cfg.drop, i) {
			state = "sent its encrypted totals, then went offline (its data still counts)"
		}
		fmt.Fprintf(&b, "  party %d, %s: %d rows from %s; %s\n", i, p.name, len(p.values), p.source, state)
	}
	b.WriteString("  an aggregator (holds no key and no data) relayed the rounds and added the ciphertexts\n")
	fmt.Fprintf(&b, "  (%d rows in all; no row left its hospital)\n", rows)
	b.WriteString("\n")
	writeOutcome(&b, cfg, len(ps), res)
	fmt.Fprintf(&b, "\nCost: %.2f s in all, %s sent per party on average.\n", res.Seconds, csvio.FormatBytes(res.BytesPerParty))
	io.WriteString(w, b.String())
}

// writeOutcome is the part every report has, in one process or one per
// party: what happened, what was revealed and the statistics of the n
// hospitals.
func writeOutcome(b *strings.Builder, cfg *config, n int, res *result) {
	b.WriteString("What happened\n")
	fmt.Fprintf(b, "  %s\n", res.scheme)
	for _, ph := range res.phases {
		fmt.Fprintf(b, "  - %s\n", ph)
	}
	b.WriteString("\nWhat was revealed\n")
	fmt.Fprintf(b, "  %s\n", res.revealed)
	if res.dpNote != "" {
		fmt.Fprintf(b, "  %s\n", res.dpNote)
	}
	fmt.Fprintf(b, "\nResult: statistics of column %q over all %d hospitals\n", cfg.column, n)
	fmt.Fprintf(b, "  count     %.0f\n", res.Count)
	fmt.Fprintf(b, "  sum       %.2f\n", res.Sum)
	fmt.Fprintf(b, "  mean      %.4f\n", res.Mean)
	fmt.Fprintf(b, "  variance  %.4f (sample variance, divides by count-1)\n", res.Variance)
}
