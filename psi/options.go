package psi

import (
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/veil-go/veil/transport"
)

// Sentinel errors. Errors returned by this package wrap one of these, a
// transport error or a context error; test with errors.Is.
var (
	// ErrInvalidParams: unusable options or inputs (a negative batch size,
	// payloads that do not match the items, a value out of range, ...).
	ErrInvalidParams = errors.New("psi: invalid parameters")
	// ErrMalformed: a peer's message could not be decoded, has the wrong
	// size or kind for this step, or holds an invalid group element.
	ErrMalformed = errors.New("psi: malformed peer message")
	// ErrMismatch: the two parties were run with different protocol, mode,
	// reveal or tag-length options, or different protocol versions.
	ErrMismatch = errors.New("psi: parties disagree on the options")
	// ErrUnsupported: the protocol is not available (yet) in this build.
	ErrUnsupported = errors.New("psi: protocol not supported")
	// ErrDuplicate: the sender gave one item twice with different join
	// payloads, so the receiver could not be told which one belongs to it.
	ErrDuplicate = errors.New("psi: duplicate item with conflicting payloads")
	// ErrInvalidItem: a normalisation helper was given an ID it cannot
	// normalise (an email without '@', a phone number without digits, ...).
	ErrInvalidItem = errors.New("psi: invalid item")
	// ErrSumOutOfRange: the sum over the intersection is larger in magnitude
	// than Options.MaxSum, so the receiver could not decrypt it.
	ErrSumOutOfRange = errors.New("psi: sum out of range")
)

// Protocol selects the PSI protocol. Both parties must use the same one.
type Protocol int

const (
	// ECDH is Diffie-Hellman PSI over ristretto255 (the default): ~one
	// hash-to-group and two scalar multiplications per item per party.
	ECDH Protocol = iota
	// KKRT is OT-based PSI (Kolesnikov, Kumaresan, Rosulek, Trieu 2016).
	// It serves Intersection and Join (with or without RevealToBoth;
	// Cardinality and Sum return ErrUnsupported). When to pick which: KKRT
	// for intersections and joins of large sets, where CPU dominates
	// (measured here at 2^18 x 2^18: 0.61 s and 1.1 CPU-s against 26 s and
	// 51 CPU-s for ECDH, at ~59 bytes per item per side against ~38; 2^20 x
	// 2^20 in about 2.2 s); ECDH for Cardinality and Sum, for small sets, or
	// when bytes on the wire cost more than CPU. See "Protocols: which to
	// pick" in the package doc, and kkrt.go.
	KKRT
)

func (p Protocol) String() string {
	switch p {
	case ECDH:
		return "ecdh"
	case KKRT:
		return "kkrt"
	}
	return fmt.Sprintf("Protocol(%d)", int(p))
}

// ParseProtocol maps "ecdh" and "kkrt" to their Protocol.
func ParseProtocol(s string) (Protocol, error) {
	for _, p := range []Protocol{ECDH, KKRT} {
		if s == p.String() {
			return p, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown protocol %q (want ecdh or kkrt)", ErrInvalidParams, s)
}

// Mode selects what the receiver (and, with RevealToBoth, the sender) learns.
type Mode int

const (
	// Intersection: the receiver learns which of its items the sender also
	// holds.
	Intersection Mode = iota
	// Cardinality: the receiver learns only how many distinct items the two
	// sets share.
	Cardinality
	// Join: as Intersection, and the receiver also gets the sender's payload
	// for each shared item.
	Join
	// Sum: the receiver learns the cardinality and the sum of the sender's
	// integer values over the shared items, nothing per item.
	Sum
)

func (m Mode) String() string {
	switch m {
	case Intersection:
		return "intersection"
	case Cardinality:
		return "cardinality"
	case Join:
		return "join"
	case Sum:
		return "sum"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode maps "intersection", "cardinality", "join" and "sum" to their
// Mode.
func ParseMode(s string) (Mode, error) {
	for _, m := range []Mode{Intersection, Cardinality, Join, Sum} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown mode %q (want intersection, cardinality, join or sum)", ErrInvalidParams, s)
}

// Defaults and limits of Options.
const (
	DefaultBatchSize = 2048
	MaxBatchSize     = 1 << 16
	DefaultTagLen    = 12
	MinTagLen        = 8
	MaxTagLen        = 16
	DefaultWindow    = 4
	// MaxValue bounds the magnitude of each value in Sum mode, so that sums
	// of up to 2^22 values fit an int64 with room to spare.
	MaxValue = 1 << 40
	// DefaultMaxSum is the default bound on |sum| in Sum mode.
	DefaultMaxSum = 1 << 40
	// MaxMaxSum is the largest Options.MaxSum accepted: decrypting a sum
	// costs about 7*sqrt(|sum|) group operations (about 2 us each here: 14 s
	// for |sum| near 2^40, under 0.1 s below 2^24) and a table of about
	// 2*sqrt(|sum|) entries.
	MaxMaxSum = 1 << 44
	// MaxPayload bounds each join payload.
	MaxPayload = 1 << 16
	// MaxItems bounds each party's number of distinct items.
	MaxItems = 1 << 31
)

// Options configure a run. Both parties must agree on Protocol, Mode,
// RevealToBoth and TagLen (checked in the first message); the other fields
// are local. The zero value is ECDH intersection to the receiver with the
// defaults below.
type Options struct {
	// Protocol is the PSI protocol; default ECDH.
	Protocol Protocol
	// Mode is what is computed; default Intersection.
	Mode Mode
	// RevealToBoth also gives the sender the output (the shared items of
	// its own input in Intersection and Join mode, but not the payloads it
	// sent; the cardinality, and the sum, in Cardinality and Sum mode).
	RevealToBoth bool
	// Workers is the number of goroutines for the group operations; default
	// runtime.GOMAXPROCS(0).
	Workers int
	// BatchSize is the number of items per message; default
	// DefaultBatchSize, at most MaxBatchSize. Memory in flight is about
	// Window*BatchSize*(32+TagLen) bytes per party (plus join payloads).
	BatchSize int
	// Window is the number of batches a party sends before it waits for the
	// peer's answer or acknowledgement; default DefaultWindow. It bounds the
	// memory queued in the transport.
	Window int
	// TagLen is the length in bytes of the truncated hashes compared at the
	// end, between MinTagLen and MaxTagLen; default DefaultTagLen (96 bits:
	// a false match anywhere in 2^20 x 2^20 items has probability below
	// 2^-56).
	TagLen int
	// MaxSum bounds |sum| in Sum mode, receiver side: decryption searches
	// [-MaxSum, MaxSum] and fails with ErrSumOutOfRange outside it. Default
	// DefaultMaxSum, at most MaxMaxSum.
	MaxSum int64
	// Progress, if set, is called from the calling goroutine with the number
	// of items this party has processed and the total it will process (its
	// own items plus the peer's it evaluates): after each batch with ECDH,
	// once at the end with KKRT, which works on whole sets at once.
	Progress func(done, total int)
	// TestRand replaces crypto/rand as the source of keys, blinds and
	// shuffles. For tests only: a predictable source breaks all security.
	TestRand io.Reader
}

// withDefaults validates o and fills in the defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Protocol != ECDH && o.Protocol != KKRT {
		return o, fmt.Errorf("%w: unknown protocol %d", ErrInvalidParams, int(o.Protocol))
	}
	if o.Mode < Intersection || o.Mode > Sum {
		return o, fmt.Errorf("%w: unknown mode %d", ErrInvalidParams, int(o.Mode))
	}
	if o.Workers < 0 || o.BatchSize < 0 || o.Window < 0 || o.TagLen < 0 || o.MaxSum < 0 {
		return o, fmt.Errorf("%w: negative Workers, BatchSize, Window, TagLen or MaxSum", ErrInvalidParams)
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.BatchSize > MaxBatchSize {
		return o, fmt.Errorf("%w: BatchSize %d above %d", ErrInvalidParams, o.BatchSize, MaxBatchSize)
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.TagLen == 0 {
		o.TagLen = DefaultTagLen
	}
	if o.TagLen < MinTagLen || o.TagLen > MaxTagLen {
		return o, fmt.Errorf("%w: TagLen %d outside [%d, %d]", ErrInvalidParams, o.TagLen, MinTagLen, MaxTagLen)
	}
	if o.MaxSum == 0 {
		o.MaxSum = DefaultMaxSum
	}
	if o.MaxSum > MaxMaxSum {
		return o, fmt.Errorf("%w: MaxSum %d above %d", ErrInvalidParams, o.MaxSum, int64(MaxMaxSum))
	}
	return o, nil
}

// SenderSet is the sender's input: its items and, depending on the mode,
// one payload (Join) or one value (Sum) per item.
type SenderSet struct {
	// Items are the sender's items (byte strings compared exactly; see the
	// Normalize helpers).
	Items [][]byte
	// Payloads, in Join mode, holds one payload of at most MaxPayload bytes
	// per item (nil for an empty payload). Must be nil in other modes.
	Payloads [][]byte
	// Values, in Sum mode, holds one integer in [-MaxValue, MaxValue] per
	// item. Must be nil in other modes.
	Values []int64
}

// Result is what one party learns from a run.
type Result struct {
	// Protocol and Mode echo the options of the run.
	Protocol Protocol
	Mode     Mode
	// Learned says whether this party learned an output: always for the
	// receiver, for the sender only with RevealToBoth. When false the
	// fields below are zero.
	Learned bool
	// Cardinality is the number of distinct items the two sets share.
	Cardinality int
	// Indices (Intersection and Join mode) are the positions in this
	// party's input of the shared items, ascending; every copy of a
	// duplicated item is listed.
	Indices []int
	// Payloads (Join mode, receiver) holds the sender's payload for the item
	// at Indices[k] in Payloads[k].
	Payloads [][]byte
	// Sum (Sum mode) is the sum of the sender's values over the shared items.
	Sum int64
	// Stats is the traffic of this run on the connection.
	Stats transport.Stats
}
