package mpc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/internal/prg"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// Share is one party's additive shares of a vector over Z_2^64: the values
// are the sums of all parties' Shares modulo 2^64, read as integers. For
// fixed-point values see [Fixed].
type Share []uint64

// Fixed is one party's additive shares of a vector of fixed-point reals:
// the same ring elements as a [Share], read at scale 2^f ([Config.FracBits]).
// It is a distinct type so that a product that must be truncated cannot be
// mistaken for an integer one: the operations on Fixed are those of the
// party's fixed-point view [Party.Fixed] ([FixedParty.Mul] truncates),
// while [Party.Mul] takes Share, so Mul on Fixed values does not compile.
// Convert explicitly (Share(x), Fixed(s)) where a computation manages the
// scale itself.
type Fixed []uint64

// BoolShare is one party's XOR shares of a vector of 64-bit words.
type BoolShare []uint64

// Party is one participant of a computation over a full mesh. Every party
// runs the same program: the same sequence of calls on its own Party, each
// call being one or a few rounds in which all parties exchange messages.
// Its methods that take a context communicate; those without one are
// local. Its operations are on integers ([Share]); the fixed-point ones
// ([Fixed]) are on its view [Party.Fixed].
//
// A Party is not safe for concurrent use. After any error that involves
// peers (a peer gone, malformed data, a cancelled context) the Party closes
// its mesh, so that every peer fails promptly too, and every later call
// returns an error wrapping [ErrAborted].
type Party struct {
	mesh    transport.Mesh
	dealer  Dealer
	self, n int
	role    string // "party 2", as in errors and disclosures
	conns   []transport.Conn
	workers int
	maxLen  int
	frac    uint
	step    uint32
	rng     *prg.PRG
	err     *errs.StepError
	leak    leakage
	chunk   int      // words per message
	msgBuf  []byte   // reused encoding buffer (Send copies or writes it)
	efBuf   []uint64 // reused Beaver opening buffer
}

// Config configures a [Party]. The zero value means the defaults.
type Config struct {
	// Workers bounds the goroutines of local kernels; 0 means GOMAXPROCS.
	Workers int
	// MaxLength bounds the length of vectors this party accepts from peers
	// and computes on; 0 means [DefaultMaxLength]. At most 1<<28.
	MaxLength int
	// FracBits is the fixed-point scale exponent f (a real v is encoded as
	// round(v * 2^f)); 0 means [DefaultFracBits]. Allowed 1 to 30.
	FracBits uint
}

// DefaultMaxLength is the bound on vector lengths when [Config.MaxLength]
// is 0.
const DefaultMaxLength = 1 << 24

// NewParty returns the party mesh.Self() of mesh.Size(), drawing correlated
// randomness from dealer. It fails with [ErrInvalidParams] when cfg is out
// of range or mesh is not a full mesh.
func NewParty(mesh transport.Mesh, dealer Dealer, cfg Config) (*Party, error) {
	if mesh == nil || dealer == nil {
		return nil, fmt.Errorf("mpc: %w: nil mesh or dealer", ErrInvalidParams)
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	maxLen, frac := cfg.MaxLength, cfg.FracBits
	if maxLen == 0 {
		maxLen = DefaultMaxLength
	}
	if frac == 0 {
		frac = DefaultFracBits
	}
	n, self := mesh.Size(), mesh.Self()
	if n < 2 || self < 0 || self >= n {
		return nil, fmt.Errorf("mpc: %w: party %d of %d", ErrInvalidParams, self, n)
	}
	p := &Party{mesh: mesh, dealer: dealer, self: self, n: n, role: roleName(self),
		conns: make([]transport.Conn, n), workers: parallel.Workers(cfg.Workers),
		maxLen: maxLen, frac: frac, chunk: chunkWords}
	for j := range n {
		if j == self {
			continue
		}
		c, err := mesh.Conn(j)
		if err != nil {
			return nil, fmt.Errorf("mpc: %w: mpc needs a full mesh: %w", ErrInvalidParams, err)
		}
		p.conns[j] = c
	}
	var err error
	if p.rng, err = prg.NewRandom(); err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	return p, nil
}

// check validates c.
func (c Config) check() error {
	if c.Workers < 0 {
		return fmt.Errorf("mpc: %w: Workers %d is negative", ErrInvalidParams, c.Workers)
	}
	if c.MaxLength < 0 || c.MaxLength > maxDealerRequest {
		return fmt.Errorf("mpc: %w: MaxLength %d, limit %d", ErrInvalidParams, c.MaxLength, maxDealerRequest)
	}
	if c.FracBits > maxFracBits {
		return fmt.Errorf("mpc: %w: FracBits %d, limit %d", ErrInvalidParams, c.FracBits, maxFracBits)
	}
	return nil
}

// roleName is party i's role in errors and disclosures.
func roleName(i int) string { return fmt.Sprintf("party %d", i) }

// Self is this party's index.
func (p *Party) Self() int { return p.self }

// Parties is the number of parties N.
func (p *Party) Parties() int { return p.n }

// Stats is the traffic of this party's mesh so far.
func (p *Party) Stats() transport.Stats { return p.mesh.Stats() }

// peerName names party j in errors ("" for no single peer).
func (p *Party) peerName(j int) string {
	if j < 0 || j >= p.n || p.conns[j] == nil {
		return ""
	}
	return p.conns[j].Peer()
}

// fail records err as the failure of step op (with peer j, or -1), closes
// the mesh so peers stop promptly, and returns the step error.
func (p *Party) fail(op string, j int, err error) error {
	if p.err == nil {
		var se *errs.StepError
		if !errors.As(errs.Step("mpc", p.role, op, p.peerName(j), err), &se) {
			se = &errs.StepError{Pkg: "mpc", Role: p.role, Step: op, Err: err}
		}
		p.err = se
		_ = p.mesh.Close()
	}
	return p.err
}

// argErr is a caller's mistake in step op: it does not abort the party.
func (p *Party) argErr(op string, sentinel error, format string, args ...any) error {
	return &errs.StepError{Pkg: "mpc", Role: p.role, Step: op, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
}

func (p *Party) check(op string, lens ...int) error {
	if p.err != nil {
		return &errs.StepError{Pkg: "mpc", Role: p.role, Step: op,
			Err: fmt.Errorf("%w after step %s failed: %w", ErrAborted, p.err.Step, p.err.Err)}
	}
	for _, l := range lens {
		if l < 0 || l > p.maxLen {
			return p.argErr(op, ErrInvalidParams, "%d elements, limit %d", l, p.maxLen)
		}
	}
	return nil
}

// dealerErr: a dealer failure also aborts, since peers would otherwise wait.
func (p *Party) dealerErr(op string, err error) error {
	return p.fail(op, -1, fmt.Errorf("dealer: %w", err))
}

// chunkWords bounds the words in one message: longer vectors travel as
// several messages (8 MiB each), so that no message nears the transport's
// size limit and a receiver never buffers more than it checked.
const chunkWords = 1 << 20

// chunkCount is the number of messages for n words (at least one).
func (p *Party) chunkCount(n int) int { return max(1, (n+p.chunk-1)/p.chunk) }

// sendAll sends words to every peer (or only to peer `to` if to >= 0). On
// failure it returns the peer it was sending to.
func (p *Party) sendAll(ctx context.Context, kind byte, words []uint64, to int) (int, error) {
	for c := range p.chunkCount(len(words)) {
		lo := c * p.chunk
		msg := p.encode(kind, words[lo:min(lo+p.chunk, len(words))])
		for j, conn := range p.conns {
			if conn == nil || (to >= 0 && j != to) {
				continue
			}
			if err := conn.Send(ctx, msg); err != nil {
				return j, err
			}
		}
	}
	return -1, nil
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
	p.parFor(len(words), func(lo, hi int) {
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
		return nil, err
	}
	if k != kind || step != p.step {
		return nil, fmt.Errorf("%w: kind %d step %d, expected kind %d step %d", ErrMalformed, k, step, kind, p.step)
	}
	return data[headerSize:], nil
}

// exchange sends mine to every peer and combines what they send into
// mine (sum mod 2^64, or XOR for boolean shares): an opening. It
// overwrites and returns mine; callers pass a vector they own.
func (p *Party) exchange(ctx context.Context, op string, kind byte, mine []uint64) ([]uint64, error) {
	if j, err := p.sendAll(ctx, kind, mine, -1); err != nil {
		return nil, p.fail(op, j, err)
	}
	out := mine
	for j := range p.conns {
		if j == p.self {
			continue
		}
		err := p.recvChunks(ctx, j, kind, len(out), func(lo int, body []byte) {
			p.combine(out[lo:], body, kind == kindBool)
		})
		if err != nil {
			return nil, p.fail(op, j, err)
		}
	}
	p.step++
	return out, nil
}

// combine adds (or XORs) the little-endian words of body into out.
func (p *Party) combine(out []uint64, body []byte, xor bool) {
	out = out[:len(body)/8]
	p.parFor(len(out), func(lo, hi int) { combineRange(out, body, xor, lo, hi) })
}

func combineRange(out []uint64, body []byte, xor bool, lo, hi int) {
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
}

// Open reveals x to every party: one round, each party sends its shares to
// every peer ((N-1)*8 bytes per element).
func (p *Party) Open(ctx context.Context, x Share) ([]uint64, error) {
	if err := p.check("open", len(x)); err != nil {
		return nil, err
	}
	out, err := p.exchange(ctx, "open", kindArith, append([]uint64(nil), x...))
	if err == nil {
		p.leak.add("all", report.Output, "", len(x))
	}
	return out, err
}

// OpenBool reveals XOR-shared words to every party.
func (p *Party) OpenBool(ctx context.Context, x BoolShare) ([]uint64, error) {
	if err := p.check("open", len(x)); err != nil {
		return nil, err
	}
	out, err := p.exchange(ctx, "open", kindBool, append([]uint64(nil), x...))
	if err == nil {
		p.leak.add("all", report.Output, "", len(x))
	}
	return out, err
}

// OpenTo reveals x to party `to` only: it returns the values there and nil
// elsewhere. Every party must pass shares of the same length.
func (p *Party) OpenTo(ctx context.Context, x Share, to int) ([]uint64, error) {
	if err := p.check("open", len(x)); err != nil {
		return nil, err
	}
	if to < 0 || to >= p.n {
		return nil, p.argErr("open", ErrInvalidParams, "open to party %d of %d", to, p.n)
	}
	p.leak.add(roleName(to), report.Output, "", len(x))
	if p.self != to {
		if j, err := p.sendAll(ctx, kindArith, x, to); err != nil {
			return nil, p.fail("open", j, err)
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
			p.combine(out[lo:], body, false)
		})
		if err != nil {
			return nil, p.fail("open", j, err)
		}
	}
	p.step++
	return out, nil
}

// Input secret-shares values held by party owner. Only the owner's values
// are read: every other party passes nil (or anything: what it passes is
// ignored and never sent) and learns only the length. The owner sends each
// peer a fresh 32-byte seed from which the peer expands its shares, so an
// input costs (N-1)*(9+40) bytes however long the vector is.
func (p *Party) Input(ctx context.Context, owner int, values []uint64) (Share, error) {
	if p.self != owner {
		values = nil
	}
	if err := p.check("input", len(values)); err != nil {
		return nil, err
	}
	if owner < 0 || owner >= p.n {
		return nil, p.argErr("input", ErrInvalidParams, "input owner %d of %d", owner, p.n)
	}
	const words = 1 + prg.SeedSize/8
	if p.self != owner {
		body, err := p.recvFrom(ctx, owner, kindInput, words)
		if err != nil {
			return nil, p.fail("input", owner, err)
		}
		n := binary.LittleEndian.Uint64(body)
		if n > uint64(p.maxLen) {
			return nil, p.fail("input", owner, fmt.Errorf("%w: %d elements announced, limit %d", ErrMalformed, n, p.maxLen))
		}
		var s prg.Seed
		copy(s[:], body[8:])
		g, err := prg.New(s)
		if err != nil {
			return nil, p.fail("input", owner, err)
		}
		p.step++
		p.leak.add("all", report.InputSize, roleName(owner), int(n))
		return Share(g.Uint64s(int(n))), nil
	}
	out := append(Share(nil), values...)
	if out == nil {
		out = Share{}
	}
	for j, c := range p.conns {
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
			return nil, p.fail("input", j, err)
		}
		if len(out) == 0 {
			continue
		}
		g, err := prg.New(seed) // the peer's shares, which mine must offset
		if err != nil {
			return nil, p.fail("input", -1, err)
		}
		mask := g.Uint64s(len(out))
		p.parFor(len(out), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] -= mask[i]
			}
		})
	}
	p.step++
	p.leak.add("all", report.InputSize, p.role, len(values))
	return out, nil
}

// Public returns this party's shares of the public vector c (local):
// party 0 holds c, the others zero. For reals see [FixedParty.Public].
func (p *Party) Public(c []uint64) Share {
	out := make(Share, len(c))
	if p.self == 0 {
		copy(out, c)
	}
	return out
}

// AddPublic returns this party's shares of x + c for a public vector c
// (local), or of x + c[0] for every element when len(c) == 1: only party
// 0 adds it. For reals added to a [Fixed] see [FixedParty.AddPublic].
func (p *Party) AddPublic(x Share, c []uint64) (Share, error) {
	return addPublic(p, x, c)
}

func addPublic[S Share | Fixed](p *Party, x S, c []uint64) (S, error) {
	if len(c) != len(x) && len(c) != 1 {
		return nil, fmt.Errorf("mpc: %w: lengths %d and %d", ErrMismatch, len(x), len(c))
	}
	out := append(S(nil), x...)
	if p.self == 0 {
		for i := range out {
			out[i] += c[min(i, len(c)-1)]
		}
	}
	return out, nil
}

// Add returns shares of x + y (local).
func Add[S Share | Fixed](x, y S) (S, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("mpc: %w: lengths %d and %d", ErrMismatch, len(x), len(y))
	}
	out := make(S, len(x))
	for i := range out {
		out[i] = x[i] + y[i]
	}
	return out, nil
}

// Sub returns shares of x - y (local).
func Sub[S Share | Fixed](x, y S) (S, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("mpc: %w: lengths %d and %d", ErrMismatch, len(x), len(y))
	}
	return sub(x, y), nil
}

func sub[S Share | Fixed](x, y S) S {
	out := make(S, len(x))
	for i := range out {
		out[i] = x[i] - y[i]
	}
	return out
}

// neg returns shares of -x.
func neg[S Share | Fixed](x S) S { return sub(make(S, len(x)), x) }

// MulConst returns shares of c*x for a public integer c (local; on
// [Fixed] the scale is unchanged; for a real factor see
// [FixedParty.MulPublic]).
func MulConst[S Share | Fixed](x S, c uint64) S {
	out := make(S, len(x))
	for i := range out {
		out[i] = x[i] * c
	}
	return out
}

// MulPublic returns shares of c[i]*x[i] for a public vector c of integers
// (local).
func MulPublic[S Share | Fixed](x S, c []uint64) (S, error) {
	if len(x) != len(c) {
		return nil, fmt.Errorf("mpc: %w: lengths %d and %d", ErrMismatch, len(x), len(c))
	}
	out := make(S, len(x))
	for i := range out {
		out[i] = x[i] * c[i]
	}
	return out, nil
}

// Concat joins share vectors, so that several operations of the same kind
// run in one round; [Split] undoes it.
func Concat[S Share | Fixed](xs ...S) S {
	var out S
	for _, x := range xs {
		out = append(out, x...)
	}
	return out
}

// Split cuts x into pieces of the given lengths.
func Split[S Share | Fixed](x S, lens ...int) ([]S, error) {
	out := make([]S, len(lens))
	for i, l := range lens {
		if l < 0 || l > len(x) {
			return nil, fmt.Errorf("mpc: %w: cannot split %d elements into %v", ErrInvalidParams, len(x), lens)
		}
		out[i], x = x[:l:l], x[l:]
	}
	if len(x) != 0 {
		return nil, fmt.Errorf("mpc: %w: %d elements left after split", ErrInvalidParams, len(x))
	}
	return out, nil
}
