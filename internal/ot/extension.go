package ot

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"iter"

	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/transport"
)

// OT extension (Ishai, Kilian, Nissim, Petrank 2003) generalised to rows of
// any width w as in Kolesnikov, Kumaresan, Rosulek, Trieu 2016:
//
//   - The extension receiver is the sender of w base OTs with seed pairs
//     (k0_i, k1_i); the extension sender is their receiver with a secret
//     choice vector s of w bits and learns k_i = k{s_i}_i.
//   - For m rows the receiver chooses the rows d_j (w bits each) of a matrix
//     D: for IKNP d_j is all ones or all zeros according to its choice bit
//     r_j, for KKRT d_j = C(r_j), a pseudorandom code word.
//   - Column i: t_i = G(k0_i), u_i = t_i ^ G(k1_i) ^ D_i; the receiver sends
//     the columns u_i. The sender computes q_i = G(k_i) ^ s_i*u_i.
//   - Transposed into rows: q_j = t_j ^ (d_j AND s).
//
// G is AES-128 in counter mode keyed by the base-OT key; the counter starts
// at the global row offset / 128, so every row index of the session uses
// fresh keystream and chunks can be expanded in parallel.

const (
	tagExt     = 0xE0
	extHdrSize = 16
)

// ExtChunk is one extension message: the columns u_i of a chunk of rows
// starting at a global row Offset. Column i occupies U[i*Rows/8 :
// (i+1)*Rows/8].
type ExtChunk struct {
	Offset uint64
	Rows   int
	Width  int
	U      []byte
}

func putExtHeader(b []byte, off uint64, rows, width int) {
	b[0] = tagExt
	b[1], b[2], b[3] = 0, 0, 0
	binary.LittleEndian.PutUint64(b[4:], off)
	binary.LittleEndian.PutUint16(b[12:], uint16(width/128))
	binary.LittleEndian.PutUint16(b[14:], uint16(rows/128))
}

// MarshalBinary encodes the chunk.
func (c *ExtChunk) MarshalBinary() ([]byte, error) {
	if c.Rows <= 0 || c.Rows%128 != 0 || c.Rows/128 > 0xFFFF || c.Width <= 0 || c.Width%128 != 0 || c.Width > maxWidth ||
		len(c.U) != c.Rows/8*c.Width {
		return nil, fmt.Errorf("%w: extension chunk of %d rows, width %d, %d bytes", ErrInvalidParams, c.Rows, c.Width, len(c.U))
	}
	b := make([]byte, extHdrSize+len(c.U))
	putExtHeader(b, c.Offset, c.Rows, c.Width)
	copy(b[extHdrSize:], c.U)
	return b, nil
}

// UnmarshalBinary decodes the chunk. U aliases b.
func (c *ExtChunk) UnmarshalBinary(b []byte) error {
	if len(b) < extHdrSize || b[0] != tagExt || b[1]|b[2]|b[3] != 0 {
		return fmt.Errorf("%w: extension chunk header", ErrMalformed)
	}
	off := binary.LittleEndian.Uint64(b[4:])
	width := int(binary.LittleEndian.Uint16(b[12:])) * 128
	rows := int(binary.LittleEndian.Uint16(b[14:])) * 128
	if width == 0 || width > maxWidth || rows == 0 || off%128 != 0 {
		return fmt.Errorf("%w: extension chunk of %d rows, width %d at offset %d", ErrMalformed, rows, width, off)
	}
	if len(b)-extHdrSize != rows/8*width {
		return fmt.Errorf("%w: extension chunk body of %d bytes, want %d", ErrMalformed, len(b)-extHdrSize, rows/8*width)
	}
	c.Offset, c.Rows, c.Width, c.U = off, rows, width, b[extHdrSize:]
	return nil
}

func newPRGs(keys []Block) ([]cipher.Block, error) {
	out := make([]cipher.Block, len(keys))
	for i := range keys {
		b, err := aes.NewCipher(keys[i][:])
		if err != nil {
			return nil, fmt.Errorf("ot: %w", err)
		}
		out[i] = b
	}
	return out, nil
}

// expand writes G(key) for rows [off, off+len(dst)*8) xor src into dst
// (src nil means zeros).
func expand(key cipher.Block, off uint64, dst, src []byte) {
	var iv [16]byte
	binary.BigEndian.PutUint64(iv[8:], off/128)
	if src == nil {
		clear(dst)
		src = dst
	}
	cipher.NewCTR(key, iv[:]).XORKeyStream(dst, src)
}

// Receiver is the receiving party of OT extension: it chooses the rows d_j
// and learns t_j. Its methods are not safe for concurrent use.
type Receiver struct {
	cfg    Config
	conn   transport.Conn
	g0, g1 []cipher.Block
	next   uint64
	salt   Block
	hash   *CRHash
}

// Sender is the sending party of OT extension: it holds the secret s and
// learns q_j = t_j ^ (d_j AND s). Its methods are not safe for concurrent
// use.
type Sender struct {
	cfg  Config
	conn transport.Conn
	s    []bool
	sw   []uint64
	g    []cipher.Block
	next uint64
	salt Block
	hash *CRHash
}

// NewReceiverFromBase builds an extension receiver from the key pairs of
// width base OTs in which it was the sender (for callers that ran the base
// OTs themselves). conn may be nil if only the local steps are used. salt
// keys the hash of the 1-out-of-2 OTs ([CRHash]): a public value both
// parties pass alike, fresh for the session (such as a hash of the base
// OTs' messages).
func NewReceiverFromBase(conn transport.Conn, pairs [][2]Block, salt Block, cfg Config) (*Receiver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(pairs) != cfg.Width {
		return nil, fmt.Errorf("%w: %d base OT pairs for width %d", ErrInvalidParams, len(pairs), cfg.Width)
	}
	k0, k1 := make([]Block, len(pairs)), make([]Block, len(pairs))
	for i := range pairs {
		k0[i], k1[i] = pairs[i][0], pairs[i][1]
	}
	r := &Receiver{cfg: cfg, conn: conn, salt: salt, hash: NewCRHash(salt)}
	if r.g0, err = newPRGs(k0); err != nil {
		return nil, err
	}
	if r.g1, err = newPRGs(k1); err != nil {
		return nil, err
	}
	return r, nil
}

// NewSenderFromBase builds an extension sender from the choice bits s and
// keys of width base OTs in which it was the receiver, and the salt the
// peer passes to [NewReceiverFromBase].
func NewSenderFromBase(conn transport.Conn, s []bool, keys []Block, salt Block, cfg Config) (*Sender, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(s) != cfg.Width || len(keys) != cfg.Width {
		return nil, fmt.Errorf("%w: %d choices and %d keys for width %d", ErrInvalidParams, len(s), len(keys), cfg.Width)
	}
	snd := &Sender{cfg: cfg, conn: conn, s: append([]bool(nil), s...), sw: make([]uint64, cfg.Width/64), salt: salt, hash: NewCRHash(salt)}
	for i, b := range s {
		if b {
			snd.sw[i/64] |= 1 << (i % 64)
		}
	}
	if snd.g, err = newPRGs(keys); err != nil {
		return nil, err
	}
	return snd, nil
}

// NewReceiver runs the base OTs with the peer (which calls [NewSender]) and
// returns an extension receiver. For widths above 128 it runs 128 base OTs
// and extends them by IKNP to width random OTs, which then act as the base
// OTs (the usual bootstrap; it costs 128 public-key OTs whatever the width).
func NewReceiver(ctx context.Context, conn transport.Conn, cfg Config) (*Receiver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var pairs [][2]Block
	var salt Block
	if cfg.Width == 128 {
		pairs, salt, err = baseSend(ctx, conn, cfg.Width, cfg)
	} else {
		// Wider rows: 128 base OTs, then width random OTs by IKNP in which
		// this party is the IKNP sender (so the public-key work is the same
		// for every width).
		var inner *Sender
		if inner, err = NewSender(ctx, conn, cfg.narrow()); err == nil {
			pairs, err = inner.RandomOT(ctx, cfg.Width)
			salt = inner.salt
		}
	}
	if err != nil {
		return nil, err
	}
	return NewReceiverFromBase(conn, pairs, salt, cfg)
}

// NewSender draws its secret s, runs the base OTs with the peer (which
// calls [NewReceiver]) and returns an extension sender.
func NewSender(ctx context.Context, conn transport.Conn, cfg Config) (*Sender, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := randomBools(cfg.Width)
	var keys []Block
	var salt Block
	if cfg.Width == 128 {
		keys, salt, err = baseReceive(ctx, conn, s, cfg)
	} else {
		var inner *Receiver
		if inner, err = NewReceiver(ctx, conn, cfg.narrow()); err == nil {
			keys, err = inner.RandomOT(ctx, s)
			salt = inner.salt
		}
	}
	if err != nil {
		return nil, err
	}
	return NewSenderFromBase(conn, s, keys, salt, cfg)
}

// randomBools returns n uniform bits from crypto/rand (n a multiple of 8):
// bit i is bit i%8 of byte i/8 drawn.
func randomBools(n int) []bool {
	raw := make([]byte, n/8)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails
	out := make([]bool, n)
	for i := range out {
		out[i] = raw[i/8]>>(i%8)&1 == 1
	}
	return out
}

// narrow returns the configuration of the width-128 extension that
// bootstraps a wider one.
func (c Config) narrow() Config {
	c.Width = 128
	return c
}

// Delta returns the sender's secret s as little-endian words (bit i of s is
// bit i%64 of word i/64): q_j = t_j ^ (d_j AND Delta).
func (s *Sender) Delta() []uint64 { return append([]uint64(nil), s.sw...) }

// EncodeChunk is the receiver's local step for one chunk: given the rows d
// (d.Rows a positive multiple of 128, d.Words = width/64) it returns the
// message for the sender and the rows t. It consumes d.Rows row indices of
// the session.
func (r *Receiver) EncodeChunk(d Matrix) (*ExtChunk, Matrix, error) {
	if d.Rows <= 0 || d.Rows%128 != 0 || d.Rows/128 > 0xFFFF || d.Words != r.cfg.Width/64 || len(d.Data) != d.Rows*d.Words {
		return nil, Matrix{}, fmt.Errorf("%w: chunk of %d rows x %d words", ErrInvalidParams, d.Rows, d.Words)
	}
	off := r.next
	r.next += uint64(d.Rows)
	ws := newRecvWork(r.cfg.Width, d.Rows)
	copy(ws.d.Data, d.Data)
	r.encode(ws, off, d.Rows)
	u := append([]byte(nil), ws.msg[extHdrSize:]...)
	t := Matrix{Rows: d.Rows, Words: d.Words, Data: ws.t.Data}
	return &ExtChunk{Offset: off, Rows: d.Rows, Width: r.cfg.Width, U: u}, t, nil
}

// DecodeChunk is the sender's local step for one chunk: it checks that the
// chunk continues the session and returns the rows q.
func (s *Sender) DecodeChunk(c *ExtChunk) (Matrix, error) {
	if err := s.check(c, s.next, c.Rows); err != nil {
		return Matrix{}, err
	}
	s.next += uint64(c.Rows)
	q := Matrix{Rows: c.Rows, Words: s.cfg.Width / 64, Data: make([]uint64, c.Rows*s.cfg.Width/64)}
	s.decode(c, make([]byte, s.cfg.Width*colStride(c.Rows)), q.Data)
	return q, nil
}

func (s *Sender) check(c *ExtChunk, off uint64, rows int) error {
	if c.Width != s.cfg.Width || c.Offset != off || c.Rows != rows || len(c.U) != rows/8*c.Width {
		return fmt.Errorf("%w: got chunk at offset %d of %d rows, width %d; want offset %d, %d rows, width %d",
			ErrProtocol, c.Offset, c.Rows, c.Width, off, rows, s.cfg.Width)
	}
	return nil
}

// recvWork is one worker's buffers for a receiver chunk.
type recvWork struct {
	d     Matrix // rows d_j
	t     Matrix // rows t_j
	dcols []byte // D by columns, colStride apart
	tcols []byte // T by columns, colStride apart
	msg   []byte // header + U by columns
}

func newRecvWork(width, rows int) *recvWork {
	w := width / 64
	n := width * rows / 8
	return &recvWork{
		d:     Matrix{Rows: rows, Words: w, Data: make([]uint64, rows*w)},
		t:     Matrix{Rows: rows, Words: w, Data: make([]uint64, rows*w)},
		dcols: make([]byte, width*colStride(rows)),
		tcols: make([]byte, width*colStride(rows)),
		msg:   make([]byte, extHdrSize+n),
	}
}

// encode fills ws.msg and ws.t from ws.d for rows [off, off+rows); rows is
// a multiple of 128 and at most the buffers' capacity.
func (r *Receiver) encode(ws *recvWork, off uint64, rows int) {
	width := r.cfg.Width
	rb := rows / 8
	w := width / 64
	st := colStride(rows)
	rowsToCols(ws.dcols, ws.d.Data[:rows*w], st, width, rows)
	putExtHeader(ws.msg, off, rows, width)
	u := ws.msg[extHdrSize : extHdrSize+width*rb]
	for i := range width {
		tc, uc := ws.tcols[i*st:i*st+rb], u[i*rb:(i+1)*rb]
		expand(r.g0[i], off, tc, nil)
		expand(r.g1[i], off, uc, ws.dcols[i*st:i*st+rb])
		subtle.XORBytes(uc, uc, tc)
	}
	colsToRows(ws.t.Data[:rows*w], ws.tcols, st, width, rows)
}

// decode computes q rows into dst from chunk c using qcols as scratch.
func (s *Sender) decode(c *ExtChunk, qcols []byte, dst []uint64) {
	rb := c.Rows / 8
	st := colStride(c.Rows)
	for i := range s.cfg.Width {
		var src []byte
		if s.s[i] {
			src = c.U[i*rb : (i+1)*rb]
		}
		expand(s.g[i], c.Offset, qcols[i*st:i*st+rb], src)
	}
	colsToRows(dst, qcols, st, s.cfg.Width, c.Rows)
}

func roundUp(n, k int) int { return (n + k - 1) / k * k }

// chunking is how an extension of m > 0 rows travels, for IKNP and
// SoftSpoken alike: the rows, padded to a multiple of 128, take the
// session's row indices from base on, in chunks of chunk rows (the last
// may be shorter), worked on up to workers chunks at a time.
type chunking struct {
	base                           uint64
	padded, chunk, chunks, workers int
}

// newChunking plans m > 0 rows in chunks of at most chunkRows on up to
// workers goroutines, taking their row indices from *next.
func newChunking(next *uint64, m, chunkRows, workers int) chunking {
	c := chunking{base: *next, padded: roundUp(m, 128)}
	*next += uint64(c.padded)
	c.chunk = min(chunkRows, c.padded)
	c.chunks = (c.padded + c.chunk - 1) / c.chunk
	c.workers = min(workers, c.chunks)
	return c
}

// rounds yields each round's first chunk c0 and its number of chunks n,
// at most workers.
func (c chunking) rounds() iter.Seq2[int, int] {
	return func(yield func(c0, n int) bool) {
		for c0 := 0; c0 < c.chunks; c0 += c.workers {
			if !yield(c0, min(c.workers, c.chunks-c0)) {
				return
			}
		}
	}
}

// rows returns chunk i's first row, counted from the extension's first,
// and its number of rows.
func (c chunking) rows(i int) (first, rows int) {
	first = i * c.chunk
	return first, min(c.chunk, c.padded-first)
}

// ExtendFunc runs m rows of OT extension as the receiver, streaming chunks
// to the peer (which calls [Sender.ExtendFunc] or [Sender.Extend] with the
// same m). For each chunk, fill(first, d) must write the rows d_j for rows
// first .. first+d.Rows-1 of this call into d (zeroed on entry; its data
// has room for d.Rows rounded up to 128 rows, the padding staying zero),
// and use(first, t) receives the rows t_j. fill and use are called
// concurrently from up to Workers goroutines, on disjoint chunks; t is only
// valid during the call.
func (r *Receiver) ExtendFunc(ctx context.Context, m int, fill func(first int, d Matrix), use func(first int, t Matrix) error) error {
	if m < 0 {
		return fmt.Errorf("%w: %d rows", ErrInvalidParams, m)
	}
	if m == 0 {
		return nil
	}
	if r.conn == nil {
		return fmt.Errorf("%w: receiver has no connection", ErrInvalidParams)
	}
	plan := newChunking(&r.next, m, r.cfg.ChunkRows, r.cfg.Workers)
	works := make([]*recvWork, plan.workers)
	for k := range works {
		works[k] = newRecvWork(r.cfg.Width, plan.chunk)
	}
	w := r.cfg.Width / 64
	for c0, n := range plan.rounds() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("ot: extension: %w", err)
		}
		if err := parallel.Each(ctx, n, n, func(k int) error {
			ws := works[k]
			first, rows := plan.rows(c0 + k)
			nreal := min(rows, m-first)
			clear(ws.d.Data)
			fill(first, Matrix{Rows: nreal, Words: w, Data: ws.d.Data[:rows*w]})
			r.encode(ws, plan.base+uint64(first), rows)
			return use(first, Matrix{Rows: nreal, Words: w, Data: ws.t.Data[:rows*w]})
		}); err != nil {
			return err
		}
		for k := range n {
			first, rows := plan.rows(c0 + k)
			if err := r.conn.Send(ctx, works[k].msg[:extHdrSize+rows*r.cfg.Width/8]); err != nil {
				return fmt.Errorf("ot: extension: sending chunk at row %d: %w", first, err)
			}
		}
	}
	return nil
}

// Extend runs m rows of OT extension as the receiver with the rows d
// (d.Rows = m, d.Words = width/64) and returns the rows t.
func (r *Receiver) Extend(ctx context.Context, d Matrix) (Matrix, error) {
	w := r.cfg.Width / 64
	if d.Rows < 0 || d.Words != w || len(d.Data) < d.Rows*w {
		return Matrix{}, fmt.Errorf("%w: %d rows x %d words for width %d", ErrInvalidParams, d.Rows, d.Words, r.cfg.Width)
	}
	t := Matrix{Rows: d.Rows, Words: w, Data: make([]uint64, d.Rows*w)}
	err := r.ExtendFunc(ctx, d.Rows, func(first int, dst Matrix) {
		copy(dst.Data[:dst.Rows*w], d.Data[first*w:])
	}, func(first int, tc Matrix) error {
		copy(t.Data[first*w:], tc.Data[:tc.Rows*w])
		return nil
	})
	return t, err
}

// ExtendFunc runs m rows of OT extension as the sender: it receives the
// receiver's chunks and calls use(first, q) with the rows q_j of each chunk,
// concurrently from up to Workers goroutines on disjoint chunks; q is only
// valid during the call.
func (s *Sender) ExtendFunc(ctx context.Context, m int, use func(first int, q Matrix) error) error {
	return s.extend(ctx, m, nil, use)
}

// extend is ExtendFunc; if all is not nil the rows are written to *all
// directly instead of to per-worker buffers. *all grows as chunks arrive
// (at most twice the rows received, never beyond m rounded up to 128), so
// memory tracks the rows actually received, not the m a peer claims.
func (s *Sender) extend(ctx context.Context, m int, all *[]uint64, use func(first int, q Matrix) error) error {
	if m < 0 {
		return fmt.Errorf("%w: %d rows", ErrInvalidParams, m)
	}
	if m == 0 {
		return nil
	}
	if s.conn == nil {
		return fmt.Errorf("%w: sender has no connection", ErrInvalidParams)
	}
	plan := newChunking(&s.next, m, s.cfg.ChunkRows, s.cfg.Workers)
	w := s.cfg.Width / 64
	type work struct {
		c     ExtChunk
		qcols []byte
		q     []uint64
	}
	works := make([]*work, plan.workers)
	for k := range works {
		works[k] = &work{qcols: make([]byte, s.cfg.Width*colStride(plan.chunk))}
		if all == nil {
			works[k].q = make([]uint64, plan.chunk*w)
		}
	}
	for c0, n := range plan.rounds() {
		for k := range n {
			first, rows := plan.rows(c0 + k)
			raw, err := s.conn.Recv(ctx)
			if err != nil {
				return fmt.Errorf("ot: extension: receiving chunk at row %d: %w", first, err)
			}
			if err := works[k].c.UnmarshalBinary(raw); err != nil {
				return fmt.Errorf("ot: extension chunk from %q: %w", s.conn.Peer(), err)
			}
			if err := s.check(&works[k].c, plan.base+uint64(first), rows); err != nil {
				return fmt.Errorf("ot: extension chunk from %q: %w", s.conn.Peer(), err)
			}
		}
		if all != nil {
			// Room for the rows received so far: at most twice what has
			// arrived, never more than the m rows asked for.
			last, _ := plan.rows(c0 + n - 1)
			need := (last + works[n-1].c.Rows) * w
			if need > cap(*all) {
				grown := make([]uint64, need, min(plan.padded*w, max(need, 2*cap(*all))))
				copy(grown, *all)
				*all = grown
			}
			*all = (*all)[:need]
		}
		if err := parallel.Each(ctx, n, n, func(k int) error {
			ws := works[k]
			first, _ := plan.rows(c0 + k)
			rows := ws.c.Rows
			dst := ws.q
			if all != nil {
				dst = (*all)[first*w:]
			}
			s.decode(&ws.c, ws.qcols, dst[:rows*w])
			if use != nil {
				return use(first, Matrix{Rows: min(rows, m-first), Words: w, Data: dst[:rows*w]})
			}
			return nil
		}); err != nil {
			return err
		}
		for k := range n {
			works[k].c.U = nil
		}
	}
	return nil
}

// Extend runs m rows of OT extension as the sender and returns the rows q.
func (s *Sender) Extend(ctx context.Context, m int) (Matrix, error) {
	if m < 0 {
		return Matrix{}, fmt.Errorf("%w: %d rows", ErrInvalidParams, m)
	}
	w := s.cfg.Width / 64
	var all []uint64
	if err := s.extend(ctx, m, &all, nil); err != nil {
		return Matrix{}, err
	}
	return Matrix{Rows: m, Words: w, Data: all[:m*w]}, nil
}
