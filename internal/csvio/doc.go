// Package csvio holds the small CSV helpers shared by Veil's example
// programs: read a CSV file that has a header row, pick columns by name, and
// parse integers and decimals exactly.
//
// Usage:
//
//	t, err := csvio.ReadFile("a.csv")
//	if err != nil { ... }                  // names the file (and line)
//	ids, err := t.Strings("id")            // raw values of column "id"
//	amounts, err := t.Decimals("amount")   // "12.5" -> 1250 (scaled by 100)
//	counts, err := t.Ints("count")         // "-17"  -> -17
//
// Decimals have at most [FractionDigits] (2) digits after the point and are
// returned as int64 values scaled by [Scale] (100), so sums of money-like
// values are exact. Nothing is parsed through float64.
//
// Every error about the content of a file is an [*Error] whose message is one
// line naming the file, the line and the column, for example
//
//	a.csv:17: column "value": "abc" is not a number
//
// and which wraps one of the sentinel errors below, so callers can test the
// cause with errors.Is. Leading and trailing spaces around values are
// ignored; a UTF-8 byte order mark before the header is skipped; every row
// must have as many fields as the header.
//
// Two small helpers serve the examples' demo runs: [Synthetic], a
// deterministic stream (AES-CTR keyed by a hash of the program name and
// -seed) for the data they make up when given no files, and [FormatBytes]
// for their reports.
package csvio
