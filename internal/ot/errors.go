package ot

import (
	"fmt"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/internal/parallel"
)

// Sentinel errors. Errors returned by this package wrap one of these, a
// transport error or a context error; test with errors.Is.
var (
	// ErrInvalidParams: a constructor or method was given unusable
	// arguments (a width that is not a multiple of 128, a negative count).
	ErrInvalidParams = errs.ErrInvalidParams
	// ErrMalformed: a peer's message could not be decoded (wrong length,
	// wrong tag, an invalid group element).
	ErrMalformed = errs.ErrMalformed
	// ErrProtocol: a well-formed message arrived that does not fit the
	// protocol state (an unexpected offset, width or count). It wraps
	// [ErrMalformed].
	ErrProtocol = fmt.Errorf("%w: protocol violation", errs.ErrMalformed)
)

// Config configures base OT and OT extension. Its zero value is IKNP
// (width 128) on GOMAXPROCS goroutines with messages of about 1 MiB. Both
// parties must use the same Width.
type Config struct {
	// Width is the row width of the extension in bits: the number of base
	// OTs and the width of the rows q_j and t_j. 0 means 128 (IKNP); KKRT's
	// 1-out-of-N OT uses a code-word width such as 512. It must be a
	// multiple of 128 between 128 and 2048.
	Width int
	// Workers bounds the number of goroutines used for the heavy kernels
	// (PRG expansion, transposes, hashing); 0 means GOMAXPROCS.
	Workers int
	// ChunkRows is how many OT rows travel in one extension message (a
	// positive multiple of 128); 0 makes messages of about 1 MiB.
	ChunkRows int
}

const (
	defaultWidth = 128
	maxWidth     = 2048
	// maxChunkRows bounds Config.ChunkRows (the chunk header counts rows in
	// 16-bit units of 128).
	maxChunkRows = 1 << 22
	// targetChunkBits is the default size of one extension message's body.
	targetChunkBits = 8 << 20
)

// withDefaults validates c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	if c.Width == 0 {
		c.Width = defaultWidth
	}
	if c.Width < 128 || c.Width > maxWidth || c.Width%128 != 0 {
		return c, fmt.Errorf("ot: %w: width %d is not a multiple of 128 in [128, %d]", ErrInvalidParams, c.Width, maxWidth)
	}
	if c.Workers < 0 {
		return c, fmt.Errorf("ot: %w: negative worker count %d", ErrInvalidParams, c.Workers)
	}
	c.Workers = parallel.Workers(c.Workers)
	if c.ChunkRows == 0 {
		c.ChunkRows = max(128, targetChunkBits/c.Width/128*128)
	}
	if c.ChunkRows < 0 || c.ChunkRows%128 != 0 || c.ChunkRows > maxChunkRows {
		return c, fmt.Errorf("ot: %w: chunk rows %d is not a positive multiple of 128 up to 2^22", ErrInvalidParams, c.ChunkRows)
	}
	return c, nil
}
