package ot

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/gtank/ristretto255"
	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/transport"
)

// Base OT: Chou and Orlandi's "simplest OT" (Latincrypt 2015) over
// ristretto255, with the key derivation hashing the whole transcript (the
// sender's point A, the receiver's point B_i and the index i) as in the
// fixes of Hauck and Loss (2017) and Genç, Iovino, Rial (2017), so that keys
// of different OTs and sessions are independent.
//
//	sender:   a random, A = aG                      -> A
//	receiver: b_i random, B_i = b_iG + c_iA          -> B_i
//	receiver: k_i = H(i, A, B_i, b_iA)
//	sender:   k_i0 = H(i, A, B_i, aB_i), k_i1 = H(i, A, B_i, a(B_i - A))

const (
	pointSize   = 32
	tagBaseA    = 0xB0
	tagBaseB    = 0xB1
	maxBaseOTs  = 1 << 16
	baseDomain  = "veil/ot/base/v1"
	baseHdrSize = 1 + 4
)

// BaseSetup is the base-OT sender's first message: its point A and the
// number of OTs.
type BaseSetup struct {
	N int
	A [pointSize]byte
}

// MarshalBinary encodes the message.
func (m *BaseSetup) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, baseHdrSize+pointSize)
	b = append(b, tagBaseA)
	b = binary.LittleEndian.AppendUint32(b, uint32(m.N))
	return append(b, m.A[:]...), nil
}

// UnmarshalBinary decodes and validates the message.
func (m *BaseSetup) UnmarshalBinary(b []byte) error {
	if len(b) != baseHdrSize+pointSize || b[0] != tagBaseA {
		return fmt.Errorf("%w: base OT setup of %d bytes", ErrMalformed, len(b))
	}
	n := binary.LittleEndian.Uint32(b[1:])
	if n == 0 || n > maxBaseOTs {
		return fmt.Errorf("%w: base OT count %d", ErrMalformed, n)
	}
	m.N = int(n)
	copy(m.A[:], b[baseHdrSize:])
	if _, err := decodePoint(m.A[:]); err != nil {
		return err
	}
	return nil
}

// BaseResponse is the base-OT receiver's message: one point per OT.
type BaseResponse struct {
	B [][pointSize]byte
}

// MarshalBinary encodes the message.
func (m *BaseResponse) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, baseHdrSize+pointSize*len(m.B))
	b = append(b, tagBaseB)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.B)))
	for i := range m.B {
		b = append(b, m.B[i][:]...)
	}
	return b, nil
}

// UnmarshalBinary decodes the message; points are validated by
// [BaseSender.Finish].
func (m *BaseResponse) UnmarshalBinary(b []byte) error {
	if len(b) < baseHdrSize || b[0] != tagBaseB {
		return fmt.Errorf("%w: base OT response header", ErrMalformed)
	}
	n := binary.LittleEndian.Uint32(b[1:])
	if n == 0 || n > maxBaseOTs || len(b) != baseHdrSize+pointSize*int(n) {
		return fmt.Errorf("%w: base OT response of %d bytes for %d OTs", ErrMalformed, len(b), n)
	}
	m.B = make([][pointSize]byte, n)
	for i := range m.B {
		copy(m.B[i][:], b[baseHdrSize+pointSize*i:])
	}
	return nil
}

func decodePoint(b []byte) (*ristretto255.Element, error) {
	p := ristretto255.NewElement()
	if err := p.Decode(b); err != nil {
		return nil, fmt.Errorf("%w: invalid ristretto255 encoding", ErrMalformed)
	}
	if p.Equal(ristretto255.NewIdentityElement()) == 1 {
		return nil, fmt.Errorf("%w: identity point", ErrMalformed)
	}
	return p, nil
}

// randomScalar draws a uniform scalar from crypto/rand.
func randomScalar() *ristretto255.Scalar {
	var buf [64]byte
	_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails
	return ristretto255.NewScalar().FromUniformBytes(buf[:])
}

func baseKey(i int, a, b []byte, p *ristretto255.Element) Block {
	h := sha256.New()
	h.Write([]byte(baseDomain))
	var ib [4]byte
	binary.LittleEndian.PutUint32(ib[:], uint32(i))
	h.Write(ib[:])
	h.Write(a)
	h.Write(b)
	h.Write(p.Encode(nil))
	var k Block
	copy(k[:], h.Sum(nil))
	return k
}

// BaseSender is the sender's state in a batch of base OTs.
type BaseSender struct {
	n       int
	a       *ristretto255.Scalar
	aA      *ristretto255.Element
	setup   BaseSetup
	workers int
}

// NewBaseSender draws the sender's secret for n base OTs and returns its
// state and the first message.
func NewBaseSender(n int, cfg Config) (*BaseSender, *BaseSetup, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	if n <= 0 || n > maxBaseOTs {
		return nil, nil, fmt.Errorf("%w: %d base OTs", ErrInvalidParams, n)
	}
	a := randomScalar()
	A := ristretto255.NewElement().ScalarBaseMult(a)
	s := &BaseSender{n: n, a: a, aA: ristretto255.NewElement().ScalarMult(a, A), workers: cfg.Workers}
	s.setup.N = n
	A.Encode(s.setup.A[:0])
	return s, &s.setup, nil
}

// Finish derives the sender's n key pairs from the receiver's response.
func (s *BaseSender) Finish(resp *BaseResponse) ([][2]Block, error) {
	if len(resp.B) != s.n {
		return nil, fmt.Errorf("%w: %d base OT points for %d OTs", ErrProtocol, len(resp.B), s.n)
	}
	keys := make([][2]Block, s.n)
	err := parallel.For(context.Background(), s.n, s.workers, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			B, err := decodePoint(resp.B[i][:])
			if err != nil {
				return fmt.Errorf("base OT %d: %w", i, err)
			}
			p0 := ristretto255.NewElement().ScalarMult(s.a, B)
			p1 := ristretto255.NewElement().Subtract(p0, s.aA)
			keys[i][0] = baseKey(i, s.setup.A[:], resp.B[i][:], p0)
			keys[i][1] = baseKey(i, s.setup.A[:], resp.B[i][:], p1)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// BaseReceiver is the receiver's state in a batch of base OTs.
type BaseReceiver struct {
	choices []bool
	b       []*ristretto255.Scalar
	workers int
}

// NewBaseReceiver draws the receiver's secrets for one base OT per choice.
func NewBaseReceiver(choices []bool, cfg Config) (*BaseReceiver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(choices) == 0 || len(choices) > maxBaseOTs {
		return nil, fmt.Errorf("%w: %d base OTs", ErrInvalidParams, len(choices))
	}
	r := &BaseReceiver{choices: append([]bool(nil), choices...), b: make([]*ristretto255.Scalar, len(choices)), workers: cfg.Workers}
	for i := range r.b {
		r.b[i] = randomScalar()
	}
	return r, nil
}

// Respond answers the sender's setup: it returns the response to send and
// the receiver's keys, key i being the sender's key pair i at choices[i].
func (r *BaseReceiver) Respond(setup *BaseSetup) (*BaseResponse, []Block, error) {
	if setup.N != len(r.choices) {
		return nil, nil, fmt.Errorf("%w: sender offers %d base OTs, receiver expects %d", ErrProtocol, setup.N, len(r.choices))
	}
	A, err := decodePoint(setup.A[:])
	if err != nil {
		return nil, nil, err
	}
	resp := &BaseResponse{B: make([][pointSize]byte, len(r.choices))}
	keys := make([]Block, len(r.choices))
	_ = parallel.For(context.Background(), len(r.choices), r.workers, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			B := ristretto255.NewElement().ScalarBaseMult(r.b[i])
			if r.choices[i] {
				B.Add(B, A)
			}
			B.Encode(resp.B[i][:0])
			keys[i] = baseKey(i, setup.A[:], resp.B[i][:], ristretto255.NewElement().ScalarMult(r.b[i], A))
		}
		return nil
	})
	return resp, keys, nil
}

// BaseSend runs n base OTs as the sender over conn and returns the key
// pairs.
func BaseSend(ctx context.Context, conn transport.Conn, n int, cfg Config) ([][2]Block, error) {
	pairs, _, err := baseSend(ctx, conn, n, cfg)
	return pairs, err
}

// baseSend is [BaseSend], also returning the session's hash salt (from the
// setup message, which both parties hold).
func baseSend(ctx context.Context, conn transport.Conn, n int, cfg Config) ([][2]Block, Block, error) {
	s, setup, err := NewBaseSender(n, cfg)
	if err != nil {
		return nil, Block{}, err
	}
	msg, _ := setup.MarshalBinary()
	if err := conn.Send(ctx, msg); err != nil {
		return nil, Block{}, fmt.Errorf("ot: base OT: sending setup: %w", err)
	}
	raw, err := conn.Recv(ctx)
	if err != nil {
		return nil, Block{}, fmt.Errorf("ot: base OT: receiving response: %w", err)
	}
	var resp BaseResponse
	if err := resp.UnmarshalBinary(raw); err != nil {
		return nil, Block{}, fmt.Errorf("ot: base OT from %q: %w", conn.Peer(), err)
	}
	keys, err := s.Finish(&resp)
	if err != nil {
		return nil, Block{}, fmt.Errorf("ot: base OT from %q: %w", conn.Peer(), err)
	}
	return keys, sessionSalt(msg), nil
}

// BaseReceive runs one base OT per choice as the receiver over conn and
// returns the chosen keys.
func BaseReceive(ctx context.Context, conn transport.Conn, choices []bool, cfg Config) ([]Block, error) {
	keys, _, err := baseReceive(ctx, conn, choices, cfg)
	return keys, err
}

// baseReceive is [BaseReceive], also returning the session's hash salt
// (from the setup message, as [baseSend] does).
func baseReceive(ctx context.Context, conn transport.Conn, choices []bool, cfg Config) ([]Block, Block, error) {
	r, err := NewBaseReceiver(choices, cfg)
	if err != nil {
		return nil, Block{}, err
	}
	raw, err := conn.Recv(ctx)
	if err != nil {
		return nil, Block{}, fmt.Errorf("ot: base OT: receiving setup: %w", err)
	}
	var setup BaseSetup
	if err := setup.UnmarshalBinary(raw); err != nil {
		return nil, Block{}, fmt.Errorf("ot: base OT from %q: %w", conn.Peer(), err)
	}
	resp, keys, err := r.Respond(&setup)
	if err != nil {
		return nil, Block{}, fmt.Errorf("ot: base OT from %q: %w", conn.Peer(), err)
	}
	msg, _ := resp.MarshalBinary()
	if err := conn.Send(ctx, msg); err != nil {
		return nil, Block{}, fmt.Errorf("ot: base OT: sending response: %w", err)
	}
	return keys, sessionSalt(raw), nil
}
