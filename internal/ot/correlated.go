package ot

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/veil-go/veil/transport"
)

// Correlated OT over Z_2^64 from the width-128 extension: OT j gives the
// sender a uniform word x_j and the receiver, with choice bit c_j,
// x_j + c_j*delta_j mod 2^64, for the sender's correlation delta_j. It is
// random OT ([Sender.RandomOT]) with one word per OT sent back: the sender
// keeps x_j = H(j, q_j) (low 64 bits) and sends
// tau_j = x_j - H(j, q_j ^ s) + delta_j; the receiver takes
// y_j = H(j, t_j) and adds tau_j when c_j = 1. Gilboa multiplication (a
// product of the sender's word by the receiver's, as additive shares) is 64
// such OTs whose choices are the receiver's bits.

const (
	tagCorr     = 0xC1
	corrHdrSize = 1 + 4
	// maxCorrPerMsg bounds one correction message (8 bytes per OT: 1 MiB).
	maxCorrPerMsg = 1 << 17
)

// Corrections is the sender's message of correlated OT: one word tau_j
// per OT.
type Corrections struct {
	Tau []uint64
}

// MarshalBinary encodes the message.
func (c *Corrections) MarshalBinary() ([]byte, error) {
	if len(c.Tau) > maxCorrPerMsg {
		return nil, fmt.Errorf("%w: %d corrections in one message, limit %d", ErrInvalidParams, len(c.Tau), maxCorrPerMsg)
	}
	b := make([]byte, corrHdrSize, corrHdrSize+8*len(c.Tau))
	b[0] = tagCorr
	binary.LittleEndian.PutUint32(b[1:], uint32(len(c.Tau)))
	for _, w := range c.Tau {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return b, nil
}

// UnmarshalBinary decodes and validates the message.
func (c *Corrections) UnmarshalBinary(b []byte) error {
	n, err := corrHeader(b)
	if err != nil {
		return err
	}
	c.Tau = make([]uint64, n)
	for i := range c.Tau {
		c.Tau[i] = binary.LittleEndian.Uint64(b[corrHdrSize+8*i:])
	}
	return nil
}

// corrHeader validates a [Corrections] message and returns its number of
// words, which follow the header.
func corrHeader(b []byte) (int, error) {
	if len(b) < corrHdrSize || b[0] != tagCorr {
		return 0, fmt.Errorf("%w: correlated OT header", ErrMalformed)
	}
	n := binary.LittleEndian.Uint32(b[1:])
	if n > maxCorrPerMsg || len(b) != corrHdrSize+8*int(n) {
		return 0, fmt.Errorf("%w: correlated OT message of %d bytes for %d OTs", ErrMalformed, len(b), n)
	}
	return int(n), nil
}

// CorrelatedOT64 runs len(delta) correlated OTs as the sender with the
// correlations delta and returns the sender's words x_j; the peer, calling
// [Receiver.CorrelatedOT64], learns x_j + c_j*delta_j mod 2^64 for its
// choice bits c_j. x_j is pseudorandom and unknown to the receiver.
func (s *Sender) CorrelatedOT64(ctx context.Context, delta []uint64) ([]uint64, error) {
	if err := s.needIKNP(); err != nil {
		return nil, err
	}
	return s.hashed().correlatedOT64(ctx, delta)
}

// correlatedOT64 runs len(delta) correlated OTs: it keeps
// x_j = H(j, q_j) (low 64 bits) and sends the corrections tau_j.
func (c hashedSender) correlatedOT64(ctx context.Context, delta []uint64) ([]uint64, error) {
	m := len(delta)
	out := make([]uint64, m)
	tau := make([]uint64, m)
	err := c.extend(ctx, m, func(first int, q Matrix) error {
		corrWords(c.hash, out[first:first+q.Rows], tau[first:first+q.Rows], delta[first:], c.base+uint64(first), q.Data, c.d0, c.d1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := sendCorrections(ctx, c.conn, tau); err != nil {
		return nil, err
	}
	return out, nil
}

// CorrelatedOT64 runs m correlated OTs as the receiver. The choice bit of
// OT j is bit j%64 of choices[j/64] (so the bits of a vector of words,
// least significant first, are its choices); choices must hold at least
// (m+63)/64 words. It returns x_j + c_j*delta_j mod 2^64 per OT.
func (r *Receiver) CorrelatedOT64(ctx context.Context, choices []uint64, m int) ([]uint64, error) {
	if err := r.needIKNP(); err != nil {
		return nil, err
	}
	if m < 0 || len(choices) < (m+63)/64 {
		return nil, fmt.Errorf("%w: %d correlated OTs with %d choice words", ErrInvalidParams, m, len(choices))
	}
	bit := func(j int) bool { return choices[j>>6]>>(j&63)&1 == 1 }
	return r.hashed(func(first int, d Matrix) {
		for j := range d.Rows {
			if bit(first + j) {
				d.Data[2*j], d.Data[2*j+1] = ^uint64(0), ^uint64(0)
			}
		}
	}).correlatedOT64(ctx, choices, m)
}

// correlatedOT64 runs m correlated OTs with the choice bits choices (bit
// j%64 of choices[j/64], the bits the extension was bound to): it takes
// y_j = H(j, t_j) (low 64 bits) and adds tau_j where c_j = 1.
func (c hashedReceiver) correlatedOT64(ctx context.Context, choices []uint64, m int) ([]uint64, error) {
	out := make([]uint64, m)
	err := c.extend(ctx, m, func(first int, t Matrix) error {
		hashLow64(c.hash, out[first:first+t.Rows], c.base+uint64(first), t.Data, 0, 0)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := recvCorrections(ctx, c.conn, choices, out); err != nil {
		return nil, err
	}
	return out, nil
}

// corrWords sets x0[j] = H(tweak+j, q_j) (low 64 bits) and
// tau[j] = x0[j] - H(tweak+j, q_j ^ s) + delta[j] for the rows q_j of rows
// and s = (d0, d1), j < len(x0): [hashPairs]'s two hashes, keeping the low
// words only.
func corrWords(h *CRHash, x0, tau, delta []uint64, tweak uint64, rows []uint64, d0, d1 uint64) {
	h.pairBatches(tweak, len(x0), rows, d0, d1, func(j int, res *[2 * hashBatch]uint64, n int) {
		for k := range n {
			x0[j+k] = res[4*k]
			tau[j+k] = res[4*k] - res[4*k+2] + delta[j+k]
		}
	})
}

// sendCorrections sends the words tau in messages of at most
// maxCorrPerMsg.
func sendCorrections(ctx context.Context, conn transport.Conn, tau []uint64) error {
	for lo := 0; lo < len(tau); lo += maxCorrPerMsg {
		hi := min(lo+maxCorrPerMsg, len(tau))
		b, _ := (&Corrections{Tau: tau[lo:hi]}).MarshalBinary()
		if err := conn.Send(ctx, b); err != nil {
			return fmt.Errorf("ot: correlated OT: sending corrections: %w", err)
		}
	}
	return nil
}

// recvCorrections receives len(out) corrections and adds tau_j to out[j]
// where the choice bit j (bit j%64 of choices[j/64]) is 1, reading the
// words in place.
func recvCorrections(ctx context.Context, conn transport.Conn, choices, out []uint64) error {
	return recvCorrWords(ctx, conn, len(out), "correlated OT", func(lo int, tau []byte) {
		for j := range len(tau) / 8 {
			bit := choices[(lo+j)>>6] >> ((lo + j) & 63) & 1
			out[lo+j] += binary.LittleEndian.Uint64(tau[8*j:]) & -bit
		}
	})
}

// recvCorrWords receives m words in [Corrections] messages of at most
// maxCorrPerMsg words each, as [sendCorrections] sends them, and calls
// use(lo, tau) with each message's words lo, lo+1, ... as little-endian
// bytes, valid during the call. what names the protocol in errors.
func recvCorrWords(ctx context.Context, conn transport.Conn, m int, what string, use func(lo int, tau []byte)) error {
	for lo := 0; lo < m; lo += maxCorrPerMsg {
		hi := min(lo+maxCorrPerMsg, m)
		raw, err := conn.Recv(ctx)
		if err != nil {
			return fmt.Errorf("ot: %s: receiving corrections: %w", what, err)
		}
		n, err := corrHeader(raw)
		if err != nil {
			return fmt.Errorf("ot: %s from %q: %w", what, conn.Peer(), err)
		}
		if n != hi-lo {
			return fmt.Errorf("ot: %s from %q: %w: %d correction words, want %d", what, conn.Peer(), ErrProtocol, n, hi-lo)
		}
		use(lo, raw[corrHdrSize:])
	}
	return nil
}
