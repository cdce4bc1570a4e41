package kkrt

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
	"github.com/veil-go/veil/transport/transporttest"
)

// isChunk says whether msg is a values chunk (with or without payloads).
func isChunk(msg []byte) bool { return len(msg) > 0 && (msg[0] == tagValues || msg[0] == tagPayloads) }

// inFlight counts the values chunks the sender has sent and the receiver
// has not taken yet, and the most at any time.
type inFlight struct {
	now, most atomic.Int64
	sent      atomic.Int64
}

func (f *inFlight) add(d int64) {
	n := f.now.Add(d)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
}

type countSends struct {
	transport.Conn
	f *inFlight
}

func (c *countSends) Send(ctx context.Context, msg []byte) error {
	if isChunk(msg) {
		c.f.add(1)
		c.f.sent.Add(1)
	}
	return c.Conn.Send(ctx, msg)
}

// slowRecv is a receiver that takes its time over each values chunk.
type slowRecv struct {
	transport.Conn
	f     *inFlight
	pause time.Duration
}

func (c *slowRecv) Recv(ctx context.Context) ([]byte, error) {
	msg, err := c.Conn.Recv(ctx)
	if err == nil && isChunk(msg) {
		c.f.add(-1)
		time.Sleep(c.pause)
	}
	return msg, err
}

// runPair runs Send and Receive over the given ends and returns both
// errors.
func runPair(ctx context.Context, recvConn, sendConn transport.Conn, recv, send [][]byte, rcfg, scfg Config) (*Result, error, error) {
	errc := make(chan error, 1)
	go func() {
		_, err := Send(ctx, sendConn, send, scfg)
		if err != nil {
			sendConn.Close()
		}
		errc <- err
	}()
	res, err := Receive(ctx, recvConn, recv, rcfg)
	if err != nil {
		recvConn.Close()
	}
	return res, err, <-errc
}

// A receiver that reads slowly has at most Window chunks queued, for
// values and for payloads: without the window the sender would queue its
// whole stream (up to the transport's bound).
func TestWindowBoundsInFlight(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	recv, send := sets(rng, 300, 2000, 150, false)
	for _, join := range []bool{false, true} {
		for _, window := range []int{1, 3} {
			f := &inFlight{}
			a, b := transport.Pipe("receiver", "sender", transport.Options{})
			scfg := Config{ChunkItems: MinChunkItems, Window: window}
			if join {
				scfg.Payloads = make([][]byte, len(send))
			}
			res, rerr, serr := runPair(testCtx(t), &slowRecv{Conn: a, f: f, pause: 200 * time.Microsecond},
				&countSends{Conn: b, f: f}, recv, send, Config{}, scfg)
			require.NoError(t, rerr)
			require.NoError(t, serr)
			require.Equal(t, reference(recv, send), res.Intersection)
			chunks := (len(send) + MinChunkItems - 1) / MinChunkItems
			require.GreaterOrEqual(t, f.sent.Load(), int64(chunks), "join %v", join)
			require.LessOrEqual(t, f.most.Load(), int64(window), "join %v: chunks queued at the receiver", join)
			a.Close()
			b.Close()
		}
	}
}

// firstAck is the index, among the receiver's sends, of its first
// acknowledgement in an honest run.
type ackIndex struct {
	transport.Conn
	mu    sync.Mutex
	sends int
	first int
}

func (c *ackIndex) Send(ctx context.Context, msg []byte) error {
	c.mu.Lock()
	if len(msg) > 0 && msg[0] == tagAck && c.first < 0 {
		c.first = c.sends
	}
	c.sends++
	c.mu.Unlock()
	return c.Conn.Send(ctx, msg)
}

// A receiver that hangs after its first acknowledgement (transporttest's
// StallAfter) holds the sender to Window+1 chunks; both runs end with the
// context, naming the values step.
func TestStalledReceiverHoldsTheSender(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	recv, send := sets(rng, 300, 2000, 150, false)
	scfg := Config{ChunkItems: MinChunkItems, Window: 2}

	a, b := transport.Pipe("receiver", "sender", transport.Options{})
	idx := &ackIndex{Conn: a, first: -1}
	_, rerr, serr := runPair(testCtx(t), idx, b, recv, send, Config{}, scfg)
	require.NoError(t, rerr)
	require.NoError(t, serr)
	require.Positive(t, idx.first)

	a, b = transport.Pipe("receiver", "sender", transport.Options{})
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	f := &inFlight{}
	_, rerr, serr = runPair(ctx, transporttest.StallAfter(a, idx.first+1), &countSends{Conn: b, f: f}, recv, send, Config{}, scfg)
	require.ErrorIs(t, serr, context.DeadlineExceeded)
	require.ErrorContains(t, serr, "kkrt sender, step values")
	require.ErrorIs(t, rerr, context.DeadlineExceeded)
	require.ErrorContains(t, rerr, "kkrt receiver, step values")
	require.Equal(t, int64(scfg.Window+1), f.sent.Load(), "chunks sent to a receiver that acknowledged one")
}

// floodAfterHello is a sender that, once the OT is done, floods the
// receiver with values chunks as fast as it can, ignoring the window.
type flood struct {
	transport.Conn
	once  sync.Once
	sent  atomic.Int64
	done  chan struct{}
	limit int
}

func (c *flood) Send(ctx context.Context, msg []byte) error {
	if !isChunk(msg) {
		return c.Conn.Send(ctx, msg)
	}
	c.once.Do(func() {
		junk := make([]byte, valuesHdrSize+(1<<14)*NumHashes*int(msg[1]))
		putValuesHeader(junk, int(msg[1]), 1<<14)
		go func() {
			defer close(c.done)
			for range c.limit {
				if c.Conn.Send(ctx, junk) != nil {
					return
				}
				c.sent.Add(1)
			}
		}()
	})
	<-c.done
	return errors.New("flooded")
}

// A sender that floods the receiver with chunks of more items than it
// announced gets an ErrProtocol, and what it pushed is bounded by the
// transport's receive queue, not by how much it sends.
func TestFloodingSenderIsBounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	recv, send := sets(rng, 300, 2000, 150, false)
	opts := transport.Options{MaxQueuedBytes: 1 << 20, MaxQueuedMessages: 8}
	a, b := transport.Pipe("receiver", "sender", opts)
	defer a.Close()
	defer b.Close()
	fl := &flood{Conn: b, done: make(chan struct{}), limit: 1000}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	_, rerr, _ := runPair(ctx, a, fl, recv, send, Config{}, Config{ChunkItems: MinChunkItems})
	require.ErrorIs(t, rerr, ErrProtocol)
	require.ErrorContains(t, rerr, "kkrt receiver, step values")
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// Each junk chunk is about 400 KiB: the queue holds two of them.
	require.Less(t, fl.sent.Load(), int64(10), "chunks the flood got into the receiver's queue")
	require.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(16<<20))
}

// A chunk shorter than MinChunkItems but for the last is refused: it
// would let the sender time the receiver's work on single items.
func TestShortChunkRefused(t *testing.T) {
	require.NoError(t, checkChunk(MinChunkItems, 100))
	require.NoError(t, checkChunk(5, 5))
	require.NoError(t, checkChunk(100, 100))
	require.ErrorIs(t, checkChunk(MinChunkItems-1, 100), ErrProtocol)
	require.ErrorIs(t, checkChunk(0, 100), ErrProtocol)
	require.ErrorIs(t, checkChunk(101, 100), ErrProtocol)

	// On the wire: the sender's first chunk cut to one item.
	rng := rand.New(rand.NewPCG(47, 48))
	recv, send := sets(rng, 100, 300, 50, false)
	a, b := transport.Pipe("receiver", "sender", transport.Options{})
	defer a.Close()
	defer b.Close()
	cut := &cutFirst{Conn: b}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, rerr, _ := runPair(ctx, a, cut, recv, send, Config{}, Config{ChunkItems: MinChunkItems})
	require.ErrorIs(t, rerr, ErrProtocol)
	require.ErrorContains(t, rerr, "step values")
	require.ErrorContains(t, rerr, "chunk of 1 items")

	for _, c := range []Config{{ChunkItems: MinChunkItems - 1}, {Window: -1}, {Window: MaxWindow + 1}} {
		_, err := c.withDefaults()
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", c)
	}
}

// cutFirst sends the first values chunk as two: one item, then the rest.
type cutFirst struct {
	transport.Conn
	done bool
}

func (c *cutFirst) Send(ctx context.Context, msg []byte) error {
	if c.done || len(msg) == 0 || msg[0] != tagValues {
		return c.Conn.Send(ctx, msg)
	}
	c.done = true
	var v Values
	if err := v.UnmarshalBinary(msg); err != nil {
		return err
	}
	one := NumHashes * v.Len
	first, _ := (&Values{Len: v.Len, Count: 1, Data: v.Data[:one]}).MarshalBinary()
	rest, _ := (&Values{Len: v.Len, Count: v.Count - 1, Data: v.Data[one:]}).MarshalBinary()
	if err := c.Conn.Send(ctx, first); err != nil {
		return err
	}
	return c.Conn.Send(ctx, rest)
}

// The receiver opens no payload while the stream runs (the sender times
// each chunk's acknowledgement): comparePayloads only records the matches,
// openPayloads opens them after the last chunk.
func TestPayloadsOpenedAfterStream(t *testing.T) {
	const vlen, n = 8, 40
	vals := make([]digest, n)
	keys := make([][16]byte, n)
	var chunk PayloadValues
	chunk.Len = vlen
	for u := range n {
		var raw [16]byte
		raw[0], raw[1], raw[15] = byte(u), 0xa5, 1
		vals[u] = truncate(raw[:], vlen)
		keys[u] = [16]byte{byte(u), 7}
		it := PayloadItem{Tags: make([]byte, NumHashes*vlen)}
		f := u % NumHashes
		raw[2] = 0xff // the other functions' tags match nothing
		for g := range NumHashes {
			copy(it.Tags[g*vlen:], raw[:vlen])
		}
		raw[2] = 0
		copy(it.Tags[f*vlen:], raw[:vlen])
		var oprfKeys [NumHashes][16]byte
		oprfKeys[f] = keys[u]
		if u%2 == 1 { // a sender item we do not hold: another tag
			it.Tags[f*vlen+1] ^= 0xff
		}
		require.NoError(t, sealPayload(&it, [16]byte{byte(u), 9}, &oprfKeys, []byte{byte(u)}))
		chunk.Items = append(chunk.Items, it)
	}
	raw, err := chunk.MarshalBinary()
	require.NoError(t, err)
	tbl, err := ownValues(vals, vlen)
	require.NoError(t, err)
	st := &receiverState{vlen: vlen, tbl: tbl, keys: keys, matched: make([]bool, n), payloads: make([][]byte, n)}
	got, err := st.comparePayloads(raw, 0, n)
	require.NoError(t, err)
	require.Equal(t, n, got)
	require.Len(t, st.pending, n/2)
	require.Equal(t, make([]bool, n), st.matched, "no payload opened during the stream")
	clear(raw) // the chunk's buffer is not kept
	st.openPayloads()
	for u := range n {
		require.Equal(t, u%2 == 0, st.matched[u], "item %d", u)
		if u%2 == 0 {
			require.Equal(t, []byte{byte(u)}, st.payloads[u])
		}
	}
}

// wrongAck acknowledges the first chunk with one item more than it held.
type wrongAck struct {
	transport.Conn
	done bool
}

func (c *wrongAck) Send(ctx context.Context, msg []byte) error {
	var a Ack
	if c.done || a.UnmarshalBinary(msg) != nil {
		return c.Conn.Send(ctx, msg)
	}
	c.done = true
	a.Count++
	b, err := a.MarshalBinary()
	if err != nil {
		return err
	}
	return c.Conn.Send(ctx, b)
}

// An acknowledgement must name the oldest unacknowledged chunk's item
// count: one that does not is refused by the sender (ErrProtocol).
//
// Mutation checked: without the count comparison in window.ack the run
// succeeds and this test fails.
func TestWrongAckRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(49, 50))
	recv, send := sets(rng, 100, 300, 50, false)
	a, b := transport.Pipe("receiver", "sender", transport.Options{})
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, _, serr := runPair(ctx, &wrongAck{Conn: a}, b, recv, send, Config{}, Config{ChunkItems: MinChunkItems})
	require.ErrorIs(t, serr, ErrProtocol)
	require.ErrorContains(t, serr, "kkrt sender, step values")
	require.ErrorContains(t, serr, "acknowledgement of 17 items")
}
