package csvio

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Scale is the factor by which [ParseDecimal] and [Table.Decimals] scale
// decimal values: 2 fraction digits.
const Scale = 100

// FractionDigits is the largest number of digits accepted after the point.
const FractionDigits = 2

// Sentinel errors wrapped by the errors of this package.
var (
	// ErrNoColumn: the header has no column of the requested name.
	ErrNoColumn = errors.New("no such column")
	// ErrNotNumber: a value is not an integer or a decimal.
	ErrNotNumber = errors.New("not a number")
	// ErrTooPrecise: a decimal has more than FractionDigits fraction digits.
	ErrTooPrecise = errors.New("too many fraction digits")
	// ErrOutOfRange: a value does not fit in an int64 (after scaling).
	ErrOutOfRange = errors.New("out of range")
	// ErrFormat: the file is not well-formed CSV (empty, no header, wrong
	// number of fields, a stray quote).
	ErrFormat = errors.New("malformed CSV")
)

// Error is an error about the content of a CSV file. Its message is one
// line: "file:line: column "name": what went wrong".
type Error struct {
	File   string // file name as given
	Line   int    // 1-based line number, 0 if not known
	Column string // column name, "" if the error is not about one column
	Msg    string // what went wrong, without the position
	Err    error  // sentinel cause
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Column != "" {
		fmt.Fprintf(&b, "column %q: ", e.Column)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the sentinel cause.
func (e *Error) Unwrap() error { return e.Err }

// Table is a CSV file read into memory: a header and rows of strings.
type Table struct {
	File   string     // name used in error messages
	Header []string   // column names, spaces trimmed
	Rows   [][]string // data rows, values with spaces trimmed
	lines  []int      // line number of each row in the file
}

// ReadFile reads the CSV file at path. Errors name the file.
func ReadFile(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *fs.PathError: "open a.csv: no such file or directory"
	}
	defer f.Close()
	return Read(path, f)
}

// Read reads CSV from r; name is used in error messages.
func Read(name string, r io.Reader) (*Table, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = 0 // every row as long as the header
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Error{File: name, Line: 1, Msg: "empty file: expected a header row", Err: ErrFormat}
	}
	if err != nil {
		return nil, csvErr(name, err)
	}
	t := &Table{File: name, Header: trimAll(header)}
	seen := make(map[string]bool, len(t.Header))
	for _, h := range t.Header {
		if seen[h] {
			return nil, &Error{File: name, Line: 1, Column: h, Msg: "duplicate column in header", Err: ErrFormat}
		}
		seen[h] = true
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		t.Rows = append(t.Rows, trimAll(rec))
		t.lines = append(t.lines, line)
	}
	return t, nil
}

func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{File: name, Line: pe.Line, Msg: pe.Err.Error(), Err: ErrFormat}
	}
	return &Error{File: name, Msg: err.Error(), Err: ErrFormat}
}

func trimAll(rec []string) []string {
	for i, v := range rec {
		rec[i] = strings.TrimSpace(v)
	}
	return rec
}

// Line returns the line number in the file of data row i (0-based).
func (t *Table) Line(i int) int { return t.lines[i] }

// Column returns the index of the named column, or an *Error wrapping
// ErrNoColumn that lists the columns the file has.
func (t *Table) Column(name string) (int, error) {
	for i, h := range t.Header {
		if h == name {
			return i, nil
		}
	}
	return -1, &Error{File: t.File, Line: 1, Column: name,
		Msg: fmt.Sprintf("no such column in header (columns: %s)", strings.Join(t.Header, ", ")), Err: ErrNoColumn}
}

// Strings returns the values of the named column, one per row.
func (t *Table) Strings(name string) ([]string, error) {
	c, err := t.Column(name)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(t.Rows))
	for i, r := range t.Rows {
		out[i] = r[c]
	}
	return out, nil
}

// Ints parses the named column as base-10 integers.
func (t *Table) Ints(name string) ([]int64, error) {
	return t.parse(name, ParseInt)
}

// Decimals parses the named column as decimals with at most two fraction
// digits, scaled by Scale: "12.3" -> 1230, "-0.05" -> -5, "7" -> 700.
func (t *Table) Decimals(name string) ([]int64, error) {
	return t.parse(name, ParseDecimal)
}

func (t *Table) parse(name string, f func(string) (int64, error)) ([]int64, error) {
	c, err := t.Column(name)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(t.Rows))
	for i, r := range t.Rows {
		v, err := f(r[c])
		if err != nil {
			var ve *valueError
			errors.As(err, &ve)
			return nil, &Error{File: t.File, Line: t.lines[i], Column: name, Msg: ve.msg, Err: ve.err}
		}
		out[i] = v
	}
	return out, nil
}

// valueError is the position-less error of ParseInt and ParseDecimal.
type valueError struct {
	msg string
	err error
}

func (e *valueError) Error() string { return e.msg }
func (e *valueError) Unwrap() error { return e.err }

func notNumber(s string) error {
	return &valueError{msg: fmt.Sprintf("%q is not a number", s), err: ErrNotNumber}
}

// ParseInt parses a base-10 integer with an optional sign. The error wraps
// ErrNotNumber or ErrOutOfRange.
func ParseInt(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if !isNumber(s, false) {
		return 0, notNumber(s)
	}
	v, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
	if err != nil {
		return 0, &valueError{msg: fmt.Sprintf("%q does not fit in 64 bits", s), err: ErrOutOfRange}
	}
	return v, nil
}

// ParseDecimal parses an integer or a decimal with at most two fraction
// digits ("-12", "3.5", "0.25", ".5", "+1.") and returns it scaled by Scale.
// Exponents, thousands separators, NaN and Inf are rejected. The error wraps
// ErrNotNumber, ErrTooPrecise or ErrOutOfRange.
func ParseDecimal(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if !isNumber(s, true) {
		return 0, notNumber(s)
	}
	neg := s[0] == '-'
	body := strings.TrimLeft(s, "+-")
	intPart, frac, _ := strings.Cut(body, ".")
	if len(frac) > FractionDigits {
		return 0, &valueError{msg: fmt.Sprintf("%q has more than %d digits after the point", s, FractionDigits), err: ErrTooPrecise}
	}
	for len(frac) < FractionDigits {
		frac += "0"
	}
	// Accumulate the magnitude as a negative number so that the most negative
	// int64 is representable.
	var acc int64
	for _, ch := range intPart + frac {
		d := int64(ch - '0')
		if acc < (math.MinInt64+d)/10 {
			return 0, &valueError{msg: fmt.Sprintf("%q does not fit in 64 bits at %d fraction digits", s, FractionDigits), err: ErrOutOfRange}
		}
		acc = acc*10 - d
	}
	if neg {
		return acc, nil
	}
	if acc == math.MinInt64 {
		return 0, &valueError{msg: fmt.Sprintf("%q does not fit in 64 bits at %d fraction digits", s, FractionDigits), err: ErrOutOfRange}
	}
	return -acc, nil
}

// isNumber reports whether s is [+-]digits, or with decimal, [+-]digits[.digits]
// with at least one digit in total.
func isNumber(s string, decimal bool) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	digits, dots := 0, 0
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && decimal && dots == 0:
			dots++
		default:
			return false
		}
	}
	return digits > 0
}

// FormatDecimal formats a value scaled by Scale with exactly two fraction
// digits: 1250 -> "12.50", -5 -> "-0.05".
func FormatDecimal(v int64) string {
	sign := ""
	u := uint64(v)
	if v < 0 {
		sign = "-"
		u = -u
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/Scale, u%Scale)
}
