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
// low half of row k+j. The 6 x 32 swaps are written out with constant
// indices and shifts (about 3x faster than loops over them, which the
// compiler does not unroll: BenchmarkTranspose).
func transpose64(a *[64]uint64) {
	const (
		m32 = 0x00000000FFFFFFFF
		m16 = 0x0000FFFF0000FFFF
		m8  = 0x00FF00FF00FF00FF
		m4  = 0x0F0F0F0F0F0F0F0F
		m2  = 0x3333333333333333
		m1  = 0x5555555555555555
	)
	deltaSwap(a, 0, 32, 32, m32)
	deltaSwap(a, 1, 33, 32, m32)
	deltaSwap(a, 2, 34, 32, m32)
	deltaSwap(a, 3, 35, 32, m32)
	deltaSwap(a, 4, 36, 32, m32)
	deltaSwap(a, 5, 37, 32, m32)
	deltaSwap(a, 6, 38, 32, m32)
	deltaSwap(a, 7, 39, 32, m32)
	deltaSwap(a, 8, 40, 32, m32)
	deltaSwap(a, 9, 41, 32, m32)
	deltaSwap(a, 10, 42, 32, m32)
	deltaSwap(a, 11, 43, 32, m32)
	deltaSwap(a, 12, 44, 32, m32)
	deltaSwap(a, 13, 45, 32, m32)
	deltaSwap(a, 14, 46, 32, m32)
	deltaSwap(a, 15, 47, 32, m32)
	deltaSwap(a, 16, 48, 32, m32)
	deltaSwap(a, 17, 49, 32, m32)
	deltaSwap(a, 18, 50, 32, m32)
	deltaSwap(a, 19, 51, 32, m32)
	deltaSwap(a, 20, 52, 32, m32)
	deltaSwap(a, 21, 53, 32, m32)
	deltaSwap(a, 22, 54, 32, m32)
	deltaSwap(a, 23, 55, 32, m32)
	deltaSwap(a, 24, 56, 32, m32)
	deltaSwap(a, 25, 57, 32, m32)
	deltaSwap(a, 26, 58, 32, m32)
	deltaSwap(a, 27, 59, 32, m32)
	deltaSwap(a, 28, 60, 32, m32)
	deltaSwap(a, 29, 61, 32, m32)
	deltaSwap(a, 30, 62, 32, m32)
	deltaSwap(a, 31, 63, 32, m32)
	deltaSwap(a, 0, 16, 16, m16)
	deltaSwap(a, 1, 17, 16, m16)
	deltaSwap(a, 2, 18, 16, m16)
	deltaSwap(a, 3, 19, 16, m16)
	deltaSwap(a, 4, 20, 16, m16)
	deltaSwap(a, 5, 21, 16, m16)
	deltaSwap(a, 6, 22, 16, m16)
	deltaSwap(a, 7, 23, 16, m16)
	deltaSwap(a, 8, 24, 16, m16)
	deltaSwap(a, 9, 25, 16, m16)
	deltaSwap(a, 10, 26, 16, m16)
	deltaSwap(a, 11, 27, 16, m16)
	deltaSwap(a, 12, 28, 16, m16)
	deltaSwap(a, 13, 29, 16, m16)
	deltaSwap(a, 14, 30, 16, m16)
	deltaSwap(a, 15, 31, 16, m16)
	deltaSwap(a, 32, 48, 16, m16)
	deltaSwap(a, 33, 49, 16, m16)
	deltaSwap(a, 34, 50, 16, m16)
	deltaSwap(a, 35, 51, 16, m16)
	deltaSwap(a, 36, 52, 16, m16)
	deltaSwap(a, 37, 53, 16, m16)
	deltaSwap(a, 38, 54, 16, m16)
	deltaSwap(a, 39, 55, 16, m16)
	deltaSwap(a, 40, 56, 16, m16)
	deltaSwap(a, 41, 57, 16, m16)
	deltaSwap(a, 42, 58, 16, m16)
	deltaSwap(a, 43, 59, 16, m16)
	deltaSwap(a, 44, 60, 16, m16)
	deltaSwap(a, 45, 61, 16, m16)
	deltaSwap(a, 46, 62, 16, m16)
	deltaSwap(a, 47, 63, 16, m16)
	deltaSwap(a, 0, 8, 8, m8)
	deltaSwap(a, 1, 9, 8, m8)
	deltaSwap(a, 2, 10, 8, m8)
	deltaSwap(a, 3, 11, 8, m8)
	deltaSwap(a, 4, 12, 8, m8)
	deltaSwap(a, 5, 13, 8, m8)
	deltaSwap(a, 6, 14, 8, m8)
	deltaSwap(a, 7, 15, 8, m8)
	deltaSwap(a, 16, 24, 8, m8)
	deltaSwap(a, 17, 25, 8, m8)
	deltaSwap(a, 18, 26, 8, m8)
	deltaSwap(a, 19, 27, 8, m8)
	deltaSwap(a, 20, 28, 8, m8)
	deltaSwap(a, 21, 29, 8, m8)
	deltaSwap(a, 22, 30, 8, m8)
	deltaSwap(a, 23, 31, 8, m8)
	deltaSwap(a, 32, 40, 8, m8)
	deltaSwap(a, 33, 41, 8, m8)
	deltaSwap(a, 34, 42, 8, m8)
	deltaSwap(a, 35, 43, 8, m8)
	deltaSwap(a, 36, 44, 8, m8)
	deltaSwap(a, 37, 45, 8, m8)
	deltaSwap(a, 38, 46, 8, m8)
	deltaSwap(a, 39, 47, 8, m8)
	deltaSwap(a, 48, 56, 8, m8)
	deltaSwap(a, 49, 57, 8, m8)
	deltaSwap(a, 50, 58, 8, m8)
	deltaSwap(a, 51, 59, 8, m8)
	deltaSwap(a, 52, 60, 8, m8)
	deltaSwap(a, 53, 61, 8, m8)
	deltaSwap(a, 54, 62, 8, m8)
	deltaSwap(a, 55, 63, 8, m8)
	deltaSwap(a, 0, 4, 4, m4)
	deltaSwap(a, 1, 5, 4, m4)
	deltaSwap(a, 2, 6, 4, m4)
	deltaSwap(a, 3, 7, 4, m4)
	deltaSwap(a, 8, 12, 4, m4)
	deltaSwap(a, 9, 13, 4, m4)
	deltaSwap(a, 10, 14, 4, m4)
	deltaSwap(a, 11, 15, 4, m4)
	deltaSwap(a, 16, 20, 4, m4)
	deltaSwap(a, 17, 21, 4, m4)
	deltaSwap(a, 18, 22, 4, m4)
	deltaSwap(a, 19, 23, 4, m4)
	deltaSwap(a, 24, 28, 4, m4)
	deltaSwap(a, 25, 29, 4, m4)
	deltaSwap(a, 26, 30, 4, m4)
	deltaSwap(a, 27, 31, 4, m4)
	deltaSwap(a, 32, 36, 4, m4)
	deltaSwap(a, 33, 37, 4, m4)
	deltaSwap(a, 34, 38, 4, m4)
	deltaSwap(a, 35, 39, 4, m4)
	deltaSwap(a, 40, 44, 4, m4)
	deltaSwap(a, 41, 45, 4, m4)
	deltaSwap(a, 42, 46, 4, m4)
	deltaSwap(a, 43, 47, 4, m4)
	deltaSwap(a, 48, 52, 4, m4)
	deltaSwap(a, 49, 53, 4, m4)
	deltaSwap(a, 50, 54, 4, m4)
	deltaSwap(a, 51, 55, 4, m4)
	deltaSwap(a, 56, 60, 4, m4)
	deltaSwap(a, 57, 61, 4, m4)
	deltaSwap(a, 58, 62, 4, m4)
	deltaSwap(a, 59, 63, 4, m4)
	deltaSwap(a, 0, 2, 2, m2)
	deltaSwap(a, 1, 3, 2, m2)
	deltaSwap(a, 4, 6, 2, m2)
	deltaSwap(a, 5, 7, 2, m2)
	deltaSwap(a, 8, 10, 2, m2)
	deltaSwap(a, 9, 11, 2, m2)
	deltaSwap(a, 12, 14, 2, m2)
	deltaSwap(a, 13, 15, 2, m2)
	deltaSwap(a, 16, 18, 2, m2)
	deltaSwap(a, 17, 19, 2, m2)
	deltaSwap(a, 20, 22, 2, m2)
	deltaSwap(a, 21, 23, 2, m2)
	deltaSwap(a, 24, 26, 2, m2)
	deltaSwap(a, 25, 27, 2, m2)
	deltaSwap(a, 28, 30, 2, m2)
	deltaSwap(a, 29, 31, 2, m2)
	deltaSwap(a, 32, 34, 2, m2)
	deltaSwap(a, 33, 35, 2, m2)
	deltaSwap(a, 36, 38, 2, m2)
	deltaSwap(a, 37, 39, 2, m2)
	deltaSwap(a, 40, 42, 2, m2)
	deltaSwap(a, 41, 43, 2, m2)
	deltaSwap(a, 44, 46, 2, m2)
	deltaSwap(a, 45, 47, 2, m2)
	deltaSwap(a, 48, 50, 2, m2)
	deltaSwap(a, 49, 51, 2, m2)
	deltaSwap(a, 52, 54, 2, m2)
	deltaSwap(a, 53, 55, 2, m2)
	deltaSwap(a, 56, 58, 2, m2)
	deltaSwap(a, 57, 59, 2, m2)
	deltaSwap(a, 60, 62, 2, m2)
	deltaSwap(a, 61, 63, 2, m2)
	deltaSwap(a, 0, 1, 1, m1)
	deltaSwap(a, 2, 3, 1, m1)
	deltaSwap(a, 4, 5, 1, m1)
	deltaSwap(a, 6, 7, 1, m1)
	deltaSwap(a, 8, 9, 1, m1)
	deltaSwap(a, 10, 11, 1, m1)
	deltaSwap(a, 12, 13, 1, m1)
	deltaSwap(a, 14, 15, 1, m1)
	deltaSwap(a, 16, 17, 1, m1)
	deltaSwap(a, 18, 19, 1, m1)
	deltaSwap(a, 20, 21, 1, m1)
	deltaSwap(a, 22, 23, 1, m1)
	deltaSwap(a, 24, 25, 1, m1)
	deltaSwap(a, 26, 27, 1, m1)
	deltaSwap(a, 28, 29, 1, m1)
	deltaSwap(a, 30, 31, 1, m1)
	deltaSwap(a, 32, 33, 1, m1)
	deltaSwap(a, 34, 35, 1, m1)
	deltaSwap(a, 36, 37, 1, m1)
	deltaSwap(a, 38, 39, 1, m1)
	deltaSwap(a, 40, 41, 1, m1)
	deltaSwap(a, 42, 43, 1, m1)
	deltaSwap(a, 44, 45, 1, m1)
	deltaSwap(a, 46, 47, 1, m1)
	deltaSwap(a, 48, 49, 1, m1)
	deltaSwap(a, 50, 51, 1, m1)
	deltaSwap(a, 52, 53, 1, m1)
	deltaSwap(a, 54, 55, 1, m1)
	deltaSwap(a, 56, 57, 1, m1)
	deltaSwap(a, 58, 59, 1, m1)
	deltaSwap(a, 60, 61, 1, m1)
	deltaSwap(a, 62, 63, 1, m1)
}

// deltaSwap swaps the bits of a[i] under m<<s with those of a[j] under m.
// It is inlined, so constant arguments give straight-line code.
func deltaSwap(a *[64]uint64, i, j int, s uint, m uint64) {
	t := (a[i]>>s ^ a[j]) & m
	a[i] ^= t << s
	a[j] ^= t
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
