package mpc

import (
	"context"
	"fmt"
	"math/bits"
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
// Dealer will grow: protocols that need a new kind of correlated randomness
// (matrix triples, truncation pairs of other shapes) add methods to it, so
// an implementation outside this package should embed one of this
// package's dealers or expect to add methods when it upgrades. Today's
// implementations are [TrustedDealer]'s views and [NewRemoteDealer].
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
// separate party everybody trusts plays the dealer. Dealer-free generation
// (OT or HE based) is future work behind the same [Dealer] interface.
//
// Each party i < N-1 derives all its shares from its own seed, with no
// contact with the dealer after the seed is given; only the last party's
// shares depend on the others' (the dealer computes that "correction"
// share), so in a networked deployment the dealer would send party N-1
// one vector per request and the others nothing but a 32-byte seed.
type TrustedDealer struct {
	n       int
	workers int
	seeds   []prg.Seed
	mu      sync.Mutex
	gens    []*prg.PRG // the dealer's copies of every party's stream
	issued  []bool
}

// DealerConfig configures a [TrustedDealer]. The zero value means the
// defaults.
type DealerConfig struct {
	// Workers bounds the goroutines the dealer uses to compute the last
	// party's shares; 0 means GOMAXPROCS.
	Workers int
}

// NewTrustedDealer returns a dealer for n parties (n >= 2). Every party's
// stream is keyed from its own fresh seed from crypto/rand.
func NewTrustedDealer(n int, cfg DealerConfig) (*TrustedDealer, error) {
	if n < 2 {
		return nil, fmt.Errorf("mpc: %w: a dealer needs at least 2 parties, got %d", ErrInvalidParams, n)
	}
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("mpc: %w: dealer Workers %d is negative", ErrInvalidParams, cfg.Workers)
	}
	d := &TrustedDealer{n: n, workers: parallel.Workers(cfg.Workers), seeds: make([]prg.Seed, n), gens: make([]*prg.PRG, n), issued: make([]bool, n)}
	for i := range d.seeds {
		var err error
		if d.seeds[i], err = prg.NewSeed(); err != nil {
			return nil, fmt.Errorf("mpc: dealer: %w", err)
		}
		if d.gens[i], err = prg.New(d.seeds[i]); err != nil {
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
	g, err := prg.New(d.seeds[i])
	if err != nil {
		return nil, fmt.Errorf("mpc: dealer: %w", err)
	}
	return &seededDealer{g: g}, nil
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

// The canonical order in which a party's stream is consumed; the last
// party's view replays it for every party to compute the correction.

func genTriples(g *prg.PRG, n int, last bool) Triples {
	t := Triples{A: g.Uint64s(n), B: g.Uint64s(n)}
	if !last {
		t.C = g.Uint64s(n)
	}
	return t
}

func genDiv(g *prg.PRG, n int, last bool) DivPairs {
	p := DivPairs{R: g.Uint64s(n)}
	if !last {
		p.Q, p.M = g.Uint64s(n), g.Uint64s(n)
	}
	return p
}

func genEda(g *prg.PRG, n int, last bool) EdaBits {
	e := EdaBits{Arith: g.Uint64s(n)}
	if !last {
		e.Bool = g.Uint64s(n)
	}
	return e
}

func genDa(g *prg.PRG, n int, last bool) DaBits {
	b := DaBits{Bool: g.Uint64s(n)}
	for i := range b.Bool {
		b.Bool[i] &= 1
	}
	if !last {
		b.Arith = g.Uint64s(n)
	}
	return b
}

// seededDealer is the view of a party i < N-1: everything from its seed.
type seededDealer struct{ g *prg.PRG }

func (s *seededDealer) Triples(ctx context.Context, n int) (Triples, error) {
	if err := checkRequest(ctx, n); err != nil {
		return Triples{}, err
	}
	return genTriples(s.g, n, false), nil
}

func (s *seededDealer) ANDTriples(ctx context.Context, n int) (Triples, error) {
	return s.Triples(ctx, n)
}

func (s *seededDealer) DivPairs(ctx context.Context, n int, d uint64) (DivPairs, error) {
	if err := checkRequest(ctx, n); err != nil {
		return DivPairs{}, err
	}
	if d == 0 {
		return DivPairs{}, fmt.Errorf("mpc: %w: division by zero", ErrInvalidParams)
	}
	return genDiv(s.g, n, false), nil
}

func (s *seededDealer) EdaBits(ctx context.Context, n int) (EdaBits, error) {
	if err := checkRequest(ctx, n); err != nil {
		return EdaBits{}, err
	}
	return genEda(s.g, n, false), nil
}

func (s *seededDealer) DaBits(ctx context.Context, n int) (DaBits, error) {
	if err := checkRequest(ctx, n); err != nil {
		return DaBits{}, err
	}
	return genDa(s.g, n, false), nil
}

// lastDealer is party N-1's view: the dealer replays the other parties'
// streams and returns the correcting shares.
type lastDealer struct{ d *TrustedDealer }

func (l *lastDealer) Triples(ctx context.Context, n int) (Triples, error) {
	return l.triples(ctx, n, false)
}

func (l *lastDealer) ANDTriples(ctx context.Context, n int) (Triples, error) {
	return l.triples(ctx, n, true)
}

func (l *lastDealer) triples(ctx context.Context, n int, boolean bool) (Triples, error) {
	if err := checkRequest(ctx, n); err != nil {
		return Triples{}, err
	}
	d := l.d
	d.mu.Lock()
	defer d.mu.Unlock()
	last := d.n - 1
	all := make([]Triples, d.n)
	d.replay(func(p int) { all[p] = genTriples(d.gens[p], n, p == last) })
	mine := all[last]
	mine.C = make([]uint64, n)
	parFor(n, d.workers, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			a, b, c := mine.A[k], mine.B[k], uint64(0)
			for _, t := range all[:last] {
				if boolean {
					a ^= t.A[k]
					b ^= t.B[k]
					c ^= t.C[k]
				} else {
					a += t.A[k]
					b += t.B[k]
					c += t.C[k]
				}
			}
			if boolean {
				mine.C[k] = (a & b) ^ c
			} else {
				mine.C[k] = a*b - c
			}
		}
	})
	return mine, nil
}

// replay runs gen for every party's stream, up to d.workers at a time
// (the streams are independent).
func (d *TrustedDealer) replay(gen func(p int)) {
	_ = parallel.Each(context.Background(), d.n, d.workers, func(p int) error {
		gen(p)
		return nil
	})
}

func (l *lastDealer) DivPairs(ctx context.Context, n int, div uint64) (DivPairs, error) {
	if err := checkRequest(ctx, n); err != nil {
		return DivPairs{}, err
	}
	if div == 0 {
		return DivPairs{}, fmt.Errorf("mpc: %w: division by zero", ErrInvalidParams)
	}
	d := l.d
	d.mu.Lock()
	defer d.mu.Unlock()
	last := d.n - 1
	mine := genDiv(d.gens[last], n, true)
	r := append([]uint64(nil), mine.R...)
	q, m := make([]uint64, n), make([]uint64, n)
	for p := range last {
		o := genDiv(d.gens[p], n, false)
		for k := range n {
			r[k] += o.R[k]
			q[k] += o.Q[k]
			m[k] += o.M[k]
		}
	}
	shift := uint(bits.TrailingZeros64(div))
	pow2 := div&(div-1) == 0
	for k := range n {
		var quo uint64
		if pow2 {
			quo = r[k] >> shift
		} else {
			quo = r[k] / div
		}
		q[k] = quo - q[k]
		m[k] = r[k]>>63 - m[k]
	}
	mine.Q, mine.M = q, m
	return mine, nil
}

func (l *lastDealer) EdaBits(ctx context.Context, n int) (EdaBits, error) {
	if err := checkRequest(ctx, n); err != nil {
		return EdaBits{}, err
	}
	d := l.d
	d.mu.Lock()
	defer d.mu.Unlock()
	last := d.n - 1
	mine := genEda(d.gens[last], n, true)
	r := append([]uint64(nil), mine.Arith...)
	x := make([]uint64, n)
	for p := range last {
		o := genEda(d.gens[p], n, false)
		for k := range n {
			r[k] += o.Arith[k]
			x[k] ^= o.Bool[k]
		}
	}
	for k := range n {
		x[k] ^= r[k]
	}
	mine.Bool = x
	return mine, nil
}

func (l *lastDealer) DaBits(ctx context.Context, n int) (DaBits, error) {
	if err := checkRequest(ctx, n); err != nil {
		return DaBits{}, err
	}
	d := l.d
	d.mu.Lock()
	defer d.mu.Unlock()
	last := d.n - 1
	mine := genDa(d.gens[last], n, true)
	b := append([]uint64(nil), mine.Bool...)
	a := make([]uint64, n)
	for p := range last {
		o := genDa(d.gens[p], n, false)
		for k := range n {
			b[k] ^= o.Bool[k]
			a[k] += o.Arith[k]
		}
	}
	for k := range n {
		a[k] = b[k] - a[k]
	}
	mine.Arith = a
	return mine, nil
}
