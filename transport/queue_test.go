package transport

import (
	"context"
	"encoding/binary"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inboxOf is the receive queue of one of this package's connections.
func inboxOf(t *testing.T, c Conn) *inbox {
	t.Helper()
	switch c := c.(type) {
	case *memConn:
		return c.in
	case *streamConn:
		return c.in
	}
	t.Fatalf("no inbox in %T", c)
	return nil
}

// numbered is a message of n bytes that starts with i.
func numbered(i, n int) []byte {
	m := make([]byte, n)
	binary.BigEndian.PutUint32(m, uint32(i))
	return m
}

func numberOf(m []byte) int { return int(binary.BigEndian.Uint32(m)) }

// settle waits until sent stops changing for a while (the sender is
// blocked), and returns its last value.
func settle(t *testing.T, sent func() int64) int64 {
	t.Helper()
	last, since := sent(), time.Now()
	for deadline := time.Now().Add(prompt); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n := sent(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > 300*time.Millisecond {
			return last
		}
	}
	t.Fatal("the sender never settled")
	return 0
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestQueueBoundUnreadTLSPeer: a peer that pushes 64 frames of 4 MiB at a
// party that does not call Recv cannot grow that party's queue (or heap)
// past the bound: the reader stops reading, TCP pushes back, the peer's
// Send blocks. Once Recv drains the queue everything arrives, in order.
func TestQueueBoundUnreadTLSPeer(t *testing.T) {
	checkLeaks(t)
	const frames, size, bound = 64, 4 << 20, 8 << 20
	for _, impl := range []struct {
		name string
		pair pairMaker
	}{{"tls", tlsPair}, {"tcp", tcpPair}} {
		t.Run(impl.name, func(t *testing.T) {
			a, b := impl.pair(t, Options{MaxQueuedBytes: bound})
			defer a.Close()
			defer b.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 4*prompt)
			defer cancel()
			msg := make([]byte, size) // one buffer, reused: Send is done with it when it returns
			before := heapAlloc()
			done := make(chan error, 1)
			go func() {
				for i := range frames {
					binary.BigEndian.PutUint32(msg, uint32(i))
					if err := a.Send(ctx, msg); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			sent := settle(t, func() int64 { return a.Stats().MessagesSent })
			grown := int64(heapAlloc()) - int64(before)
			q, qbytes := inboxOf(t, b).queued()
			t.Logf("sender blocked after %d of %d frames; receiver queues %d messages, %d bytes; heap grew %d MiB",
				sent, frames, q, qbytes, grown>>20)
			assert.Less(t, sent, int64(frames), "the sender is held back")
			assert.LessOrEqual(t, qbytes, bound, "the queue stays within its bound")
			assert.Less(t, grown, int64(4*bound), "the receiver's heap stays near the bound, not %d MiB", frames*size>>20)
			select {
			case err := <-done:
				t.Fatalf("the sender finished (%v) although nobody reads", err)
			default:
			}
			for i := range frames {
				m, err := b.Recv(ctx)
				require.NoError(t, err)
				require.Len(t, m, size)
				require.Equal(t, i, numberOf(m), "messages arrive in order")
			}
			require.NoError(t, <-done)
		})
	}
}

// TestQueueBoundMem: the in-memory pipe bounds its queue in bytes the same
// way: a Send to a full queue waits, honouring its context (and then
// delivers nothing and leaves the pipe usable), until Recv makes room.
func TestQueueBoundMem(t *testing.T) {
	checkLeaks(t)
	const size, bound = 4 << 20, 8 << 20
	a, b := Pipe("alice", "bob", Options{MaxQueuedBytes: bound})
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	require.NoError(t, a.Send(ctx, numbered(0, size)))
	require.NoError(t, a.Send(ctx, numbered(1, size)))
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	requirePeerErr(t, a.Send(short, numbered(99, size)), "bob", "send", context.DeadlineExceeded)
	q, qbytes := inboxOf(t, b).queued()
	assert.Equal(t, 2, q)
	assert.Equal(t, bound, qbytes)

	third := numbered(2, size)
	before := heapAlloc()
	blocked := make(chan error, 1)
	go func() { blocked <- a.Send(ctx, third) }()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-blocked:
		t.Fatalf("Send to a full queue returned %v", err)
	default:
	}
	assert.Less(t, int64(heapAlloc())-int64(before), int64(size/2), "a waiting Send holds no copy")
	for i := range 3 {
		m, err := b.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, i, numberOf(m), "in order, and nothing of the refused Send")
		if i == 0 {
			require.NoError(t, <-blocked, "Recv made room")
		}
	}
	assert.Equal(t, int64(3), a.Stats().MessagesSent)
}

// TestQueueBoundMessages: the queue is bounded in messages too.
func TestQueueBoundMessages(t *testing.T) {
	checkLeaks(t)
	const limit, count = 3, 200
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			a, b := impl.pair(t, Options{MaxQueuedMessages: limit})
			defer a.Close()
			defer b.Close()
			ctx, cancel := context.WithTimeout(context.Background(), prompt)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				for i := range count {
					if err := a.Send(ctx, numbered(i, 8)); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			queued := func() int { q, _ := inboxOf(t, b).queued(); return q }
			require.Eventually(t, func() bool { return queued() == limit }, prompt, 10*time.Millisecond)
			time.Sleep(50 * time.Millisecond)
			assert.Equal(t, limit, queued(), "the queue fills to its bound and no further")
			if impl.name == "mem" {
				assert.Equal(t, int64(limit), a.Stats().MessagesSent, "the pipe's sender is held at the bound")
			} // over TCP the socket buffers hold the rest
			for i := range count {
				m, err := b.Recv(ctx)
				require.NoError(t, err)
				require.Equal(t, i, numberOf(m))
				q, _ := inboxOf(t, b).queued()
				require.LessOrEqual(t, q, limit)
			}
			require.NoError(t, <-done)
		})
	}
}

// TestQueueOversizedMessage: a message larger than the byte bound, but
// within MaxMessageSize, still gets through: alone.
func TestQueueOversizedMessage(t *testing.T) {
	checkLeaks(t)
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			a, b := impl.pair(t, Options{MaxQueuedBytes: 1 << 10})
			defer a.Close()
			defer b.Close()
			ctx, cancel := context.WithTimeout(context.Background(), prompt)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				for i := range 4 {
					if err := a.Send(ctx, numbered(i, 2<<20)); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			settle(t, func() int64 { return a.Stats().MessagesSent })
			q, _ := inboxOf(t, b).queued()
			assert.LessOrEqual(t, q, 1, "one oversized message at a time")
			for i := range 4 {
				m, err := b.Recv(ctx)
				require.NoError(t, err)
				require.Len(t, m, 2<<20)
				require.Equal(t, i, numberOf(m))
			}
			require.NoError(t, <-done)
		})
	}
}

// TestQueueFullSendEnds: a Send held back by a full queue ends with its
// context, or with ErrClosed when either side closes; the receiver's
// reader, waiting for room, ends with Close.
func TestQueueFullSendEnds(t *testing.T) {
	checkLeaks(t)
	const size = 1 << 20
	opts := Options{MaxQueuedBytes: size, MaxQueuedMessages: 1}
	// fill starts a sender that sends far more than the queue and the
	// socket buffers hold, and returns once it is held back; its error comes
	// on the channel.
	fill := func(t *testing.T, a Conn, ctx context.Context) <-chan error {
		t.Helper()
		errc := make(chan error, 1)
		go func() {
			msg := make([]byte, size)
			for range 1000 {
				if err := a.Send(ctx, msg); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		settle(t, func() int64 { return a.Stats().MessagesSent })
		return errc
	}
	for _, impl := range implementations {
		t.Run(impl.name+"/Deadline", func(t *testing.T) {
			a, b := impl.pair(t, opts)
			defer a.Close()
			defer b.Close()
			ctx, cancel := context.WithTimeout(context.Background(), prompt)
			defer cancel()
			errc := fill(t, a, ctx)
			start := time.Now()
			cancel()
			requirePeerErr(t, <-errc, "bob", "send", context.Canceled)
			assert.Less(t, time.Since(start), prompt)
		})
		t.Run(impl.name+"/PeerCloses", func(t *testing.T) {
			a, b := impl.pair(t, opts)
			defer a.Close()
			ctx, cancel := context.WithTimeout(context.Background(), prompt)
			defer cancel()
			errc := fill(t, a, ctx)
			require.NoError(t, b.Close())
			requirePeerErr(t, <-errc, "bob", "send", ErrClosed)
			require.NoError(t, ctx.Err(), "the close surfaced only at the deadline")
		})
		t.Run(impl.name+"/SelfCloses", func(t *testing.T) {
			a, b := impl.pair(t, opts)
			defer b.Close()
			ctx, cancel := context.WithTimeout(context.Background(), prompt)
			defer cancel()
			errc := fill(t, a, ctx)
			require.NoError(t, a.Close())
			requirePeerErr(t, <-errc, "bob", "send", ErrClosed)
			require.NoError(t, ctx.Err(), "the close surfaced only at the deadline")
		})
	}
}

// TestQueueConcurrentSendersWait: several senders waiting on a full queue
// at once are all let through as Recv makes room, each in its own order.
func TestQueueConcurrentSendersWait(t *testing.T) {
	checkLeaks(t)
	const senders, each = 4, 50
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			a, b := impl.pair(t, Options{MaxQueuedMessages: 2, MaxQueuedBytes: 3 << 10})
			defer a.Close()
			defer b.Close()
			ctx, cancel := context.WithTimeout(context.Background(), prompt)
			defer cancel()
			errc := make(chan error, senders)
			for s := range senders {
				go func() {
					for i := range each {
						m := numbered(s<<16|i, 1<<10+s*100)
						if err := a.Send(ctx, m); err != nil {
							errc <- err
							return
						}
					}
					errc <- nil
				}()
			}
			next := make([]int, senders)
			for k := range senders * each {
				if k%25 == 0 {
					time.Sleep(5 * time.Millisecond) // let the senders pile up
				}
				m, err := b.Recv(ctx)
				require.NoError(t, err)
				s, i := numberOf(m)>>16, numberOf(m)&0xffff
				require.Equal(t, next[s], i, "sender %d's messages in order", s)
				require.Len(t, m, 1<<10+s*100)
				next[s]++
				q, _ := inboxOf(t, b).queued()
				require.LessOrEqual(t, q, 2)
			}
			for range senders {
				require.NoError(t, <-errc)
			}
		})
	}
}
