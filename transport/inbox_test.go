package transport

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestInboxConcurrentWaiters: two pushes racing with two Recvs must serve
// both (the single signal slot must not lose the second wake-up when both
// waiters saw an empty queue before the pushes). The window is narrow, so
// this test catches a regression only now and then.
func TestInboxConcurrentWaiters(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for range 200 {
		q := newInbox(Options{})
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				_, err := q.pop(ctx)
				require.NoError(t, err)
			})
		}
		require.NoError(t, q.push([]byte{1}))
		require.NoError(t, q.push([]byte{2}))
		wg.Wait()
	}
}

// TestInboxFailAfterMessages: a failure is reported after the messages
// queued before it, to every waiter.
func TestInboxFailAfterMessages(t *testing.T) {
	ctx := context.Background()
	q := newInbox(Options{})
	require.NoError(t, q.push([]byte("a")))
	q.fail(ErrTruncated)
	q.fail(ErrClosed) // the first failure wins
	require.ErrorIs(t, q.push([]byte("b")), ErrTruncated)
	m, err := q.pop(ctx)
	require.NoError(t, err)
	require.Equal(t, "a", string(m))
	for range 2 {
		_, err = q.pop(ctx)
		require.ErrorIs(t, err, ErrTruncated)
	}
}
