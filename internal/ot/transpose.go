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

// swapStage is one stage of the 64x64 transpose: for every pair of rows
// (k, k+j) in each 2j-block it swaps the high j-bit half of row k with the
// low half of row k+j.
func swapStage(a *[64]uint64, j uint, m uint64) {
	for blk := 0; blk < 64; blk += 2 * int(j) {
		lo := a[blk : blk+int(j) : blk+int(j)]
		hi := a[blk+int(j) : blk+2*int(j) : blk+2*int(j)]
		for k := range lo {
			t := (lo[k]>>j ^ hi[k]) & m
			lo[k] ^= t << j
			hi[k] ^= t
		}
	}
}

// transpose64 transposes a 64x64 bit matrix in place: on return bit i of
// a[k] is what bit k of a[i] was. Six stages of block swaps (Hacker's
// Delight 7-3, least-significant-bit-first).
func transpose64(a *[64]uint64) {
	swapStage(a, 32, 0x00000000FFFFFFFF)
	swapStage(a, 16, 0x0000FFFF0000FFFF)
	swapStage(a, 8, 0x00FF00FF00FF00FF)
	swapStage(a, 4, 0x0F0F0F0F0F0F0F0F)
	swapStage(a, 2, 0x3333333333333333)
	swapStage(a, 1, 0x5555555555555555)
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
