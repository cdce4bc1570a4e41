package kkrt

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/internal/ot"
	"github.com/veil-go/veil/internal/parallel"
)

// Sentinel errors. Errors returned by this package wrap one of these, an
// error of internal/ot, a transport error or a context error. A run's
// error is an [errs.StepError] naming the role ("receiver" or "sender"),
// the step and the peer.
var (
	// ErrInvalidParams: unusable configuration or inputs.
	ErrInvalidParams = errs.ErrInvalidParams
	// ErrMalformed: a peer's message could not be decoded.
	ErrMalformed = errs.ErrMalformed
	// ErrProtocol: a peer's message does not fit the protocol (an
	// unexpected size, bin count or value length). It wraps [ErrMalformed].
	ErrProtocol = fmt.Errorf("%w: protocol violation", errs.ErrMalformed)
	// ErrCuckoo: the receiver's set could not be cuckoo-hashed with any of
	// the hash keys tried (probability at most 2^-40 per try, see NumBins).
	ErrCuckoo = errors.New("cuckoo hashing failed")
)

const (
	// CodeWidth is the width in bits of the pseudorandom code, and so the
	// number of base OTs and the width of each OT row. KKRT16's criterion
	// needs about 424 bits at n = 2^12 and 448 at 2^24 for statistical
	// security 40 (see the package doc); 512 has margin up to MaxItems and
	// is four AES blocks, word-aligned.
	CodeWidth = 512
	// StatSecurity is the statistical security parameter lambda: the
	// probability of a false match over the whole run is at most 2^-40.
	StatSecurity = 40
	// NumHashes is the number of cuckoo hash functions.
	NumHashes = 3
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
	// MinChunkItems is the smallest values chunk a receiver accepts (but
	// for the last): the sender can time the receiver's acknowledgement
	// of each chunk, and must not be able to time single items.
	MinChunkItems = 16
	// DefaultWindow is the default number of values chunks a sender keeps
	// unacknowledged ([Config].Window).
	DefaultWindow = 4
	// MaxWindow bounds [Config].Window.
	MaxWindow = 64
)

// Config configures a run. Its zero value is the default; both parties
// must pass the same MinValueBytes.
type Config struct {
	// Workers bounds the goroutines used for hashing, encoding and OT
	// extension; 0 means GOMAXPROCS.
	Workers int
	// ChunkItems is how many sender items travel in one values message (3
	// values each); 0 means 2^14, between [MinChunkItems] and 2^20.
	ChunkItems int
	// Window (sender) is how many values chunks may be unacknowledged by
	// the receiver: the sender waits for an acknowledgement before it
	// sends more, so that the receiver's queue holds at most Window chunks
	// however slowly it reads. 0 means [DefaultWindow], at most
	// [MaxWindow]. Like ChunkItems it is local: the receiver acknowledges
	// every chunk whatever the sender's window.
	Window int
	// MinValueBytes raises the length of the compared OPRF values to at
	// least this many bytes (at most 16). The default length is
	// [ValueBytes].
	MinValueBytes int
	// MaxPeerItems bounds the number of distinct items the peer may
	// announce; 0 means [DefaultMaxPeerItems], at most [MaxItems]. A larger
	// announcement is an [ErrProtocol] before anything is allocated for it:
	// the sender keeps 64 bytes per receiver cuckoo bin (about 81 bytes per
	// receiver item).
	MaxPeerItems int
	// Payloads (sender only) holds one payload of at most [MaxPayload]
	// bytes per item, aligned with its items: the receiver gets the
	// payload of each item in the intersection ([Result.Payloads]) and sees
	// the length of every payload. A duplicated item sends the payload of
	// its first copy. Nil means no payloads.
	Payloads [][]byte
	// OTChunkRows is the number of OT rows per extension message (see
	// [ot.Config]); 0 means about 1 MiB per message.
	OTChunkRows int
}

// withDefaults validates c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	if c.Workers < 0 {
		return c, fmt.Errorf("kkrt: %w: negative worker count %d", ErrInvalidParams, c.Workers)
	}
	c.Workers = parallel.Workers(c.Workers)
	if c.ChunkItems == 0 {
		c.ChunkItems = defaultChunkItems
	}
	if c.ChunkItems < MinChunkItems || c.ChunkItems > 1<<20 {
		return c, fmt.Errorf("kkrt: %w: chunk of %d items outside [%d, %d]", ErrInvalidParams, c.ChunkItems, MinChunkItems, 1<<20)
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.Window < 1 || c.Window > MaxWindow {
		return c, fmt.Errorf("kkrt: %w: window of %d chunks outside [1, %d]", ErrInvalidParams, c.Window, MaxWindow)
	}
	if c.MaxPeerItems == 0 {
		c.MaxPeerItems = DefaultMaxPeerItems
	}
	if c.MaxPeerItems < 0 || c.MaxPeerItems > MaxItems {
		return c, fmt.Errorf("kkrt: %w: peer item limit %d outside [1, %d]", ErrInvalidParams, c.MaxPeerItems, MaxItems)
	}
	if c.MinValueBytes < 0 || c.MinValueBytes > 16 {
		return c, fmt.Errorf("kkrt: %w: value length %d outside [0, 16]", ErrInvalidParams, c.MinValueBytes)
	}
	return c, nil
}

// otConfig is the configuration of the OT extension: always [CodeWidth].
func (c Config) otConfig() ot.Config {
	return ot.Config{Width: CodeWidth, Workers: c.Workers, ChunkRows: c.OTChunkRows}
}

// binFactorMilli[k] is the cuckoo expansion factor, in thousandths, for
// receiver sets of n distinct items with floor(log2 n) = k (integers, so
// that both parties compute the same bins on any platform):
//
//   - k < 9: the per-log2 lines lambda = slope*e + y that cryptoTools'
//     CuckooIndex::selectParams (stash-less, 3 hash functions) fits to the
//     experiments of Pinkas, Schneider, Weinert and Wieder (Eurocrypt
//     2018), solved for lambda = 40 and rounded up;
//   - 9 <= k < 13: cryptoTools' erf-smoothed fit lambda = a(n)*e + b(n) for
//     larger n, maximised over [2^k, 2^(k+1)) and rounded up (about 1.48);
//   - k >= 13: 1.27, PSWW18's recommendation for a failure probability of
//     2^-40 at large n. The smallest obstruction, two items with all six
//     positions in one bin, has probability about 1/(2 e^5 n^3), at most
//     2^-41.7 from n = 2^13; cryptoTools' own fit asks about 1.5 there,
//     which we judge conservative (the review's simulations at n = 4096 saw
//     no failure in 40,000 trials already at 1.13) but did not re-derive.
var binFactorMilli = [...]int{
	6119, 6119, 6119, 4715, 3489, 2562, 1776, 1530, 1395, // 2^0 .. 2^8
	1503, 1483, 1478, 1484, // 2^9 .. 2^12
	1270, 1270, 1270, 1270, 1270, 1270, 1270, 1270, // 2^13 .. 2^20
	1270, 1270, 1270, 1270, 1270, 1270, 1270, 1270, // 2^21 .. 2^28
}

// BinFactor returns the cuckoo expansion factor used for a receiver set of n
// distinct items (before rounding the bins up to a multiple of 128): the
// factor for which stash-less 3-way cuckoo hashing fails with probability
// at most 2^-40 by the fits cited at [NumBins].
func BinFactor(n int) float64 {
	return float64(binFactorMilli[min(bits.Len(uint(max(n, 1)))-1, len(binFactorMilli)-1)]) / 1000
}

// NumBins is the number of cuckoo bins (OT rows) for a receiver set of n
// distinct items: ceil(BinFactor(n)*n) rounded up to a multiple of 128 (OT
// rows come in blocks of 128, so the padding bins are free), at least 128.
// The factor depends on n (a flat 1.27 fails about 2^-14.5 of the time near
// n = 100): 6.1 for the tiniest sets, 1.78 at n = 2^6, 1.40 at 2^8, about
// 1.48 from 2^9 to 2^12, and 1.27 from 2^13 on, so that placement fails
// with probability at most 2^-40 at every n by the sources cited at
// binFactorMilli (not re-derived here; the regression test checks the small
// sizes by simulation with exact matching).
func NumBins(n int) int {
	f := binFactorMilli[min(bits.Len(uint(max(n, 1)))-1, len(binFactorMilli)-1)]
	b := (n*f + 999) / 1000
	return max(128, (b+127)/128*128)
}

// ValueBytes is the length of the truncated OPRF values for sets of nR
// receiver and nS sender items: lambda + log2(3 nS nR + nR^2/2) bits rounded
// up to bytes, so that the probability that any of the 3nS sender values
// equals any of the nR receiver values by chance, or that two of the
// receiver's own values are equal (which would hide one of them), is at most
// 2^-40 in all.
func ValueBytes(nR, nS int) int {
	r, s := uint64(max(nR, 0)), uint64(max(nS, 0))
	b := StatSecurity + bits.Len64(3*s*r+r*r/2)
	return min(16, max(5, (b+7)/8))
}
