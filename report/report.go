// Package report is the shape that every protocol result of Veil shares:
// what the run cost ([Stats]) and what each party learned ([Leakage]).
//
// Every result type of he, psi, mpc and mpc/secagg has a Stats field and a
// Leakage field of these types, so a service can log, bill and audit runs of
// different protocols in one way; signed receipts are built from them.
//
// A Leakage lists [Disclosure]s: one party (or role) learns one thing. It
// states what the protocol reveals by design (set sizes, an intersection, a
// sum, who dropped out), not what a party could infer from the result
// itself: a sum of two inputs tells either contributor the other's input, and
// no protocol can hide that.
package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/veil-go/veil/transport"
)

// Stats is what one party's part of a run cost: its traffic, as transport
// counts it (bytes include frame headers), and the wall-clock time from the
// start of the run to its result.
type Stats struct {
	transport.Stats
	Duration time.Duration
}

// Kinds of disclosure. A Disclosure's What is one of these.
const (
	// InputSize: the number of items or values a party contributed.
	InputSize = "input size"
	// Output: the result the protocol computes (a sum, a product, a model).
	Output = "output"
	// Membership: which items belong to the intersection.
	Membership = "membership"
	// Cardinality: the size of an intersection.
	Cardinality = "cardinality"
	// Payloads: values attached to matching items.
	Payloads = "payloads"
	// Participants: which parties contributed and which dropped out.
	Participants = "participants"
	// Parameters: the public parameters of the run (dimensions, bounds,
	// epsilon).
	Parameters = "parameters"
)

// Disclosure says that one party learns one thing in a run.
type Disclosure struct {
	// To is who learns it: a role as the package names it in errors
	// ("receiver", "hub", "analyst", "party 2"), or "all".
	To string `json:"to"`
	// What is the kind of information, one of the constants above.
	What string `json:"what"`
	// About is whose data it concerns: a role, "all", or "" for the joint
	// result.
	About string `json:"about,omitempty"`
	// Count is the number of values or items disclosed (a set size, the
	// length of a sum vector), or 0 when it does not apply.
	Count int64 `json:"count,omitempty"`
	// Note says it in words, for reports.
	Note string `json:"note,omitempty"`
}

func (d Disclosure) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s learns %s", d.To, d.What)
	if d.About != "" {
		fmt.Fprintf(&b, " of %s", d.About)
	}
	if d.Count != 0 {
		fmt.Fprintf(&b, " (%d)", d.Count)
	}
	if d.Note != "" {
		fmt.Fprintf(&b, ": %s", d.Note)
	}
	return b.String()
}

// Leakage is everything that parties learn in a run, one [Disclosure] per
// party and kind.
type Leakage []Disclosure

// To returns the disclosures made to party (including those made to "all").
func (l Leakage) To(party string) Leakage {
	var out Leakage
	for _, d := range l {
		if d.To == party || d.To == "all" {
			out = append(out, d)
		}
	}
	return out
}

func (l Leakage) String() string {
	parts := make([]string, len(l))
	for i, d := range l {
		parts[i] = d.String()
	}
	return strings.Join(parts, "; ")
}
