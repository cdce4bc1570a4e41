package psi

import (
	"context"
	"fmt"
	"io"

	"github.com/gtank/ristretto255"
	"github.com/veil-go/veil/transport"
)

// ecdhEngine is Diffie-Hellman PSI over ristretto255. With H the hash to
// the group, a the sender's key and b the receiver's:
//
// Intersection and Join (the receiver learns which of its items match):
//
//	R -> S  H(y)^b                     32 B per receiver item, in batches
//	S -> R  H(y)^(ab)                  32 B per receiver item, same order
//	        R unblinds: F(y) = H(y)^a, tag T(F(y))
//	S -> R  T(H(x)^a) [, seal_F(x)(payload)]   TagLen B (+ 20 B + payload) per sender item, shuffled
//	R -> S  (RevealToBoth) bitmap of the sender's items that matched
//
// Cardinality and Sum (the receiver learns only a count and a sum):
//
//	R -> S  H(y)^b                     32 B per receiver item
//	S -> R  T(H(y)^(ab)), all of them shuffled together   TagLen B per receiver item
//	S -> R  H(x)^a [, ElGamal_S(value)]   32 B (+ 64 B) per sender item, shuffled
//	        R compares T(H(x)^(ab)) with the tags and counts (and adds ciphertexts)
//	R -> S  C1 + t*G;  S -> R s*(C1 + t*G), s*G;  R solves a discrete log of the sum
//
// Every batch is answered (by its evaluation or a 5-byte Ack), and a party
// has at most Options.Window batches unanswered, so memory in flight is
// bounded whatever the set sizes.
type ecdhEngine struct{}

// learnsMembers says whether the receiver learns which items match.
func learnsMembers(m Mode) bool { return m == Intersection || m == Join }

func batches(n, bs int) int { return (n + bs - 1) / bs }

func batchRange(k, bs, n int) (int, int) { return k * bs, min((k+1)*bs, n) }

func (ecdhEngine) receiver(ctx context.Context, conn transport.Conn, in *receiverInput, nX int, o Options) (*Result, error) {
	c := &stepConn{conn: conn, role: RoleReceiver}
	rnd := randReader(o)
	b, err := randomScalar(rnd)
	if err != nil {
		return nil, err
	}
	binv := ristretto255.NewScalar().Invert(b)
	nY, bs, tl := len(in.items), o.BatchSize, o.TagLen
	members := learnsMembers(o.Mode)
	prog := progress{fn: o.Progress, total: nY + nX}

	// Phase A: blind our items; the sender evaluates them.
	var own map[tagKey]int32 // tag of F(y) -> distinct index (members)
	var prf []byte           // F(y) encodings (Join)
	if members {
		own = make(map[tagKey]int32, nY)
		if o.Mode == Join {
			prf = make([]byte, pointLen*nY)
		}
	}
	tags := make([]byte, tl*min(bs, max(nY, nX)))
	err = pipeline(ctx, batches(nY, bs), o.Window,
		func(k int) error {
			lo, hi := batchRange(k, bs, nY)
			pts := make([]byte, pointLen*(hi-lo))
			if err := parallel(ctx, o.Workers, hi-lo, func(l, h int) error {
				p := ristretto255.NewElement()
				for i := l; i < h; i++ {
					p.ScalarMult(b, hashToGroup(in.items[lo+i]))
					p.Encode(pts[i*pointLen : i*pointLen : (i+1)*pointLen])
				}
				return nil
			}); err != nil {
				return c.wrap("blind", err)
			}
			return c.send(ctx, "blind", &PointBatch{Points: pts})
		},
		func(k int) error {
			lo, hi := batchRange(k, bs, nY)
			n := hi - lo
			if !members {
				var a Ack
				if err := c.recv(ctx, "evaluate", &a); err != nil {
					return err
				}
				if int(a.Count) != n {
					return c.wrap("evaluate", fmt.Errorf("%w: ack of %d items, sent %d", ErrMalformed, a.Count, n))
				}
				prog.add(n)
				return nil
			}
			var ev PointBatch
			if err := c.recv(ctx, "evaluate", &ev); err != nil {
				return err
			}
			if ev.Len() != n {
				return c.wrap("evaluate", fmt.Errorf("%w: %d evaluations for %d items", ErrMalformed, ev.Len(), n))
			}
			if err := parallel(ctx, o.Workers, n, func(l, h int) error {
				var enc [pointLen]byte
				for i := l; i < h; i++ {
					p, err := decodePoint(ev.Points[i*pointLen : (i+1)*pointLen])
					if err != nil {
						return fmt.Errorf("evaluation %d: %w", lo+i, err)
					}
					p.ScalarMult(binv, p)
					p.Encode(enc[:0])
					tagOf(tags[i*tl:(i+1)*tl], enc[:])
					if prf != nil {
						copy(prf[(lo+i)*pointLen:], enc[:])
					}
				}
				return nil
			}); err != nil {
				return c.wrap("unblind", err)
			}
			for i := range n {
				key := keyOf(tags[i*tl : (i+1)*tl])
				if _, dup := own[key]; dup {
					return c.wrap("unblind", fmt.Errorf("%w: two of our items share a %d-byte tag; use a larger TagLen", ErrInvalidParams, tl))
				}
				own[key] = int32(lo + i)
			}
			prog.add(n)
			return nil
		})
	if err != nil {
		return nil, err
	}
	if members {
		return receiverMembers(ctx, c, in, nX, own, prf, &prog, o)
	}
	return receiverCount(ctx, c, b, nY, nX, &prog, o)
}

// receiverMembers is the rest of Intersection and Join for the receiver:
// match the sender's tags (and open the payloads of the matches).
func receiverMembers(ctx context.Context, c *stepConn, in *receiverInput, nX int, own map[tagKey]int32, prf []byte, prog *progress, o Options) (*Result, error) {
	tl := o.TagLen
	matched := make([]bool, len(in.items))
	var payloads [][]byte
	if o.Mode == Join {
		payloads = make([][]byte, len(in.items))
	}
	var bitmap []byte
	if o.RevealToBoth {
		bitmap = make([]byte, (nX+7)/8)
	}
	for got := 0; got < nX; {
		raw, err := c.recvRaw(ctx, "match")
		if err != nil {
			return nil, err
		}
		var tags []byte
		var sealed [][]byte
		if o.Mode == Join {
			var jb JoinBatch
			if err := jb.UnmarshalBinary(raw); err != nil {
				return nil, c.wrap("match", err)
			}
			tags, sealed = jb.Tags, jb.Sealed
			if jb.TagLen != tl {
				return nil, c.wrap("match", fmt.Errorf("%w: tag length %d, agreed %d", ErrMalformed, jb.TagLen, tl))
			}
		} else {
			var tb TagBatch
			if err := tb.UnmarshalBinary(raw); err != nil {
				return nil, c.wrap("match", err)
			}
			if tb.TagLen != tl {
				return nil, c.wrap("match", fmt.Errorf("%w: tag length %d, agreed %d", ErrMalformed, tb.TagLen, tl))
			}
			tags = tb.Tags
		}
		n := len(tags) / tl
		if n > nX-got {
			return nil, c.wrap("match", fmt.Errorf("%w: %d more items than announced", ErrMalformed, n-(nX-got)))
		}
		for i := range n {
			d, ok := own[keyOf(tags[i*tl:(i+1)*tl])]
			if !ok {
				continue
			}
			if matched[d] {
				return nil, c.wrap("match", fmt.Errorf("%w: two sender items match one of ours", ErrMalformed))
			}
			matched[d] = true
			if bitmap != nil {
				bitmap[(got+i)/8] |= 1 << ((got + i) % 8)
			}
			if payloads != nil {
				aead, err := joinAEAD(prf[int(d)*pointLen : (int(d)+1)*pointLen])
				if err != nil {
					return nil, c.wrap("match", err)
				}
				p, err := aead.Open(nil, zeroNonce[:], sealed[i], nil)
				if err != nil {
					return nil, c.wrap("match", fmt.Errorf("%w: payload of a matching item fails authentication", ErrMalformed))
				}
				payloads[d] = p
			}
		}
		got += n
		if err := c.send(ctx, "match", &Ack{Count: uint32(n)}); err != nil {
			return nil, err
		}
		prog.add(n)
	}
	res := &Result{Learned: true}
	for _, m := range matched {
		if m {
			res.Cardinality++
		}
	}
	res.Indices = in.indicesOf(matched)
	if payloads != nil {
		res.Payloads = make([][]byte, len(res.Indices))
		for k, i := range res.Indices {
			res.Payloads[k] = payloads[in.distinct[i]]
		}
	}
	if o.RevealToBoth {
		if err := c.send(ctx, "reveal", &Matches{N: uint32(nX), Bitmap: bitmap}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// receiverCount is the rest of Cardinality and Sum for the receiver: collect
// the shuffled evaluations of our items, then raise the sender's blinded
// items, count the matches (and add their ciphertexts).
func receiverCount(ctx context.Context, c *stepConn, b *ristretto255.Scalar, nY, nX int, prog *progress, o Options) (*Result, error) {
	tl := o.TagLen
	set := make(map[tagKey]struct{}, nY)
	for got := 0; got < nY; {
		var tb TagBatch
		if err := c.recv(ctx, "collect", &tb); err != nil {
			return nil, err
		}
		n := tb.Len()
		if tb.TagLen != tl || n > nY-got {
			return nil, c.wrap("collect", fmt.Errorf("%w: %d tags of %d bytes with %d expected", ErrMalformed, n, tb.TagLen, nY-got))
		}
		for i := range n {
			set[keyOf(tb.Tags[i*tl:(i+1)*tl])] = struct{}{}
		}
		got += n
		if err := c.send(ctx, "collect", &Ack{Count: uint32(n)}); err != nil {
			return nil, err
		}
	}
	card := 0
	sumC1 := ristretto255.NewIdentityElement()
	sumC2 := ristretto255.NewIdentityElement()
	var tags []byte
	for got := 0; got < nX; {
		var pts, ct []byte
		if o.Mode == Sum {
			var sb SumItemBatch
			if err := c.recv(ctx, "count", &sb); err != nil {
				return nil, err
			}
			pts, ct = sb.Points, sb.Cipher
		} else {
			var pb PointBatch
			if err := c.recv(ctx, "count", &pb); err != nil {
				return nil, err
			}
			pts = pb.Points
		}
		n := len(pts) / pointLen
		if n > nX-got {
			return nil, c.wrap("count", fmt.Errorf("%w: %d more items than announced", ErrMalformed, n-(nX-got)))
		}
		if len(tags) < n*tl {
			tags = make([]byte, n*tl)
		}
		if err := parallel(ctx, o.Workers, n, func(l, h int) error {
			var enc [pointLen]byte
			for i := l; i < h; i++ {
				p, err := decodePoint(pts[i*pointLen : (i+1)*pointLen])
				if err != nil {
					return fmt.Errorf("item %d: %w", got+i, err)
				}
				p.ScalarMult(b, p)
				tagOf(tags[i*tl:(i+1)*tl], p.Encode(enc[:0]))
			}
			return nil
		}); err != nil {
			return nil, c.wrap("count", err)
		}
		for i := range n {
			if _, ok := set[keyOf(tags[i*tl:(i+1)*tl])]; !ok {
				continue
			}
			card++
			if ct != nil {
				c1, err1 := decodePoint(ct[(2*i)*pointLen : (2*i+1)*pointLen])
				c2, err2 := decodePoint(ct[(2*i+1)*pointLen : (2*i+2)*pointLen])
				if err1 != nil || err2 != nil {
					return nil, c.wrap("count", fmt.Errorf("%w: ciphertext of item %d", ErrMalformed, got+i))
				}
				sumC1.Add(sumC1, c1)
				sumC2.Add(sumC2, c2)
			}
		}
		got += n
		if err := c.send(ctx, "count", &Ack{Count: uint32(n)}); err != nil {
			return nil, err
		}
		prog.add(n)
	}
	if card > min(nX, nY) {
		return nil, c.wrap("count", fmt.Errorf("%w: %d matches for sets of %d and %d", ErrMalformed, card, nX, nY))
	}
	res := &Result{Learned: true, Cardinality: card}
	if o.Mode == Sum {
		sum, err := receiverDecrypt(ctx, c, sumC1, sumC2, o)
		if err != nil {
			return nil, err
		}
		res.Sum = sum
	}
	if o.RevealToBoth {
		if err := c.send(ctx, "reveal", &Outcome{Cardinality: uint64(card), Sum: res.Sum}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// receiverDecrypt rerandomises the summed ciphertext, has the sender raise
// its C1 to the secret key, and solves the discrete log of the sum.
func receiverDecrypt(ctx context.Context, c *stepConn, sumC1, sumC2 *ristretto255.Element, o Options) (int64, error) {
	t, err := randomScalar(randReader(o))
	if err != nil {
		return 0, err
	}
	c1 := ristretto255.NewElement().ScalarBaseMult(t)
	c1.Add(c1, sumC1)
	var req SumRequest
	c1.Encode(req.C1[:0])
	if err := c.send(ctx, "decrypt", &req); err != nil {
		return 0, err
	}
	var share SumShare
	if err := c.recv(ctx, "decrypt", &share); err != nil {
		return 0, err
	}
	d, err1 := decodePoint(share.D[:])
	q, err2 := decodePoint(share.Q[:])
	if err1 != nil || err2 != nil {
		return 0, c.wrap("decrypt", fmt.Errorf("%w: sum share", ErrMalformed))
	}
	// sum*G = C2 + t*Q - s*(C1 + t*G)
	m := ristretto255.NewElement().ScalarMult(t, q)
	m.Add(m, sumC2)
	m.Subtract(m, d)
	sum, err := solveSum(ctx, m, o.MaxSum)
	if err != nil {
		return 0, c.wrap("decrypt", err)
	}
	return sum, nil
}

func (ecdhEngine) sender(ctx context.Context, conn transport.Conn, in *senderInput, nY int, o Options) (*Result, error) {
	c := &stepConn{conn: conn, role: RoleSender}
	rnd := randReader(o)
	a, err := randomScalar(rnd)
	if err != nil {
		return nil, err
	}
	nX, bs, tl := len(in.items), o.BatchSize, o.TagLen
	members := learnsMembers(o.Mode)
	prog := progress{fn: o.Progress, total: nY + nX}
	perm, err := randPerm(rnd, nX)
	if err != nil {
		return nil, err
	}

	// Phase A: evaluate the receiver's blinded items.
	var evalTags []byte
	if !members {
		evalTags = make([]byte, nY*tl)
	}
	for got := 0; got < nY; {
		var pb PointBatch
		if err := c.recv(ctx, "evaluate", &pb); err != nil {
			return nil, err
		}
		n := pb.Len()
		if n > nY-got {
			return nil, c.wrap("evaluate", fmt.Errorf("%w: %d more items than announced", ErrMalformed, n-(nY-got)))
		}
		out := pb.Points // evaluated in place
		if err := parallel(ctx, o.Workers, n, func(l, h int) error {
			var enc [pointLen]byte
			for i := l; i < h; i++ {
				p, err := decodePoint(pb.Points[i*pointLen : (i+1)*pointLen])
				if err != nil {
					return fmt.Errorf("item %d: %w", got+i, err)
				}
				p.ScalarMult(a, p)
				if members {
					p.Encode(out[i*pointLen : i*pointLen])
				} else {
					tagOf(evalTags[(got+i)*tl:(got+i+1)*tl], p.Encode(enc[:0]))
				}
			}
			return nil
		}); err != nil {
			return nil, c.wrap("evaluate", err)
		}
		if members {
			err = c.send(ctx, "evaluate", &PointBatch{Points: out})
		} else {
			err = c.send(ctx, "evaluate", &Ack{Count: uint32(n)})
		}
		if err != nil {
			return nil, err
		}
		got += n
		prog.add(n)
	}
	if !members {
		tmp := make([]byte, tl)
		if err := shuffle(rnd, nY, func(i, j int) {
			copy(tmp, evalTags[i*tl:(i+1)*tl])
			copy(evalTags[i*tl:(i+1)*tl], evalTags[j*tl:(j+1)*tl])
			copy(evalTags[j*tl:(j+1)*tl], tmp)
		}); err != nil {
			return nil, err
		}
	}

	// Phase B: stream the (shuffled) evaluations, then our own items in a
	// random order.
	var s *ristretto255.Scalar
	var q *ristretto255.Element
	if o.Mode == Sum {
		if s, err = randomScalar(rnd); err != nil {
			return nil, err
		}
		q = ristretto255.NewElement().ScalarBaseMult(s)
	}
	nTagB := 0
	if !members {
		nTagB = batches(nY, bs)
	}
	sizes := make([]int, o.Window)
	err = pipeline(ctx, nTagB+batches(nX, bs), o.Window,
		func(k int) error {
			if k < nTagB {
				lo, hi := batchRange(k, bs, nY)
				sizes[k%o.Window] = hi - lo
				return c.send(ctx, "stream", &TagBatch{TagLen: tl, Tags: evalTags[lo*tl : hi*tl]})
			}
			lo, hi := batchRange(k-nTagB, bs, nX)
			sizes[k%o.Window] = hi - lo
			msg, err := senderBatch(ctx, in, perm[lo:hi], a, s, q, rnd, o)
			if err != nil {
				return c.wrap("stream", err)
			}
			if err := c.send(ctx, "stream", msg); err != nil {
				return err
			}
			prog.add(hi - lo)
			return nil
		},
		func(k int) error {
			var ack Ack
			if err := c.recv(ctx, "stream", &ack); err != nil {
				return err
			}
			if int(ack.Count) != sizes[k%o.Window] {
				return c.wrap("stream", fmt.Errorf("%w: ack of %d items, sent %d", ErrMalformed, ack.Count, sizes[k%o.Window]))
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	evalTags = nil

	// Phase C: finish.
	res := &Result{}
	if o.Mode == Sum {
		var req SumRequest
		if err := c.recv(ctx, "decrypt", &req); err != nil {
			return nil, err
		}
		c1, err := decodePoint(req.C1[:])
		if err != nil {
			return nil, c.wrap("decrypt", err)
		}
		var share SumShare
		ristretto255.NewElement().ScalarMult(s, c1).Encode(share.D[:0])
		q.Encode(share.Q[:0])
		if err := c.send(ctx, "decrypt", &share); err != nil {
			return nil, err
		}
	}
	if !o.RevealToBoth {
		return res, nil
	}
	res.Learned = true
	if members {
		var m Matches
		if err := c.recv(ctx, "reveal", &m); err != nil {
			return nil, err
		}
		if int(m.N) != nX {
			return nil, c.wrap("reveal", fmt.Errorf("%w: bitmap of %d items, we have %d", ErrMalformed, m.N, nX))
		}
		matched := make([]bool, nX)
		for pos := range nX {
			if m.Bitmap[pos/8]>>(pos%8)&1 == 1 {
				matched[perm[pos]] = true
				res.Cardinality++
			}
		}
		if res.Cardinality > nY {
			return nil, c.wrap("reveal", fmt.Errorf("%w: %d matches for %d receiver items", ErrMalformed, res.Cardinality, nY))
		}
		res.Indices = in.indicesOf(matched)
		return res, nil
	}
	var out Outcome
	if err := c.recv(ctx, "reveal", &out); err != nil {
		return nil, err
	}
	if out.Cardinality > uint64(min(nX, nY)) {
		return nil, c.wrap("reveal", fmt.Errorf("%w: cardinality %d for sets of %d and %d", ErrMalformed, out.Cardinality, nX, nY))
	}
	res.Cardinality, res.Sum = int(out.Cardinality), out.Sum
	return res, nil
}

// senderBatch builds the message for the sender's items idx (distinct
// indices, already shuffled): tags (Intersection), tags and sealed payloads
// (Join), blinded points (Cardinality), or points and encrypted values (Sum).
func senderBatch(ctx context.Context, in *senderInput, idx []int32, a, s *ristretto255.Scalar, q *ristretto255.Element, rnd io.Reader, o Options) (binaryMessage, error) {
	n, tl := len(idx), o.TagLen
	var ks []byte
	if o.Mode == Sum {
		// Randomness is read here, in one goroutine: TestRand need not be
		// safe for concurrent use.
		ks = make([]byte, 64*n)
		if _, err := io.ReadFull(rnd, ks); err != nil {
			return nil, fmt.Errorf("psi: reading randomness: %w", err)
		}
	}
	var tags, pts, ct []byte
	var sealed [][]byte
	switch o.Mode {
	case Intersection:
		tags = make([]byte, n*tl)
	case Join:
		tags, sealed = make([]byte, n*tl), make([][]byte, n)
	case Cardinality:
		pts = make([]byte, n*pointLen)
	case Sum:
		pts, ct = make([]byte, n*pointLen), make([]byte, 2*n*pointLen)
	}
	g := ristretto255.NewGeneratorElement()
	err := parallel(ctx, o.Workers, n, func(l, h int) error {
		var enc [pointLen]byte
		p := ristretto255.NewElement()
		for i := l; i < h; i++ {
			d := idx[i]
			p.ScalarMult(a, hashToGroup(in.items[d]))
			switch o.Mode {
			case Intersection, Join:
				p.Encode(enc[:0])
				tagOf(tags[i*tl:(i+1)*tl], enc[:])
				if o.Mode == Join {
					aead, err := joinAEAD(enc[:])
					if err != nil {
						return err
					}
					sealed[i] = aead.Seal(nil, zeroNonce[:], in.payloads[d], nil)
				}
			case Cardinality:
				p.Encode(pts[i*pointLen : i*pointLen])
			case Sum:
				p.Encode(pts[i*pointLen : i*pointLen])
				k := ristretto255.NewScalar().FromUniformBytes(ks[64*i : 64*(i+1)])
				c1 := ristretto255.NewElement().ScalarBaseMult(k)
				c2 := ristretto255.NewElement().MultiScalarMult(
					[]*ristretto255.Scalar{k, scalarFromInt64(in.values[d])},
					[]*ristretto255.Element{q, g})
				c1.Encode(ct[2*i*pointLen : 2*i*pointLen])
				c2.Encode(ct[(2*i+1)*pointLen : (2*i+1)*pointLen])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch o.Mode {
	case Intersection:
		return &TagBatch{TagLen: tl, Tags: tags}, nil
	case Join:
		return &JoinBatch{TagLen: tl, Tags: tags, Sealed: sealed}, nil
	case Cardinality:
		return &PointBatch{Points: pts}, nil
	}
	return &SumItemBatch{Points: pts, Cipher: ct}, nil
}
