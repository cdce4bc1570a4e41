package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/veil-go/veil/psi"
)

// inputError is a one-line error about an input file: "file:line: column
// "name": what went wrong".
type inputError struct {
	file   string
	line   int
	column string
	msg    string
}

func (e *inputError) Error() string {
	var b strings.Builder
	b.WriteString(e.file)
	if e.line > 0 {
		fmt.Fprintf(&b, ":%d", e.line)
	}
	b.WriteString(": ")
	if e.column != "" {
		fmt.Fprintf(&b, "column %q: ", e.column)
	}
	b.WriteString(e.msg)
	return b.String()
}

// party is one side's rows: normalised IDs and, for B, the -value column.
type party struct {
	name   string   // file name, or "synthetic A"
	ids    []string // one per row, normalised
	values []string // B's -value column, one per row (join, sum)
	lines  []int    // line of each row
}

// readParty reads a CSV file with a header row; it keeps the key column
// and, if valueCol is not empty, that column too.
func readParty(path, keyCol, valueCol string) (*party, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, &inputError{file: path, msg: pe.Err.Error()}
		}
		return nil, err
	}
	defer f.Close()
	return parseParty(path, f, keyCol, valueCol)
}

func parseParty(name string, r io.Reader, keyCol, valueCol string) (*party, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &inputError{file: name, line: 1, msg: "empty file, want a header row"}
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	col := func(c string) (int, error) {
		for i, h := range header {
			if strings.TrimSpace(h) == c {
				return i, nil
			}
		}
		return 0, &inputError{file: name, line: 1, column: c,
			msg: fmt.Sprintf("no such column in the header (columns: %s)", strings.Join(header, ", "))}
	}
	ki, err := col(keyCol)
	if err != nil {
		return nil, err
	}
	vi := -1
	if valueCol != "" {
		if vi, err = col(valueCol); err != nil {
			return nil, err
		}
	}
	p := &party{name: name}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		id := psi.NormalizeString(rec[ki])
		if id == "" {
			return nil, &inputError{file: name, line: line, column: keyCol, msg: "empty ID"}
		}
		p.ids = append(p.ids, id)
		p.lines = append(p.lines, line)
		if vi >= 0 {
			p.values = append(p.values, strings.TrimSpace(rec[vi]))
		}
	}
	return p, nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &inputError{file: name, line: pe.Line, msg: fmt.Sprintf("column %d: %v", pe.Column, pe.Err)}
	}
	return &inputError{file: name, msg: err.Error()}
}

// ints parses B's value column as integers.
func (p *party) ints(col string) ([]int64, error) {
	out := make([]int64, len(p.values))
	for i, s := range p.values {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, &inputError{file: p.name, line: p.lines[i], column: col, msg: fmt.Sprintf("%q is not an integer", s)}
		}
		if v < -psi.MaxValue || v > psi.MaxValue {
			return nil, &inputError{file: p.name, line: p.lines[i], column: col, msg: fmt.Sprintf("%d is outside [-2^40, 2^40]", v)}
		}
		out[i] = v
	}
	return out, nil
}

// payloads returns B's value column as join payloads, refusing an ID that
// repeats with another value (the receiver could not tell which is its).
func (p *party) payloads(col string) ([][]byte, error) {
	first := map[string]int{}
	out := make([][]byte, len(p.values))
	for i, v := range p.values {
		if j, ok := first[p.ids[i]]; ok && p.values[j] != v {
			return nil, &inputError{file: p.name, line: p.lines[i], column: col,
				msg: fmt.Sprintf("ID %q repeats line %d with another value", p.ids[i], p.lines[j])}
		} else if !ok {
			first[p.ids[i]] = i
		}
		if len(v) > psi.MaxPayload {
			return nil, &inputError{file: p.name, line: p.lines[i], column: col, msg: "value too long"}
		}
		out[i] = []byte(v)
	}
	return out, nil
}

// stream is a deterministic byte stream for synthetic data: AES-CTR keyed
// with SHA-256 of the seed. It is not secret: the data is a demo.
type stream struct{ cipher.Stream }

func newStream(seed int64, label string) stream {
	k := sha256.Sum256(fmt.Appendf(nil, "veil/examples/psi/%s/%d", label, seed))
	block, _ := aes.NewCipher(k[:]) // a 32-byte key is always valid
	return stream{cipher.NewCTR(block, make([]byte, aes.BlockSize))}
}

// intn returns a value in [0, n) (negligible modulo bias for small n).
func (s stream) intn(n int) int {
	var b [8]byte
	s.XORKeyStream(b[:], b[:])
	return int(binary.LittleEndian.Uint64(b[:]) % uint64(n))
}

// synthetic makes two customer lists of rows each that share about half
// their customers; B's value column holds amounts between 1 and 500.
func synthetic(seed int64, rows int) (*party, *party) {
	s := newStream(seed, "synthetic")
	a := &party{name: "synthetic A"}
	b := &party{name: "synthetic B"}
	for i := range rows {
		a.ids = append(a.ids, fmt.Sprintf("cust-%06d", s.intn(2*rows)))
		a.lines = append(a.lines, i+2)
		b.ids = append(b.ids, fmt.Sprintf("cust-%06d", s.intn(2*rows)))
		b.values = append(b.values, strconv.Itoa(1+s.intn(500)))
		b.lines = append(b.lines, i+2)
	}
	// The synthetic B has one amount per customer, as a join needs.
	seen := map[string]string{}
	for i, id := range b.ids {
		if v, ok := seen[id]; ok {
			b.values[i] = v
		} else {
			seen[id] = b.values[i]
		}
	}
	return a, b
}
