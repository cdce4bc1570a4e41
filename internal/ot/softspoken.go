package ot

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"fmt"

	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/transport"
)

// SoftSpoken OT extension (Lawrence Roy, "SoftSpoken OT: Quieter OT
// Extension from Small-Field Silent VOLE in the Minicrypt Model",
// CRYPTO 2022), semi-honest, producing the same correlation as IKNP
// (q_j = t_j ^ c_j*Delta for a 128-bit Delta) with 128/k bits of
// communication per OT instead of 128.
//
// Setup (once per session). The 128 bits of Delta are cut into blocks of k
// bits (the last block is shorter when k does not divide 128). For each
// block the extension receiver builds a GGM tree of depth k (the PRG is
// AES keyed by the node, evaluated at 0 and 1) over 2^k leaves, and the
// extension sender, whose k bits of Delta name the leaf alpha, learns every
// leaf but leaf alpha: a (2^k-1)-out-of-2^k OT made from k base OTs, one per
// tree level. At the level deciding bit t of the leaf index the receiver
// sends the XOR of all left children and the XOR of all right children,
// each masked by one key of base OT t, and the sender, whose choice bit is
// NOT alpha_t, unmasks the sum on the side off alpha's path, from which it
// gets the sibling of the path node (the other nodes of that side it
// expanded itself). It never sees a sum that would give it the path node.
//
// Extension (per row j, one row per OT). Every leaf seeds an AES-128-CTR
// stream r_x (one bit per row, the counter starting at row offset/128 as in
// IKNP). Per block the receiver computes u = XOR_x r_x and the k bits
// v = XOR_x x*r_x; the sender, missing only r_alpha, computes
// w = XOR_x (x^alpha)*r_x = v ^ alpha*u (a small-field VOLE). The receiver
// sends c ^ u per block (c its choice bits, u a one-time pad because it
// contains r_alpha), the sender adds alpha*(c ^ u), and the concatenation of
// the blocks' w is q_j = t_j ^ c_j*Delta with t_j the concatenated v.
// Random OT then hashes exactly as IKNP does: x_j0 = H(j, q_j),
// x_j1 = H(j, q_j ^ Delta), the receiver gets H(j, t_j) ([CRHash]).
//
// Cost: each party expands 2^k/k AES blocks of keystream per OT (the
// sender one leaf fewer per block) and sends 128/k bits per OT; k trades
// computation for communication. Security: 128-bit (the GGM PRG and the
// leaf PRGs are AES-128 keyed by uniform seeds; Delta is uniform).

const (
	tagSoftSetup = 0xD0
	tagSoftChunk = 0xD1
	// softSetupHdr: tag, k, two zero bytes; then 128 pairs of blocks.
	softSetupHdr = 4
	// softChunkHdr: tag, k, two zero bytes, offset (8), rows (4).
	softChunkHdr = 16
	softWidth    = 128
	// MaxSoftSpokenK is the largest SoftSpoken block size k: 2^k leaves
	// per block, so the computation doubles with each step of k.
	MaxSoftSpokenK = 8
	// DefaultSoftSpokenK is the block size a zero [SoftSpokenConfig.K]
	// means: with k = 1 and 3 the least CPU per random OT on the 2-core
	// machine of bench/RESULTS.md, both parties in one process
	// (BenchmarkOTExtension), at half IKNP's bytes. Over a slow link a
	// larger k (fewer bytes) is faster.
	DefaultSoftSpokenK = 2
	// defaultSoftChunk is the default number of rows per extension message.
	defaultSoftChunk = 1 << 14
)

// SoftSpokenConfig configures a SoftSpoken OT extension session. Both
// parties must use the same K.
type SoftSpokenConfig struct {
	// K is the block size in bits, 1 to [MaxSoftSpokenK]; 0 means
	// [DefaultSoftSpokenK]. The extension sends 128/K bits per OT (rounded
	// up to whole blocks) and expands about 2^K/K AES blocks per OT on each
	// side. K = 1 computes exactly IKNP's correlation at IKNP's cost.
	K int
	// Workers bounds the goroutines used for expansion, transposes and
	// hashing; 0 means GOMAXPROCS.
	Workers int
	// ChunkRows is how many OT rows travel in one extension message (a
	// positive multiple of 128, at most 2^22); 0 means 16384.
	ChunkRows int
}

func (c SoftSpokenConfig) withDefaults() (SoftSpokenConfig, error) {
	if c.K == 0 {
		c.K = DefaultSoftSpokenK
	}
	if c.K < 1 || c.K > MaxSoftSpokenK {
		return c, fmt.Errorf("ot: %w: SoftSpoken k = %d is not in [1, %d]", ErrInvalidParams, c.K, MaxSoftSpokenK)
	}
	if c.ChunkRows == 0 {
		c.ChunkRows = defaultSoftChunk
	}
	// Workers and ChunkRows obey IKNP's rules.
	ext, err := Config{Workers: c.Workers, ChunkRows: c.ChunkRows}.withDefaults()
	c.Workers, c.ChunkRows = ext.Workers, ext.ChunkRows
	return c, err
}

// baseConfig is the configuration of the 128 base OTs.
func (c SoftSpokenConfig) baseConfig() Config { return Config{Workers: c.Workers} }

// softBlocks returns the first bit (base OT index) and the size of each
// block of Delta for block size k.
func softBlocks(k int) (offs, sizes []int) {
	for o := 0; o < softWidth; o += k {
		offs = append(offs, o)
		sizes = append(sizes, min(k, softWidth-o))
	}
	return offs, sizes
}

// softNumBlocks is the number of blocks, and of correction columns per
// extension message, for block size k.
func softNumBlocks(k int) int { return (softWidth + k - 1) / k }

// SoftSetup is the SoftSpoken receiver's setup message: for each of the
// 128 base OTs (bit t of block i is base OT offs[i]+t) the XOR of the left
// and of the right children of the GGM level deciding that bit, masked by
// the base OT's two keys.
type SoftSetup struct {
	K      int
	Levels [softWidth][2]Block
}

// MarshalBinary encodes the message.
func (m *SoftSetup) MarshalBinary() ([]byte, error) {
	if m.K < 1 || m.K > MaxSoftSpokenK {
		return nil, fmt.Errorf("%w: SoftSpoken setup with k = %d", ErrInvalidParams, m.K)
	}
	b := make([]byte, softSetupHdr, softSetupHdr+32*softWidth)
	b[0], b[1] = tagSoftSetup, byte(m.K)
	for i := range m.Levels {
		b = append(b, m.Levels[i][0][:]...)
		b = append(b, m.Levels[i][1][:]...)
	}
	return b, nil
}

// UnmarshalBinary decodes and validates the message.
func (m *SoftSetup) UnmarshalBinary(b []byte) error {
	if len(b) != softSetupHdr+32*softWidth || b[0] != tagSoftSetup || b[2]|b[3] != 0 {
		return fmt.Errorf("%w: SoftSpoken setup of %d bytes", ErrMalformed, len(b))
	}
	if b[1] < 1 || b[1] > MaxSoftSpokenK {
		return fmt.Errorf("%w: SoftSpoken setup with k = %d", ErrMalformed, b[1])
	}
	m.K = int(b[1])
	for i := range m.Levels {
		copy(m.Levels[i][0][:], b[softSetupHdr+32*i:])
		copy(m.Levels[i][1][:], b[softSetupHdr+32*i+16:])
	}
	return nil
}

// SoftChunk is one SoftSpoken extension message: for a chunk of Rows rows
// starting at the global row Offset, one column c ^ u per block, block i at
// U[i*Rows/8 : (i+1)*Rows/8].
type SoftChunk struct {
	K      int
	Offset uint64
	Rows   int
	U      []byte
}

func putSoftChunkHeader(b []byte, k int, off uint64, rows int) {
	b[0], b[1], b[2], b[3] = tagSoftChunk, byte(k), 0, 0
	binary.LittleEndian.PutUint64(b[4:], off)
	binary.LittleEndian.PutUint32(b[12:], uint32(rows))
}

// MarshalBinary encodes the chunk.
func (c *SoftChunk) MarshalBinary() ([]byte, error) {
	if c.K < 1 || c.K > MaxSoftSpokenK || c.Rows <= 0 || c.Rows%128 != 0 || c.Rows > maxChunkRows ||
		c.Offset%128 != 0 || len(c.U) != softNumBlocks(c.K)*c.Rows/8 {
		return nil, fmt.Errorf("%w: SoftSpoken chunk of %d rows, k = %d, %d bytes", ErrInvalidParams, c.Rows, c.K, len(c.U))
	}
	b := make([]byte, softChunkHdr+len(c.U))
	putSoftChunkHeader(b, c.K, c.Offset, c.Rows)
	copy(b[softChunkHdr:], c.U)
	return b, nil
}

// UnmarshalBinary decodes and validates the chunk. U aliases b.
func (c *SoftChunk) UnmarshalBinary(b []byte) error {
	if len(b) < softChunkHdr || b[0] != tagSoftChunk || b[2]|b[3] != 0 {
		return fmt.Errorf("%w: SoftSpoken chunk header", ErrMalformed)
	}
	k := int(b[1])
	off := binary.LittleEndian.Uint64(b[4:])
	rows := int(binary.LittleEndian.Uint32(b[12:]))
	if k < 1 || k > MaxSoftSpokenK || rows <= 0 || rows%128 != 0 || rows > maxChunkRows || off%128 != 0 {
		return fmt.Errorf("%w: SoftSpoken chunk of %d rows, k = %d at offset %d", ErrMalformed, rows, k, off)
	}
	if want := softNumBlocks(k) * rows / 8; len(b)-softChunkHdr != want {
		return fmt.Errorf("%w: SoftSpoken chunk body of %d bytes, want %d", ErrMalformed, len(b)-softChunkHdr, want)
	}
	c.K, c.Offset, c.Rows, c.U = k, off, rows, b[softChunkHdr:]
	return nil
}

// ggmChildren is the GGM tree's length-doubling PRG: AES keyed by the node
// seed, evaluated at 0 (left child) and 1 (right child).
func ggmChildren(seed Block) (l, r Block) {
	b := newAES(seed[:])
	var in [16]byte
	b.Encrypt(l[:], in[:])
	in[0] = 1
	b.Encrypt(r[:], in[:])
	return l, r
}

// SoftSpokenReceiver is the receiving party of SoftSpoken OT extension: it
// holds every leaf of every block's GGM tree, chooses a bit per OT and
// learns t_j. Its methods are not safe for concurrent use.
type SoftSpokenReceiver struct {
	cfg   SoftSpokenConfig
	conn  transport.Conn
	offs  []int
	sizes []int
	g     [][]cipher.Block // per block, the PRG of leaf x at index x
	next  uint64
	hash  *CRHash     // salted by the setup message
	works []*softWork // kept between calls
}

// SoftSpokenSender is the sending party of SoftSpoken OT extension: it holds
// Delta and every leaf but leaf alpha_i of each block i, and learns
// q_j = t_j ^ c_j*Delta. Its methods are not safe for concurrent use.
type SoftSpokenSender struct {
	cfg   SoftSpokenConfig
	conn  transport.Conn
	offs  []int
	sizes []int
	delta [softWidth]bool
	dw    [2]uint64        // Delta as two little-endian words
	g     [][]cipher.Block // per block, the PRG of leaf y^alpha at index y; index 0 is nil
	next  uint64
	hash  *CRHash     // salted by the setup message
	works []*softWork // kept between calls
}

// NewSoftSpokenReceiver runs the 128 base OTs with the peer (which calls
// [NewSoftSpokenSender]) as their sender, builds the GGM trees, sends the
// setup message and returns the extension receiver.
func NewSoftSpokenReceiver(ctx context.Context, conn transport.Conn, cfg SoftSpokenConfig) (*SoftSpokenReceiver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	pairs, err := BaseSend(ctx, conn, softWidth, cfg.baseConfig())
	if err != nil {
		return nil, err
	}
	return NewSoftSpokenReceiverFromBase(ctx, conn, pairs, cfg)
}

// NewSoftSpokenSender draws Delta, runs the 128 base OTs with the peer
// (which calls [NewSoftSpokenReceiver]) as their receiver with choice bits
// NOT Delta, receives the setup message and returns the extension sender.
func NewSoftSpokenSender(ctx context.Context, conn transport.Conn, cfg SoftSpokenConfig) (*SoftSpokenSender, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	choices := randomBools(softWidth)
	keys, err := BaseReceive(ctx, conn, choices, cfg.baseConfig())
	if err != nil {
		return nil, err
	}
	return NewSoftSpokenSenderFromBase(ctx, conn, choices, keys, cfg)
}

// NewSoftSpokenReceiverFromBase builds the receiver from the key pairs of
// 128 base OTs in which it was the sender (for callers that ran the base
// OTs themselves): it draws the GGM roots and sends the setup message.
func NewSoftSpokenReceiverFromBase(ctx context.Context, conn transport.Conn, pairs [][2]Block, cfg SoftSpokenConfig) (*SoftSpokenReceiver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(pairs) != softWidth {
		return nil, fmt.Errorf("ot: %w: %d base OT pairs for SoftSpoken, want %d", ErrInvalidParams, len(pairs), softWidth)
	}
	if conn == nil {
		return nil, fmt.Errorf("ot: %w: SoftSpoken receiver has no connection", ErrInvalidParams)
	}
	r := &SoftSpokenReceiver{cfg: cfg, conn: conn}
	r.offs, r.sizes = softBlocks(cfg.K)
	setup := SoftSetup{K: cfg.K}
	r.g = make([][]cipher.Block, len(r.offs))
	for i, o := range r.offs {
		d := r.sizes[i]
		var root Block
		_, _ = rand.Read(root[:]) // crypto/rand.Read never fails
		level := []Block{root}
		for e := range d {
			t := d - 1 - e // the bit of the leaf index this level decides
			next := make([]Block, 2*len(level))
			var sum [2]Block
			for p, s := range level {
				next[2*p], next[2*p+1] = ggmChildren(s)
				sum[0] = sum[0].Xor(next[2*p])
				sum[1] = sum[1].Xor(next[2*p+1])
			}
			setup.Levels[o+t][0] = sum[0].Xor(pairs[o+t][0])
			setup.Levels[o+t][1] = sum[1].Xor(pairs[o+t][1])
			level = next
		}
		if r.g[i], err = newPRGs(level); err != nil {
			return nil, err
		}
	}
	b, err := setup.MarshalBinary()
	if err != nil {
		return nil, err
	}
	r.hash = NewCRHash(sessionSalt(b))
	if err := conn.Send(ctx, b); err != nil {
		return nil, fmt.Errorf("ot: SoftSpoken setup: sending: %w", err)
	}
	return r, nil
}

// NewSoftSpokenSenderFromBase builds the sender from the choice bits and
// keys of 128 base OTs in which it was the receiver (Delta is the
// complement of the choices): it receives the setup message and
// reconstructs every leaf but alpha_i of each block.
func NewSoftSpokenSenderFromBase(ctx context.Context, conn transport.Conn, choices []bool, keys []Block, cfg SoftSpokenConfig) (*SoftSpokenSender, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(choices) != softWidth || len(keys) != softWidth {
		return nil, fmt.Errorf("ot: %w: %d choices and %d keys for SoftSpoken, want %d", ErrInvalidParams, len(choices), len(keys), softWidth)
	}
	if conn == nil {
		return nil, fmt.Errorf("ot: %w: SoftSpoken sender has no connection", ErrInvalidParams)
	}
	raw, err := conn.Recv(ctx)
	if err != nil {
		return nil, fmt.Errorf("ot: SoftSpoken setup: receiving: %w", err)
	}
	var setup SoftSetup
	if err := setup.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("ot: SoftSpoken setup from %q: %w", conn.Peer(), err)
	}
	if setup.K != cfg.K {
		return nil, fmt.Errorf("ot: SoftSpoken setup from %q: %w: k = %d, want %d", conn.Peer(), ErrProtocol, setup.K, cfg.K)
	}
	s := &SoftSpokenSender{cfg: cfg, conn: conn, hash: NewCRHash(sessionSalt(raw))}
	s.offs, s.sizes = softBlocks(cfg.K)
	for i, c := range choices {
		s.delta[i] = !c
		if !c {
			s.dw[i/64] |= 1 << (i % 64)
		}
	}
	s.g = make([][]cipher.Block, len(s.offs))
	for i, o := range s.offs {
		leaves, alpha := s.puncturedLeaves(&setup, choices, keys, o, s.sizes[i])
		g := make([]cipher.Block, len(leaves))
		for y := 1; y < len(leaves); y++ {
			g[y] = newAES(leaves[y^alpha][:])
		}
		s.g[i] = g
	}
	return s, nil
}

// puncturedLeaves rebuilds the leaves of the GGM tree of the block of d
// bits at base OT o, all but leaf alpha (left zero), and returns alpha.
func (s *SoftSpokenSender) puncturedLeaves(setup *SoftSetup, choices []bool, keys []Block, o, d int) ([]Block, int) {
	alpha := 0
	for t := range d {
		if s.delta[o+t] {
			alpha |= 1 << t
		}
	}
	level := make([]Block, 1) // depth 0: the root, unknown
	path := 0                 // alpha's prefix at the current depth
	for e := range d {
		t := d - 1 - e
		b := 0 // the side off alpha's path, which this party's base OT chose
		if choices[o+t] {
			b = 1
		}
		next := make([]Block, 2*len(level))
		sum := setup.Levels[o+t][b].Xor(keys[o+t])
		for p, seed := range level {
			if p == path {
				continue
			}
			next[2*p], next[2*p+1] = ggmChildren(seed)
			sum = sum.Xor(next[2*p+b])
		}
		next[2*path+b] = sum // the sibling of the path node
		path = 2*path + (1 - b)
		level = next
	}
	return level, alpha
}

// softVOLE computes one block's small-field VOLE columns for the rows
// [off, off+8*len(v[0])): with r_x the keystream of g[x] (zero where g[x]
// is nil), v[t] = XOR of r_x over the x with bit t set and, if u is not
// nil, u = XOR of all r_x. The sums run as a binary counter over x: level l
// of stack holds the pending sum of the left sibling at that level, so the
// work is about two vector XORs per leaf and the memory len(v)+1 columns.
// stack has len(v) buffers and tmp and zeros (all zero) one each, all as
// long as v[0]; only g[0] may be nil.
func softVOLE(g []cipher.Block, off uint64, v [][]byte, u []byte, stack [][]byte, tmp, zeros []byte) {
	d := len(v)
	for x := 1; x < len(g); x += 2 {
		expand(g[x], off, tmp, zeros) // r_x
		// Level 0: v[0] gets every odd leaf, and r_{x-1} ^ r_x is the
		// parent's sum, built in stack[0].
		if x == 1 {
			copy(v[0], tmp)
		} else {
			subtle.XORBytes(v[0], v[0], tmp)
		}
		if g[x-1] == nil {
			copy(stack[0], tmp)
		} else {
			expand(g[x-1], off, stack[0], tmp)
		}
		// stack[l-1] holds the sum of node x>>l of level l; carry it up
		// while it is a right child.
		l := 1
		for ; l < d; l++ {
			if (x>>l)&1 == 0 {
				stack[l], stack[l-1] = stack[l-1], stack[l]
				break
			}
			if x>>l == 1 { // the first right child of level l
				copy(v[l], stack[l-1])
			} else {
				subtle.XORBytes(v[l], v[l], stack[l-1])
			}
			subtle.XORBytes(stack[l], stack[l], stack[l-1])
		}
		if l == d && u != nil { // x was the last leaf: stack[d-1] is the root's sum
			copy(u, stack[d-1])
		}
	}
}

// softWork is one worker's buffers for a chunk of rows.
type softWork struct {
	cap   int      // the most rows the buffers hold
	cols  []byte   // the 128 columns of t or q, colStride apart
	rows  []uint64 // the same by rows
	stack [][]byte
	stk   [][]byte // stack cut to one chunk's length
	tmp   []byte
	zeros []byte
	msg   []byte // receiver: header + corrections; sender: the received chunk
	v     [][]byte
}

func newSoftWork(k, rows int, receiver bool) *softWork {
	st := colStride(rows)
	w := &softWork{
		cap:   rows,
		stk:   make([][]byte, k),
		cols:  make([]byte, softWidth*st),
		rows:  make([]uint64, rows*2),
		stack: make([][]byte, k),
		tmp:   make([]byte, rows/8),
		zeros: make([]byte, rows/8),
		v:     make([][]byte, k),
	}
	for l := range w.stack {
		w.stack[l] = make([]byte, rows/8)
	}
	if receiver {
		w.msg = make([]byte, softChunkHdr+softNumBlocks(k)*rows/8)
	}
	return w
}

// softWorks returns n work buffers for chunks of up to rows rows, reusing
// the ones kept from earlier calls when they are large enough.
func softWorks(kept *[]*softWork, n, k, rows int, receiver bool) []*softWork {
	if len(*kept) < n || (*kept)[0].cap < rows {
		*kept = make([]*softWork, n)
		for i := range *kept {
			(*kept)[i] = newSoftWork(k, rows, receiver)
		}
	}
	return (*kept)[:n]
}

// stackFor returns the stack buffers cut to rb bytes.
func (ws *softWork) stackFor(rb int) [][]byte {
	for l := range ws.stack {
		ws.stk[l] = ws.stack[l][:rb]
	}
	return ws.stk
}

// encode computes the receiver's chunk of rows [off, off+rows) with the
// packed choice bits c (rows/8 bytes): the message in ws.msg and the rows
// t_j in ws.rows.
func (r *SoftSpokenReceiver) encode(ws *softWork, off uint64, rows int, c []byte) {
	rb := rows / 8
	st := colStride(rows)
	putSoftChunkHeader(ws.msg, r.cfg.K, off, rows)
	body := ws.msg[softChunkHdr:]
	for i, o := range r.offs {
		v := ws.v[:r.sizes[i]]
		for t := range v {
			v[t] = ws.cols[(o+t)*st : (o+t)*st+rb]
		}
		u := body[i*rb : (i+1)*rb]
		softVOLE(r.g[i], off, v, u, ws.stackFor(rb), ws.tmp[:rb], ws.zeros[:rb])
		subtle.XORBytes(u, u, c)
	}
	colsToRows(ws.rows[:2*rows], ws.cols, st, softWidth, rows)
}

// decode computes the sender's rows q_j of chunk c into ws.rows.
func (s *SoftSpokenSender) decode(ws *softWork, c *SoftChunk) {
	rb := c.Rows / 8
	st := colStride(c.Rows)
	for i, o := range s.offs {
		v := ws.v[:s.sizes[i]]
		for t := range v {
			v[t] = ws.cols[(o+t)*st : (o+t)*st+rb]
		}
		softVOLE(s.g[i], c.Offset, v, nil, ws.stackFor(rb), ws.tmp[:rb], ws.zeros[:rb])
		corr := c.U[i*rb : (i+1)*rb]
		for t := range v {
			if s.delta[o+t] {
				subtle.XORBytes(v[t], v[t], corr)
			}
		}
	}
	colsToRows(ws.rows[:2*c.Rows], ws.cols, st, softWidth, c.Rows)
}

// extend runs m rows as the receiver with the packed choice bits c (at
// least roundUp(m, 128)/8 bytes, zero beyond m), streaming a message per
// chunk; use(first, t) gets the rows t_j of rows first.. of this call,
// concurrently on disjoint chunks, valid only during the call.
func (r *SoftSpokenReceiver) extend(ctx context.Context, m int, c []byte, use func(first int, t Matrix) error) error {
	if m == 0 {
		return nil
	}
	plan := newChunking(&r.next, m, r.cfg.ChunkRows, r.cfg.Workers)
	works := softWorks(&r.works, plan.workers, r.cfg.K, plan.chunk, true)
	nb := softNumBlocks(r.cfg.K)
	for c0, n := range plan.rounds() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("ot: SoftSpoken extension: %w", err)
		}
		if err := parallel.Each(ctx, n, n, func(k int) error {
			ws := works[k]
			first, rows := plan.rows(c0 + k)
			r.encode(ws, plan.base+uint64(first), rows, c[first/8:(first+rows)/8])
			return use(first, Matrix{Rows: min(rows, m-first), Words: 2, Data: ws.rows[:2*rows]})
		}); err != nil {
			return err
		}
		for k := range n {
			first, rows := plan.rows(c0 + k)
			if err := r.conn.Send(ctx, works[k].msg[:softChunkHdr+nb*rows/8]); err != nil {
				return fmt.Errorf("ot: SoftSpoken extension: sending chunk at row %d: %w", first, err)
			}
		}
	}
	return nil
}

// extend runs m rows as the sender: it receives the receiver's chunks and
// calls use(first, q) with each chunk's rows q_j, concurrently on disjoint
// chunks, valid only during the call.
func (s *SoftSpokenSender) extend(ctx context.Context, m int, use func(first int, q Matrix) error) error {
	if m == 0 {
		return nil
	}
	plan := newChunking(&s.next, m, s.cfg.ChunkRows, s.cfg.Workers)
	works := softWorks(&s.works, plan.workers, s.cfg.K, plan.chunk, false)
	chunks := make([]SoftChunk, plan.workers)
	for c0, n := range plan.rounds() {
		for k := range n {
			first, rows := plan.rows(c0 + k)
			raw, err := s.conn.Recv(ctx)
			if err != nil {
				return fmt.Errorf("ot: SoftSpoken extension: receiving chunk at row %d: %w", first, err)
			}
			c := &chunks[k]
			if err := c.UnmarshalBinary(raw); err != nil {
				return fmt.Errorf("ot: SoftSpoken extension chunk from %q: %w", s.conn.Peer(), err)
			}
			if want := plan.base + uint64(first); c.K != s.cfg.K || c.Offset != want || c.Rows != rows {
				return fmt.Errorf("ot: SoftSpoken extension chunk from %q: %w: got k = %d, offset %d, %d rows; want k = %d, offset %d, %d rows",
					s.conn.Peer(), ErrProtocol, c.K, c.Offset, c.Rows, s.cfg.K, want, rows)
			}
		}
		if err := parallel.Each(ctx, n, n, func(k int) error {
			ws, c := works[k], &chunks[k]
			first, _ := plan.rows(c0 + k)
			s.decode(ws, c)
			return use(first, Matrix{Rows: min(c.Rows, m-first), Words: 2, Data: ws.rows[:2*c.Rows]})
		}); err != nil {
			return err
		}
		for k := range n {
			chunks[k].U = nil
		}
	}
	return nil
}

// packBools packs choices into bytes (bit j is bit j%8 of byte j/8),
// zero-padded to a multiple of 128 bits.
func packBools(choices []bool) []byte {
	c := make([]byte, roundUp(len(choices), 128)/8)
	for j, b := range choices {
		if b {
			c[j/8] |= 1 << (j % 8)
		}
	}
	return c
}

// packWords packs the first m bits of words (bit j is bit j%64 of word
// j/64) into bytes, zero-padded to a multiple of 128 bits.
func packWords(words []uint64, m int) []byte {
	c := make([]byte, roundUp(m, 128)/8)
	for i := 0; i < m/64; i++ {
		binary.LittleEndian.PutUint64(c[8*i:], words[i])
	}
	for j := m / 64 * 64; j < m; j++ {
		c[j/8] |= byte(words[j/64]>>(j%64)&1) << (j % 8)
	}
	return c
}

// RandomOT runs m random 1-out-of-2 OTs as the sender and returns the
// message pairs; the peer calls [SoftSpokenReceiver.RandomOT] with m choice
// bits.
func (s *SoftSpokenSender) RandomOT(ctx context.Context, m int) ([][2]Block, error) {
	if m < 0 {
		return nil, fmt.Errorf("ot: %w: %d OTs", ErrInvalidParams, m)
	}
	return s.hashed().randomOT(ctx, m)
}

// cot returns the sender's hashed 1-out-of-2 OTs, as IKNP's.
func (s *SoftSpokenSender) hashed() hashedSender {
	return hashedSender{conn: s.conn, hash: s.hash, base: s.next, d0: s.dw[0], d1: s.dw[1], extend: s.extend}
}

// RandomOT runs one random 1-out-of-2 OT per choice bit as the receiver and
// returns the chosen messages: the result j is the sender's pair j at
// choices[j].
func (r *SoftSpokenReceiver) RandomOT(ctx context.Context, choices []bool) ([]Block, error) {
	return r.hashed(packBools(choices)).randomOT(ctx, len(choices))
}

// hashed returns the receiver's hashed 1-out-of-2 OTs, as IKNP's, with
// the packed choice bits c.
func (r *SoftSpokenReceiver) hashed(c []byte) hashedReceiver {
	return hashedReceiver{conn: r.conn, hash: r.hash, base: r.next,
		extend: func(ctx context.Context, m int, use func(first int, t Matrix) error) error {
			return r.extend(ctx, m, c, use)
		}}
}

// ChosenOT sends msgs[j][0] and msgs[j][1] through OT j; the peer, calling
// [SoftSpokenReceiver.ChosenOT], learns exactly one of them per OT.
func (s *SoftSpokenSender) ChosenOT(ctx context.Context, msgs [][2]Block) error {
	x, err := s.RandomOT(ctx, len(msgs))
	if err != nil {
		return err
	}
	return sendChosen(ctx, s.conn, msgs, x)
}

// ChosenOT receives, for each OT j, the sender's message msgs[j][choices[j]].
func (r *SoftSpokenReceiver) ChosenOT(ctx context.Context, choices []bool) ([]Block, error) {
	x, err := r.RandomOT(ctx, choices)
	if err != nil {
		return nil, err
	}
	return recvChosen(ctx, r.conn, choices, x)
}

// CorrelatedOT64 runs len(delta) correlated OTs over Z_2^64 as the sender
// (as [Sender.CorrelatedOT64]): it returns the sender's words x_j and the
// peer, calling [SoftSpokenReceiver.CorrelatedOT64], learns
// x_j + c_j*delta_j mod 2^64.
func (s *SoftSpokenSender) CorrelatedOT64(ctx context.Context, delta []uint64) ([]uint64, error) {
	return s.hashed().correlatedOT64(ctx, delta)
}

// CorrelatedOT64 runs m correlated OTs as the receiver (as
// [Receiver.CorrelatedOT64]): the choice bit of OT j is bit j%64 of
// choices[j/64], and it returns x_j + c_j*delta_j mod 2^64 per OT.
func (r *SoftSpokenReceiver) CorrelatedOT64(ctx context.Context, choices []uint64, m int) ([]uint64, error) {
	if m < 0 || len(choices) < (m+63)/64 {
		return nil, fmt.Errorf("ot: %w: %d correlated OTs with %d choice words", ErrInvalidParams, m, len(choices))
	}
	return r.hashed(packWords(choices, m)).correlatedOT64(ctx, choices, m)
}

// OneOfTwoSender is the sender's side of 1-out-of-2 OT extension that both
// [*Sender] (IKNP, width 128) and [*SoftSpokenSender] offer, so a caller
// can take either.
type OneOfTwoSender interface {
	RandomOT(ctx context.Context, m int) ([][2]Block, error)
	ChosenOT(ctx context.Context, msgs [][2]Block) error
	CorrelatedOT64(ctx context.Context, delta []uint64) ([]uint64, error)
}

// OneOfTwoReceiver is the receiver's side matching [OneOfTwoSender],
// offered by [*Receiver] (width 128) and [*SoftSpokenReceiver].
type OneOfTwoReceiver interface {
	RandomOT(ctx context.Context, choices []bool) ([]Block, error)
	ChosenOT(ctx context.Context, choices []bool) ([]Block, error)
	CorrelatedOT64(ctx context.Context, choices []uint64, m int) ([]uint64, error)
}

var (
	_ OneOfTwoSender   = (*Sender)(nil)
	_ OneOfTwoSender   = (*SoftSpokenSender)(nil)
	_ OneOfTwoReceiver = (*Receiver)(nil)
	_ OneOfTwoReceiver = (*SoftSpokenReceiver)(nil)
)
