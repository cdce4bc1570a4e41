package ot

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/veil-go/veil/transport"
)

// 1-out-of-2 OTs from the width-128 extension (IKNP): the receiver's row
// d_j is all ones when its choice bit is 1 and zero otherwise, so
// q_j = t_j ^ r_j*s. The random OT messages are x_j0 = H(j, q_j) and
// x_j1 = H(j, q_j ^ s) with H the correlation-robust [CRHash]; the receiver
// gets H(j, t_j) = x_j{r_j}. j is the global row index, unique per session.

const (
	tagChosen     = 0xC0
	chosenHdrSize = 1 + 4
	// maxChosenPerMsg bounds one chosen-OT message (32 bytes per OT).
	maxChosenPerMsg = 1 << 16
)

func (s *Sender) needIKNP() error {
	if s.cfg.Width != 128 {
		return fmt.Errorf("%w: 1-out-of-2 OT needs width 128, have %d", ErrInvalidParams, s.cfg.Width)
	}
	return nil
}

func (r *Receiver) needIKNP() error {
	if r.cfg.Width != 128 {
		return fmt.Errorf("%w: 1-out-of-2 OT needs width 128, have %d", ErrInvalidParams, r.cfg.Width)
	}
	return nil
}

// RandomOT runs m random 1-out-of-2 OTs as the sender and returns the
// message pairs; the peer calls [Receiver.RandomOT] with m choice bits.
func (s *Sender) RandomOT(ctx context.Context, m int) ([][2]Block, error) {
	if err := s.needIKNP(); err != nil {
		return nil, err
	}
	if m < 0 {
		return nil, fmt.Errorf("%w: %d OTs", ErrInvalidParams, m)
	}
	return s.hashed().randomOT(ctx, m)
}

// cot returns the sender's hashed 1-out-of-2 OTs.
func (s *Sender) hashed() hashedSender {
	return hashedSender{conn: s.conn, hash: s.hash, base: s.next, d0: s.sw[0], d1: s.sw[1], extend: s.ExtendFunc}
}

// hashedSender is what the hashed 1-out-of-2 OTs need of a width-128
// extension sender, IKNP's or SoftSpoken's: its connection and hash, the
// row index its next extension starts at, its Delta = (d0, d1), and the
// extension, which calls use with each chunk's rows q_j.
type hashedSender struct {
	conn   transport.Conn
	hash   *CRHash
	base   uint64
	d0, d1 uint64
	extend func(ctx context.Context, m int, use func(first int, q Matrix) error) error
}

// randomOT runs m random OTs and returns the pairs
// (H(j, q_j), H(j, q_j ^ Delta)).
func (c hashedSender) randomOT(ctx context.Context, m int) ([][2]Block, error) {
	out := make([][2]Block, m)
	err := c.extend(ctx, m, func(first int, q Matrix) error {
		hashPairs(c.hash, out[first:first+q.Rows], c.base+uint64(first), q.Data, c.d0, c.d1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RandomOT runs one random 1-out-of-2 OT per choice bit as the receiver and
// returns the chosen messages: the result j is the sender's pair j at
// choices[j].
func (r *Receiver) RandomOT(ctx context.Context, choices []bool) ([]Block, error) {
	if err := r.needIKNP(); err != nil {
		return nil, err
	}
	return r.hashed(func(first int, d Matrix) {
		for j := range d.Rows {
			if choices[first+j] {
				d.Data[2*j], d.Data[2*j+1] = ^uint64(0), ^uint64(0)
			}
		}
	}).randomOT(ctx, len(choices))
}

// hashed returns the receiver's hashed 1-out-of-2 OTs, whose extension
// fills the rows d_j with fill.
func (r *Receiver) hashed(fill func(first int, d Matrix)) hashedReceiver {
	return hashedReceiver{conn: r.conn, hash: r.hash, base: r.next,
		extend: func(ctx context.Context, m int, use func(first int, t Matrix) error) error {
			return r.ExtendFunc(ctx, m, fill, use)
		}}
}

// hashedReceiver is the receiver's side of [hashedSender]: its connection
// and hash, the row index its next extension starts at, and the
// extension, its choices bound, which calls use with each chunk's rows t_j.
type hashedReceiver struct {
	conn   transport.Conn
	hash   *CRHash
	base   uint64
	extend func(ctx context.Context, m int, use func(first int, t Matrix) error) error
}

// randomOT runs m random OTs and returns the messages H(j, t_j).
func (c hashedReceiver) randomOT(ctx context.Context, m int) ([]Block, error) {
	out := make([]Block, m)
	err := c.extend(ctx, m, func(first int, t Matrix) error {
		c.hash.HashRows(out[first:first+t.Rows], c.base+uint64(first), t.Data, 0, 0)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ChosenMessages is the sender's message of chosen OT: for each OT the two
// messages masked by the two random-OT keys.
type ChosenMessages struct {
	Y [][2]Block
}

// MarshalBinary encodes the message.
func (c *ChosenMessages) MarshalBinary() ([]byte, error) {
	b := make([]byte, chosenHdrSize, chosenHdrSize+32*len(c.Y))
	b[0] = tagChosen
	binary.LittleEndian.PutUint32(b[1:], uint32(len(c.Y)))
	for i := range c.Y {
		b = append(b, c.Y[i][0][:]...)
		b = append(b, c.Y[i][1][:]...)
	}
	return b, nil
}

// UnmarshalBinary decodes and validates the message.
func (c *ChosenMessages) UnmarshalBinary(b []byte) error {
	if len(b) < chosenHdrSize || b[0] != tagChosen {
		return fmt.Errorf("%w: chosen OT header", ErrMalformed)
	}
	n := binary.LittleEndian.Uint32(b[1:])
	if n > maxChosenPerMsg || len(b) != chosenHdrSize+32*int(n) {
		return fmt.Errorf("%w: chosen OT message of %d bytes for %d OTs", ErrMalformed, len(b), n)
	}
	c.Y = make([][2]Block, n)
	for i := range c.Y {
		copy(c.Y[i][0][:], b[chosenHdrSize+32*i:])
		copy(c.Y[i][1][:], b[chosenHdrSize+32*i+16:])
	}
	return nil
}

// ChosenOT sends msgs[j][0] and msgs[j][1] through OT j; the peer, calling
// [Receiver.ChosenOT], learns exactly one of them per OT.
func (s *Sender) ChosenOT(ctx context.Context, msgs [][2]Block) error {
	x, err := s.RandomOT(ctx, len(msgs))
	if err != nil {
		return err
	}
	return sendChosen(ctx, s.conn, msgs, x)
}

// ChosenOT receives, for each OT j, the sender's message msgs[j][choices[j]].
func (r *Receiver) ChosenOT(ctx context.Context, choices []bool) ([]Block, error) {
	x, err := r.RandomOT(ctx, choices)
	if err != nil {
		return nil, err
	}
	return recvChosen(ctx, r.conn, choices, x)
}

// sendChosen sends msgs masked by the random-OT pairs x.
func sendChosen(ctx context.Context, conn transport.Conn, msgs, x [][2]Block) error {
	for lo := 0; lo < len(msgs); lo += maxChosenPerMsg {
		hi := min(lo+maxChosenPerMsg, len(msgs))
		c := ChosenMessages{Y: make([][2]Block, hi-lo)}
		for j := lo; j < hi; j++ {
			c.Y[j-lo][0] = msgs[j][0].Xor(x[j][0])
			c.Y[j-lo][1] = msgs[j][1].Xor(x[j][1])
		}
		b, _ := c.MarshalBinary()
		if err := conn.Send(ctx, b); err != nil {
			return fmt.Errorf("ot: chosen OT: sending messages: %w", err)
		}
	}
	return nil
}

// recvChosen receives the masked messages and unmasks the chosen ones with
// the random-OT keys x.
func recvChosen(ctx context.Context, conn transport.Conn, choices []bool, x []Block) ([]Block, error) {
	out := make([]Block, len(choices))
	for lo := 0; lo < len(choices); lo += maxChosenPerMsg {
		hi := min(lo+maxChosenPerMsg, len(choices))
		raw, err := conn.Recv(ctx)
		if err != nil {
			return nil, fmt.Errorf("ot: chosen OT: receiving messages: %w", err)
		}
		var c ChosenMessages
		if err := c.UnmarshalBinary(raw); err != nil {
			return nil, fmt.Errorf("ot: chosen OT from %q: %w", conn.Peer(), err)
		}
		if len(c.Y) != hi-lo {
			return nil, fmt.Errorf("ot: chosen OT from %q: %w: %d messages, want %d", conn.Peer(), ErrProtocol, len(c.Y), hi-lo)
		}
		for j := lo; j < hi; j++ {
			y := c.Y[j-lo][0]
			if choices[j] {
				y = c.Y[j-lo][1]
			}
			out[j] = y.Xor(x[j])
		}
	}
	return out, nil
}
