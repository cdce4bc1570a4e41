package mpc

import (
	"context"
	"encoding/binary"

	"fmt"
	"runtime"

	"github.com/veil-go/veil/internal/prg"
	"github.com/veil-go/veil/transport"
)

// Share is one party's additive shares of a vector over Z_2^64: the values
// are the sums of all parties' Shares modulo 2^64. A fixed-point value is
// the same ring element read at scale 2^FracBits.
type Share []uint64

// BoolShare is one party's XOR shares of a vector of 64-bit words.
type BoolShare []uint64

// Party is one participant of a computation over a full mesh. Every party
// runs the same program: the same sequence of calls on its own Party, each
// call being one or a few rounds in which all parties exchange messages.
//
// A Party is not safe for concurrent use. After any error that involves
// peers (a peer gone, malformed data, a cancelled context) the Party closes
// its mesh, so that every peer fails promptly too, and every later call
// returns an error wrapping ErrAborted.
type Party struct {
	mesh    transport.Mesh
	dealer  Dealer
	self, n int
	conns   []transport.Conn
	workers int
	maxLen  int
	frac    uint
	step    uint32
	rng     *prg.PRG
	err     error
	chunk   int      // words per message
	msgBuf  []byte   // reused encoding buffer (Send copies or writes it)
	efBuf   []uint64 // reused Beaver opening buffer
}

// Option configures a Party.
type Option func(*options)

type options struct {
	workers int
	maxLen  int
	frac    uint
	seed    *prg.Seed
	chunk   int
}

// withChunkWords sets the words per message (tests use small chunks).
func withChunkWords(n int) Option { return func(o *options) { o.chunk = n } }

// WithWorkers bounds the goroutines used by local kernels (default
// runtime.GOMAXPROCS(0)).
func WithWorkers(k int) Option { return func(o *options) { o.workers = k } }

// WithMaxLength bounds the length of vectors this party accepts from peers
// and computes on (default 1<<24 elements).
func WithMaxLength(n int) Option { return func(o *options) { o.maxLen = n } }

// WithFracBits sets the fixed-point scale 2^f (default DefaultFracBits, 16;
// allowed 1..30).
func WithFracBits(f uint) Option { return func(o *options) { o.frac = f } }

// WithTestSeed makes this party's own randomness (the masks of its inputs)
// derive from seed. FOR TESTS ONLY.
func WithTestSeed(seed [32]byte) Option {
	return func(o *options) { s := prg.Seed(seed); o.seed = &s }
}

// DefaultMaxLength is the default bound on vector lengths.
const DefaultMaxLength = 1 << 24

// NewParty returns the party mesh.Self() of mesh.Size(), drawing correlated
// randomness from dealer.
func NewParty(mesh transport.Mesh, dealer Dealer, opts ...Option) (*Party, error) {
	if mesh == nil || dealer == nil {
		return nil, fmt.Errorf("%w: nil mesh or dealer", ErrInvalidParams)
	}
	o := options{workers: runtime.GOMAXPROCS(0), maxLen: DefaultMaxLength, frac: DefaultFracBits, chunk: chunkWords}
	for _, f := range opts {
		f(&o)
	}
	if o.workers < 1 || o.chunk < 1 || o.maxLen < 1 || o.maxLen > maxDealerRequest || o.frac < 1 || o.frac > 30 {
		return nil, fmt.Errorf("%w: workers %d, max length %d, fractional bits %d", ErrInvalidParams, o.workers, o.maxLen, o.frac)
	}
	n, self := mesh.Size(), mesh.Self()
	if n < 2 || self < 0 || self >= n {
		return nil, fmt.Errorf("%w: party %d of %d", ErrInvalidParams, self, n)
	}
	p := &Party{mesh: mesh, dealer: dealer, self: self, n: n, conns: make([]transport.Conn, n),
		workers: o.workers, maxLen: o.maxLen, frac: o.frac, chunk: o.chunk}
	for j := range n {
		if j == self {
			continue
		}
		c, err := mesh.Conn(j)
		if err != nil {
			return nil, fmt.Errorf("%w: mpc needs a full mesh: %w", ErrInvalidParams, err)
		}
		p.conns[j] = c
	}
	var err error
	if o.seed != nil {
		p.rng, err = prg.New(*o.seed)
	} else {
		p.rng, err = prg.NewRandom()
	}
	if err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	return p, nil
}

// Self is this party's index.
func (p *Party) Self() int { return p.self }

// Parties is the number of parties N.
func (p *Party) Parties() int { return p.n }

// FracBits is the fixed-point scale exponent f: values are encoded times 2^f.
func (p *Party) FracBits() uint { return p.frac }

// Stats is the traffic of this party's mesh so far.
func (p *Party) Stats() transport.Stats { return p.mesh.Stats() }

// fail records err, closes the mesh so peers stop promptly, and returns
// the wrapped error.
func (p *Party) fail(op string, err error) error {
	if p.err == nil {
		p.err = fmt.Errorf("mpc: party %d, step %d (%s): %w", p.self, p.step, op, err)
		_ = p.mesh.Close()
	}
	return p.err
}

func (p *Party) check(op string, lens ...int) error {
	if p.err != nil {
		return fmt.Errorf("%w: %w", ErrAborted, p.err)
	}
	for _, l := range lens {
		if l < 0 || l > p.maxLen {
			return fmt.Errorf("%w: %s of %d elements, limit %d", ErrInvalidParams, op, l, p.maxLen)
		}
	}
	return nil
}

// dealerErr: a dealer failure also aborts, since peers would otherwise wait.
func (p *Party) dealerErr(op string, err error) error {
	return p.fail(op, fmt.Errorf("dealer: %w", err))
}

// chunkWords bounds the words in one message: longer vectors travel as
// several messages (8 MiB each), so that no message nears the transport's
// size limit and a receiver never buffers more than it checked.
const chunkWords = 1 << 20

// chunkCount is the number of messages for n words (at least one).
func (p *Party) chunkCount(n int) int { return max(1, (n+p.chunk-1)/p.chunk) }

// sendAll sends words to every peer (or only to peer `to` if to >= 0).
func (p *Party) sendAll(ctx context.Context, kind byte, words []uint64, to int) error {
	for c := range p.chunkCount(len(words)) {
		lo := c * p.chunk
		msg := p.encode(kind, words[lo:min(lo+p.chunk, len(words))])
		for j, conn := range p.conns {
			if conn == nil || (to >= 0 && j != to) {
				continue
			}
			if err := conn.Send(ctx, msg); err != nil {
				return err
			}
		}
	}
	return nil
}

// recvChunks receives party j's n words for this step, message by message,
// handing each checked body and its offset to use.
func (p *Party) recvChunks(ctx context.Context, j int, kind byte, n int, use func(lo int, body []byte)) error {
	for c := range p.chunkCount(n) {
		lo := c * p.chunk
		body, err := p.recvFrom(ctx, j, kind, min(lo+p.chunk, n)-lo)
		if err != nil {
			return err
		}
		use(lo, body)
	}
	return nil
}

// encode is appendMessage with the body written by the worker pool.
func (p *Party) encode(kind byte, words []uint64) []byte {
	size := headerSize + 8*len(words)
	if cap(p.msgBuf) < size {
		p.msgBuf = make([]byte, size)
	}
	msg := p.msgBuf[:size]
	appendMessage(msg[:0], kind, p.step, nil)
	binary.BigEndian.PutUint32(msg[5:9], uint32(len(words)))
	body := msg[headerSize:]
	parallelFor(len(words), p.workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			binary.LittleEndian.PutUint64(body[8*i:], words[i])
		}
	})
	return msg
}

// recvFrom receives party j's message for this step and checks it.
func (p *Party) recvFrom(ctx context.Context, j int, kind byte, want int) ([]byte, error) {
	data, err := p.conns[j].Recv(ctx)
	if err != nil {
		return nil, err
	}
	k, step, _, err := parseHeader(data, want)
	if err != nil {
		return nil, fmt.Errorf("from party %d: %w", j, err)
	}
	if k != kind || step != p.step {
		return nil, fmt.Errorf("%w: from party %d: kind %d step %d, expected kind %d step %d", ErrMalformed, j, k, step, kind, p.step)
	}
	return data[headerSize:], nil
}

// exchange sends mine to every peer and combines what they send into
// mine (sum mod 2^64, or XOR for boolean shares): an opening. It
// overwrites and returns mine; callers pass a vector they own.
func (p *Party) exchange(ctx context.Context, op string, kind byte, mine []uint64) ([]uint64, error) {
	if err := p.sendAll(ctx, kind, mine, -1); err != nil {
		return nil, p.fail(op, err)
	}
	out := mine
	for j := range p.conns {
		if j == p.self {
			continue
		}
		err := p.recvChunks(ctx, j, kind, len(out), func(lo int, body []byte) {
			combine(out[lo:], body, kind == kindBool, p.workers)
		})
		if err != nil {
			return nil, p.fail(op, err)
		}
	}
	p.step++
	return out, nil
}

// combine adds (or XORs) the little-endian words of body into out.
func combine(out []uint64, body []byte, xor bool, workers int) {
	out = out[:len(body)/8]
	parallelFor(len(out), workers, func(lo, hi int) {
		b := body[8*lo : 8*hi]
		o := out[lo:hi]
		if xor {
			for i := range o {
				o[i] ^= binary.LittleEndian.Uint64(b[8*i:])
			}
		} else {
			for i := range o {
				o[i] += binary.LittleEndian.Uint64(b[8*i:])
			}
		}
	})
}

// Open reveals x to every party: one round, each party sends its shares to
// every peer ((N-1)*8 bytes per element).
func (p *Party) Open(ctx context.Context, x Share) ([]uint64, error) {
	if err := p.check("open", len(x)); err != nil {
		return nil, err
	}
	return p.exchange(ctx, "open", kindArith, append([]uint64(nil), x...))
}

// OpenBool reveals XOR-shared words to every party.
func (p *Party) OpenBool(ctx context.Context, x BoolShare) ([]uint64, error) {
	if err := p.check("open", len(x)); err != nil {
		return nil, err
	}
	return p.exchange(ctx, "open", kindBool, append([]uint64(nil), x...))
}

// OpenTo reveals x to party `to` only: it returns the values there and nil
// elsewhere. Every party must pass shares of the same length.
func (p *Party) OpenTo(ctx context.Context, x Share, to int) ([]uint64, error) {
	if err := p.check("open", len(x)); err != nil {
		return nil, err
	}
	if to < 0 || to >= p.n {
		return nil, fmt.Errorf("%w: open to party %d of %d", ErrInvalidParams, to, p.n)
	}
	if p.self != to {
		if err := p.sendAll(ctx, kindArith, x, to); err != nil {
			return nil, p.fail("open", err)
		}
		p.step++
		return nil, nil
	}
	out := append([]uint64(nil), x...)
	for j := range p.conns {
		if j == p.self {
			continue
		}
		err := p.recvChunks(ctx, j, kindArith, len(out), func(lo int, body []byte) {
			combine(out[lo:], body, false, p.workers)
		})
		if err != nil {
			return nil, p.fail("open", err)
		}
	}
	p.step++
	return out, nil
}

// Input secret-shares values held by party owner; the other parties pass
// nil and learn only the length. The owner sends each peer a fresh 32-byte
// seed from which the peer expands its shares, so an input costs
// (N-1)*(9+40) bytes however long the vector is.
func (p *Party) Input(ctx context.Context, owner int, values []uint64) (Share, error) {
	if err := p.check("input", len(values)); err != nil {
		return nil, err
	}
	if owner < 0 || owner >= p.n {
		return nil, fmt.Errorf("%w: input owner %d of %d", ErrInvalidParams, owner, p.n)
	}
	const words = 1 + prg.SeedSize/8
	if p.self != owner {
		body, err := p.recvFrom(ctx, owner, kindInput, words)
		if err != nil {
			return nil, p.fail("input", err)
		}
		n := binary.LittleEndian.Uint64(body)
		if n > uint64(p.maxLen) {
			return nil, p.fail("input", fmt.Errorf("%w: party %d announces %d elements, limit %d", ErrMalformed, owner, n, p.maxLen))
		}
		var s prg.Seed
		copy(s[:], body[8:])
		g, err := prg.New(s)
		if err != nil {
			return nil, p.fail("input", err)
		}
		p.step++
		return Share(g.Uint64s(int(n))), nil
	}
	out := append(Share(nil), values...)
	if out == nil {
		out = Share{}
	}
	for _, c := range p.conns {
		if c == nil {
			continue
		}
		seed := p.rng.NextSeed()
		w := make([]uint64, words)
		w[0] = uint64(len(values))
		for k := range prg.SeedSize / 8 {
			w[1+k] = binary.LittleEndian.Uint64(seed[8*k:])
		}
		if err := c.Send(ctx, appendMessage(nil, kindInput, p.step, w)); err != nil {
			return nil, p.fail("input", err)
		}
		if len(out) == 0 {
			continue
		}
		g, err := prg.New(seed) // the peer's shares, which mine must offset
		if err != nil {
			return nil, p.fail("input", err)
		}
		mask := g.Uint64s(len(out))
		parallelFor(len(out), p.workers, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] -= mask[i]
			}
		})
	}
	p.step++
	return out, nil
}

// Public returns this party's shares of the public vector c: party 0 holds
// c, the others zero.
func (p *Party) Public(c []uint64) Share {
	out := make(Share, len(c))
	if p.self == 0 {
		copy(out, c)
	}
	return out
}

// AddPublic returns shares of x + c for a public vector c (or a single
// public value broadcast when len(c) == 1).
func (p *Party) AddPublic(x Share, c []uint64) (Share, error) {
	if len(c) != len(x) && len(c) != 1 {
		return nil, fmt.Errorf("%w: lengths %d and %d", ErrInvalidParams, len(x), len(c))
	}
	out := append(Share(nil), x...)
	if p.self == 0 {
		for i := range out {
			out[i] += c[min(i, len(c)-1)]
		}
	}
	return out, nil
}

// Add returns shares of x + y (local).
func Add(x, y Share) (Share, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("%w: lengths %d and %d", ErrInvalidParams, len(x), len(y))
	}
	out := make(Share, len(x))
	for i := range out {
		out[i] = x[i] + y[i]
	}
	return out, nil
}

// Sub returns shares of x - y (local).
func Sub(x, y Share) (Share, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("%w: lengths %d and %d", ErrInvalidParams, len(x), len(y))
	}
	return sub(x, y), nil
}

func sub(x, y Share) Share {
	out := make(Share, len(x))
	for i := range out {
		out[i] = x[i] - y[i]
	}
	return out
}

// MulConst returns shares of c*x for a public ring element c (local; for
// fixed point, c is an integer, or see [Party.MulPublicFixed]).
func MulConst(x Share, c uint64) Share {
	out := make(Share, len(x))
	for i := range out {
		out[i] = x[i] * c
	}
	return out
}

// MulPublic returns shares of c[i]*x[i] for a public vector c (local).
func MulPublic(x Share, c []uint64) (Share, error) {
	if len(x) != len(c) {
		return nil, fmt.Errorf("%w: lengths %d and %d", ErrInvalidParams, len(x), len(c))
	}
	out := make(Share, len(x))
	for i := range out {
		out[i] = x[i] * c[i]
	}
	return out, nil
}

// Concat joins share vectors, so that several operations of the same kind
// run in one round; Split undoes it.
func Concat(xs ...Share) Share {
	var out Share
	for _, x := range xs {
		out = append(out, x...)
	}
	return out
}

// Split cuts x into pieces of the given lengths.
func Split(x Share, lens ...int) ([]Share, error) {
	out := make([]Share, len(lens))
	for i, l := range lens {
		if l < 0 || l > len(x) {
			return nil, fmt.Errorf("%w: cannot split %d elements into %v", ErrInvalidParams, len(x), lens)
		}
		out[i], x = x[:l:l], x[l:]
	}
	if len(x) != 0 {
		return nil, fmt.Errorf("%w: %d elements left after split", ErrInvalidParams, len(x))
	}
	return out, nil
}
