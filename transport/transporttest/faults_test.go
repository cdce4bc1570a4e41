package transporttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/transport"
)

func pipe(t *testing.T) (transport.Conn, transport.Conn) {
	a, b := transport.Pipe("a", "b", transport.Options{})
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func send(t *testing.T, c transport.Conn, msgs ...string) []error {
	var errs []error
	for _, m := range msgs {
		errs = append(errs, c.Send(context.Background(), []byte(m)))
	}
	return errs
}

func recvAll(t *testing.T, c transport.Conn, timeout time.Duration) ([]string, error) {
	var got []string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		m, err := c.Recv(ctx)
		cancel()
		if err != nil {
			return got, err
		}
		got = append(got, string(m))
	}
}

func TestCloseAfter(t *testing.T) {
	a, b := pipe(t)
	fa := CloseAfter(a, 2)
	errs := send(t, fa, "m0", "m1", "m2")
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.ErrorIs(t, errs[2], transport.ErrClosed)
	got, err := recvAll(t, b, time.Second)
	require.Equal(t, []string{"m0", "m1"}, got)
	require.ErrorIs(t, err, transport.ErrClosed, "the peer sees the crash promptly, not a timeout")

	a2, b2 := pipe(t)
	_ = CloseAfter(a2, 0)
	_, err = b2.Recv(context.Background())
	require.ErrorIs(t, err, transport.ErrClosed)
}

func TestSilentAndStall(t *testing.T) {
	a, b := pipe(t)
	require.NoError(t, errors.Join(send(t, SilentAfter(a, 1), "m0", "m1", "m2")...))
	got, err := recvAll(t, b, 50*time.Millisecond)
	require.Equal(t, []string{"m0"}, got)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	a2, b2 := pipe(t)
	st := StallAfter(a2, 1)
	require.NoError(t, st.Send(context.Background(), []byte("m0")))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, st.Send(ctx, []byte("m1")), context.DeadlineExceeded)
	got, err = recvAll(t, b2, 50*time.Millisecond)
	require.Equal(t, []string{"m0"}, got)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestCorruptions(t *testing.T) {
	a, b := pipe(t)
	c := FlipBit(Truncate(a, 1, 2), 2, -1)
	require.NoError(t, errors.Join(send(t, c, "hello", "world", "abc", "xyz")...))
	got, _ := recvAll(t, b, 50*time.Millisecond)
	require.Equal(t, []string{"hello", "wo", "abb", "xyz"}, got)

	msg := []byte("keep")
	a2, b2 := pipe(t)
	require.NoError(t, Corrupt(a2, 0, func(m []byte) []byte { m[0] = 'X'; return m }).Send(context.Background(), msg))
	require.Equal(t, "keep", string(msg), "the caller's buffer is not changed")
	got, _ = recvAll(t, b2, 50*time.Millisecond)
	require.Equal(t, []string{"Xeep"}, got)
}

func TestDelay(t *testing.T) {
	a, b := pipe(t)
	d := Delay(a, 20*time.Millisecond)
	start := time.Now()
	require.NoError(t, d.Send(context.Background(), []byte("x")))
	require.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, d.Send(ctx, []byte("y")), context.Canceled)
	got, _ := recvAll(t, b, 50*time.Millisecond)
	require.Equal(t, []string{"x"}, got)
}

func TestWrapMesh(t *testing.T) {
	meshes, err := transport.NewMemStar(3, transport.Options{})
	require.NoError(t, err)
	defer func() {
		for _, m := range meshes {
			m.Close()
		}
	}()
	spoke := WrapMesh(meshes[2], func(_ int, c transport.Conn) transport.Conn { return CloseAfter(c, 1) })
	c1, err := spoke.Conn(0)
	require.NoError(t, err)
	c2, err := spoke.Conn(0)
	require.NoError(t, err)
	require.Same(t, c1, c2, "a connection is wrapped once")
	_, err = spoke.Conn(1)
	require.ErrorIs(t, err, transport.ErrNoLink)
	require.NoError(t, c1.Send(context.Background(), []byte("only")))
	hub, err := meshes[0].Conn(2)
	require.NoError(t, err)
	got, err := recvAll(t, hub, time.Second)
	require.Equal(t, []string{"only"}, got)
	require.ErrorIs(t, err, transport.ErrClosed)
}
