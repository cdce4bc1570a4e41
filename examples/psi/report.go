package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/veil-go/veil/psi"
)

// sharedRows lists the distinct shared IDs of A, sorted, with B's value for
// each in join mode.
func sharedRows(a *party, r *psi.Result) (ids, values []string) {
	byID := map[string]string{}
	for k, i := range r.Indices {
		v := ""
		if r.Payloads != nil {
			v = string(r.Payloads[k])
		}
		byID[a.ids[i]] = v
	}
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if r.Payloads != nil {
		for _, id := range ids {
			values = append(values, byID[id])
		}
	}
	return ids, values
}

func writeOut(c *config, o *outcome) error {
	f, err := os.Create(c.out)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	header := []string{"id"}
	if c.mode == psi.Join {
		header = append(header, c.value)
	}
	w.Write(header)
	for k, id := range o.shared {
		rec := []string{id}
		if c.mode == psi.Join {
			rec = append(rec, o.values[k])
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", c.out, err)
	}
	return f.Close()
}

// jsonReport is the -json output.
type jsonReport struct {
	Mode        string  `json:"mode"`
	Protocol    string  `json:"protocol"`
	Cardinality *int    `json:"cardinality,omitempty"`
	Sum         *int64  `json:"sum,omitempty"`
	Seconds     float64 `json:"seconds"`
	Bytes       int64   `json:"bytes"`
	Receipt     string  `json:"receipt,omitempty"`
}

func writeJSON(w io.Writer, c *config, o *outcome) error {
	rep := jsonReport{Mode: c.mode.String(), Protocol: c.protocol.String(), Seconds: o.seconds, Bytes: o.bytes, Receipt: o.receipt}
	res := o.recv
	if res == nil {
		res = o.send
	}
	if res != nil && res.Learned {
		rep.Cardinality = &res.Cardinality
		if c.mode == psi.Sum && !res.SumWithheld {
			rep.Sum = &res.Sum
		}
	}
	enc := json.NewEncoder(w)
	return enc.Encode(rep)
}

func distinct(ids []string) int {
	m := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		m[id] = struct{}{}
	}
	return len(m)
}

func describe(p *party) string {
	return fmt.Sprintf("%s: %d rows, %d distinct IDs", p.name, len(p.ids), distinct(p.ids))
}

func writeReport(w io.Writer, c *config, o *outcome) {
	fmt.Fprintf(w, "Veil private set intersection: %s, mode %s\n", protocolName(c.protocol), c.mode)
	if o.a != nil {
		fmt.Fprintf(w, "  A (receiver)  %s\n", describe(o.a))
	}
	if o.b != nil {
		fmt.Fprintf(w, "  B (sender)    %s\n", describe(o.b))
	}
	fmt.Fprintf(w, "  transport     %s\n", o.transport)
	if r := o.recv; r != nil {
		switch c.mode {
		case psi.Intersection:
			fmt.Fprintf(w, "  A learned     the %d IDs both hold%s\n", r.Cardinality, outNote(c, o))
		case psi.Cardinality:
			fmt.Fprintf(w, "  A learned     that %d IDs are shared, not which\n", r.Cardinality)
		case psi.Join:
			fmt.Fprintf(w, "  A learned     the %d shared IDs with B's %q for each%s\n", r.Cardinality, c.value, outNote(c, o))
		case psi.Sum:
			if r.SumWithheld {
				fmt.Fprintf(w, "  A learned     that %d IDs are shared; the sum is withheld (fewer than -min-sum %d)\n", r.Cardinality, c.minSum)
			} else {
				fmt.Fprintf(w, "  A learned     that %d IDs are shared and B's %q sums to %d over them, nothing per ID\n", r.Cardinality, c.value, r.Sum)
			}
		}
	}
	if c.autoLattice {
		fmt.Fprintf(w, "  sum path      lattice, picked because B's %q adds up beyond 2^40 in magnitude\n", c.value)
	}
	fmt.Fprintf(w, "  B learned     only how many distinct IDs A holds\n")
	fmt.Fprintf(w, "  cost          %d bytes exchanged, %.2f s\n", o.bytes, o.seconds)
	if o.receipt != "" {
		fmt.Fprintf(w, "  receipt       %s, signed by both, appended to %s\n", o.receipt, c.ledger)
	}
}

func outNote(c *config, o *outcome) string {
	if c.out != "" {
		return " (written to " + c.out + ")"
	}
	if len(o.shared) == 0 {
		return ""
	}
	show := o.shared[:min(3, len(o.shared))]
	more := ""
	if len(o.shared) > len(show) {
		more = ", ..."
	}
	return " (" + strings.Join(show, ", ") + more + "; -out writes them all)"
}

func protocolName(p psi.Protocol) string {
	switch p {
	case psi.ECDH:
		return "ECDH-PSI over ristretto255 (semi-honest)"
	case psi.KKRT:
		return "KKRT16 OT-based PSI (semi-honest)"
	}
	return p.String()
}
