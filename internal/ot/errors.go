package ot

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"runtime"
)

// Sentinel errors. Errors returned by this package wrap one of these, a
// transport error or a context error; test with errors.Is.
var (
	// ErrInvalidParams: a constructor or method was given unusable
	// arguments (a width that is not a multiple of 128, a negative count).
	ErrInvalidParams = errors.New("ot: invalid parameters")
	// ErrMalformed: a peer's message could not be decoded (wrong length,
	// wrong tag, an invalid group element).
	ErrMalformed = errors.New("ot: malformed message")
	// ErrProtocol: a well-formed message arrived that does not fit the
	// protocol state (an unexpected offset, width or count).
	ErrProtocol = errors.New("ot: protocol violation")
)

// Option configures base OT and OT extension.
type Option func(*config)

type config struct {
	width     int
	workers   int
	chunkRows int
	rand      io.Reader
}

// WithWidth sets the row width of the extension in bits: the number of base
// OTs and the width of the rows q_j and t_j. 128 (the default) is IKNP;
// KKRT's 1-out-of-N OT uses a code-word width such as 512. It must be a
// multiple of 128 between 128 and 2048, and both parties must use the same.
func WithWidth(bits int) Option { return func(c *config) { c.width = bits } }

// WithWorkers bounds the number of goroutines used for the heavy kernels
// (PRG expansion, transposes, hashing). 0 means runtime.GOMAXPROCS(0).
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

// WithChunkRows sets how many OT rows travel in one extension message (a
// positive multiple of 128). The default makes messages of about 1 MiB.
func WithChunkRows(n int) Option { return func(c *config) { c.chunkRows = n } }

// WithRandomness replaces crypto/rand as the source of this party's secret
// randomness. It is meant for deterministic tests only: a predictable reader
// breaks every security property.
func WithRandomness(r io.Reader) Option { return func(c *config) { c.rand = r } }

const (
	defaultWidth = 128
	maxWidth     = 2048
	// maxChunkRows bounds WithChunkRows (the chunk header counts rows in
	// 16-bit units of 128).
	maxChunkRows = 1 << 22
	// targetChunkBits is the default size of one extension message's body.
	targetChunkBits = 8 << 20
)

func newConfig(opts []Option) (*config, error) {
	c := &config{width: defaultWidth}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.width < 128 || c.width > maxWidth || c.width%128 != 0 {
		return nil, fmt.Errorf("%w: width %d is not a multiple of 128 in [128, %d]", ErrInvalidParams, c.width, maxWidth)
	}
	if c.workers < 0 {
		return nil, fmt.Errorf("%w: negative worker count %d", ErrInvalidParams, c.workers)
	}
	if c.workers == 0 {
		c.workers = runtime.GOMAXPROCS(0)
	}
	if c.chunkRows == 0 {
		c.chunkRows = max(128, targetChunkBits/c.width/128*128)
	}
	if c.chunkRows < 0 || c.chunkRows%128 != 0 || c.chunkRows > maxChunkRows {
		return nil, fmt.Errorf("%w: chunk rows %d is not a positive multiple of 128 up to 2^22", ErrInvalidParams, c.chunkRows)
	}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	return c, nil
}
