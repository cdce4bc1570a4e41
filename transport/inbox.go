package transport

import (
	"context"
	"sync"
)

// inbox is the queue of messages a connection has received but Recv has not
// yet taken, bounded in bytes and in messages. Its one producer (the TLS
// reader, or the in-memory peer's Send, which is serialised) waits for room
// with waitRoom and then pushes; a failure (close, peer gone, bad frame) is
// delivered to Recv after the messages queued before it, and ends a
// producer's wait.
type inbox struct {
	maxBytes, maxMsgs int

	mu     sync.Mutex
	msgs   [][]byte
	bytes  int // payload bytes in msgs
	err    error
	signal chan struct{} // capacity 1: "something arrived, or the inbox failed"
	room   chan struct{} // capacity 1: "something was taken, or the inbox failed"
}

func newInbox(opts Options) *inbox {
	return &inbox{
		maxBytes: opts.maxQueuedBytes(),
		maxMsgs:  opts.maxQueuedMessages(),
		signal:   make(chan struct{}, 1),
		room:     make(chan struct{}, 1),
	}
}

func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// fits reports whether a message of n bytes may be queued now: there is
// room for it, or nothing is queued (so that one message larger than the
// byte bound still gets through). The caller holds mu.
func (q *inbox) fits(n int) bool {
	return len(q.msgs) == 0 || (len(q.msgs) < q.maxMsgs && q.bytes+n <= q.maxBytes)
}

// waitRoom waits until a message of n bytes fits, the inbox fails (it
// returns the failure) or ctx ends. A producer that waitRoom let through
// may push without waiting again: only it adds messages.
func (q *inbox) waitRoom(ctx context.Context, n int) error {
	for {
		q.mu.Lock()
		err, ok := q.err, q.fits(n)
		q.mu.Unlock()
		switch {
		case err != nil:
			return err
		case ok:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-q.room:
		}
	}
}

// push queues m unless the inbox has failed, in which case it returns the
// failure. It does not check the bounds: the producer has waited for room.
func (q *inbox) push(m []byte) error {
	q.mu.Lock()
	if q.err != nil {
		err := q.err
		q.mu.Unlock()
		return err
	}
	q.msgs = append(q.msgs, m)
	q.bytes += len(m)
	q.mu.Unlock()
	poke(q.signal)
	return nil
}

// fail records err as the inbox's end; the first failure wins.
func (q *inbox) fail(err error) {
	q.mu.Lock()
	if q.err == nil {
		q.err = err
	}
	q.mu.Unlock()
	poke(q.signal)
	poke(q.room)
}

// failed reports the recorded failure, if any.
func (q *inbox) failed() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// queued reports the messages and payload bytes waiting for Recv.
func (q *inbox) queued() (msgs, bytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs), q.bytes
}

// pop waits for the next message, the inbox's failure, or ctx's end.
func (q *inbox) pop(ctx context.Context) ([]byte, error) {
	for {
		q.mu.Lock()
		if len(q.msgs) > 0 {
			m := q.msgs[0]
			q.msgs[0] = nil
			q.msgs = q.msgs[1:]
			q.bytes -= len(m)
			more := len(q.msgs) > 0
			if !more {
				q.msgs = nil // let the backing array go
			}
			q.mu.Unlock()
			poke(q.room)
			if more {
				poke(q.signal) // two pushes may have left one signal for two waiters
			}
			return m, nil
		}
		err := q.err
		q.mu.Unlock()
		if err != nil {
			poke(q.signal) // wake any other waiter to see the failure too
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-q.signal:
		}
	}
}
