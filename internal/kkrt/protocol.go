package kkrt

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/veil-go/veil/internal/ot"
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

// party is what both roles prepare before talking: options, their distinct
// digests, a PRG and the traffic counters at the start.
type party struct {
	cfg   *config
	uniq  []digest
	of    []int32
	rnd   *prg.PRG
	start transport.Stats
}

func prepare(conn transport.Conn, items [][]byte, opts []Option) (*party, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if len(items) > MaxItems {
		return nil, fmt.Errorf("%w: %d items, more than %d", ErrInvalidParams, len(items), MaxItems)
	}
	if conn == nil {
		return nil, fmt.Errorf("%w: nil connection", ErrInvalidParams)
	}
	p := &party{cfg: cfg, start: conn.Stats()}
	p.uniq, p.of = dedupe(digestAll(items, cfg.workers), cfg.workers)
	if p.rnd, err = newPRG(cfg.rand); err != nil {
		return nil, err
	}
	return p, nil
}

func newPRG(r io.Reader) (*prg.PRG, error) {
	var seed prg.Seed
	if _, err := io.ReadFull(r, seed[:]); err != nil {
		return nil, fmt.Errorf("kkrt: reading randomness: %w", err)
	}
	return prg.New(seed)
}

// Receive runs KKRT16 PSI as the receiver over conn with its items; the
// peer calls [Send]. It returns which of its items are in the sender's set.
func Receive(ctx context.Context, conn transport.Conn, items [][]byte, opts ...Option) (*Result, error) {
	p, err := prepare(conn, items, opts)
	if err != nil {
		return nil, err
	}
	cfg, uniq, of, rnd, start := p.cfg, p.uniq, p.of, p.rnd, p.start
	n := len(uniq)
	bins := NumBins(n)

	// Cuckoo-hash the set with a fresh key; a failure (about 2^-40) is
	// retried with another key before anything is sent.
	var hello ReceiverHello
	var ct *cuckooTable
	hello.N, hello.Bins = n, bins
	for try := 0; ; try++ {
		_, _ = rnd.Read(hello.CuckooKey[:])
		h, err := newHasher(bins, hello.CuckooKey, [16]byte{})
		if err != nil {
			return nil, err
		}
		if ct, err = buildCuckoo(h, uniq, cfg.workers, rnd); err == nil {
			break
		} else if try+1 == cuckooTries {
			return nil, err
		}
	}
	msg, _ := hello.MarshalBinary()
	if err := conn.Send(ctx, msg); err != nil {
		return nil, fmt.Errorf("kkrt: sending hello: %w", err)
	}
	raw, err := conn.Recv(ctx)
	if err != nil {
		return nil, fmt.Errorf("kkrt: receiving sender hello: %w", err)
	}
	var sh SenderHello
	if err := sh.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("kkrt: sender hello from %q: %w", conn.Peer(), err)
	}
	if sh.N > cfg.maxPeerItems {
		return nil, fmt.Errorf("kkrt: sender hello from %q: %w: %d items, above the limit %d (WithMaxPeerItems)",
			conn.Peer(), ErrProtocol, sh.N, cfg.maxPeerItems)
	}
	h, err := newHasher(bins, hello.CuckooKey, sh.CodeKey)
	if err != nil {
		return nil, err
	}
	vlen := max(ValueBytes(n, sh.N), cfg.minValueBytes)

	// OPRF: one 1-out-of-N OT per bin; the row of an occupied bin is the
	// code word of its item, empty bins use the zero row.
	otr, err := ot.NewReceiver(ctx, conn, cfg.otOpts...)
	if err != nil {
		return nil, fmt.Errorf("kkrt: base OT: %w", err)
	}
	// The digests in bin order, so that the OT workers read them in
	// sequence (the scatter's random writes do not stall).
	binDigest := make([]digest, bins)
	for b, u := range ct.bins {
		if u >= 0 {
			binDigest[b] = uniq[u]
		}
	}
	vals := make([]digest, n)
	var keys [][16]byte // join: each item's OPRF key
	if sh.Payloads {
		keys = make([][16]byte, n)
	}
	err = otr.ExtendFunc(ctx, bins, func(first int, d ot.Matrix) {
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
				vals[u] = truncate(sum[:], vlen)
				if keys != nil {
					copy(keys[u][:], sum[16:])
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kkrt: OPRF: %w", err)
	}
	tbl := newTable(vals)
	for u := range vals {
		tbl.insert(int32(u))
	}

	// Compare the sender's values with ours.
	matched := make([]bool, n)
	found := make([][][2]int32, cfg.workers) // (receiver item, sender position)
	var senderMatches []int
	var payloads [][]byte
	if sh.Payloads {
		payloads = make([][]byte, n)
	}
	for remaining := sh.N; remaining > 0; {
		raw, err := conn.Recv(ctx)
		if err != nil {
			return nil, fmt.Errorf("kkrt: receiving values: %w", err)
		}
		if sh.Payloads {
			var pv PayloadValues
			if err := pv.UnmarshalBinary(raw); err != nil {
				return nil, fmt.Errorf("kkrt: payload values from %q: %w", conn.Peer(), err)
			}
			if pv.Len != vlen || len(pv.Items) == 0 || len(pv.Items) > remaining {
				return nil, fmt.Errorf("kkrt: payload values from %q: %w: %d items of %d-byte values with %d outstanding, want %d bytes",
					conn.Peer(), ErrProtocol, len(pv.Items), pv.Len, remaining, vlen)
			}
			base := sh.N - remaining
			remaining -= len(pv.Items)
			for i := range pv.Items {
				it := &pv.Items[i]
				for f := range NumHashes {
					u := tbl.lookup(truncate(it.Tags[f*vlen:], vlen))
					if u < 0 {
						continue
					}
					// A tag that matches by accident (probability 2^-40)
					// fails to open and is not a match.
					if pl, ok := openPayload(it, f, keys[u]); ok {
						matched[u], payloads[u] = true, pl
						senderMatches = append(senderMatches, base+i)
					}
				}
			}
			continue
		}
		var v Values
		if err := v.UnmarshalBinary(raw); err != nil {
			return nil, fmt.Errorf("kkrt: values from %q: %w", conn.Peer(), err)
		}
		if v.Len != vlen || v.Count == 0 || v.Count > remaining {
			return nil, fmt.Errorf("kkrt: values from %q: %w: %d values of %d bytes with %d items outstanding, want %d bytes",
				conn.Peer(), ErrProtocol, v.Count, v.Len, remaining, vlen)
		}
		base := sh.N - remaining
		remaining -= v.Count
		total := v.Count * NumHashes
		parts := min(cfg.workers, max(1, total/4096))
		var wg sync.WaitGroup
		for w := range parts {
			lo, hi := w*total/parts, (w+1)*total/parts
			wg.Go(func() {
				var keys [lookupBatch]digest
				var got [lookupBatch]int32
				for b := lo; b < hi; b += lookupBatch {
					e := min(b+lookupBatch, hi)
					for i := b; i < e; i++ {
						keys[i-b] = truncate(v.Data[i*vlen:], vlen)
					}
					tbl.lookupMany(keys[:e-b], got[:e-b])
					for i := b; i < e; i++ {
						if u := got[i-b]; u >= 0 {
							found[w] = append(found[w], [2]int32{u, int32(base + i/NumHashes)})
						}
					}
				}
			})
		}
		wg.Wait()
		for w := range found[:parts] {
			for _, f := range found[w] {
				matched[f[0]] = true
				senderMatches = append(senderMatches, int(f[1]))
			}
			found[w] = found[w][:0]
		}
	}
	slices.Sort(senderMatches)
	res := &Result{Intersection: []int{}, SenderMatches: slices.Compact(senderMatches)}
	for i, u := range of {
		if matched[u] {
			res.Intersection = append(res.Intersection, i)
			if payloads != nil {
				res.Payloads = append(res.Payloads, payloads[u])
			}
		}
	}
	sent, recv := statsSince(conn, start)
	res.Stats = Stats{Items: n, PeerItems: sh.N, Bins: bins, ValueBytes: vlen, BytesSent: sent, BytesReceived: recv}
	return res, nil
}

// Send runs KKRT16 PSI as the sender over conn with its items; the peer
// calls [Receive]. The sender learns only the size of the receiver's set.
func Send(ctx context.Context, conn transport.Conn, items [][]byte, opts ...Option) (*SendResult, error) {
	p, err := prepare(conn, items, opts)
	if err != nil {
		return nil, err
	}
	cfg, uniq, rnd, start := p.cfg, p.uniq, p.rnd, p.start
	n := len(uniq)
	if cfg.payloads != nil {
		if len(cfg.payloads) != len(items) {
			return nil, fmt.Errorf("%w: %d payloads for %d items", ErrInvalidParams, len(cfg.payloads), len(items))
		}
		for i, pl := range cfg.payloads {
			if len(pl) > MaxPayload {
				return nil, fmt.Errorf("%w: payload %d is %d bytes, above %d", ErrInvalidParams, i, len(pl), MaxPayload)
			}
		}
	}
	// Shuffle so that the order of the values says nothing about the order
	// of the sender's input; order[p] is the input index streamed at p.
	order := firstIndices(p.of, n)
	coins := rnd.Uint64s(n)
	for i := n - 1; i > 0; i-- {
		j := coins[i] % uint64(i+1)
		uniq[i], uniq[j] = uniq[j], uniq[i]
		order[i], order[j] = order[j], order[i]
	}

	raw, err := conn.Recv(ctx)
	if err != nil {
		return nil, fmt.Errorf("kkrt: receiving receiver hello: %w", err)
	}
	var rh ReceiverHello
	if err := rh.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("kkrt: receiver hello from %q: %w", conn.Peer(), err)
	}
	if rh.N > cfg.maxPeerItems {
		// The sender keeps 64 bytes per receiver bin: bound what a peer
		// can make it allocate.
		return nil, fmt.Errorf("kkrt: receiver hello from %q: %w: %d items, above the limit %d (WithMaxPeerItems)",
			conn.Peer(), ErrProtocol, rh.N, cfg.maxPeerItems)
	}
	hello := SenderHello{N: n, Payloads: cfg.payloads != nil}
	_, _ = rnd.Read(hello.CodeKey[:])
	msg, _ := hello.MarshalBinary()
	if err := conn.Send(ctx, msg); err != nil {
		return nil, fmt.Errorf("kkrt: sending hello: %w", err)
	}
	h, err := newHasher(rh.Bins, rh.CuckooKey, hello.CodeKey)
	if err != nil {
		return nil, err
	}
	vlen := max(ValueBytes(rh.N, n), cfg.minValueBytes)

	ots, err := ot.NewSender(ctx, conn, cfg.otOpts...)
	if err != nil {
		return nil, fmt.Errorf("kkrt: base OT: %w", err)
	}
	q, err := ots.Extend(ctx, rh.Bins)
	if err != nil {
		return nil, fmt.Errorf("kkrt: OPRF: %w", err)
	}
	delta := ots.Delta()

	result := &SendResult{Order: order}
	if cfg.payloads != nil {
		if err := sendPayloads(ctx, conn, cfg, h, q, delta, uniq, order, vlen, rnd); err != nil {
			return nil, err
		}
		sent, recv := statsSince(conn, start)
		result.Stats = Stats{Items: n, PeerItems: rh.N, Bins: rh.Bins, ValueBytes: vlen, BytesSent: sent, BytesReceived: recv}
		return result, nil
	}

	// For each item and hash function f: F_{h_f(x)}(x, f) =
	// H(bin, q_bin ^ (C(x, f) AND s)), truncated.
	chunk := cfg.chunkItems
	nChunks := (n + chunk - 1) / chunk
	workers := min(cfg.workers, max(nChunks, 1))
	bufs := make([][]byte, workers)
	for k := range bufs {
		bufs[k] = make([]byte, valuesHdrSize+chunk*NumHashes*vlen)
	}
	for c0 := 0; c0 < nChunks; c0 += workers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("kkrt: values: %w", err)
		}
		cnt := min(workers, nChunks-c0)
		var wg sync.WaitGroup
		for k := range cnt {
			wg.Go(func() {
				lo := (c0 + k) * chunk
				hi := min(lo+chunk, n)
				buf := bufs[k]
				putValuesHeader(buf, vlen, hi-lo)
				out := buf[valuesHdrSize:]
				s := newScratch()
				var row [CodeWidth / 64]uint64
				// Items go in groups: first the AES work of the group
				// (positions and code words), then one load per OT row
				// it needs, issued back to back so that the cache misses
				// overlap, then the hashing.
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
			})
		}
		wg.Wait()
		for k := range cnt {
			lo := (c0 + k) * chunk
			hi := min(lo+chunk, n)
			if err := conn.Send(ctx, bufs[k][:valuesHdrSize+(hi-lo)*NumHashes*vlen]); err != nil {
				return nil, fmt.Errorf("kkrt: sending values: %w", err)
			}
		}
	}
	sent, recv := statsSince(conn, start)
	result.Stats = Stats{Items: n, PeerItems: rh.N, Bins: rh.Bins, ValueBytes: vlen, BytesSent: sent, BytesReceived: recv}
	return result, nil
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
