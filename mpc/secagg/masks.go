package secagg

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"

	"github.com/veil-go/veil/internal/parallel"
)

// A mask is the AES-128-CTR keystream of a 16-byte key, read as
// little-endian uint64 words: word w is bytes 8w..8w+7 of the stream whose
// first counter block is zero. Masks are added to (or subtracted from)
// vectors modulo 2^64.
type maskJob struct {
	block cipher.Block
	neg   bool
}

func newMaskJob(key []byte, neg bool) (maskJob, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return maskJob{}, fmt.Errorf("secagg: %w", err)
	}
	return maskJob{block: b, neg: neg}, nil
}

// maskChunk is the number of words one worker expands at a time (64 KiB).
// It is even, so every chunk starts on an AES block boundary.
const maskChunk = 8192

// applyMasks adds (or subtracts, for neg jobs) every job's mask to dst,
// splitting dst into chunks shared out among at most workers goroutines.
// All goroutines end before it returns.
func applyMasks(dst []uint64, jobs []maskJob, workers int) {
	if len(dst) == 0 || len(jobs) == 0 {
		return
	}
	chunks := (len(dst) + maskChunk - 1) / maskChunk
	zero := make([]byte, 8*maskChunk) // keystream source, read-only
	_ = parallel.For(context.Background(), chunks, workers, 1, func(clo, chi int) error {
		buf := make([]byte, 8*maskChunk)
		for c := clo; c < chi; c++ {
			lo := c * maskChunk
			hi := min(lo+maskChunk, len(dst))
			for _, j := range jobs {
				expandInto(buf[:8*(hi-lo)], zero, j.block, lo)
				addWords(dst[lo:hi], buf, j.neg)
			}
		}
		return nil
	})
}

// expandInto writes the keystream bytes starting at word lo into buf,
// XORing them onto zero (at least as long as buf, all zero bytes).
func expandInto(buf, zero []byte, block cipher.Block, lo int) {
	var iv [aes.BlockSize]byte
	binary.BigEndian.PutUint64(iv[8:], uint64(lo)/2) // 2 words per block
	cipher.NewCTR(block, iv[:]).XORKeyStream(buf, zero[:len(buf)])
}

func addWords(d []uint64, b []byte, neg bool) {
	b = b[:8*len(d)]
	if neg {
		for i := range d {
			d[i] -= binary.LittleEndian.Uint64(b[8*i:])
		}
		return
	}
	for i := range d {
		d[i] += binary.LittleEndian.Uint64(b[8*i:])
	}
}
