package main

import (
	"crypto/sha256"
	"fmt"
	"strconv"

	"github.com/veil-go/veil/internal/csvio"
	"github.com/veil-go/veil/internal/prg"
	"github.com/veil-go/veil/psi"
)

// party is one side's rows: normalised IDs and, for B, the -value column.
type party struct {
	name   string   // file name, or "synthetic A"
	ids    []string // one per row, normalised
	values []string // B's -value column, one per row (join, sum)
	lines  []int    // line of each row
}

// readParty reads a CSV file with a header row; it keeps the key column
// and, if valueCol is not empty, that column too. Errors are one line naming
// the file, line and column.
func readParty(path, keyCol, valueCol string) (*party, error) {
	t, err := csvio.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ids, err := t.Strings(keyCol)
	if err != nil {
		return nil, err
	}
	p := &party{name: path, ids: ids, lines: make([]int, len(ids))}
	for i, id := range ids {
		p.lines[i] = t.Line(i)
		p.ids[i] = psi.NormalizeString(id)
		if p.ids[i] == "" {
			return nil, &csvio.Error{File: path, Line: p.lines[i], Column: keyCol, Msg: "empty ID", Err: csvio.ErrFormat}
		}
	}
	if valueCol != "" {
		if p.values, err = t.Strings(valueCol); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// ints parses B's value column as integers in psi's range.
func (p *party) ints(col string, lattice bool) ([]int64, error) {
	out := make([]int64, len(p.values))
	limit, name, hint := int64(psi.MaxValue), "2^40", " (-lattice-sum allows up to 2^62 if both parties give it)"
	if lattice {
		limit, name, hint = psi.MaxLatticeSum, "2^62", ""
	}
	for i, s := range p.values {
		v, err := csvio.ParseInt(s)
		if err != nil {
			return nil, &csvio.Error{File: p.name, Line: p.lines[i], Column: col, Msg: err.Error(), Err: err}
		}
		if v < -limit || v > limit {
			return nil, &csvio.Error{File: p.name, Line: p.lines[i], Column: col,
				Msg: fmt.Sprintf("%d is outside [-%s, %s]%s", v, name, name, hint), Err: csvio.ErrOutOfRange}
		}
		out[i] = v
	}
	return out, nil
}

// payloads returns B's value column as join payloads, refusing an ID that
// repeats with another value (A could not be told which is its).
func (p *party) payloads(col string) ([][]byte, error) {
	first := map[string]int{}
	out := make([][]byte, len(p.values))
	for i, v := range p.values {
		if j, ok := first[p.ids[i]]; ok && p.values[j] != v {
			return nil, &csvio.Error{File: p.name, Line: p.lines[i], Column: col,
				Msg: fmt.Sprintf("ID %q repeats line %d with another value", p.ids[i], p.lines[j]), Err: csvio.ErrFormat}
		} else if !ok {
			first[p.ids[i]] = i
		}
		if len(v) > psi.MaxPayload {
			return nil, &csvio.Error{File: p.name, Line: p.lines[i], Column: col, Msg: "value too long", Err: csvio.ErrOutOfRange}
		}
		out[i] = []byte(v)
	}
	return out, nil
}

// synthetic makes two customer lists of rows each that share about half
// their customers; B's value column holds amounts between 1 and 500, one
// per customer. The data comes from an AES-CTR PRG keyed by the seed: it is
// a demo, not a secret.
func synthetic(seed int64, rows int) (*party, *party) {
	g, _ := prg.New(prg.Seed(sha256.Sum256(fmt.Appendf(nil, "veil/examples/psi/%d", seed)))) // a 32-byte seed is always a valid key
	intn := func(n int) int { return int(g.Uint64() % uint64(n)) }                           // negligible bias for small n
	a := &party{name: "synthetic A"}
	b := &party{name: "synthetic B"}
	amount := map[string]string{}
	for i := range rows {
		a.ids = append(a.ids, fmt.Sprintf("cust-%06d", intn(2*rows)))
		a.lines = append(a.lines, i+2)
		id := fmt.Sprintf("cust-%06d", intn(2*rows))
		if _, ok := amount[id]; !ok {
			amount[id] = strconv.Itoa(1 + intn(500))
		}
		b.ids = append(b.ids, id)
		b.values = append(b.values, amount[id])
		b.lines = append(b.lines, i+2)
	}
	return a, b
}
