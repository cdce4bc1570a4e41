package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/veil-go/veil/internal/csvio"
)

func writeReport(w io.Writer, cfg *config, bank, shop *holder, res *result) {
	var b strings.Builder
	fmt.Fprintf(&b, "Veil vertical: a bank (%q) and a shop (%q) correlate their columns over the customers they share,\nwithout showing each other those columns.\n\n", bank.column, shop.column)
	b.WriteString("Who took part\n")
	fmt.Fprintf(&b, "  party 0, bank: %d customers from %s, column %q\n", bank.rows(), bank.source, bank.column)
	fmt.Fprintf(&b, "  party 1, shop: %d customers from %s, column %q\n", shop.rows(), shop.source, shop.column)
	if res.role != "" {
		fmt.Fprintf(&b, "  This process ran party %s only; they talked over %s.\n", res.role, res.transport)
	} else {
		fmt.Fprintf(&b, "  They talked over %s.\n", res.transport)
	}
	b.WriteString("\nHow the correlated randomness was made (-preprocessing " + string(res.prep) + ")\n")
	fmt.Fprintf(&b, "  The Beaver triples, division pairs and random bits of the statistics phase were made %s.\n", res.prep.how())
	fmt.Fprintf(&b, "  This assumes %s.\n", res.prep.model())
	b.WriteString("\nWhat happened\n")
	fmt.Fprintf(&b, "  1. Alignment (%.3f s, %s sent): %s\n", res.psiSeconds, csvio.FormatBytes(float64(res.psiBytes)), res.psiScheme)
	fmt.Fprintf(&b, "  2. Statistics (%.3f s, %s sent): %s\n", res.mpcSeconds, csvio.FormatBytes(float64(res.mpcBytes)), res.mpcScheme)
	b.WriteString("\nWhat was revealed\n")
	fmt.Fprintf(&b, "  To both parties: the %d customer IDs they share (the aligned IDs), and the seven figures below.\n", res.aligned)
	b.WriteString("  Also to both: each party's number of customers, and the power of two just above each column's\n")
	b.WriteString("  standard deviation (the results imply it up to rounding).\n")
	b.WriteString("  Not revealed: IDs held by only one party, and any single value of either column.\n")
	for _, d := range res.mpcLeakage {
		fmt.Fprintf(&b, "  Statistics phase: %s.\n", d)
	}
	for _, n := range res.notes {
		fmt.Fprintf(&b, "  Note: %s\n", n)
	}
	b.WriteString("\nResult (over the aligned customers)\n")
	s := res.Stats
	fmt.Fprintf(&b, "  n          %d\n", s.N)
	fmt.Fprintf(&b, "  mean_x     %.4f   (mean %s)\n", s.MeanX, bank.column)
	fmt.Fprintf(&b, "  mean_y     %.4f   (mean %s)\n", s.MeanY, shop.column)
	fmt.Fprintf(&b, "  cov        %.4f   (population covariance)\n", s.Cov)
	fmt.Fprintf(&b, "  corr       %.4f   (Pearson)\n", s.Corr)
	fmt.Fprintf(&b, "  slope      %.6f   (least squares: %s = slope * %s + intercept)\n", s.Slope, shop.column, bank.column)
	fmt.Fprintf(&b, "  intercept  %.4f\n", s.Intercept)
	fmt.Fprintf(&b, "\nCost: %.2f s in all, %s sent by the two parties together.\n", res.seconds, csvio.FormatBytes(float64(res.psiBytes+res.mpcBytes)))
	if res.receipt != "" {
		fmt.Fprintf(&b, "Receipt %s, signed by both parties, appended to %s.\n", res.receipt, cfg.ledger)
	}
	io.WriteString(w, b.String())
}
