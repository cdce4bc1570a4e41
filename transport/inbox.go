package transport

import (
	"context"
	"sync"
)

// inbox is the queue of messages a connection has received but Recv has not
// yet taken. Producers push and never block; a failure (close, peer gone,
// bad frame) is delivered to Recv after the messages queued before it.
type inbox struct {
	mu     sync.Mutex
	msgs   [][]byte
	err    error
	signal chan struct{} // capacity 1: "something changed"
}

func newInbox() *inbox { return &inbox{signal: make(chan struct{}, 1)} }

func (q *inbox) poke() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// push queues m unless the inbox has failed, in which case it returns the
// failure.
func (q *inbox) push(m []byte) error {
	q.mu.Lock()
	if q.err != nil {
		err := q.err
		q.mu.Unlock()
		return err
	}
	q.msgs = append(q.msgs, m)
	q.mu.Unlock()
	q.poke()
	return nil
}

// fail records err as the inbox's end; the first failure wins.
func (q *inbox) fail(err error) {
	q.mu.Lock()
	if q.err == nil {
		q.err = err
	}
	q.mu.Unlock()
	q.poke()
}

// failed reports the recorded failure, if any.
func (q *inbox) failed() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// pop waits for the next message, the inbox's failure, or ctx's end.
func (q *inbox) pop(ctx context.Context) ([]byte, error) {
	for {
		q.mu.Lock()
		if len(q.msgs) > 0 {
			m := q.msgs[0]
			q.msgs[0] = nil
			q.msgs = q.msgs[1:]
			more := len(q.msgs) > 0
			if !more {
				q.msgs = nil // let the backing array go
			}
			q.mu.Unlock()
			if more {
				q.poke() // two pushes may have left one signal for two waiters
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
