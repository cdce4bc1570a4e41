package ledger

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"slices"
	"sync"

	"github.com/veil-go/veil/transport"
)

const (
	linkLabel       = "veil/ledger transcript link v1\x00"
	transcriptLabel = "veil/ledger transcript v1\x00"
)

// Transcript hashes the messages of a run so that the parties of a link
// compute the same value. Each directed link (from, to) has its own
// running SHA-256 over its messages in order, each as its 8-byte length and
// its bytes; the transcript hash is the SHA-256 of the links sorted by
// (from, to), each as its two names, its message count and its hash. The
// order in which messages on different links interleave does not enter,
// since the two ends of a link cannot observe the same interleaving.
//
// In a two-party run both parties see the same two links and so the same
// hash. In a mesh each party sees only its own links: the hash covers what
// that party exchanged.
//
// Large messages are hashed off the caller's path: Record copies them to a
// queue that one goroutine hashes in order while the run goes on (at most
// [TranscriptQueue] bytes wait; Record blocks beyond that), and Sum waits
// for the queue. The hash does not depend on it.
//
// The zero value is ready to use; a Transcript is safe for concurrent use.
type Transcript struct {
	mu      sync.Mutex
	cond    *sync.Cond // on mu: the queue shrank or drained
	links   map[linkKey]*linkHash
	queue   []queued
	pending int  // bytes in queue
	running bool // a goroutine drains the queue
	inline  bool // hash every message in Record (BenchmarkReceiptCost's baseline)
	limit   int  // the queue's bound; 0 is TranscriptQueue (tests set less)
}

// TranscriptQueue bounds the bytes of messages that wait to be hashed.
const TranscriptQueue = 32 << 20

// inlineBelow is the size below which a message is hashed in Record when
// nothing waits (a copy and a hand-off cost more than hashing it).
const inlineBelow = 16 << 10

type linkKey struct{ from, to string }

type linkHash struct {
	h hash.Hash
	n uint64
}

// queued is one chunk of a message waiting to be hashed; the first chunk
// of a message also writes its length.
type queued struct {
	l      *linkHash
	chunk  *[]byte // from chunks (back to it once hashed), or a small message's copy
	n      int     // bytes of chunk in use
	first  bool
	msgLen int
	cost   int // what it counts against the queue's bound
	pooled bool
}

// chunkSize is the unit in which queued messages are copied: fixed-size
// buffers that are reused, so that a run's traffic does not become garbage.
const chunkSize = 256 << 10

var chunks = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

func (l *linkHash) write(msg []byte) {
	l.writeLen(len(msg))
	l.h.Write(msg)
}

// writeLen writes a message's 8-byte length, which comes before its bytes.
func (l *linkHash) writeLen(n int) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	l.h.Write(b[:])
}

// Record adds one message from party from to party to (certificate names).
// The caller may reuse msg when Record returns.
func (t *Transcript) Record(from, to string, msg []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cond == nil {
		t.cond = sync.NewCond(&t.mu)
		t.links = make(map[linkKey]*linkHash)
	}
	k := linkKey{from, to}
	l := t.links[k]
	if l == nil {
		l = &linkHash{h: sha256.New()}
		l.h.Write([]byte(linkLabel))
		t.links[k] = l
	}
	l.n++
	if t.inline || !t.running && len(msg) < inlineBelow {
		l.write(msg)
		return
	}
	limit := t.limit
	if limit == 0 {
		limit = TranscriptQueue
	}
	for t.pending > 0 && t.pending+len(msg)+chunkSize > limit {
		t.cond.Wait()
	}
	if len(msg) < inlineBelow { // behind a large one
		c := bytes.Clone(msg)
		t.queue = append(t.queue, queued{l: l, chunk: &c, n: len(c), first: true, msgLen: len(msg), cost: len(msg)})
		t.pending += len(msg)
	} else {
		for rest, first := msg, true; len(rest) > 0; first = false {
			c := chunks.Get().(*[]byte)
			n := copy(*c, rest)
			rest = rest[n:]
			t.queue = append(t.queue, queued{l: l, chunk: c, n: n, first: first, msgLen: len(msg), cost: chunkSize, pooled: true})
			t.pending += chunkSize
		}
	}
	if !t.running {
		t.running = true
		go t.drain()
	}
}

// drain hashes the queue in order until it is empty.
func (t *Transcript) drain() {
	t.mu.Lock()
	for len(t.queue) > 0 {
		q := t.queue[0]
		t.queue[0] = queued{}
		t.queue = t.queue[1:]
		t.mu.Unlock()
		if q.first { // only this goroutine writes while running
			q.l.writeLen(q.msgLen)
		}
		q.l.h.Write((*q.chunk)[:q.n])
		if q.pooled {
			chunks.Put(q.chunk)
		}
		t.mu.Lock()
		t.pending -= q.cost
		t.cond.Broadcast()
	}
	t.queue = nil
	t.running = false
	t.cond.Broadcast()
	t.mu.Unlock()
}

// Sum returns the transcript hash of the messages recorded so far.
func (t *Transcript) Sum() [DigestSize]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.running {
		t.cond.Wait()
	}
	keys := make([]linkKey, 0, len(t.links))
	for k := range t.links {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b linkKey) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	var e enc
	e.fixed([]byte(transcriptLabel))
	e.u32(uint32(len(keys)))
	for _, k := range keys {
		l := t.links[k]
		e.str(k.from)
		e.str(k.to)
		e.u64(l.n)
		e.fixed(l.h.Sum(nil))
	}
	return sha256.Sum256(e.b)
}

// Conn returns c wrapped so that every message it sends (as self, to
// c.Peer()) and receives (from c.Peer(), to self) is recorded in t. self
// is the name the peer knows this party by (its certificate's name).
func (t *Transcript) Conn(self string, c transport.Conn) transport.Conn {
	return &transcriptConn{Conn: c, self: self, t: t}
}

type transcriptConn struct {
	transport.Conn
	self string
	t    *Transcript
}

func (c *transcriptConn) Send(ctx context.Context, msg []byte) error {
	if err := c.Conn.Send(ctx, msg); err != nil {
		return err
	}
	c.t.Record(c.self, c.Conn.Peer(), msg)
	return nil
}

func (c *transcriptConn) Recv(ctx context.Context) ([]byte, error) {
	msg, err := c.Conn.Recv(ctx)
	if err != nil {
		return nil, err
	}
	c.t.Record(c.Conn.Peer(), c.self, msg)
	return msg, nil
}
