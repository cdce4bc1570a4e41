package mpc

import (
	"context"
	"fmt"
	"sync"

	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/internal/prg"
)

// Triples are one party's shares of multiplication triples c = a*b:
// additive shares over Z_2^64 (from [Dealer.Triples]) or XOR shares of
// 64-bit words with c = a AND b (from [Dealer.ANDTriples]).
type Triples struct{ A, B, C []uint64 }

// DivPairs are one party's additive shares of a random r (uniform in
// Z_2^64), of Q = floor(r/d) and of M = the top bit of r (0 or 1), used to
// divide a shared value by a public d with one opening.
type DivPairs struct{ R, Q, M []uint64 }

// EdaBits are one party's shares of a random r in Z_2^64 twice: additive
// shares (Arith) and XOR shares of its 64 bits (Bool).
type EdaBits struct{ Arith, Bool []uint64 }

// DaBits are one party's shares of random bits b: XOR shares in bit 0 of
// Bool (the other bits are zero) and additive shares over Z_2^64 in Arith.
type DaBits struct{ Arith, Bool []uint64 }

// Dealer hands one party its shares of correlated randomness. All parties
// of a computation must make the same sequence of requests (the same
// program does); each call returns fresh randomness that is never reused.
// Implementations must be safe for use by their one party only.
//
// Dealer is frozen: its five methods will not change. A kind of correlated
// randomness added later (matrix triples, say) comes as its own small
// interface, which a [Party] finds on its dealer by type assertion and
// whose absence is an [ErrUnsupported] error from the operation that needs
// it, so an implementation outside this package keeps compiling and
// working for everything it already served. Today's implementations are
// [TrustedDealer]'s views, [NewRemoteDealer] and the dealer-free
// [OTDealer].
type Dealer interface {
	// Triples returns n Beaver triples c = a*b over Z_2^64.
	Triples(ctx context.Context, n int) (Triples, error)
	// ANDTriples returns n triples of 64-bit words c = a AND b, XOR-shared.
	ANDTriples(ctx context.Context, n int) (Triples, error)
	// DivPairs returns n tuples (r, floor(r/d), msb(r)) for a public d >= 1.
	DivPairs(ctx context.Context, n int, d uint64) (DivPairs, error)
	// EdaBits returns n random ring elements shared both ways.
	EdaBits(ctx context.Context, n int) (EdaBits, error)
	// DaBits returns n random bits shared both ways.
	DaBits(ctx context.Context, n int) (DaBits, error)
}

// TrustedDealer generates correlated randomness for N parties in process.
//
// SECURITY: the trusted dealer knows every party's shares of every triple,
// pair and bit it makes, so it can unmask every value the parties open. It
// must not collude with any party, nor leak its seeds; the parties' privacy
// rests entirely on that. Use it for tests, demos, and deployments where a
// separate party everybody trusts plays the dealer; [OTDealer] makes the
// same correlations with no third party.
//
// Each party i < N-1 derives all its shares from its own seed, with no
// contact with the dealer after the seed is given; only the last party's
// shares depend on the others' (the dealer computes that "correction"
// share), so in a networked deployment the dealer sends party N-1 its
// corrections per request and the others nothing but a 32-byte seed.
//
// Every correlation is drawn from streams of its own: the words of the
// k-th request (kind, length n, divisor d) of party p come from
// AES-CTR streams keyed by HMAC-SHA256(seed_p, label, kind, n, d, k,
// component, chunk). The dealer computes the last party's corrections for
// its k-th request from the other parties' streams for that same request,
// answers each position k once, and works chunk by chunk: see the
// package doc's security model for what this guarantees when the last
// party asks for something the program does not need.
type TrustedDealer struct {
	n        int
	workers  int
	maxElems int64
	seeds    []prg.Seed
	mu       sync.Mutex
	issued   []bool
	pos      uint64 // the last party's next request position
	served   int64  // elements answered this session
}

// DealerConfig configures a [TrustedDealer]. The zero value means the
// defaults.
type DealerConfig struct {
	// Workers bounds the goroutines the dealer uses to compute the last
	// party's shares; 0 means GOMAXPROCS.
	Workers int
	// MaxElements caps the work of one session: the total number of
	// elements (triples, pairs, bits) the dealer computes corrections for,
	// over all requests; 0 means [DefaultDealerMaxElements]. A request
	// beyond it fails with [ErrInvalidParams] (over the network, the
	// dealer closes the links).
	MaxElements int64
}

// DefaultDealerMaxElements is the per-session work cap of a dealer when
// [DealerConfig.MaxElements] is 0: 2^34 elements (16 Gi triples, pairs
// or bits over a session).
const DefaultDealerMaxElements = 1 << 34

// NewTrustedDealer returns a dealer for n parties (n >= 2). Every party's
// streams are keyed from its own fresh seed from crypto/rand.
func NewTrustedDealer(n int, cfg DealerConfig) (*TrustedDealer, error) {
	if n < 2 {
		return nil, fmt.Errorf("mpc: %w: a dealer needs at least 2 parties, got %d", ErrInvalidParams, n)
	}
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("mpc: %w: dealer Workers %d is negative", ErrInvalidParams, cfg.Workers)
	}
	if cfg.MaxElements < 0 {
		return nil, fmt.Errorf("mpc: %w: dealer MaxElements %d is negative", ErrInvalidParams, cfg.MaxElements)
	}
	maxElems := cfg.MaxElements
	if maxElems == 0 {
		maxElems = DefaultDealerMaxElements
	}
	d := &TrustedDealer{n: n, workers: parallel.Workers(cfg.Workers), maxElems: maxElems,
		seeds: make([]prg.Seed, n), issued: make([]bool, n)}
	for i := range d.seeds {
		var err error
		if d.seeds[i], err = prg.NewSeed(); err != nil {
			return nil, fmt.Errorf("mpc: dealer: %w", err)
		}
	}
	return d, nil
}

// Party returns party i's view of the dealer. Each view may be issued once:
// a second view of the same party would repeat its randomness.
func (d *TrustedDealer) Party(i int) (Dealer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i < 0 || i >= d.n {
		return nil, fmt.Errorf("mpc: %w: party %d of %d", ErrInvalidParams, i, d.n)
	}
	if d.issued[i] {
		return nil, fmt.Errorf("mpc: %w: dealer view of party %d already issued", ErrInvalidParams, i)
	}
	d.issued[i] = true
	if i == d.n-1 {
		return &lastDealer{d: d}, nil
	}
	return &seededDealer{seed: d.seeds[i]}, nil
}

// maxDealerRequest bounds one request so a wrong length fails cleanly.
const maxDealerRequest = 1 << 28

func checkRequest(ctx context.Context, n int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if n < 0 || n > maxDealerRequest {
		return fmt.Errorf("mpc: %w: dealer request for %d elements, limit %d", ErrInvalidParams, n, maxDealerRequest)
	}
	return nil
}

// seededDealer is the view of a party i < N-1: everything from its seed.
type seededDealer struct {
	seed prg.Seed
	pos  uint64
}

// draw returns the components of the party's shares for its next request.
func (s *seededDealer) draw(ctx context.Context, op uint64, n int, div uint64) ([][]uint64, error) {
	if err := checkRequest(ctx, n); err != nil {
		return nil, err
	}
	if op == reqDivPairs && div == 0 {
		return nil, fmt.Errorf("mpc: %w: division by zero", ErrInvalidParams)
	}
	q := request{op: op, n: n, div: div, pos: s.pos}
	s.pos++
	out := make([][]uint64, q.comps())
	for c := range out {
		out[c] = make([]uint64, n)
		q.fill(&s.seed, c, out[c])
	}
	return out, nil
}

func (s *seededDealer) Triples(ctx context.Context, n int) (Triples, error) {
	t, err := s.draw(ctx, reqTriples, n, 0)
	if err != nil {
		return Triples{}, err
	}
	return Triples{A: t[0], B: t[1], C: t[2]}, nil
}

func (s *seededDealer) ANDTriples(ctx context.Context, n int) (Triples, error) {
	t, err := s.draw(ctx, reqANDTriples, n, 0)
	if err != nil {
		return Triples{}, err
	}
	return Triples{A: t[0], B: t[1], C: t[2]}, nil
}

func (s *seededDealer) DivPairs(ctx context.Context, n int, d uint64) (DivPairs, error) {
	t, err := s.draw(ctx, reqDivPairs, n, d)
	if err != nil {
		return DivPairs{}, err
	}
	return DivPairs{R: t[0], Q: t[1], M: t[2]}, nil
}

func (s *seededDealer) EdaBits(ctx context.Context, n int) (EdaBits, error) {
	t, err := s.draw(ctx, reqEdaBits, n, 0)
	if err != nil {
		return EdaBits{}, err
	}
	return EdaBits{Arith: t[0], Bool: t[1]}, nil
}

func (s *seededDealer) DaBits(ctx context.Context, n int) (DaBits, error) {
	t, err := s.draw(ctx, reqDaBits, n, 0)
	if err != nil {
		return DaBits{}, err
	}
	return DaBits{Bool: t[0], Arith: t[1]}, nil
}

// lastDealer is party N-1's view: the dealer replays the other parties'
// streams for the same request and returns the correcting shares.
type lastDealer struct{ d *TrustedDealer }

// begin checks and admits the last party's next request, under d.mu, and
// returns it with its position.
func (d *TrustedDealer) begin(ctx context.Context, op uint64, n int, div uint64) (request, error) {
	if err := checkRequest(ctx, n); err != nil {
		return request{}, err
	}
	if op == reqDivPairs && div == 0 {
		return request{}, fmt.Errorf("mpc: %w: division by zero", ErrInvalidParams)
	}
	if int64(n) > d.maxElems-d.served {
		return request{}, fmt.Errorf("mpc: %w: dealer request for %d elements exceeds the session's work cap (%d of %d elements used)", ErrInvalidParams, n, d.served, d.maxElems)
	}
	d.served += int64(n)
	q := request{op: op, n: n, div: div, pos: d.pos}
	d.pos++
	return q, nil
}

// get computes the last party's whole tuple for its next request.
func (l *lastDealer) get(ctx context.Context, op uint64, n int, div uint64) ([][]uint64, error) {
	d := l.d
	d.mu.Lock()
	defer d.mu.Unlock()
	q, err := d.begin(ctx, op, n, div)
	if err != nil {
		return nil, err
	}
	out := make([][]uint64, q.comps())
	for c := range out {
		out[c] = make([]uint64, n)
	}
	d.lastTuples(q, 0, q.chunks(), out)
	return out, nil
}

func (l *lastDealer) Triples(ctx context.Context, n int) (Triples, error) {
	t, err := l.get(ctx, reqTriples, n, 0)
	if err != nil {
		return Triples{}, err
	}
	return Triples{A: t[0], B: t[1], C: t[2]}, nil
}

func (l *lastDealer) ANDTriples(ctx context.Context, n int) (Triples, error) {
	t, err := l.get(ctx, reqANDTriples, n, 0)
	if err != nil {
		return Triples{}, err
	}
	return Triples{A: t[0], B: t[1], C: t[2]}, nil
}

func (l *lastDealer) DivPairs(ctx context.Context, n int, div uint64) (DivPairs, error) {
	t, err := l.get(ctx, reqDivPairs, n, div)
	if err != nil {
		return DivPairs{}, err
	}
	return DivPairs{R: t[0], Q: t[1], M: t[2]}, nil
}

func (l *lastDealer) EdaBits(ctx context.Context, n int) (EdaBits, error) {
	t, err := l.get(ctx, reqEdaBits, n, 0)
	if err != nil {
		return EdaBits{}, err
	}
	return EdaBits{Arith: t[0], Bool: t[1]}, nil
}

func (l *lastDealer) DaBits(ctx context.Context, n int) (DaBits, error) {
	t, err := l.get(ctx, reqDaBits, n, 0)
	if err != nil {
		return DaBits{}, err
	}
	return DaBits{Bool: t[0], Arith: t[1]}, nil
}
