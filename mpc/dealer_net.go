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
// correcting shares only (one word per element of a triple request, two
// per division request), computed and sent in chunks of 2^16 elements,
// until that party closes its link (RunDealer returns nil), ctx ends, a
// request is malformed or a request would exceed the session's
// [DealerConfig.MaxElements] (an error naming the step and peer; the
// links are then closed). Each request's answer is drawn from streams of
// that request's own kind, length, divisor and position, so a request
// the other parties did not make yields nothing related to their shares
// (see the package doc's security model).
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
	conn := conns[d.n-1]
	for step := uint32(1); ; step++ {
		data, err := conn.Recv(ctx)
		if errors.Is(err, transport.ErrClosed) {
			closeAll()
			return nil
		}
		if err == nil {
			err = d.serveRequest(ctx, conn, data, step)
		}
		if err != nil {
			closeAll()
			return errs.Step("mpc", "dealer", fmt.Sprintf("request %d", step), conn.Peer(), err)
		}
	}
}

// serveRequest decodes one request of the last party, admits it (its
// position is the dealer's count of requests, its length counts against
// the session's cap) and sends the correcting shares chunk by chunk: one
// message per stream chunk, holding the chunk's corrected components one
// after the other. The dealer holds at most d.workers chunks at a time.
func (d *TrustedDealer) serveRequest(ctx context.Context, conn transport.Conn, data []byte, step uint32) error {
	var m message
	if err := m.UnmarshalBinary(data); err != nil {
		return err
	}
	if m.Kind != kindDealerRequest || m.Step != step || len(m.Words) != 3 {
		return fmt.Errorf("%w: kind %d step %d with %d words, expected a request %d of 3 words", ErrMalformed, m.Kind, m.Step, len(m.Words), step)
	}
	op, n64, div := m.Words[0], m.Words[1], m.Words[2]
	if n64 > maxDealerRequest {
		return fmt.Errorf("%w: request for %d elements, limit %d", ErrMalformed, n64, maxDealerRequest)
	}
	if op < reqTriples || op > reqDaBits {
		return fmt.Errorf("%w: unknown request %d", ErrMalformed, op)
	}
	if op != reqDivPairs && div != 0 {
		return fmt.Errorf("%w: divisor %d on request %d", ErrMalformed, div, op)
	}
	d.mu.Lock()
	q, err := d.begin(ctx, op, int(n64), div)
	d.mu.Unlock()
	if err != nil {
		return err
	}
	group := max(1, d.workers)
	nc, dr := q.comps(), q.drawn()
	out := make([][]uint64, nc)
	for c := range out {
		out[c] = make([]uint64, min(q.n, group*dealerChunk))
	}
	var body []uint64
	for chLo := 0; chLo < q.chunks(); chLo += group {
		chHi := min(chLo+group, q.chunks())
		if err := ctx.Err(); err != nil {
			return err
		}
		d.lastTuples(q, chLo, chHi, out)
		for ch := chLo; ch < chHi; ch++ {
			lo, hi := (ch-chLo)*dealerChunk, min((ch+1)*dealerChunk, q.n)-chLo*dealerChunk
			body = body[:0]
			for c := dr; c < nc; c++ {
				body = append(body, out[c][lo:hi]...)
			}
			if err := conn.Send(ctx, appendMessage(nil, kindDealerReply, step, body)); err != nil {
				return err
			}
		}
	}
	return nil
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
	if self < parties-1 {
		return &seededDealer{seed: s}, nil
	}
	return &remoteDealer{seed: s, conn: conn}, nil
}

// remoteDealer is the last party's view of a networked dealer: its own
// components from its seed, the correcting ones from the dealer.
type remoteDealer struct {
	seed prg.Seed
	conn transport.Conn
	pos  uint64
}

// get asks for the next request's corrections and returns the whole tuple.
func (r *remoteDealer) get(ctx context.Context, op uint64, n int, div uint64) ([][]uint64, error) {
	if err := checkRequest(ctx, n); err != nil {
		return nil, err
	}
	if op == reqDivPairs && div == 0 {
		return nil, fmt.Errorf("mpc: %w: division by zero", ErrInvalidParams)
	}
	q := request{op: op, n: n, div: div, pos: r.pos}
	r.pos++
	step := uint32(q.pos + 1)
	if err := r.conn.Send(ctx, appendMessage(nil, kindDealerRequest, step, []uint64{op, uint64(n), div})); err != nil {
		return nil, err
	}
	nc, dr := q.comps(), q.drawn()
	out := make([][]uint64, nc)
	for c := range out {
		out[c] = make([]uint64, n)
	}
	for c := range dr {
		q.fill(&r.seed, c, out[c])
	}
	for ch := range q.chunks() {
		lo, hi := ch*dealerChunk, min((ch+1)*dealerChunk, n)
		data, err := r.conn.Recv(ctx)
		if err != nil {
			return nil, err
		}
		k, s, _, err := parseHeader(data, (nc-dr)*(hi-lo))
		if err != nil {
			return nil, err
		}
		if k != kindDealerReply || s != step {
			return nil, fmt.Errorf("%w: kind %d step %d, expected kind %d step %d", ErrMalformed, k, s, kindDealerReply, step)
		}
		body := data[headerSize:]
		for c := dr; c < nc; c++ {
			combineRange(out[c][lo:hi], body, false, 0, hi-lo)
			body = body[8*(hi-lo):]
		}
	}
	return out, nil
}

func (r *remoteDealer) Triples(ctx context.Context, n int) (Triples, error) {
	t, err := r.get(ctx, reqTriples, n, 0)
	if err != nil {
		return Triples{}, err
	}
	return Triples{A: t[0], B: t[1], C: t[2]}, nil
}

func (r *remoteDealer) ANDTriples(ctx context.Context, n int) (Triples, error) {
	t, err := r.get(ctx, reqANDTriples, n, 0)
	if err != nil {
		return Triples{}, err
	}
	return Triples{A: t[0], B: t[1], C: t[2]}, nil
}

func (r *remoteDealer) DivPairs(ctx context.Context, n int, d uint64) (DivPairs, error) {
	t, err := r.get(ctx, reqDivPairs, n, d)
	if err != nil {
		return DivPairs{}, err
	}
	return DivPairs{R: t[0], Q: t[1], M: t[2]}, nil
}

func (r *remoteDealer) EdaBits(ctx context.Context, n int) (EdaBits, error) {
	t, err := r.get(ctx, reqEdaBits, n, 0)
	if err != nil {
		return EdaBits{}, err
	}
	return EdaBits{Arith: t[0], Bool: t[1]}, nil
}

func (r *remoteDealer) DaBits(ctx context.Context, n int) (DaBits, error) {
	t, err := r.get(ctx, reqDaBits, n, 0)
	if err != nil {
		return DaBits{}, err
	}
	return DaBits{Bool: t[0], Arith: t[1]}, nil
}
