package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// frameChunk bounds how much readFrame allocates ahead of the bytes that
// have actually arrived, so that a peer announcing a large frame and then
// stalling cannot make us reserve the whole maximum at once.
const frameChunk = 1 << 20

// readFrame reads one frame (a 4-byte big-endian length, then that many
// bytes) from r and returns its payload, never nil.
//
// Errors: ErrClosed wrapping io.EOF if r ends cleanly before a frame starts;
// ErrTruncated if r ends inside a frame; ErrMessageTooLarge if the header
// announces more than maxSize bytes (nothing of the payload is read). Any
// other read error is returned wrapped, together with midFrame reporting
// whether part of a frame had been consumed.
func readFrame(r io.Reader, maxSize int) (msg []byte, midFrame bool, err error) {
	var hdr [frameHeaderSize]byte
	n, err := io.ReadFull(r, hdr[:])
	switch {
	case err == io.EOF:
		return nil, false, fmt.Errorf("%w: %w", ErrClosed, io.EOF)
	case err == io.ErrUnexpectedEOF:
		return nil, true, fmt.Errorf("%w: stream ended after %d of %d header bytes", ErrTruncated, n, frameHeaderSize)
	case err != nil:
		return nil, n > 0, err
	}
	size := binary.BigEndian.Uint32(hdr[:])
	if uint64(size) > uint64(maxSize) {
		return nil, true, fmt.Errorf("%w: peer announced %d bytes, limit %d", ErrMessageTooLarge, size, maxSize)
	}
	want := int(size)
	buf := make([]byte, 0, min(want, frameChunk))
	for len(buf) < want {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(want, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, true, fmt.Errorf("%w: stream ended after %d of %d payload bytes", ErrTruncated, len(buf), want)
			}
			return nil, true, err
		}
	}
	return buf, false, nil
}

// appendFrame appends msg's frame (header and payload) to dst.
func appendFrame(dst, msg []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(msg)))
	return append(dst, msg...)
}
