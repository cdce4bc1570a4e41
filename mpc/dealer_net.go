package mpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/internal/prg"
	"github.com/veil-go/veil/transport"
)

// Requests a networked dealer serves.
const (
	reqTriples uint64 = iota + 1
	reqANDTriples
	reqDivPairs
	reqEdaBits
	reqDaBits
)

// RunDealer plays a [TrustedDealer] for len(conns) parties as a separate
// networked party: conns[i] is a confidential, authenticated link (mutual
// TLS) to party i, whose side calls [NewRemoteDealer]. It sends every party
// its 32-byte seed, then answers the last party's requests with the
// correcting shares only (one vector per triple request, two per division
// request), until that party closes its link (RunDealer returns nil), ctx
// ends or a request is malformed (an error naming the step and peer; the
// links are then closed).
//
// The security warning of [TrustedDealer] applies in full: whoever runs
// RunDealer can unmask everything the parties open.
func RunDealer(ctx context.Context, conns []transport.Conn, cfg DealerConfig) error {
	d, err := NewTrustedDealer(len(conns), cfg)
	if err != nil {
		return err
	}
	return d.serve(ctx, conns)
}

// serve is RunDealer's work on an existing dealer, none of whose views
// may have been issued.
func (d *TrustedDealer) serve(ctx context.Context, conns []transport.Conn) error {
	if len(conns) != d.n {
		return fmt.Errorf("mpc: %w: %d links for %d parties", ErrInvalidParams, len(conns), d.n)
	}
	for i, c := range conns {
		if c == nil {
			return fmt.Errorf("mpc: %w: no link to party %d", ErrInvalidParams, i)
		}
	}
	d.mu.Lock()
	for i, issued := range d.issued {
		if issued {
			d.mu.Unlock()
			return fmt.Errorf("mpc: %w: party %d's view was already issued", ErrInvalidParams, i)
		}
		d.issued[i] = true
	}
	d.mu.Unlock()
	closeAll := func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}
	for i, c := range conns {
		if err := c.Send(ctx, appendMessage(nil, kindSeed, 0, seedWords(d.seeds[i]))); err != nil {
			closeAll()
			return errs.Step("mpc", "dealer", "seed", c.Peer(), err)
		}
	}
	last := &lastDealer{d: d}
	conn := conns[d.n-1]
	for step := uint32(1); ; step++ {
		data, err := conn.Recv(ctx)
		if errors.Is(err, transport.ErrClosed) {
			closeAll()
			return nil
		}
		if err == nil {
			var reply []uint64
			if reply, err = serveRequest(ctx, last, data, step); err == nil {
				err = sendVec(ctx, conn, kindDealerReply, step, reply)
			}
		}
		if err != nil {
			closeAll()
			return errs.Step("mpc", "dealer", fmt.Sprintf("request %d", step), conn.Peer(), err)
		}
	}
}

// serveRequest decodes one request and returns the correcting shares.
func serveRequest(ctx context.Context, last Dealer, data []byte, step uint32) ([]uint64, error) {
	var m message
	if err := m.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	if m.Kind != kindDealerRequest || m.Step != step || len(m.Words) != 3 {
		return nil, fmt.Errorf("%w: kind %d step %d with %d words, expected a request %d of 3 words", ErrMalformed, m.Kind, m.Step, len(m.Words), step)
	}
	op, n64, div := m.Words[0], m.Words[1], m.Words[2]
	if n64 > maxDealerRequest {
		return nil, fmt.Errorf("%w: request for %d elements", ErrMalformed, n64)
	}
	n := int(n64)
	switch op {
	case reqTriples, reqANDTriples:
		get := last.Triples
		if op == reqANDTriples {
			get = last.ANDTriples
		}
		t, err := get(ctx, n)
		return t.C, err
	case reqDivPairs:
		if div == 0 {
			return nil, fmt.Errorf("%w: division by zero", ErrMalformed)
		}
		p, err := last.DivPairs(ctx, n, div)
		return append(p.Q, p.M...), err
	case reqEdaBits:
		e, err := last.EdaBits(ctx, n)
		return e.Bool, err
	case reqDaBits:
		b, err := last.DaBits(ctx, n)
		return b.Arith, err
	}
	return nil, fmt.Errorf("%w: unknown request %d", ErrMalformed, op)
}

func seedWords(s prg.Seed) []uint64 {
	w := make([]uint64, prg.SeedSize/8)
	for k := range w {
		for b := range 8 {
			w[k] |= uint64(s[8*k+b]) << (8 * b)
		}
	}
	return w
}

// sendVec sends words as messages of at most chunkWords words.
func sendVec(ctx context.Context, c transport.Conn, kind byte, step uint32, words []uint64) error {
	for lo := 0; lo == 0 || lo < len(words); lo += chunkWords {
		if err := c.Send(ctx, appendMessage(nil, kind, step, words[lo:min(lo+chunkWords, len(words))])); err != nil {
			return err
		}
	}
	return nil
}

// recvVec receives n words sent by sendVec, checking every header.
func recvVec(ctx context.Context, c transport.Conn, kind byte, step uint32, n int) ([]uint64, error) {
	out := make([]uint64, n)
	for lo := 0; lo == 0 || lo < n; lo += chunkWords {
		data, err := c.Recv(ctx)
		if err != nil {
			return nil, err
		}
		k, s, _, err := parseHeader(data, min(lo+chunkWords, n)-lo)
		if err != nil {
			return nil, err
		}
		if k != kind || s != step {
			return nil, fmt.Errorf("%w: kind %d step %d, expected kind %d step %d", ErrMalformed, k, s, kind, step)
		}
		combineRange(out[lo:], data[headerSize:], false, 0, len(data[headerSize:])/8)
	}
	return out, nil
}

// NewRemoteDealer returns party self's view (of parties) of a dealer that
// runs [RunDealer] at the other end of conn. Parties other than
// the last only receive their seed and never talk to the dealer again; the
// last party asks for its correcting shares at each request.
func NewRemoteDealer(ctx context.Context, conn transport.Conn, self, parties int) (Dealer, error) {
	if conn == nil || parties < 2 || self < 0 || self >= parties {
		return nil, fmt.Errorf("mpc: %w: party %d of %d", ErrInvalidParams, self, parties)
	}
	w, err := recvVec(ctx, conn, kindSeed, 0, prg.SeedSize/8)
	if err != nil {
		return nil, errs.Step("mpc", roleName(self), "dealer seed", conn.Peer(), err)
	}
	var s prg.Seed
	for k, v := range w {
		for b := range 8 {
			s[8*k+b] = byte(v >> (8 * b))
		}
	}
	g, err := prg.New(s)
	if err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	if self < parties-1 {
		return &seededDealer{g: g}, nil
	}
	return &remoteDealer{g: g, conn: conn}, nil
}

// remoteDealer is the last party's view of a networked dealer: its own
// shares from its seed, the correcting ones from the dealer.
type remoteDealer struct {
	g    *prg.PRG
	conn transport.Conn
	step uint32
}

func (r *remoteDealer) ask(ctx context.Context, op uint64, n int, div uint64, want int) ([]uint64, error) {
	r.step++
	req := appendMessage(nil, kindDealerRequest, r.step, []uint64{op, uint64(n), div})
	if err := r.conn.Send(ctx, req); err != nil {
		return nil, err
	}
	return recvVec(ctx, r.conn, kindDealerReply, r.step, want)
}

func (r *remoteDealer) Triples(ctx context.Context, n int) (Triples, error) {
	return r.triples(ctx, n, reqTriples)
}

func (r *remoteDealer) ANDTriples(ctx context.Context, n int) (Triples, error) {
	return r.triples(ctx, n, reqANDTriples)
}

func (r *remoteDealer) triples(ctx context.Context, n int, op uint64) (Triples, error) {
	if err := checkRequest(ctx, n); err != nil {
		return Triples{}, err
	}
	t := genTriples(r.g, n, true)
	var err error
	t.C, err = r.ask(ctx, op, n, 0, n)
	return t, err
}

func (r *remoteDealer) DivPairs(ctx context.Context, n int, d uint64) (DivPairs, error) {
	if err := checkRequest(ctx, n); err != nil {
		return DivPairs{}, err
	}
	if d == 0 {
		return DivPairs{}, fmt.Errorf("mpc: %w: division by zero", ErrInvalidParams)
	}
	p := genDiv(r.g, n, true)
	qm, err := r.ask(ctx, reqDivPairs, n, d, 2*n)
	if err != nil {
		return DivPairs{}, err
	}
	p.Q, p.M = qm[:n:n], qm[n:]
	return p, nil
}

func (r *remoteDealer) EdaBits(ctx context.Context, n int) (EdaBits, error) {
	if err := checkRequest(ctx, n); err != nil {
		return EdaBits{}, err
	}
	e := genEda(r.g, n, true)
	var err error
	e.Bool, err = r.ask(ctx, reqEdaBits, n, 0, n)
	return e, err
}

func (r *remoteDealer) DaBits(ctx context.Context, n int) (DaBits, error) {
	if err := checkRequest(ctx, n); err != nil {
		return DaBits{}, err
	}
	b := genDa(r.g, n, true)
	var err error
	b.Arith, err = r.ask(ctx, reqDaBits, n, 0, n)
	return b, err
}
