package psi

import (
	"fmt"

	"github.com/veil-go/veil/dp"
	"github.com/veil-go/veil/internal/kkrt"
	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/report"
)

// Protocol selects the PSI protocol. Both parties must use the same one.
type Protocol int

const (
	// ECDH is Diffie-Hellman PSI over ristretto255 (the default). It serves
	// every mode.
	ECDH Protocol = iota
	// KKRT is OT-based PSI (Kolesnikov, Kumaresan, Rosulek, Trieu 2016),
	// much cheaper in CPU than ECDH for large sets. It serves Intersection
	// and Join (with or without RevealToBoth); Cardinality and Sum return
	// [ErrUnsupported]. See "Protocols: which to pick" in the package doc.
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
	return 0, fmt.Errorf("psi: %w: unknown protocol %q (want ecdh or kkrt)", ErrInvalidParams, s)
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
	return 0, fmt.Errorf("psi: %w: unknown mode %q (want intersection, cardinality, join or sum)", ErrInvalidParams, s)
}

// Defaults and limits of [Config].
const (
	DefaultBatchSize = 2048
	MaxBatchSize     = 1 << 16
	// MinBatchSize is the smallest BatchSize accepted. A receiver refuses a
	// stream batch of fewer items (but for a stage's last), so that a
	// sender timing its acknowledgements sees groups of at least this many
	// items; the receiver's work per batch does not depend on which items
	// match in any case.
	MinBatchSize  = 16
	DefaultTagLen = 12
	MinTagLen     = 8
	MaxTagLen     = 16
	DefaultWindow = 4
	// MaxValue bounds the magnitude of each value in Sum mode, so that sums
	// of up to 2^22 values fit an int64 with room to spare.
	MaxValue = 1 << 40
	// DefaultMaxSum is the default bound on |sum| in Sum mode.
	DefaultMaxSum = 1 << 40
	// MaxSumLimit is the largest Config.MaxSum accepted: decrypting a sum
	// costs about 7*sqrt(|sum|) group operations and a table of about
	// 2*sqrt(|sum|) entries.
	MaxSumLimit = 1 << 44
	// MaxLatticeSum bounds, with Config.LatticeSum, the sum of the
	// sender's |values| (so every sum, 2^62) and Config.MaxSum.
	MaxLatticeSum = 1 << 62
	// MaxPayload bounds each join payload: 2^16 bytes, with either
	// protocol.
	MaxPayload = kkrt.MaxPayload
	// MaxItems bounds each party's number of items: 2^28. With KKRT a
	// party also refuses a peer that announces more than 2^24 distinct
	// items.
	MaxItems = kkrt.MaxItems
)

// Config configures a run. Both parties must agree on Protocol, Mode,
// RevealToBoth and TagLen, and in Sum mode on MinSumCardinality and the sum
// path (LatticeSum, which a MaxSum above [MaxSumLimit] implies), all
// checked in the first message; the other fields are local. The zero
// value is ECDH intersection to the receiver with the defaults below;
// [RunSender], [RunReceiver] and [RunInProcess] validate it (an error
// wrapping [ErrInvalidParams]).
type Config struct {
	// Protocol is the PSI protocol; default [ECDH].
	Protocol Protocol
	// Mode is what is computed; default [Intersection].
	Mode Mode
	// RevealToBoth also gives the sender the output (the shared items of
	// its own input in Intersection and Join mode, but not the payloads it
	// sent; the cardinality, and the sum, in Cardinality and Sum mode).
	RevealToBoth bool
	// Workers is the number of goroutines for the group operations and
	// duplicate removal; 0 means GOMAXPROCS.
	Workers int
	// BatchSize is the number of items per message (ECDH); default
	// [DefaultBatchSize], between [MinBatchSize] and [MaxBatchSize]. Memory in flight is about
	// Window*BatchSize*(32+TagLen) bytes per party (plus join payloads).
	BatchSize int
	// Window is the number of batches a party sends before it waits for the
	// peer's answer or acknowledgement (ECDH); default [DefaultWindow]. It
	// bounds the memory queued in the transport.
	Window int
	// TagLen is the length in bytes of the truncated hashes compared at the
	// end, between [MinTagLen] and [MaxTagLen]; default [DefaultTagLen] (96 bits:
	// a false match anywhere in 2^20 x 2^20 items has probability below
	// 2^-56). With ECDH it is the exact tag length; with KKRT it is a floor:
	// the compared values are at least kkrt.ValueBytes long, enough for
	// 2^-40 at the actual set sizes. A false tag match in Join is a
	// non-match (its payload does not open), never an error.
	TagLen int
	// MaxSum bounds |sum| in Sum mode: the receiver's decryption searches
	// [-MaxSum, MaxSum] and fails with [ErrOutOfRange] outside it. Default
	// [DefaultMaxSum]; with LatticeSum, where it is only a check, default
	// and limit [MaxLatticeSum]. A MaxSum above [MaxSumLimit] (2^44, the
	// most ElGamal decodes) selects LatticeSum, so a party declaring such a
	// bound needs a peer that declares one too, or sets LatticeSum (the
	// first message checks that both run the same path); up to MaxSumLimit
	// MaxSum is local to the receiver.
	MaxSum int64
	// LatticeSum (Sum mode; both parties must agree, checked in the first
	// message; implied by a MaxSum above [MaxSumLimit]) computes the sum
	// under a fresh lattice key (package he's subset sums) instead of
	// exponential ElGamal: sums up to 2^62 in
	// magnitude, exact, with each |value| and the sum of the sender's
	// |values| at most [MaxLatticeSum]. The receiver learns what it learns
	// without it, the sender too. It sends 24 bytes per slot of chunks of
	// 8192 sender items (ElGamal: 64 per item) plus about 384 KiB once (a
	// public key and a sample), so it costs more bytes below about 2^14
	// items and fewer above, and it drops ElGamal's two fixed-base
	// multiplications and two point decodings per sender item. See the
	// package doc's Security model.
	LatticeSum bool
	// MinSumCardinality (Sum mode; both parties must agree, checked in the
	// first message) is the fewest shared items for which the sum is
	// released. Below it the receiver does not have the sum decrypted:
	// [Result.SumWithheld] is set and [Result.Sum] is 0, and the sender's
	// view is the same as when the sum is released (the receiver sends a
	// random point in place of the summed ciphertext). The receiver still
	// learns the cardinality. 0 (the default) releases any sum, also that of
	// a single shared item, which is that item's value: set it to at least 2
	// (better more) when single values are sensitive.
	MinSumCardinality int
	// SumNoise (Sum mode, sender side), if set, makes the sender add
	// discrete Laplace noise (package dp) to the sum it helps decrypt, so
	// that the released sum is SumNoise.Epsilon-DP for a change of
	// SumNoise.Sensitivity in the values (for example the largest |value|):
	// the receiver (and with RevealToBoth the sender) gets sum + noise, which
	// must still lie within the receiver's MaxSum. The sender draws noise,
	// and spends SumNoise.Epsilon from SumNoise.Budget, once in every run
	// before it answers the sum request (it cannot tell whether the sum is
	// withheld); a spend that does not fit ends the run with
	// [dp.ErrBudgetExceeded] before anything is decrypted.
	SumNoise *dp.DiscreteLaplaceConfig
	// Progress, if set, is called from the calling goroutine with the number
	// of items this party has processed and the total it will process (its
	// own items plus the peer's it evaluates): after each batch with ECDH,
	// once at the end with KKRT, which works on whole sets at once.
	Progress func(done, total int)
}

// withDefaults validates c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	if c.Protocol != ECDH && c.Protocol != KKRT {
		return c, fmt.Errorf("psi: %w: unknown protocol %d", ErrInvalidParams, int(c.Protocol))
	}
	if c.Mode < Intersection || c.Mode > Sum {
		return c, fmt.Errorf("psi: %w: unknown mode %d", ErrInvalidParams, int(c.Mode))
	}
	if c.Workers < 0 || c.BatchSize < 0 || c.Window < 0 || c.TagLen < 0 || c.MaxSum < 0 {
		return c, fmt.Errorf("psi: %w: negative Workers, BatchSize, Window, TagLen or MaxSum", ErrInvalidParams)
	}
	c.Workers = parallel.Workers(c.Workers)
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchSize > MaxBatchSize || c.BatchSize < MinBatchSize {
		return c, fmt.Errorf("psi: %w: BatchSize %d outside [%d, %d]", ErrInvalidParams, c.BatchSize, MinBatchSize, MaxBatchSize)
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.TagLen == 0 {
		c.TagLen = DefaultTagLen
	}
	if c.TagLen < MinTagLen || c.TagLen > MaxTagLen {
		return c, fmt.Errorf("psi: %w: TagLen %d outside [%d, %d]", ErrInvalidParams, c.TagLen, MinTagLen, MaxTagLen)
	}
	if c.LatticeSum && c.Mode != Sum {
		return c, fmt.Errorf("psi: %w: LatticeSum is for Sum mode", ErrInvalidParams)
	}
	if c.Mode == Sum && c.MaxSum > MaxSumLimit {
		// A declared bound that exponential ElGamal cannot decode selects
		// the lattice path; the choice depends on the Config only, never on
		// the values (see "Sum: which path" in the package doc).
		c.LatticeSum = true
	}
	if c.MaxSum == 0 {
		c.MaxSum = DefaultMaxSum
		if c.LatticeSum {
			c.MaxSum = MaxLatticeSum
		}
	}
	if c.MinSumCardinality < 0 || c.MinSumCardinality > MaxItems {
		return c, fmt.Errorf("psi: %w: MinSumCardinality %d outside [0, %d]", ErrInvalidParams, c.MinSumCardinality, MaxItems)
	}
	if (c.MinSumCardinality != 0 || c.SumNoise != nil) && c.Mode != Sum {
		return c, fmt.Errorf("psi: %w: MinSumCardinality and SumNoise are for Sum mode", ErrInvalidParams)
	}
	if c.SumNoise != nil {
		if _, err := dp.NewDiscreteLaplace(*c.SumNoise); err != nil {
			return c, fmt.Errorf("psi: %w: SumNoise: %w", ErrInvalidParams, err)
		}
	}
	if limit := int64(MaxSumLimit); c.MaxSum > limit && !c.LatticeSum {
		return c, fmt.Errorf("psi: %w: MaxSum %d above %d, in %s mode (MaxSum is for Sum mode)", ErrInvalidParams, c.MaxSum, limit, c.Mode)
	}
	if c.MaxSum > MaxLatticeSum {
		return c, fmt.Errorf("psi: %w: MaxSum %d above %d", ErrInvalidParams, c.MaxSum, int64(MaxLatticeSum))
	}
	return c, nil
}

// Set is one party's input, the same type for both roles: its items and,
// for the sender depending on the mode, one payload (Join) or one value
// (Sum) per item. The mode decides which fields are used: Items always;
// Payloads only by the sender in Join mode and Values only by the sender in
// Sum mode, where each is required (one per item). A field the run does not
// use must be nil (a receiver's Payloads or Values, a sender's Values in
// Join mode, ...): the runners refuse it with an error wrapping
// [ErrInvalidParams] before anything is sent, rather than ignore data the
// caller meant to use.
type Set struct {
	// Items are the party's items (byte strings compared exactly; see the
	// Normalize helpers and [Items]).
	Items [][]byte
	// Payloads, for the sender in Join mode, holds one payload of at most
	// MaxPayload bytes per item (nil for an empty payload). Must be nil
	// otherwise.
	Payloads [][]byte
	// Values, for the sender in Sum mode, holds one integer per item, in
	// [-MaxValue, MaxValue] (with LatticeSum: |values| adding up to at most
	// MaxLatticeSum). Must be nil otherwise.
	Values []int64
}

// Result is what one party learns from a run.
type Result struct {
	// Protocol and Mode echo the [Config] of the run.
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
	// Sum (Sum mode) is the sum of the sender's values over the shared items
	// (plus the sender's noise if it set Config.SumNoise); 0 when withheld.
	Sum int64
	// SumWithheld (Sum mode) says the cardinality was below
	// Config.MinSumCardinality, so the sum was not decrypted.
	SumWithheld bool
	// Stats is this party's cost of the run: its traffic on the connection
	// and the run's duration.
	Stats report.Stats
	// Leakage states what each party learned in this run, from the actual
	// sizes (see the package doc's Security model). A disclosure this party
	// cannot count (the receiver's matches, for a sender without
	// RevealToBoth) has Count 0.
	Leakage report.Leakage
}
