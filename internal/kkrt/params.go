package kkrt

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"runtime"
	"sync"

	"github.com/veil-go/veil/internal/ot"
)

// Sentinel errors. Errors returned by this package wrap one of these, an
// error of internal/ot, a transport error or a context error.
var (
	// ErrInvalidParams: unusable options or inputs.
	ErrInvalidParams = errors.New("kkrt: invalid parameters")
	// ErrMalformed: a peer's message could not be decoded.
	ErrMalformed = errors.New("kkrt: malformed message")
	// ErrProtocol: a peer's message does not fit the protocol (an
	// unexpected size, bin count or value length).
	ErrProtocol = errors.New("kkrt: protocol violation")
	// ErrCuckoo: the receiver's set could not be cuckoo-hashed with any of
	// the hash keys tried (probability about 2^-40 per try for large sets).
	ErrCuckoo = errors.New("kkrt: cuckoo hashing failed")
)

const (
	// CodeWidth is the width in bits of the pseudorandom code, and so the
	// number of base OTs and the width of each OT row. KKRT16 (Table 2)
	// shows 424 bits suffice for sets up to 2^24 at statistical security
	// 40; we use 512 conservatively (four AES blocks, word-aligned), which
	// costs 1.27*88 = 112 more bits per item.
	CodeWidth = 512
	// StatSecurity is the statistical security parameter lambda: the
	// probability of a false match over the whole run is at most 2^-40.
	StatSecurity = 40
	// NumHashes is the number of cuckoo hash functions.
	NumHashes = 3
	// BinFactor is the number of cuckoo bins per receiver item (stash-less
	// cuckoo hashing with 3 hash functions, Pinkas, Schneider, Weinert,
	// Wieder, Eurocrypt 2018).
	BinFactor = 1.27
	// MaxItems bounds each party's set (and what a peer may announce).
	MaxItems = 1 << 28
	// cuckooTries is how many hash keys the receiver tries before giving up.
	cuckooTries = 4
	// cuckooMaxKicks bounds the random walk of one insertion.
	cuckooMaxKicks = 2000
	// DefaultMaxPeerItems is the default bound on the peer's announced set
	// size: 2^24 items, about 1.4 GB of OT rows on the sender.
	DefaultMaxPeerItems = 1 << 24
	// defaultChunkItems is the number of sender items per values message.
	defaultChunkItems = 1 << 14
)

// Option configures a run.
type Option func(*config)

type config struct {
	workers       int
	chunkItems    int
	minValueBytes int
	maxPeerItems  int
	payloads      [][]byte
	rand          io.Reader
	otOpts        []ot.Option
}

// WithWorkers bounds the goroutines used for hashing, encoding and OT
// extension; 0 (the default) means runtime.GOMAXPROCS(0).
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

// WithChunkItems sets how many sender items travel in one values message
// (3 values each); the default is 2^14.
func WithChunkItems(n int) Option { return func(c *config) { c.chunkItems = n } }

// WithMinValueBytes raises the length of the compared OPRF values to at
// least n bytes (at most 16); both parties must pass the same n. The
// default length is [ValueBytes].
func WithMinValueBytes(n int) Option { return func(c *config) { c.minValueBytes = n } }

// WithMaxPeerItems bounds the number of distinct items the peer may
// announce (default [DefaultMaxPeerItems]); a larger announcement is an
// ErrProtocol before anything is allocated for it. The sender keeps 64
// bytes per receiver cuckoo bin (about 81 bytes per receiver item).
func WithMaxPeerItems(n int) Option { return func(c *config) { c.maxPeerItems = n } }

// WithPayloads gives the sender one payload (at most [MaxPayload] bytes)
// per item, aligned with its items: the receiver gets the payload of each
// item in the intersection ([Result.Payloads]) and sees the length of every
// payload. A duplicated item sends the payload of its first copy. Sender
// only.
func WithPayloads(payloads [][]byte) Option { return func(c *config) { c.payloads = payloads } }

// WithOTOptions passes options to the OT extension (for example
// ot.WithChunkRows). The width is always [CodeWidth].
func WithOTOptions(opts ...ot.Option) Option {
	return func(c *config) { c.otOpts = append(c.otOpts, opts...) }
}

// WithRandomness replaces crypto/rand as the source of this party's
// randomness (keys, shuffles, OT secrets). For deterministic tests only.
func WithRandomness(r io.Reader) Option { return func(c *config) { c.rand = r } }

func newConfig(opts []Option) (*config, error) {
	c := &config{chunkItems: defaultChunkItems, maxPeerItems: DefaultMaxPeerItems}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.workers < 0 {
		return nil, fmt.Errorf("%w: negative worker count %d", ErrInvalidParams, c.workers)
	}
	if c.workers == 0 {
		c.workers = runtime.GOMAXPROCS(0)
	}
	if c.chunkItems <= 0 || c.chunkItems > 1<<20 {
		return nil, fmt.Errorf("%w: chunk of %d items", ErrInvalidParams, c.chunkItems)
	}
	if c.maxPeerItems <= 0 || c.maxPeerItems > MaxItems {
		return nil, fmt.Errorf("%w: peer item limit %d outside [1, %d]", ErrInvalidParams, c.maxPeerItems, MaxItems)
	}
	if c.minValueBytes < 0 || c.minValueBytes > 16 {
		return nil, fmt.Errorf("%w: value length %d outside [0, 16]", ErrInvalidParams, c.minValueBytes)
	}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	oo := append([]ot.Option{ot.WithWorkers(c.workers), ot.WithRandomness(c.rand)}, c.otOpts...)
	c.otOpts = append(oo, ot.WithWidth(CodeWidth))
	return c, nil
}

// NumBins is the number of cuckoo bins (OT rows) for a receiver set of n
// distinct items: ceil(1.27n) rounded up to a multiple of 128 (OT rows come
// in blocks of 128, so the padding bins are free), at least 128.
func NumBins(n int) int {
	b := (n*127 + 99) / 100
	return max(128, (b+127)/128*128)
}

// ValueBytes is the length of the truncated OPRF values for sets of nR
// receiver and nS sender items: lambda + log2(nR) + log2(3 nS) bits rounded
// up to bytes, so that the probability that any of the 3nS sender values
// equals any of the nR receiver values by chance is at most 2^-40.
func ValueBytes(nR, nS int) int {
	b := StatSecurity + bits.Len(uint(nR)) + bits.Len(uint(3*nS))
	return min(16, max(5, (b+7)/8))
}

// parallelFor runs f on contiguous ranges of [0, n) on at most workers
// goroutines and returns when all are done.
func parallelFor(n, workers int, f func(lo, hi int)) {
	workers = min(workers, n)
	if workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() { f(lo, hi) })
	}
	wg.Wait()
}
