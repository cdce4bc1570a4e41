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
	size, midFrame, err := readHeader(r, maxSize)
	if err != nil {
		return nil, midFrame, err
	}
	msg, err = readPayload(r, size)
	return msg, err != nil, err
}

// readHeader reads a frame's header and returns the payload size it
// announces, at most maxSize; errors are as for readFrame.
func readHeader(r io.Reader, maxSize int) (size int, midFrame bool, err error) {
	var hdr [frameHeaderSize]byte
	n, err := io.ReadFull(r, hdr[:])
	switch {
	case err == io.EOF:
		return 0, false, fmt.Errorf("%w: %w", ErrClosed, io.EOF)
	case err == io.ErrUnexpectedEOF:
		return 0, true, fmt.Errorf("%w: stream ended after %d of %d header bytes", ErrTruncated, n, frameHeaderSize)
	case err != nil:
		return 0, n > 0, err
	}
	announced := binary.BigEndian.Uint32(hdr[:])
	if uint64(announced) > uint64(maxSize) {
		return 0, true, fmt.Errorf("%w: peer announced %d bytes, limit %d", ErrMessageTooLarge, announced, maxSize)
	}
	return int(announced), false, nil
}

// readPayload reads the size bytes of a frame's payload, whose header has
// been read; any error is mid-frame. It allocates at most frameChunk ahead
// of the bytes that have arrived.
func readPayload(r io.Reader, size int) ([]byte, error) {
	buf := make([]byte, 0, min(size, frameChunk))
	for len(buf) < size {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(size, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: stream ended after %d of %d payload bytes", ErrTruncated, len(buf), size)
			}
			return nil, err
		}
	}
	return buf, nil
}

// appendFrame appends msg's frame (header and payload) to dst.
func appendFrame(dst, msg []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(msg)))
	return append(dst, msg...)
}
