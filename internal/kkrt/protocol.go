package kkrt

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/internal/ot"
	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/internal/prg"
	"github.com/veil-go/veil/transport"
)

// Stats describes a run.
type Stats struct {
	Items      int // this party's distinct items
	PeerItems  int // the peer's distinct items (as it announced)
	Bins       int // cuckoo bins = OT rows
	ValueBytes int // length of each truncated OPRF value
	// Traffic of this run on the connection, frame headers included.
	BytesSent, BytesReceived int64
}

// BytesPerItem is the total traffic in both directions divided by the larger
// of the two sets.
func (s Stats) BytesPerItem() float64 {
	n := max(s.Items, s.PeerItems, 1)
	return float64(s.BytesSent+s.BytesReceived) / float64(n)
}

// Result is the receiver's output.
type Result struct {
	// Intersection lists, in increasing order, the indices of the
	// receiver's items that are in the sender's set (every copy of a
	// duplicated item).
	Intersection []int
	// SenderMatches lists, in increasing order, the positions in the
	// sender's (shuffled) stream of the items that matched; the sender maps
	// them to its items with [SendResult.Order]. It lets a caller reveal the
	// intersection to the sender too.
	SenderMatches []int
	// Payloads (when the sender sent payloads, see [WithPayloads]) holds
	// the sender's payload of the item at Intersection[k] in Payloads[k].
	Payloads [][]byte
	Stats    Stats
}

// SendResult is the sender's output.
type SendResult struct {
	// Order[p] is the index in the sender's items of the item it streamed
	// at position p (the first copy of a duplicated item).
	Order []int
	Stats Stats
}

func statsSince(conn transport.Conn, start transport.Stats) (sent, recv int64) {
	now := conn.Stats()
	return now.BytesSent - start.BytesSent, now.BytesReceived - start.BytesReceived
}

// party is what both roles prepare before talking: configuration, their
// distinct digests, a PRG keyed from crypto/rand and the traffic counters
// at the start.
type party struct {
	cfg   Config
	conn  transport.Conn
	role  string
	uniq  []digest
	of    []int32
	rnd   *prg.PRG
	start transport.Stats
}

func prepare(conn transport.Conn, items [][]byte, cfg Config, role string) (*party, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(items) > MaxItems {
		return nil, fmt.Errorf("kkrt: %w: %d items, more than %d", ErrInvalidParams, len(items), MaxItems)
	}
	if conn == nil {
		return nil, fmt.Errorf("kkrt: %w: nil connection", ErrInvalidParams)
	}
	p := &party{cfg: cfg, conn: conn, role: role, start: conn.Stats()}
	p.uniq, p.of = dedupe(digestAll(items, cfg.Workers), cfg.Workers)
	if p.rnd, err = prg.NewRandom(); err != nil {
		return nil, err
	}
	return p, nil
}

// step wraps a phase's error as the error of that step of the run.
func (p *party) step(name string, err error) error {
	return errs.Step("kkrt", p.role, name, p.conn.Peer(), err)
}

// stats is the run's Stats so far.
func (p *party) stats(peerItems, bins, vlen int) Stats {
	sent, recv := statsSince(p.conn, p.start)
	return Stats{Items: len(p.uniq), PeerItems: peerItems, Bins: bins, ValueBytes: vlen, BytesSent: sent, BytesReceived: recv}
}

// receiverState is the receiver's run, phase by phase: cuckoo, hello, oprf,
// values.
type receiverState struct {
	*party
	bins  int
	hello ReceiverHello
	ct    *cuckooTable
	sh    SenderHello
	h     *hasher
	vlen  int
	vals  []digest   // each own item's OPRF value, truncated
	keys  [][16]byte // join: each own item's OPRF key
	tbl   *table

	matched       []bool
	senderMatches []int
	payloads      [][]byte
	pending       []pendingPayload
}

// Receive runs KKRT16 PSI as the receiver over conn with its items; the
// peer calls [Send]. It returns which of its items are in the sender's set.
func Receive(ctx context.Context, conn transport.Conn, items [][]byte, cfg Config) (*Result, error) {
	p, err := prepare(conn, items, cfg, "receiver")
	if err != nil {
		return nil, err
	}
	if p.cfg.Payloads != nil {
		return nil, fmt.Errorf("kkrt: %w: payloads given to the receiver", ErrInvalidParams)
	}
	st := &receiverState{party: p, bins: NumBins(len(p.uniq))}
	if err := st.cuckoo(); err != nil {
		return nil, st.step("cuckoo", err)
	}
	if err := st.exchangeHello(ctx); err != nil {
		return nil, st.step("hello", err)
	}
	if err := st.oprf(ctx); err != nil {
		return nil, st.step("oprf", err)
	}
	if err := st.compare(ctx); err != nil {
		return nil, st.step("values", err)
	}
	return st.result(), nil
}

// cuckoo hashes the set with a fresh key; a failure (about 2^-40) is
// retried with another key before anything is sent.
func (st *receiverState) cuckoo() error {
	st.hello.N, st.hello.Bins = len(st.uniq), st.bins
	for try := 0; ; try++ {
		_, _ = st.rnd.Read(st.hello.CuckooKey[:])
		h, err := newHasher(st.bins, st.hello.CuckooKey, [16]byte{})
		if err != nil {
			return err
		}
		if st.ct, err = buildCuckoo(h, st.uniq, st.cfg.Workers, st.rnd); err == nil {
			return nil
		} else if try+1 == cuckooTries {
			return err
		}
	}
}

// exchangeHello sends the receiver's hello and checks the sender's.
func (st *receiverState) exchangeHello(ctx context.Context) error {
	msg, _ := st.hello.MarshalBinary()
	if err := st.conn.Send(ctx, msg); err != nil {
		return err
	}
	raw, err := st.conn.Recv(ctx)
	if err != nil {
		return err
	}
	if err := st.sh.UnmarshalBinary(raw); err != nil {
		return err
	}
	if st.sh.N > st.cfg.MaxPeerItems {
		return fmt.Errorf("%w: sender announces %d items, above the limit %d (Config.MaxPeerItems)",
			ErrProtocol, st.sh.N, st.cfg.MaxPeerItems)
	}
	if st.h, err = newHasher(st.bins, st.hello.CuckooKey, st.sh.CodeKey); err != nil {
		return err
	}
	st.vlen = max(ValueBytes(len(st.uniq), st.sh.N), st.cfg.MinValueBytes)
	return nil
}

// oprf runs one 1-out-of-N OT per bin: the row of an occupied bin is the
// code word of its item, empty bins use the zero row. It leaves each own
// item's OPRF value in a lookup table.
func (st *receiverState) oprf(ctx context.Context) error {
	otr, err := ot.NewReceiver(ctx, st.conn, st.cfg.otConfig())
	if err != nil {
		return err // ot names the base-OT step itself
	}
	ct, h, uniq := st.ct, st.h, st.uniq
	// The digests in bin order, so that the OT workers read them in
	// sequence (the scatter's random writes do not stall).
	binDigest := make([]digest, st.bins)
	for b, u := range ct.bins {
		if u >= 0 {
			binDigest[b] = uniq[u]
		}
	}
	st.vals = make([]digest, len(uniq))
	if st.sh.Payloads {
		st.keys = make([][16]byte, len(uniq))
	}
	err = otr.ExtendFunc(ctx, st.bins, func(first int, d ot.Matrix) {
		s := newScratch()
		var c [1][CodeWidth / 64]uint64
		for j := range d.Rows {
			if u := ct.bins[first+j]; u >= 0 {
				h.codes(s, c[:], binDigest[first+j], int(ct.fn[first+j]))
				copy(d.Row(j), c[0][:])
			}
		}
	}, func(first int, t ot.Matrix) error {
		for j := range t.Rows {
			if u := ct.bins[first+j]; u >= 0 {
				sum := oprf(first+j, t.Row(j))
				st.vals[u] = truncate(sum[:], st.vlen)
				if st.keys != nil {
					copy(st.keys[u][:], sum[16:])
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	st.tbl, err = ownValues(st.vals, st.vlen)
	return err
}

// ownValues indexes the receiver's own OPRF values. Two equal values would
// hide one item behind the other (a false positive and a false negative):
// ValueBytes makes that at most 2^-40, and it is an error, never silent.
func ownValues(vals []digest, vlen int) (*table, error) {
	tbl := newTable(vals)
	for u := range vals {
		if tbl.insert(int32(u)) != int32(u) {
			return nil, fmt.Errorf("%w: two of our items have equal %d-byte OPRF values; use a larger MinValueBytes",
				ErrInvalidParams, vlen)
		}
	}
	return tbl, nil
}

// compare receives the sender's values, looks each up among ours and
// acknowledges each chunk. The work per chunk does not depend on which
// values match beyond a table hit or miss: payloads are copied, whether
// they match or not, and opened after the whole stream (openPayloads).
func (st *receiverState) compare(ctx context.Context) error {
	st.matched = make([]bool, len(st.uniq))
	if st.sh.Payloads {
		st.payloads = make([][]byte, len(st.uniq))
	}
	found := make([][][2]int32, st.cfg.Workers) // (receiver item, sender position)
	for remaining := st.sh.N; remaining > 0; {
		raw, err := st.conn.Recv(ctx)
		if err != nil {
			return err
		}
		base := st.sh.N - remaining
		var n int
		if st.sh.Payloads {
			n, err = st.comparePayloads(raw, base, remaining)
		} else {
			n, err = st.compareValues(ctx, raw, base, remaining, found)
		}
		if err != nil {
			return err
		}
		remaining -= n
		ack, _ := (&Ack{Count: n}).MarshalBinary()
		if err := st.conn.Send(ctx, ack); err != nil {
			return err
		}
	}
	st.openPayloads()
	return nil
}

// checkChunk refuses a chunk of count items with remaining outstanding
// that is empty, too long, or shorter than MinChunkItems but for the last.
func checkChunk(count, remaining int) error {
	if count == 0 || count > remaining || count < min(MinChunkItems, remaining) {
		return fmt.Errorf("%w: chunk of %d items with %d outstanding (at least %d but for the last)",
			ErrProtocol, count, remaining, MinChunkItems)
	}
	return nil
}

// pendingPayload is a sender item whose value matched one of ours: its
// payload is opened after the stream.
type pendingPayload struct {
	u, pos int
	f      int
	item   PayloadItem
}

// comparePayloads handles one PayloadValues chunk starting at sender
// position base and returns its number of items.
func (st *receiverState) comparePayloads(raw []byte, base, remaining int) (int, error) {
	var pv PayloadValues
	if err := pv.UnmarshalBinary(raw); err != nil {
		return 0, err
	}
	vlen := st.vlen
	if pv.Len != vlen {
		return 0, fmt.Errorf("%w: %d-byte values, want %d bytes", ErrProtocol, pv.Len, vlen)
	}
	if err := checkChunk(len(pv.Items), remaining); err != nil {
		return 0, err
	}
	for i := range pv.Items {
		it := pv.Items[i]
		tags := it.Tags
		// Every payload is copied out of the chunk, so that the chunk is
		// not kept; a match's copy is kept.
		it.Tags, it.Sealed = nil, slices.Clone(it.Sealed)
		for f := range NumHashes {
			if u := st.tbl.lookup(truncate(tags[f*vlen:], vlen)); u >= 0 {
				st.pending = append(st.pending, pendingPayload{u: int(u), pos: base + i, f: f, item: it})
			}
		}
	}
	return len(pv.Items), nil
}

// openPayloads opens the payloads of the matching values. A tag that
// matches by accident (probability 2^-40) fails to open and is not a match.
func (st *receiverState) openPayloads() {
	for _, p := range st.pending {
		if pl, ok := openPayload(&p.item, p.f, st.keys[p.u]); ok {
			st.matched[p.u], st.payloads[p.u] = true, pl
			st.senderMatches = append(st.senderMatches, p.pos)
		}
	}
	st.pending = nil
}

// compareValues handles one Values chunk starting at sender position base
// and returns its number of items; the lookups run on the workers, each
// collecting its hits in found[w].
func (st *receiverState) compareValues(ctx context.Context, raw []byte, base, remaining int, found [][][2]int32) (int, error) {
	var v Values
	if err := v.UnmarshalBinary(raw); err != nil {
		return 0, err
	}
	vlen := st.vlen
	if v.Len != vlen {
		return 0, fmt.Errorf("%w: %d-byte values, want %d bytes", ErrProtocol, v.Len, vlen)
	}
	if err := checkChunk(v.Count, remaining); err != nil {
		return 0, err
	}
	total := v.Count * NumHashes
	parts := min(st.cfg.Workers, max(1, total/4096))
	err := parallel.Each(ctx, parts, parts, func(w int) error {
		lo, hi := w*total/parts, (w+1)*total/parts
		var keys [lookupBatch]digest
		var got [lookupBatch]int32
		for b := lo; b < hi; b += lookupBatch {
			e := min(b+lookupBatch, hi)
			for i := b; i < e; i++ {
				keys[i-b] = truncate(v.Data[i*vlen:], vlen)
			}
			st.tbl.lookupMany(keys[:e-b], got[:e-b])
			for i := b; i < e; i++ {
				if u := got[i-b]; u >= 0 {
					found[w] = append(found[w], [2]int32{u, int32(base + i/NumHashes)})
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for w := range found[:parts] {
		for _, f := range found[w] {
			st.matched[f[0]] = true
			st.senderMatches = append(st.senderMatches, int(f[1]))
		}
		found[w] = found[w][:0]
	}
	return v.Count, nil
}

// result maps the matches back to the receiver's inputs.
func (st *receiverState) result() *Result {
	slices.Sort(st.senderMatches)
	res := &Result{Intersection: []int{}, SenderMatches: slices.Compact(st.senderMatches)}
	for i, u := range st.of {
		if st.matched[u] {
			res.Intersection = append(res.Intersection, i)
			if st.payloads != nil {
				res.Payloads = append(res.Payloads, st.payloads[u])
			}
		}
	}
	res.Stats = st.stats(st.sh.N, st.bins, st.vlen)
	return res
}

// senderState is the sender's run, phase by phase: shuffle, hello, oprf,
// values.
type senderState struct {
	*party
	order []int // order[p]: input index of the item streamed at position p
	rh    ReceiverHello
	hello SenderHello
	h     *hasher
	vlen  int
	q     ot.Matrix
	delta []uint64
}

// Send runs KKRT16 PSI as the sender over conn with its items; the peer
// calls [Receive]. The sender learns only the size of the receiver's set.
func Send(ctx context.Context, conn transport.Conn, items [][]byte, cfg Config) (*SendResult, error) {
	p, err := prepare(conn, items, cfg, "sender")
	if err != nil {
		return nil, err
	}
	if pl := p.cfg.Payloads; pl != nil {
		if len(pl) != len(items) {
			return nil, fmt.Errorf("kkrt: %w: %d payloads for %d items", ErrInvalidParams, len(pl), len(items))
		}
		for i := range pl {
			if len(pl[i]) > MaxPayload {
				return nil, fmt.Errorf("kkrt: %w: payload %d is %d bytes, above %d", ErrInvalidParams, i, len(pl[i]), MaxPayload)
			}
		}
	}
	st := &senderState{party: p}
	st.shuffle()
	if err := st.exchangeHello(ctx); err != nil {
		return nil, st.step("hello", err)
	}
	if err := st.oprf(ctx); err != nil {
		return nil, st.step("oprf", err)
	}
	if st.cfg.Payloads != nil {
		err = st.sendPayloads(ctx)
	} else {
		err = st.sendValues(ctx)
	}
	if err != nil {
		return nil, st.step("values", err)
	}
	return &SendResult{Order: st.order, Stats: st.stats(st.rh.N, st.rh.Bins, st.vlen)}, nil
}

// shuffle permutes the distinct items so that the order of the values says
// nothing about the order of the sender's input.
func (st *senderState) shuffle() {
	n := len(st.uniq)
	st.order = firstIndices(st.of, n)
	coins := st.rnd.Uint64s(n)
	for i := n - 1; i > 0; i-- {
		j := coins[i] % uint64(i+1)
		st.uniq[i], st.uniq[j] = st.uniq[j], st.uniq[i]
		st.order[i], st.order[j] = st.order[j], st.order[i]
	}
}

// exchangeHello checks the receiver's hello and answers with the sender's.
func (st *senderState) exchangeHello(ctx context.Context) error {
	raw, err := st.conn.Recv(ctx)
	if err != nil {
		return err
	}
	if err := st.rh.UnmarshalBinary(raw); err != nil {
		return err
	}
	if st.rh.N > st.cfg.MaxPeerItems {
		// The sender keeps 64 bytes per receiver bin: bound what a peer
		// can make it allocate.
		return fmt.Errorf("%w: receiver announces %d items, above the limit %d (Config.MaxPeerItems)",
			ErrProtocol, st.rh.N, st.cfg.MaxPeerItems)
	}
	st.hello = SenderHello{N: len(st.uniq), Payloads: st.cfg.Payloads != nil}
	_, _ = st.rnd.Read(st.hello.CodeKey[:])
	msg, _ := st.hello.MarshalBinary()
	if err := st.conn.Send(ctx, msg); err != nil {
		return err
	}
	if st.h, err = newHasher(st.rh.Bins, st.rh.CuckooKey, st.hello.CodeKey); err != nil {
		return err
	}
	st.vlen = max(ValueBytes(st.rh.N, len(st.uniq)), st.cfg.MinValueBytes)
	return nil
}

// oprf runs the OT extension: one row q_j per receiver bin, and the
// secret s (delta).
func (st *senderState) oprf(ctx context.Context) error {
	ots, err := ot.NewSender(ctx, st.conn, st.cfg.otConfig())
	if err != nil {
		return err // ot names the base-OT step itself
	}
	if st.q, err = ots.Extend(ctx, st.rh.Bins); err != nil {
		return err
	}
	st.delta = ots.Delta()
	return nil
}

// sendValues streams, for each item x and hash function f,
// F_{h_f(x)}(x, f) = H(bin, q_bin ^ (C(x, f) AND s)), truncated, in chunks
// built by the workers and sent in order.
func (st *senderState) sendValues(ctx context.Context) error {
	n, vlen, chunk := len(st.uniq), st.vlen, st.cfg.ChunkItems
	nChunks := (n + chunk - 1) / chunk
	workers := min(st.cfg.Workers, max(nChunks, 1))
	bufs := make([][]byte, workers)
	for k := range bufs {
		bufs[k] = make([]byte, valuesHdrSize+chunk*NumHashes*vlen)
	}
	win := st.window()
	for c0 := 0; c0 < nChunks; c0 += workers {
		cnt := min(workers, nChunks-c0)
		err := parallel.Each(ctx, cnt, cnt, func(k int) error {
			lo := (c0 + k) * chunk
			st.valuesChunk(bufs[k], lo, min(lo+chunk, n))
			return nil
		})
		if err != nil {
			return err
		}
		for k := range cnt {
			lo := (c0 + k) * chunk
			hi := min(lo+chunk, n)
			if err := win.send(ctx, bufs[k][:valuesHdrSize+(hi-lo)*NumHashes*vlen], hi-lo); err != nil {
				return err
			}
		}
	}
	return win.drain(ctx)
}

// window keeps the sender's values chunks that the receiver has not
// acknowledged yet to at most max.
type window struct {
	conn    transport.Conn
	max     int
	pending []int // item counts of the unacknowledged chunks, oldest first
}

func (st *senderState) window() *window {
	return &window{conn: st.conn, max: st.cfg.Window}
}

// send sends one chunk of count items, first waiting for an
// acknowledgement if the window is full.
func (w *window) send(ctx context.Context, msg []byte, count int) error {
	if len(w.pending) >= w.max {
		if err := w.ack(ctx); err != nil {
			return err
		}
	}
	if err := w.conn.Send(ctx, msg); err != nil {
		return err
	}
	w.pending = append(w.pending, count)
	return nil
}

// ack takes the acknowledgement of the oldest unacknowledged chunk.
func (w *window) ack(ctx context.Context) error {
	raw, err := w.conn.Recv(ctx)
	if err != nil {
		return err
	}
	var a Ack
	if err := a.UnmarshalBinary(raw); err != nil {
		return err
	}
	if len(w.pending) == 0 || a.Count != w.pending[0] {
		return fmt.Errorf("%w: acknowledgement of %d items, want the oldest of the unacknowledged chunks (items %v)",
			ErrProtocol, a.Count, w.pending)
	}
	w.pending = w.pending[1:]
	return nil
}

// drain takes the acknowledgements still outstanding.
func (w *window) drain(ctx context.Context) error {
	for len(w.pending) > 0 {
		if err := w.ack(ctx); err != nil {
			return err
		}
	}
	return nil
}

// valuesChunk writes into buf the Values message of the items [lo, hi).
func (st *senderState) valuesChunk(buf []byte, lo, hi int) {
	h, q, delta, uniq, vlen := st.h, st.q, st.delta, st.uniq, st.vlen
	putValuesHeader(buf, vlen, hi-lo)
	out := buf[valuesHdrSize:]
	s := newScratch()
	var row [CodeWidth / 64]uint64
	// Items go in groups: first the AES work of the group (positions and
	// code words), then one load per OT row it needs, issued back to back so
	// that the cache misses overlap, then the hashing.
	const group = 16
	var pos [group][NumHashes]uint32
	var c [group][NumHashes][CodeWidth / 64]uint64
	for g := lo; g < hi; g += group {
		e := min(g+group, hi)
		for i := g; i < e; i++ {
			pos[i-g] = h.positions(s, uniq[i])
			h.codes(s, c[i-g][:], uniq[i], 0)
		}
		for i := range e - g {
			for _, b := range pos[i] {
				s.sink ^= q.Data[int(b)*(CodeWidth/64)]
			}
		}
		for i := g; i < e; i++ {
			for f, b := range pos[i-g] {
				qr := q.Row(int(b))
				cf := &c[i-g][f]
				for w := range row {
					row[w] = qr[w] ^ (cf[w] & delta[w])
				}
				v := value(int(b), row[:], vlen)
				var vb [16]byte
				binary.LittleEndian.PutUint64(vb[:], v[0])
				binary.LittleEndian.PutUint64(vb[8:], v[1])
				copy(out[((i-lo)*NumHashes+f)*vlen:], vb[:vlen])
			}
		}
	}
}

// firstIndices returns, for each of n distinct items, the index of its first
// copy given of[i], the distinct index of input i (in first-seen order).
func firstIndices(of []int32, n int) []int {
	first := make([]int, n)
	next := 0
	for i, u := range of {
		if int(u) == next {
			first[u] = i
			next++
		}
	}
	return first
}
