package transport

import (
	"context"
	"sync"
)

// inbox is the queue of messages a connection has received but Recv has not
// yet taken, bounded in bytes and in messages. A producer (the TLS reader,
// or the in-memory peer's Send) first reserves room for a message with
// reserve, which waits while the queue is full, and then hands the message
// over with commit; so nothing is read from the network, or copied, before
// there is room for it. A failure (close, peer gone, bad frame) is
// delivered to Recv after the messages queued before it, and ends a
// producer's wait.
type inbox struct {
	maxBytes, maxMsgs int

	mu      sync.Mutex
	msgs    [][]byte // msgs[head:] are queued
	head    int
	pending int // reserved, not yet committed
	bytes   int // payload bytes queued or reserved
	err     error
	signal  chan struct{} // capacity 1: "something arrived, or the inbox failed"
	room    chan struct{} // closed when something is taken or the inbox fails; nil if no producer waits
}

func newInbox(opts Options) *inbox {
	return &inbox{
		maxBytes: opts.maxQueuedBytes(),
		maxMsgs:  opts.maxQueuedMessages(),
		signal:   make(chan struct{}, 1),
	}
}

func (q *inbox) poke() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// wakeProducers tells the producers waiting for room, if any, to look
// again. The caller holds mu.
func (q *inbox) wakeProducers() {
	if q.room != nil {
		close(q.room)
		q.room = nil
	}
}

// count is the number of messages queued or reserved. The caller holds mu.
func (q *inbox) count() int { return len(q.msgs) - q.head + q.pending }

// fits reports whether a message of n bytes may be reserved now: there is
// room for it, or nothing is queued (so that one message larger than the
// byte bound still gets through). The caller holds mu.
func (q *inbox) fits(n int) bool {
	c := q.count()
	return c == 0 || (c < q.maxMsgs && q.bytes+n <= q.maxBytes)
}

// reserve waits until a message of n bytes fits and reserves room for it,
// or returns the inbox's failure, or ctx's error if ctx ends first. Each
// reserve that returns nil must be followed by a commit of n bytes.
func (q *inbox) reserve(ctx context.Context, n int) error {
	q.mu.Lock()
	for {
		if err := q.err; err != nil {
			q.mu.Unlock()
			return err
		}
		if q.fits(n) {
			q.pending++
			q.bytes += n
			q.mu.Unlock()
			return nil
		}
		if q.room == nil {
			q.room = make(chan struct{})
		}
		room := q.room
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-room:
		}
		q.mu.Lock()
	}
}

// commit queues m, for which reserve has made room, unless the inbox has
// failed meanwhile, in which case it returns the failure.
func (q *inbox) commit(m []byte) error {
	q.mu.Lock()
	q.pending--
	if q.err != nil {
		q.bytes -= len(m)
		err := q.err
		q.mu.Unlock()
		return err
	}
	q.msgs = append(q.msgs, m)
	q.mu.Unlock()
	q.poke()
	return nil
}

// push reserves room for m, waiting as long as it takes, and queues it.
func (q *inbox) push(m []byte) error {
	if err := q.reserve(context.Background(), len(m)); err != nil {
		return err
	}
	return q.commit(m)
}

// fail records err as the inbox's end; the first failure wins.
func (q *inbox) fail(err error) {
	q.mu.Lock()
	if q.err == nil {
		q.err = err
	}
	q.wakeProducers()
	q.mu.Unlock()
	q.poke()
}

// failed reports the recorded failure, if any.
func (q *inbox) failed() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// queued reports the messages and payload bytes queued or reserved.
func (q *inbox) queued() (msgs, bytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.count(), q.bytes
}

// pop waits for the next message, the inbox's failure, or ctx's end.
func (q *inbox) pop(ctx context.Context) ([]byte, error) {
	for {
		q.mu.Lock()
		if q.head < len(q.msgs) {
			m := q.msgs[q.head]
			q.msgs[q.head] = nil
			q.head++
			q.bytes -= len(m)
			more := q.head < len(q.msgs)
			switch {
			case !more:
				q.msgs, q.head = q.msgs[:0], 0
			case q.head >= 64 && 2*q.head >= len(q.msgs):
				n := copy(q.msgs, q.msgs[q.head:])
				clear(q.msgs[n:])
				q.msgs, q.head = q.msgs[:n], 0
			}
			q.wakeProducers()
			q.mu.Unlock()
			if more {
				q.poke() // two commits may have left one signal for two waiters
			}
			return m, nil
		}
		err := q.err
		q.mu.Unlock()
		if err != nil {
			q.poke() // wake any other waiter to see the failure too
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-q.signal:
		}
	}
}
