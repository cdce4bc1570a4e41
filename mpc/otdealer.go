package mpc

import (
	"context"
	"fmt"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/internal/ot"
	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/internal/prg"
	"github.com/veil-go/veil/transport"
)

// OTDealer is one party's dealer-free source of correlated randomness:
// the parties make every correlation among themselves with oblivious
// transfer, so no third party sees any share. It implements the whole
// [Dealer] interface for any number of parties N >= 2, so every operation
// of a [Party] runs with it: Beaver triples ([Party.Mul], [Party.Dot]),
// AND triples ([Party.And]), daBits and edaBits (comparison,
// [Party.LTZ]) and division pairs (truncation and division,
// [Party.Trunc], [Party.DivInt], the fixed-point operations); see
// [OTDealer.DaBits], [OTDealer.EdaBits] and [OTDealer.DivPairs] for how
// the latter are made.
//
// Each party draws its shares a_i and b_i of a triple uniformly (from
// crypto/rand through internal/prg) and sets
//
//	c_i = a_i*b_i + sum over peers j of (its share of a_i*b_j) + (its share of a_j*b_i)
//
// Each cross product a_i*b_j is Gilboa's multiplication
// ([ot.SoftSpokenSender.MulShares64]): 64 correlated OTs (internal/ot's
// SoftSpoken extension, k = 2) in which party j chooses with the bits of
// b_j and party i's correlation for bit k is a_i*2^k, carried modulo
// 2^(64-k) since the low k bits of the term are zero; party i keeps minus
// the sum of its random words times 2^k and party j the sum of what it
// received times 2^k, and the two sum to a_i*b_j mod 2^64. Per triple each
// pair of parties runs 128 OTs, so a party sends and receives about
// (128*8 + 2*260)/2 = 772 bytes per triple per peer (8 bytes of extension
// per OT, and 2,080 bits of corrections per product); the measured figures
// are in bench/RESULTS.md.
//
// The dealer talks over its own view of a full mesh, which may be the
// computation's mesh: every party requests the same triples at the same
// point of the same program, and the messages of one link are delivered
// in order, so the dealer's messages and the party's never cross. Over
// the computation's mesh, [Result.Stats] counts the preprocessing too.
// For division pairs whose divisor is not a power of two the dealer runs
// comparisons through a [Party] of its own over the same mesh (with its
// own step counter); if one fails, that party closes the mesh, as any
// party does.
//
// Security: semi-honest, dishonest majority (see the package doc's
// security model). An OTDealer is not safe for concurrent use; after an
// error its OT sessions are out of step with the peers' and every later
// request fails with [ErrAborted].
type OTDealer struct {
	self, n int
	peers   []otPeer // indexed by party; peers[self] is unused
	rng     *prg.PRG
	batch   int // triples per round of OT extension: otBatch (tests shrink it)
	err     error
	mesh    transport.Mesh
	workers int
	inner   *Party // computes on the dealer's own correlations (division pairs)
}

// otPeer is the pair of OT extension sessions with one peer: in snd this
// party is the OT sender, in rcv the receiver.
type otPeer struct {
	name  string
	snd   *ot.SoftSpokenSender
	rcv   *ot.SoftSpokenReceiver
	delta []uint64 // the AND triples' correlations of a batch, kept between batches
}

// OTDealerConfig configures an [OTDealer]. The zero value means the
// defaults.
type OTDealerConfig struct {
	// Workers bounds the goroutines of each OT extension (one runs per
	// peer at a time); 0 means GOMAXPROCS.
	Workers int
}

// otBatch is the number of triples made per round of OT extension with a
// peer: 2^20 OTs, so the dealer's memory per request is a few 8 MiB
// buffers per peer whatever the request's length.
const otBatch = 1 << 14

// otChunkRows is the SoftSpoken chunk the dealer asks for: a batch's 2^20
// OTs in 16 messages of 512 KiB, where the default 2^14 rows cost about 6%
// more CPU per triple in key and counter set-up (BenchmarkOTTriples).
const otChunkRows = 1 << 16

// NewOTDealer sets up this party's dealer-free triple generation over
// mesh: 128 base OTs in each direction with every peer (public-key work,
// one round trip each). Every party of the mesh must call it at the same
// point.
func NewOTDealer(ctx context.Context, mesh transport.Mesh, cfg OTDealerConfig) (*OTDealer, error) {
	if mesh == nil {
		return nil, fmt.Errorf("mpc: %w: nil mesh", ErrInvalidParams)
	}
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("mpc: %w: OT dealer Workers %d is negative", ErrInvalidParams, cfg.Workers)
	}
	n, self := mesh.Size(), mesh.Self()
	if n < 2 || self < 0 || self >= n {
		return nil, fmt.Errorf("mpc: %w: party %d of %d", ErrInvalidParams, self, n)
	}
	d := &OTDealer{self: self, n: n, peers: make([]otPeer, n), batch: otBatch,
		mesh: mesh, workers: cfg.Workers}
	var err error
	if d.rng, err = prg.NewRandom(); err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	conns := make([]transport.Conn, n)
	for j := range n {
		if j == self {
			continue
		}
		if conns[j], err = mesh.Conn(j); err != nil {
			return nil, fmt.Errorf("mpc: %w: the OT dealer needs a full mesh: %w", ErrInvalidParams, err)
		}
		d.peers[j].name = conns[j].Peer()
	}
	ocfg := ot.SoftSpokenConfig{Workers: cfg.Workers, ChunkRows: otChunkRows}
	err = parallel.Each(ctx, n, n, func(j int) error {
		if j == self {
			return nil
		}
		pr := &d.peers[j]
		// The lower index is the OT sender first, then the receiver.
		var err error
		if self < j {
			if pr.snd, err = ot.NewSoftSpokenSender(ctx, conns[j], ocfg); err == nil {
				pr.rcv, err = ot.NewSoftSpokenReceiver(ctx, conns[j], ocfg)
			}
		} else {
			if pr.rcv, err = ot.NewSoftSpokenReceiver(ctx, conns[j], ocfg); err == nil {
				pr.snd, err = ot.NewSoftSpokenSender(ctx, conns[j], ocfg)
			}
		}
		if err != nil {
			return errs.Step("mpc", roleName(self), "ot dealer setup", pr.name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Triples returns this party's shares of n fresh Beaver triples c = a*b
// over Z_2^64, made with every peer by Gilboa multiplication.
func (d *OTDealer) Triples(ctx context.Context, n int) (Triples, error) {
	return d.triples(ctx, n, false)
}

// ANDTriples returns this party's XOR shares of n fresh triples of 64-bit
// words c = a AND b: each cross term a_i AND b_j is 64 correlated OTs, one
// per bit, with party i's correlation the bit of a_i and party j's choice
// the bit of b_j; the low bits of the two parties' words are XOR shares of
// the product bit.
func (d *OTDealer) ANDTriples(ctx context.Context, n int) (Triples, error) {
	return d.triples(ctx, n, true)
}

// triples makes n arithmetic (xor false) or AND (xor true) triples.
func (d *OTDealer) triples(ctx context.Context, n int, xor bool) (Triples, error) {
	if err := d.ready(ctx, n); err != nil {
		return Triples{}, err
	}
	t := Triples{A: d.rng.Uint64s(n), B: d.rng.Uint64s(n), C: make([]uint64, n)}
	for i := range n {
		if xor {
			t.C[i] = t.A[i] & t.B[i]
		} else {
			t.C[i] = t.A[i] * t.B[i]
		}
	}
	acc := make([][]uint64, d.n) // per peer: this party's share of the cross terms
	for j := range acc {
		if j != d.self {
			acc[j] = make([]uint64, min(d.batch, n))
		}
	}
	for lo := 0; lo < n; lo += d.batch {
		hi := min(lo+d.batch, n)
		err := parallel.Each(ctx, d.n, d.n, func(j int) error {
			if j == d.self {
				return nil
			}
			return d.cross(ctx, j, t.A[lo:hi], t.B[lo:hi], acc[j][:hi-lo], xor)
		})
		if err != nil {
			d.err = err
			return Triples{}, err
		}
		for j := range d.n {
			if j == d.self {
				continue
			}
			c := t.C[lo:hi]
			for i, v := range acc[j][:hi-lo] {
				if xor {
					c[i] ^= v
				} else {
					c[i] += v
				}
			}
		}
	}
	return t, nil
}

// cross sets out to this party's share of a*b_j + a_j*b (element-wise) for
// peer j's shares a_j, b_j, or with xor of (a AND b_j) XOR (a_j AND b): two
// rounds of 64 OTs per element, the lower index being the OT sender first.
// Products are Gilboa's ([ot.SoftSpokenSender.MulShares64]); an AND term is
// 64 correlated OTs whose correlations are the bits of a, and whose low
// bits are XOR shares of the product bits.
func (d *OTDealer) cross(ctx context.Context, j int, a, b, out []uint64, xor bool) error {
	pr := &d.peers[j]
	clear(out)
	send := func() error {
		if !xor {
			u, err := pr.snd.MulShares64(ctx, a)
			addTo(out, u)
			return err
		}
		if cap(pr.delta) < 64*len(a) {
			pr.delta = make([]uint64, 64*len(a))
		}
		delta := pr.delta[:64*len(a)]
		for i, v := range a {
			row := delta[64*i : 64*i+64]
			for k := range row {
				row[k] = v >> k & 1
			}
		}
		x, err := pr.snd.CorrelatedOT64(ctx, delta)
		xorLowBits(out, x)
		return err
	}
	recv := func() error {
		if !xor {
			v, err := pr.rcv.MulShares64(ctx, b)
			addTo(out, v)
			return err
		}
		y, err := pr.rcv.CorrelatedOT64(ctx, b, 64*len(b))
		xorLowBits(out, y)
		return err
	}
	first, second := send, recv
	if d.self > j {
		first, second = recv, send
	}
	if err := first(); err != nil {
		return errs.Step("mpc", roleName(d.self), "ot triples", pr.name, err)
	}
	if err := second(); err != nil {
		return errs.Step("mpc", roleName(d.self), "ot triples", pr.name, err)
	}
	return nil
}

// addTo adds the words of v to out (none if v is nil, after an error).
func addTo(out, v []uint64) {
	for i, w := range v {
		out[i] += w
	}
}

// xorLowBits XORs into out[i] the low bits of the 64 words x[64i:64i+64],
// word k giving bit k (none if x is nil, after an error).
func xorLowBits(out, x []uint64) {
	if x == nil {
		return
	}
	for i := range out {
		out[i] ^= lowBits(x[64*i : 64*i+64])
	}
}

// lowBits packs the low bit of each of the 64 words w into one word,
// word k giving bit k.
func lowBits(w []uint64) uint64 {
	var v uint64
	for k, x := range w[:64] {
		v |= (x & 1) << k
	}
	return v
}

var _ Dealer = (*OTDealer)(nil)
