package ledger

import (
	"encoding/binary"
	"fmt"
	"math"
)

// enc writes the canonical encoding: fixed-width big-endian integers,
// byte strings as a 4-byte length and the bytes, float64 as its IEEE bits.
type enc struct{ b []byte }

func (e *enc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *enc) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *enc) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *enc) i64(v int64)  { e.u64(uint64(v)) }
func (e *enc) f64(v float64) {
	e.u64(math.Float64bits(v))
}
func (e *enc) bytes(v []byte) {
	e.u32(uint32(len(v)))
	e.b = append(e.b, v...)
}
func (e *enc) str(v string)      { e.bytes([]byte(v)) }
func (e *enc) fixed(v []byte)    { e.b = append(e.b, v...) }
func (e *enc) digest(v [32]byte) { e.b = append(e.b, v[:]...) }

// dec reads what enc writes; the first failure sticks, and every read is
// bounded by the bytes actually present.
type dec struct {
	b    []byte
	off  int
	what string // what is being decoded, for errors
	err  error
}

func (d *dec) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("ledger: %w: %s at byte %d: %s", ErrMalformed, d.what, d.off, fmt.Sprintf(format, args...))
	}
}

func (d *dec) take(n int, field string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b)-d.off < n {
		d.fail("%s: need %d bytes, %d left", field, n, len(d.b)-d.off)
		return nil
	}
	v := d.b[d.off : d.off+n]
	d.off += n
	return v
}

func (d *dec) u8(field string) uint8 {
	v := d.take(1, field)
	if v == nil {
		return 0
	}
	return v[0]
}

func (d *dec) u32(field string) uint32 {
	v := d.take(4, field)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint32(v)
}

func (d *dec) u64(field string) uint64 {
	v := d.take(8, field)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func (d *dec) i64(field string) int64 { return int64(d.u64(field)) }

func (d *dec) f64(field string) float64 {
	at := d.off
	v := math.Float64frombits(d.u64(field))
	if d.err == nil && checkAmount(v) != nil {
		d.off = at
		d.fail("%s: %v is not a finite non-negative number", field, v)
	}
	return v
}

func (d *dec) bytes(field string, max int) []byte {
	at := d.off
	n := d.u32(field + " length")
	if d.err != nil {
		return nil
	}
	if int64(n) > int64(max) {
		d.off = at
		d.fail("%s: length %d exceeds %d", field, n, max)
		return nil
	}
	v := d.take(int(n), field)
	if len(v) == 0 {
		return nil
	}
	return append([]byte(nil), v...)
}

func (d *dec) str(field string) string { return string(d.bytes(field, maxString)) }

func (d *dec) digest(field string) (out [32]byte) {
	copy(out[:], d.take(32, field))
	return out
}

// count reads a list length, bounded by max and by the bytes left (each
// element takes at least minSize bytes), so no allocation follows a claim.
func (d *dec) count(field string, max, minSize int) int {
	at := d.off
	n := d.u32(field + " count")
	if d.err != nil {
		return 0
	}
	if int64(n) > int64(max) || int64(n)*int64(minSize) > int64(len(d.b)-d.off) {
		d.off = at
		d.fail("%s: count %d exceeds the limit %d or the bytes left", field, n, max)
		return 0
	}
	return int(n)
}

func (d *dec) end() {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes", len(d.b)-d.off)
	}
}

// checkAmount accepts a finite epsilon or delta >= 0 (not -0, so that the
// encoding is canonical).
func checkAmount(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || math.Signbit(v) {
		return fmt.Errorf("%v is not a finite non-negative number", v)
	}
	return nil
}
