package ot

import "encoding/binary"

// Matrix is a bit matrix stored row-major in 64-bit words: bit c of row r is
// bit c%64 of Data[r*Words+c/64]. Rows may be fewer than the rows the data
// has room for (the padding rows are zero and belong to no OT).
type Matrix struct {
	Rows, Words int
	Data        []uint64
}

// Row returns row r's words; it aliases the matrix.
func (m Matrix) Row(r int) []uint64 { return m.Data[r*m.Words : (r+1)*m.Words] }

// transpose64 transposes a 64x64 bit matrix in place: on return bit i of
// a[k] is what bit k of a[i] was. Six stages of block swaps (Hacker's
// Delight 7-3, least-significant-bit-first): stage j swaps, for every pair
// of rows (k, k+j) in each 2j-block, the high j-bit half of row k with the
// low half of row k+j. The stages are written out with constant shifts.
func transpose64(a *[64]uint64) {
	const (
		m32 = 0x00000000FFFFFFFF
		m16 = 0x0000FFFF0000FFFF
		m8  = 0x00FF00FF00FF00FF
		m4  = 0x0F0F0F0F0F0F0F0F
		m2  = 0x3333333333333333
		m1  = 0x5555555555555555
	)
	for k := 0; k < 32; k++ {
		t := (a[k]>>32 ^ a[k+32]) & m32
		a[k] ^= t << 32
		a[k+32] ^= t
	}
	for b := 0; b < 64; b += 32 {
		for k := b; k < b+16; k++ {
			t := (a[k&63]>>16 ^ a[(k+16)&63]) & m16
			a[k&63] ^= t << 16
			a[(k+16)&63] ^= t
		}
	}
	for b := 0; b < 64; b += 16 {
		for k := b; k < b+8; k++ {
			t := (a[k&63]>>8 ^ a[(k+8)&63]) & m8
			a[k&63] ^= t << 8
			a[(k+8)&63] ^= t
		}
	}
	for b := 0; b < 64; b += 8 {
		for k := b; k < b+4; k++ {
			t := (a[k&63]>>4 ^ a[(k+4)&63]) & m4
			a[k&63] ^= t << 4
			a[(k+4)&63] ^= t
		}
	}
	for b := 0; b < 64; b += 4 {
		for k := b; k < b+2; k++ {
			t := (a[k&63]>>2 ^ a[(k+2)&63]) & m2
			a[k&63] ^= t << 2
			a[(k+2)&63] ^= t
		}
	}
	for k := 0; k < 64; k += 2 {
		t := (a[k&63]>>1 ^ a[(k+1)&63]) & m1
		a[k&63] ^= t << 1
		a[(k+1)&63] ^= t
	}
}

// colStride is the distance in bytes between consecutive columns of a
// column-major buffer of rows rows: rows/8 plus one cache line, so that the
// 64 columns read by one block do not all fall into the same cache set.
func colStride(rows int) int { return rows/8 + 64 }

// colsToRows transposes a column-major bit matrix into rows. Column c
// starts at cols[c*stride] and holds rows bits (bit r is bit r%8 of byte
// r/8); dst gets rows rows of ncols/64 words. rows and ncols are multiples
// of 64.
func colsToRows(dst []uint64, cols []byte, stride, ncols, rows int) {
	w := ncols / 64
	var a [64]uint64
	for cb := 0; cb < w; cb++ {
		for rk := 0; rk < rows/64; rk++ {
			base := cb*64*stride + rk*8
			for i := range a {
				a[i] = binary.LittleEndian.Uint64(cols[base+i*stride:])
			}
			transpose64(&a)
			out := dst[rk*64*w+cb:]
			for k := range a {
				out[k*w] = a[k]
			}
		}
	}
}

// rowsToCols is the inverse of colsToRows.
func rowsToCols(cols []byte, src []uint64, stride, ncols, rows int) {
	w := ncols / 64
	var a [64]uint64
	for cb := 0; cb < w; cb++ {
		for rk := 0; rk < rows/64; rk++ {
			in := src[rk*64*w+cb:]
			for k := range a {
				a[k] = in[k*w]
			}
			transpose64(&a)
			base := cb*64*stride + rk*8
			for i := range a {
				binary.LittleEndian.PutUint64(cols[base+i*stride:], a[i])
			}
		}
	}
}
