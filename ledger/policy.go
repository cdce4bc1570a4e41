package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// Policy is a data owner's usage policy: which counterparties may run
// which protocols and modes on which datasets and columns, with which
// limits. Nothing is allowed unless a rule allows it. It is read from a
// JSON file a person edits ([LoadPolicy]):
//
//	{
//	  "version": 1,
//	  "rules": [
//	    {"name": "ids-bank-b", "dataset": "customers", "columns": ["ids"],
//	     "counterparties": ["bank-b"], "protocols": ["psi"], "modes": ["cardinality"]},
//	    {"name": "amount-shop-c", "dataset": "customers", "columns": ["ids", "amount"],
//	     "counterparties": ["shop-c"], "protocols": ["psi"], "modes": ["sum"],
//	     "min_intersection": 100, "max_epsilon": 1, "per": "720h"}
//	  ]
//	}
//
// Fields of a rule: name (required, unique), dataset (required), columns
// (those the run may use; empty: any), counterparties (certificate names,
// required; "*" is anyone), protocols (required), modes (empty: any),
// min_intersection (the run must withhold its output below this
// intersection size, e.g. psi's MinSumCardinality), max_epsilon (the most
// epsilon a run may spend; with per, the most that all runs on the dataset
// may spend in any window of that duration, as Go writes durations: "720h"
// is 30 days). Unknown fields are errors.
type Policy struct {
	Version int    `json:"version"`
	Rules   []Rule `json:"rules"`
	file    string
}

// Rule is one rule of a [Policy].
type Rule struct {
	Name            string   `json:"name"`
	Dataset         string   `json:"dataset"`
	Columns         []string `json:"columns,omitempty"`
	Counterparties  []string `json:"counterparties"`
	Protocols       []string `json:"protocols"`
	Modes           []string `json:"modes,omitempty"`
	MinIntersection int64    `json:"min_intersection,omitempty"`
	MaxEpsilon      *float64 `json:"max_epsilon,omitempty"`
	Per             string   `json:"per,omitempty"`
	per             time.Duration
}

// Request is a run a policy is asked about.
type Request struct {
	Dataset      string
	Columns      []string // the columns the run uses
	Counterparty string   // the other party's certificate name
	Protocol     string
	Mode         string
	// MinIntersection is the intersection size below which the run
	// withholds its output (0: it does not).
	MinIntersection int64
	// Epsilon is what the run spends from the dataset (0 for a run
	// without differential privacy).
	Epsilon float64
}

// LoadPolicy reads and checks a policy file. A syntax error, a value of the
// wrong type or an unknown field is reported as "file:line:column: ...";
// a rule that is incomplete is named with its number and name.
func LoadPolicy(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: policy: %w", err)
	}
	return ParsePolicy(path, b)
}

// ParsePolicy is [LoadPolicy] for bytes; name is the file name errors use.
func ParsePolicy(name string, b []byte) (*Policy, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var p Policy
	if err := d.Decode(&p); err != nil {
		off := d.InputOffset()
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = se.Offset - 1 // Offset counts the offending byte
		case errors.As(err, &te):
			off = te.Offset
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			off = int64(len(b))
		default:
			if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
				off = keyOffset(b, f, off)
			}
		}
		line, col := lineCol(b, off)
		return nil, fmt.Errorf("ledger: policy %s:%d:%d: %w: %v", name, line, col, ErrInvalidParams, err)
	}
	if d.More() {
		line, col := lineCol(b, d.InputOffset())
		return nil, fmt.Errorf("ledger: policy %s:%d:%d: %w: text after the policy object", name, line, col, ErrInvalidParams)
	}
	p.file = name
	if p.Version != 1 {
		return nil, fmt.Errorf("ledger: policy %s: %w: version %d, want 1", name, ErrInvalidParams, p.Version)
	}
	seen := map[string]bool{}
	for i := range p.Rules {
		r := &p.Rules[i]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("ledger: policy %s: rule %d %q: %w: %s", name, i+1, r.Name, ErrInvalidParams, fmt.Sprintf(format, args...))
		}
		switch {
		case r.Name == "":
			return nil, bad("no name")
		case seen[r.Name]:
			return nil, bad("a second rule of this name")
		case r.Dataset == "":
			return nil, bad("no dataset")
		case len(r.Counterparties) == 0:
			return nil, bad("no counterparties (\"*\" allows anyone)")
		case len(r.Protocols) == 0:
			return nil, bad("no protocols")
		case r.MinIntersection < 0:
			return nil, bad("min_intersection %d is negative", r.MinIntersection)
		case r.MaxEpsilon != nil && checkAmount(*r.MaxEpsilon) != nil:
			return nil, bad("max_epsilon %v is not a finite number >= 0", *r.MaxEpsilon)
		case r.Per != "" && r.MaxEpsilon == nil:
			return nil, bad("per without max_epsilon")
		}
		seen[r.Name] = true
		if r.Per != "" {
			per, err := time.ParseDuration(r.Per)
			if err != nil || per <= 0 {
				return nil, bad("per %q is not a positive duration such as \"720h\"", r.Per)
			}
			r.per = per
		}
	}
	return &p, nil
}

// keyOffset finds quoted (a JSON string with its quotes) used as an object
// key, the first time, or returns def: where encoding/json reports an
// unknown field, which it does only by name.
func keyOffset(b []byte, quoted string, def int64) int64 {
	for from := 0; ; {
		i := bytes.Index(b[from:], []byte(quoted))
		if i < 0 {
			return def
		}
		at := from + i
		rest := bytes.TrimLeft(b[at+len(quoted):], " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' {
			return int64(at)
		}
		from = at + 1
	}
}

func lineCol(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

func allows(list []string, v string, star bool) bool {
	return slices.Contains(list, v) || star && slices.Contains(list, "*")
}

// check returns nil when rule r allows q, or why not.
func (r *Rule) check(q Request) error {
	switch {
	case !allows(r.Protocols, q.Protocol, false):
		return fmt.Errorf("protocol %q is not among %q", q.Protocol, r.Protocols)
	case len(r.Modes) > 0 && !allows(r.Modes, q.Mode, false):
		return fmt.Errorf("mode %q is not among %q", q.Mode, r.Modes)
	case q.MinIntersection < r.MinIntersection:
		return fmt.Errorf("the run must withhold its output below an intersection of %d (it withholds below %d)", r.MinIntersection, q.MinIntersection)
	case r.MaxEpsilon != nil && r.per == 0 && q.Epsilon > *r.MaxEpsilon:
		return fmt.Errorf("epsilon %v exceeds the rule's %v per run", q.Epsilon, *r.MaxEpsilon)
	case r.MaxEpsilon == nil && q.Epsilon > 0:
		return fmt.Errorf("the rule allows no differentially private release (no max_epsilon)")
	}
	if len(r.Columns) > 0 {
		for _, c := range q.Columns {
			if !slices.Contains(r.Columns, c) {
				return fmt.Errorf("column %q is not among %q", c, r.Columns)
			}
		}
	}
	return nil
}

// Check returns the first rule that allows q, or an error wrapping
// [ErrPolicy] that names the rule that came closest (one for q's dataset
// and counterparty) and the condition it failed, or says that no rule
// covers the dataset and counterparty. A rule with a window ("per") is
// checked here only for its other conditions: spend through
// [Policy.Spend] to enforce the window.
func (p *Policy) Check(q Request) (*Rule, error) {
	var why []string
	for i := range p.Rules {
		r := &p.Rules[i]
		if r.Dataset != q.Dataset || !allows(r.Counterparties, q.Counterparty, true) {
			continue
		}
		if err := r.check(q); err != nil {
			why = append(why, fmt.Sprintf("rule %q: %v", r.Name, err))
			continue
		}
		return r, nil
	}
	if len(why) == 0 {
		return nil, fmt.Errorf("ledger: policy %s: %w: no rule lets %q use dataset %q", p.file, ErrPolicy, q.Counterparty, q.Dataset)
	}
	return nil, fmt.Errorf("ledger: policy %s: %w: %s", p.file, ErrPolicy, strings.Join(why, "; "))
}

// Spend checks q against the policy and spends q.Epsilon (and delta) from
// the dataset's budget in l, in one transaction with the rule's window: the
// spend is refused ([ErrPolicy]) when the spends on the dataset in the last
// Per, with this one, would exceed the rule's max_epsilon, and refused
// ([ErrBudgetExceeded]) when it does not fit the dataset's budget. Call it
// before the run sends any message.
func (p *Policy) Spend(ctx context.Context, l *Ledger, q Request, delta float64) (*Rule, error) {
	r, err := p.Check(q)
	if err != nil {
		return nil, err
	}
	var w *window
	if r.per > 0 {
		w = &window{since: time.Now().Add(-r.per), max: *r.MaxEpsilon, rule: r.Name}
	}
	if err := l.spend(ctx, q.Dataset, q.Epsilon, delta, nil, w); err != nil {
		return nil, err
	}
	return r, nil
}
