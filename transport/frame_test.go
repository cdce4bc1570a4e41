package transport

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadFrame(t *testing.T) {
	frames := func(msgs ...string) []byte {
		var b []byte
		for _, m := range msgs {
			b = appendFrame(b, []byte(m))
		}
		return b
	}
	for _, tc := range []struct {
		name string
		in   []byte
		max  int
		want []string
		err  error // after the frames in want
	}{
		{"Empty", nil, 100, nil, ErrClosed},
		{"One", frames("abc"), 100, []string{"abc"}, ErrClosed},
		{"Several", frames("a", "", "bcd"), 100, []string{"a", "", "bcd"}, ErrClosed},
		{"AtLimit", frames("12345"), 5, []string{"12345"}, ErrClosed},
		{"OverLimit", frames("123456"), 5, nil, ErrMessageTooLarge},
		{"HugeHeader", []byte{0xff, 0xff, 0xff, 0xff, 1}, DefaultMaxMessageSize, nil, ErrMessageTooLarge},
		{"ShortHeader", []byte{0, 0, 0}, 100, nil, ErrTruncated},
		{"ShortPayload", frames("abcdef")[:7], 100, nil, ErrTruncated},
		{"GoodThenShort", append(frames("ok"), 0, 0, 0, 9, 1), 100, []string{"ok"}, ErrTruncated},
		{"LargerThanChunk", frames(string(make([]byte, 3*frameChunk+5))), 4 * frameChunk, []string{string(make([]byte, 3*frameChunk+5))}, ErrClosed},
		{"LargeTruncated", frames(string(make([]byte, 3*frameChunk)))[:2*frameChunk], 4 * frameChunk, nil, ErrTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Short reads too: frames must not depend on read sizes.
			readers := []io.Reader{bytes.NewReader(tc.in), iotest.HalfReader(bytes.NewReader(tc.in))}
			if len(tc.in) < 1<<10 {
				readers = append(readers, iotest.OneByteReader(bytes.NewReader(tc.in)))
			}
			for _, r := range readers {
				for _, want := range tc.want {
					got, mid, err := readFrame(r, tc.max)
					require.NoError(t, err)
					require.False(t, mid)
					require.NotNil(t, got)
					require.Equal(t, want, string(got))
				}
				_, _, err := readFrame(r, tc.max)
				require.ErrorIs(t, err, tc.err)
			}
		})
	}
}

func TestReadFrameOtherError(t *testing.T) {
	boom := errors.New("boom")
	_, mid, err := readFrame(iotest.ErrReader(boom), 100)
	require.ErrorIs(t, err, boom)
	assert.False(t, mid)
	_, mid, err = readFrame(io.MultiReader(bytes.NewReader([]byte{0, 0, 0, 5, 1}), iotest.ErrReader(boom)), 100)
	require.ErrorIs(t, err, boom)
	assert.True(t, mid)
}

// FuzzReadFrame feeds the frame decoder arbitrary peer bytes: it must never
// panic, every frame it returns must re-encode to exactly the bytes it
// consumed, and every error must be one of the documented sentinels.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{}, uint16(16))
	f.Add(appendFrame(nil, []byte("hello")), uint16(16))
	f.Add(appendFrame(appendFrame(nil, nil), []byte("x")), uint16(1))
	f.Add([]byte{0, 0, 0, 200, 1, 2, 3}, uint16(300))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, uint16(16))
	f.Add([]byte{0, 0}, uint16(16))
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		r := bytes.NewReader(data)
		var consumed []byte
		for {
			msg, _, err := readFrame(r, int(max))
			if err != nil {
				if !errors.Is(err, ErrClosed) && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMessageTooLarge) {
					t.Fatalf("unexpected error %v", err)
				}
				if errors.Is(err, ErrClosed) && !bytes.Equal(consumed, data) {
					t.Fatalf("clean end before the input's end")
				}
				return
			}
			if len(msg) > int(max) {
				t.Fatalf("frame of %d bytes over the limit %d", len(msg), max)
			}
			consumed = appendFrame(consumed, msg)
			if !bytes.HasPrefix(data, consumed) {
				t.Fatalf("frames do not re-encode to the input")
			}
		}
	})
}
