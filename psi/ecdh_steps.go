package psi

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/gtank/ristretto255"
	"github.com/veil-go/veil/dp"
	"github.com/veil-go/veil/he"
	"github.com/veil-go/veil/internal/parallel"
)

// ECDH-PSI as local steps. The runners drive these over a transport.Conn
// (ecdh_run.go), in this order:
//
//	receiver                                   sender
//	newECDHReceiver                            newECDHSender
//	  (the runner has exchanged the helloMsgs)
//	Start(peer hello)                          Start(peer hello)
//	for k < BlindBatches():
//	  Blind(k) ---------- pointBatch --------> Evaluate
//	  Unblind(k) | EvaluationAck(k) <-- pointBatch | ackMsg
//	                                           (after all) for k < StreamBatches():
//	HandleStream <------- StreamBatch(k) ----- (tagBatch, joinBatch, pointBatch, sumItemBatch)
//	  ---------------- ackMsg ---------------> StreamAck(k)
//	Sum: DecryptRequest --- sumRequest ------> DecryptShare
//	     Decrypt <-------- sumShare ---------
//	Result (Join: opens the matches' payloads, after the whole stream)
//	RevealToBoth: Reveal -- matchesMsg | outcomeMsg -> HandleReveal
//	                                           Result
//
// HandleStream's work on a batch is the same whether or not its items
// match, and it refuses a batch of fewer than MinBatchSize items but for a
// stage's last, so the latency of each ackMsg tells the sender nothing
// about matches. In Sum mode below Config.MinSumCardinality, DecryptRequest
// sends t*G alone (as uniform as the rerandomised sum) and Decrypt ignores
// the answer.
//
// Every peer message is checked (sizes, counts, group elements) and a bad one
// gives an error wrapping ErrMalformed. The state types are not safe for
// concurrent use; their group operations run on Config.Workers goroutines.

// ecdhReceiver is the receiver's state in ECDH-PSI.
type ecdhReceiver struct {
	o       Config
	in      receiverInput
	b, binv *ristretto255.Scalar
	nX      int  // sender's distinct items, from its helloMsg
	started bool // Start succeeded
	evals   int  // evaluated batches handled
	prog    progress

	// Intersection and Join.
	own      map[tagKey]int32 // tag of F(y) -> distinct index
	prf      []byte           // F(y) encodings (Join)
	tags     []byte           // scratch
	matched  []bool
	payloads [][]byte
	bitmap   []byte
	got      int // sender items seen
	// Join: the sealed payloads of tag hits, opened only after the stream
	// (finish), so that no ack waits on work done for matches alone.
	cands    []joinCand
	finished bool

	// ops counts the expensive operations of the stream phase (point
	// decodings and multiplications, additions, payload copies, key
	// derivations, openings): tests check it does not depend on matches.
	ops atomic.Int64

	// Cardinality and Sum.
	set          map[tagKey]struct{}
	collected    int
	card         int
	sumC1, sumC2 *ristretto255.Element
	dumC1, dumC2 *ristretto255.Element // where non-matches are added (S1)
	t            *ristretto255.Scalar
	sum          int64
	decrypted    bool
	withheld     bool // S3: cardinality below MinSumCardinality

	// Sum with LatticeSum: which stream positions matched, the summer
	// of package he, the chunks added so far and the mask of the sum.
	sel     []bool
	summer  *he.SubsetSummer
	chunks  int
	mask    uint64
	sampled bool
}

func newECDHReceiver(in receiverInput, o Config) (*ecdhReceiver, error) {
	b, err := randomScalar(rand.Reader)
	if err != nil {
		return nil, err
	}
	return &ecdhReceiver{o: o, in: in, b: b, binv: ristretto255.NewScalar().Invert(b)}, nil
}

// helloMsg is the receiver's first message.
func (r *ecdhReceiver) helloMsg() *helloMsg {
	return newHello(roleReceiver, len(r.in.items), r.o)
}

// Start checks the sender's helloMsg (ErrMismatch if it runs other options).
func (r *ecdhReceiver) Start(peer *helloMsg) error {
	if err := r.helloMsg().agrees(peer); err != nil {
		return err
	}
	nY, nX := len(r.in.items), int(peer.Count)
	r.nX, r.started = nX, true
	r.prog = progress{fn: r.o.Progress, total: nY + nX}
	r.tags = make([]byte, r.o.TagLen*min(r.o.BatchSize, max(nY, nX, 1)))
	if learnsMembers(r.o.Mode) {
		r.own = make(map[tagKey]int32, nY)
		if r.o.Mode == Join {
			r.prf = make([]byte, pointLen*nY)
			r.payloads = make([][]byte, nY)
		}
		r.matched = make([]bool, nY)
		// The bitmap (RevealToBoth) grows with the stream, not with the
		// count the peer claims.
	} else {
		r.set = make(map[tagKey]struct{}, nY)
		if r.o.LatticeSum {
			r.sel = make([]bool, 0, min(nX, he.SubsetSumSlots))
		}
		r.sumC1, r.sumC2 = ristretto255.NewIdentityElement(), ristretto255.NewIdentityElement()
		r.dumC1, r.dumC2 = ristretto255.NewIdentityElement(), ristretto255.NewIdentityElement()
	}
	return nil
}

// BlindBatches is the number of batches of the receiver's items.
func (r *ecdhReceiver) BlindBatches() int { return batches(len(r.in.items), r.o.BatchSize) }

// Blind returns batch k of the receiver's blinded items H(y)^b.
func (r *ecdhReceiver) Blind(ctx context.Context, k int) (*pointBatch, error) {
	if !r.started || k < 0 || k >= r.BlindBatches() {
		return nil, fmt.Errorf("%w: blind batch %d of %d", ErrInvalidParams, k, r.BlindBatches())
	}
	lo, hi := batchRange(k, r.o.BatchSize, len(r.in.items))
	pts := make([]byte, pointLen*(hi-lo))
	err := parallel.For(ctx, hi-lo, r.o.Workers, 1, func(l, h int) error {
		p := ristretto255.NewElement()
		for i := l; i < h; i++ {
			p.ScalarMult(r.b, hashToGroup(r.in.items[lo+i]))
			p.Encode(pts[i*pointLen : i*pointLen : (i+1)*pointLen])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &pointBatch{Points: pts}, nil
}

// nextEval checks that the answer to batch k is the next one expected and
// returns the batch's range.
func (r *ecdhReceiver) nextEval(k int) (int, int, error) {
	if !r.started || k != r.evals || k >= r.BlindBatches() {
		return 0, 0, fmt.Errorf("%w: answer to batch %d, expected %d of %d", ErrMalformed, k, r.evals, r.BlindBatches())
	}
	lo, hi := batchRange(k, r.o.BatchSize, len(r.in.items))
	return lo, hi, nil
}

// Unblind takes the sender's evaluations H(y)^(ab) of batch k (Intersection
// and Join) and keeps the tags of F(y) = H(y)^a.
func (r *ecdhReceiver) Unblind(ctx context.Context, k int, ev *pointBatch) error {
	if !learnsMembers(r.o.Mode) {
		return fmt.Errorf("%w: evaluations in %s mode", ErrMalformed, r.o.Mode)
	}
	lo, hi, err := r.nextEval(k)
	if err != nil {
		return err
	}
	n, tl := hi-lo, r.o.TagLen
	if ev.Len() != n {
		return fmt.Errorf("%w: %d evaluations for %d items", ErrMalformed, ev.Len(), n)
	}
	if err := parallel.For(ctx, n, r.o.Workers, 1, func(l, h int) error {
		var enc [pointLen]byte
		for i := l; i < h; i++ {
			p, err := decodePoint(ev.Points[i*pointLen : (i+1)*pointLen])
			if err != nil {
				return fmt.Errorf("evaluation %d: %w", lo+i, err)
			}
			p.ScalarMult(r.binv, p)
			p.Encode(enc[:0])
			tagOf(r.tags[i*tl:(i+1)*tl], enc[:])
			if r.prf != nil {
				copy(r.prf[(lo+i)*pointLen:], enc[:])
			}
		}
		return nil
	}); err != nil {
		return err
	}
	for i := range n {
		key := keyOf(r.tags[i*tl : (i+1)*tl])
		if _, dup := r.own[key]; dup {
			return fmt.Errorf("%w: two of our items share a %d-byte tag; use a larger TagLen", ErrInvalidParams, tl)
		}
		r.own[key] = int32(lo + i)
	}
	r.evals++
	r.prog.add(n)
	return nil
}

// EvaluationAck takes the sender's acknowledgement of batch k (Cardinality
// and Sum, where the evaluations come back later, shuffled).
func (r *ecdhReceiver) EvaluationAck(k int, a *ackMsg) error {
	if learnsMembers(r.o.Mode) {
		return fmt.Errorf("%w: ack instead of evaluations in %s mode", ErrMalformed, r.o.Mode)
	}
	lo, hi, err := r.nextEval(k)
	if err != nil {
		return err
	}
	if int(a.Count) != hi-lo {
		return fmt.Errorf("%w: ack of %d items, sent %d", ErrMalformed, a.Count, hi-lo)
	}
	r.evals++
	r.prog.add(hi - lo)
	return nil
}

// StreamPending says whether the receiver still expects sender batches.
func (r *ecdhReceiver) StreamPending() bool {
	if !learnsMembers(r.o.Mode) && r.collected < len(r.in.items) {
		return true
	}
	return r.got < r.nX
}

// HandleStream takes the sender's next stream message (tagBatch, joinBatch,
// pointBatch or sumItemBatch as the mode and stage want) and returns the
// acknowledgement to send back.
func (r *ecdhReceiver) HandleStream(ctx context.Context, m message) (*ackMsg, error) {
	if !r.started || r.evals != r.BlindBatches() || !r.StreamPending() {
		return nil, fmt.Errorf("%w: unexpected %T", ErrMalformed, m)
	}
	var n int
	var err error
	switch msg := m.(type) {
	case *tagBatch:
		switch {
		case learnsMembers(r.o.Mode) && r.o.Mode == Intersection:
			n, err = r.match(msg.TagLen, msg.Tags, nil)
		case !learnsMembers(r.o.Mode) && r.collected < len(r.in.items):
			n, err = r.collect(msg)
		default:
			err = fmt.Errorf("%w: tag batch not expected in %s mode", ErrMalformed, r.o.Mode)
		}
	case *joinBatch:
		if r.o.Mode != Join {
			err = fmt.Errorf("%w: join batch in %s mode", ErrMalformed, r.o.Mode)
		} else {
			n, err = r.match(msg.TagLen, msg.Tags, msg.Sealed)
		}
	case *pointBatch:
		if (r.o.Mode != Cardinality && !r.o.LatticeSum) || r.collected < len(r.in.items) {
			err = fmt.Errorf("%w: point batch not expected now in %s mode", ErrMalformed, r.o.Mode)
		} else {
			n, err = r.count(ctx, msg.Points, nil)
		}
	case *sumItemBatch:
		if r.o.Mode != Sum || r.o.LatticeSum || r.collected < len(r.in.items) {
			err = fmt.Errorf("%w: sum batch not expected now in %s mode", ErrMalformed, r.o.Mode)
		} else {
			n, err = r.count(ctx, msg.Points, msg.Cipher)
		}
	default:
		err = fmt.Errorf("%w: unexpected %T in the stream", ErrMalformed, m)
	}
	if err != nil {
		return nil, err
	}
	return &ackMsg{Count: uint32(n)}, nil
}

// joinCand is a sender item whose tag equals the tag of our item d: its
// sealed payload, opened by finish.
type joinCand struct {
	d      int32
	pos    int // position in the sender's stream
	sealed []byte
}

// minBatch is the fewest items a stream batch of a stage may carry when
// remain items of it are outstanding (S1: a sender timing acks learns at
// most about groups of MinBatchSize items).
func minBatch(remain int) int { return min(MinBatchSize, remain) }

// match looks up the sender's tags. Its work does not depend on which tags
// hit: every item's payload is copied to a new buffer (a hit's is kept, a
// miss's dropped) and the payloads of hits are opened by finish, after the
// stream, so no acknowledgement waits on work done for matches only.
func (r *ecdhReceiver) match(tl int, tags []byte, sealed [][]byte) (int, error) {
	if tl != r.o.TagLen {
		return 0, fmt.Errorf("%w: tag length %d, agreed %d", ErrMalformed, tl, r.o.TagLen)
	}
	n := len(tags) / tl
	if n > r.nX-r.got {
		return 0, fmt.Errorf("%w: %d more items than announced", ErrMalformed, n-(r.nX-r.got))
	}
	if n < minBatch(r.nX-r.got) {
		return 0, fmt.Errorf("%w: stream batch of %d items, below the minimum %d", ErrMalformed, n, minBatch(r.nX-r.got))
	}
	if r.o.RevealToBoth {
		for len(r.bitmap) < (r.got+n+7)/8 {
			r.bitmap = append(r.bitmap, 0)
		}
	}
	for i := range n {
		d, ok := r.own[keyOf(tags[i*tl:(i+1)*tl])]
		if sealed != nil {
			// Join: the same allocation and copy whether or not the tag
			// hits; a miss's copy is dropped.
			buf := make([]byte, len(sealed[i]))
			copy(buf, sealed[i])
			if ok {
				r.cands = append(r.cands, joinCand{d: d, pos: r.got + i, sealed: buf})
			}
			r.ops.Add(1)
			continue
		}
		if !ok {
			continue
		}
		if r.matched[d] {
			return 0, fmt.Errorf("%w: two sender items match one of ours", ErrMalformed)
		}
		r.matched[d] = true
		if r.o.RevealToBoth {
			r.bitmap[(r.got+i)/8] |= 1 << ((r.got + i) % 8)
		}
	}
	r.got += n
	r.prog.add(n)
	return n, nil
}

// finish (Join, after the stream) opens the payloads of the tag hits. A
// payload that fails to open is an accidental tag collision, not a match
// (C2); so is a second sender item for an item already matched.
func (r *ecdhReceiver) finish() error {
	if r.finished || r.o.Mode != Join {
		r.finished = true
		return nil
	}
	for _, c := range r.cands {
		if r.matched[c.d] {
			continue
		}
		aead, err := joinAEAD(r.prf[int(c.d)*pointLen : (int(c.d)+1)*pointLen])
		if err != nil {
			return err
		}
		p, err := aead.Open(nil, zeroNonce[:], c.sealed, nil)
		if err != nil {
			continue
		}
		r.matched[c.d], r.payloads[c.d] = true, p
		if r.o.RevealToBoth {
			r.bitmap[c.pos/8] |= 1 << (c.pos % 8)
		}
	}
	r.cands, r.finished = nil, true
	return nil
}

// collect keeps the shuffled tags of the evaluations of our items.
func (r *ecdhReceiver) collect(tb *tagBatch) (int, error) {
	tl, n := r.o.TagLen, tb.Len()
	if tb.TagLen != tl || n > len(r.in.items)-r.collected || n < minBatch(len(r.in.items)-r.collected) {
		return 0, fmt.Errorf("%w: %d tags of %d bytes with %d expected", ErrMalformed, n, tb.TagLen, len(r.in.items)-r.collected)
	}
	for i := range n {
		r.set[keyOf(tb.Tags[i*tl:(i+1)*tl])] = struct{}{}
	}
	r.collected += n
	return n, nil
}

// count raises the sender's blinded items to b, counts those whose tag we
// hold, and adds up their ciphertexts (Sum). Its work does not depend on
// which items match: every ciphertext is decoded, and added either to the
// sum or to a dummy accumulator.
func (r *ecdhReceiver) count(ctx context.Context, pts, ct []byte) (int, error) {
	tl, n := r.o.TagLen, len(pts)/pointLen
	if n > r.nX-r.got {
		return 0, fmt.Errorf("%w: %d more items than announced", ErrMalformed, n-(r.nX-r.got))
	}
	if n < minBatch(r.nX-r.got) {
		return 0, fmt.Errorf("%w: stream batch of %d items, below the minimum %d", ErrMalformed, n, minBatch(r.nX-r.got))
	}
	if len(r.tags) < n*tl {
		r.tags = make([]byte, n*tl)
	}
	var c1s, c2s []*ristretto255.Element
	if ct != nil {
		c1s, c2s = make([]*ristretto255.Element, n), make([]*ristretto255.Element, n)
	}
	if err := parallel.For(ctx, n, r.o.Workers, 1, func(l, h int) error {
		var enc [pointLen]byte
		for i := l; i < h; i++ {
			p, err := decodePoint(pts[i*pointLen : (i+1)*pointLen])
			if err != nil {
				return fmt.Errorf("item %d: %w", r.got+i, err)
			}
			p.ScalarMult(r.b, p)
			tagOf(r.tags[i*tl:(i+1)*tl], p.Encode(enc[:0]))
			r.ops.Add(2)
			if ct != nil {
				c1, err1 := decodePoint(ct[(2*i)*pointLen : (2*i+1)*pointLen])
				c2, err2 := decodePoint(ct[(2*i+1)*pointLen : (2*i+2)*pointLen])
				if err1 != nil || err2 != nil {
					return fmt.Errorf("%w: ciphertext of item %d", ErrMalformed, r.got+i)
				}
				c1s[i], c2s[i] = c1, c2
				r.ops.Add(2)
			}
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for i := range n {
		_, ok := r.set[keyOf(r.tags[i*tl:(i+1)*tl])]
		if ok {
			r.card++
		}
		if r.o.LatticeSum {
			r.sel = append(r.sel, ok) // grows with the stream
		}
		if ct != nil {
			a1, a2 := r.dumC1, r.dumC2
			if ok {
				a1, a2 = r.sumC1, r.sumC2
			}
			a1.Add(a1, c1s[i])
			a2.Add(a2, c2s[i])
			r.ops.Add(2)
		}
	}
	if r.card > min(r.nX, len(r.in.items)) {
		return 0, fmt.Errorf("%w: more matches than items", ErrMalformed)
	}
	r.got += n
	r.prog.add(n)
	return n, nil
}

// DecryptRequest (Sum, after the stream) rerandomises the summed ciphertext
// and returns its first half for the sender to raise to its key.
func (r *ecdhReceiver) DecryptRequest() (*sumRequest, error) {
	if r.o.Mode != Sum || r.o.LatticeSum || !r.started || r.StreamPending() {
		return nil, fmt.Errorf("%w: decrypt request before the stream ended or outside Sum mode", ErrInvalidParams)
	}
	t, err := randomScalar(rand.Reader)
	if err != nil {
		return nil, err
	}
	r.t = t
	c1 := ristretto255.NewElement().ScalarBaseMult(t)
	if r.card >= r.o.MinSumCardinality {
		c1.Add(c1, r.sumC1)
	} else {
		// S3: too few matches to release the sum. t*G alone is as uniform
		// as the rerandomised sum, so the sender cannot tell; its answer
		// is ignored.
		r.withheld = true
	}
	var req sumRequest
	c1.Encode(req.C1[:0])
	return &req, nil
}

// Decrypt takes the sender's share and finds the sum: sum*G = C2 + t*Q -
// s*(C1 + t*G), solved in [-MaxSum, MaxSum] (else ErrOutOfRange).
func (r *ecdhReceiver) Decrypt(ctx context.Context, share *sumShare) error {
	if r.t == nil {
		return fmt.Errorf("%w: sum share before the request", ErrMalformed)
	}
	d, err1 := decodePoint(share.D[:])
	q, err2 := decodePoint(share.Q[:])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("%w: sum share", ErrMalformed)
	}
	if r.withheld {
		r.sum, r.decrypted = 0, true
		return nil
	}
	m := ristretto255.NewElement().ScalarMult(r.t, q)
	m.Add(m, r.sumC2)
	m.Subtract(m, d)
	sum, err := solveSum(ctx, m, r.o.MaxSum)
	if err != nil {
		return err
	}
	r.sum, r.decrypted = sum, true
	return nil
}

// latticeChunks is the number of chunks of encrypted values the sender
// sends after the stream (LatticeSum) for nX sender items: one per
// he.SubsetSumSlots stream positions.
func latticeChunks(nX int) int { return (nX + he.SubsetSumSlots - 1) / he.SubsetSumSlots }

// LatticeKey (Sum with LatticeSum, after the stream) takes the sender's
// fresh public key.
func (r *ecdhReceiver) LatticeKey(m *latticeBlob) error {
	if !r.o.LatticeSum || !r.started || r.StreamPending() || r.summer != nil {
		return fmt.Errorf("%w: lattice key not expected now", ErrMalformed)
	}
	var err error
	r.summer, err = he.NewSubsetSummer(m.Data)
	return err
}

// LatticeChunksPending says whether chunks of encrypted values are still
// expected.
func (r *ecdhReceiver) LatticeChunksPending() bool {
	return r.summer != nil && r.chunks < latticeChunks(r.nX)
}

// LatticeChunk adds the next chunk of the sender's encrypted values (in
// stream order), selected where the stream's items matched; below
// MinSumCardinality nothing is selected (S3). The work does not depend on
// the selection.
func (r *ecdhReceiver) LatticeChunk(m *latticeBlob) error {
	if !r.LatticeChunksPending() {
		return fmt.Errorf("%w: lattice chunk not expected now", ErrMalformed)
	}
	lo := r.chunks * he.SubsetSumSlots
	sel := r.sel[lo:min(lo+he.SubsetSumSlots, r.nX)]
	if r.card < r.o.MinSumCardinality {
		sel = make([]bool, len(sel))
	}
	if err := r.summer.Add(m.Data, sel); err != nil {
		return err
	}
	r.chunks++
	return nil
}

// LatticeSample returns the one sample for the sender to decrypt: the sum
// of the matched values plus a fresh uniform mask modulo 2^64, so that
// the sender's decryption is uniform whatever the sum (and whether or not
// it is withheld).
func (r *ecdhReceiver) LatticeSample() (*latticeBlob, error) {
	if r.summer == nil || r.LatticeChunksPending() || r.sampled {
		return nil, fmt.Errorf("%w: lattice sample before the chunks ended", ErrInvalidParams)
	}
	var mb [8]byte
	if _, err := rand.Read(mb[:]); err != nil {
		return nil, err
	}
	r.mask = binary.LittleEndian.Uint64(mb[:])
	r.withheld = r.card < r.o.MinSumCardinality
	sample, err := r.summer.Sample(r.mask)
	if err != nil {
		return nil, err
	}
	r.sampled = true
	return &latticeBlob{kind: kindLatticeSample, Data: sample}, nil
}

// LatticeResult takes the sender's decryption and removes the mask: the
// sum, checked against MaxSum (else ErrOutOfRange).
func (r *ecdhReceiver) LatticeResult(a *latticeAnswer) error {
	if !r.sampled || r.decrypted {
		return fmt.Errorf("%w: lattice answer before the sample", ErrMalformed)
	}
	r.decrypted = true
	if r.withheld {
		r.sum = 0
		return nil
	}
	sum := int64(a.M - r.mask)
	if sum < -r.o.MaxSum || sum > r.o.MaxSum {
		return fmt.Errorf("%w: |sum| above MaxSum %d", ErrOutOfRange, r.o.MaxSum)
	}
	r.sum = sum
	return nil
}

// Result returns what the receiver learned, once the stream (and in Sum
// mode the decryption) is done.
func (r *ecdhReceiver) Result() (*Result, error) {
	if !r.started || r.evals != r.BlindBatches() || r.StreamPending() || (r.o.Mode == Sum && !r.decrypted) {
		return nil, fmt.Errorf("%w: result before the protocol ended", ErrInvalidParams)
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	res := &Result{Protocol: ECDH, Mode: r.o.Mode, Learned: true}
	if !learnsMembers(r.o.Mode) {
		res.Cardinality, res.Sum, res.SumWithheld = r.card, r.sum, r.withheld
		return res, nil
	}
	for _, m := range r.matched {
		if m {
			res.Cardinality++
		}
	}
	res.Indices = r.in.indicesOf(r.matched)
	if r.payloads != nil {
		res.Payloads = make([][]byte, len(res.Indices))
		for k, i := range res.Indices {
			res.Payloads[k] = r.payloads[r.in.distinctOf(i)]
		}
	}
	return res, nil
}

// Reveal (RevealToBoth) is the message that tells the sender the output:
// matchesMsg in Intersection and Join mode, outcomeMsg otherwise.
func (r *ecdhReceiver) Reveal() (message, error) {
	res, err := r.Result()
	if err != nil {
		return nil, err
	}
	if learnsMembers(r.o.Mode) {
		return &matchesMsg{N: uint32(r.nX), Bitmap: append([]byte{}, r.bitmap...)}, nil
	}
	return &outcomeMsg{Cardinality: uint64(res.Cardinality), Sum: res.Sum}, nil
}

// ecdhSender is the sender's state in ECDH-PSI.
type ecdhSender struct {
	o        Config
	in       *senderInput
	a        *ristretto255.Scalar
	s        *ristretto255.Scalar // ElGamal key (Sum)
	q        *ristretto255.Element
	perm     []int32 // stream position -> distinct item
	nY       int
	started  bool
	got      int    // receiver items evaluated
	evalTags []byte // Cardinality, Sum: tags of the evaluations, shuffled when all are in
	shuffled bool
	acked    int
	sizes    map[int]int // items in each unacknowledged stream batch
	answered bool        // sum share sent
	noise    *dp.DiscreteLaplace
	key      *he.SubsetSumKey // LatticeSum
	chunks   int              // LatticeSum: chunks sent
	res      *Result
	prog     progress
}

func newECDHSender(in *senderInput, o Config) (*ecdhSender, error) {
	rnd := rand.Reader
	a, err := randomScalar(rnd)
	if err != nil {
		return nil, err
	}
	perm, err := randPerm(rnd, len(in.items))
	if err != nil {
		return nil, err
	}
	s := &ecdhSender{o: o, in: in, a: a, perm: perm, sizes: map[int]int{}}
	if o.Mode == Sum {
		if s.s, err = randomScalar(rnd); err != nil {
			return nil, err
		}
		s.q = ristretto255.NewElement().ScalarBaseMult(s.s)
		if o.LatticeSum {
			if s.key, err = he.NewSubsetSumKey(); err != nil {
				return nil, err
			}
		}
		if o.SumNoise != nil {
			if s.noise, err = dp.NewDiscreteLaplace(*o.SumNoise); err != nil {
				return nil, fmt.Errorf("%w: SumNoise: %w", ErrInvalidParams, err)
			}
		}
	}
	return s, nil
}

// helloMsg is the sender's first message.
func (s *ecdhSender) helloMsg() *helloMsg { return newHello(roleSender, len(s.in.items), s.o) }

// Start checks the receiver's helloMsg (ErrMismatch if it runs other options).
func (s *ecdhSender) Start(peer *helloMsg) error {
	if err := s.helloMsg().agrees(peer); err != nil {
		return err
	}
	s.nY, s.started = int(peer.Count), true
	s.prog = progress{fn: s.o.Progress, total: s.nY + len(s.in.items)}
	return nil
}

// EvaluationsPending says whether receiver batches are still expected.
func (s *ecdhSender) EvaluationsPending() bool { return s.got < s.nY }

// Evaluate raises a batch of the receiver's blinded items to a. It returns
// the evaluations (Intersection, Join) or an ackMsg (Cardinality, Sum: the
// evaluations are kept, to be sent all shuffled together).
func (s *ecdhSender) Evaluate(ctx context.Context, pb *pointBatch) (message, error) {
	n, tl := pb.Len(), s.o.TagLen
	if !s.started || n > s.nY-s.got || n == 0 {
		return nil, fmt.Errorf("%w: %d items to evaluate, %d expected", ErrMalformed, n, s.nY-s.got)
	}
	members := learnsMembers(s.o.Mode)
	var out []byte
	if members {
		out = make([]byte, len(pb.Points))
	} else {
		// The evaluations grow with what arrives, not with the count the
		// peer claims in its helloMsg.
		s.evalTags = append(s.evalTags, make([]byte, n*tl)...)
	}
	err := parallel.For(ctx, n, s.o.Workers, 1, func(l, h int) error {
		var enc [pointLen]byte
		for i := l; i < h; i++ {
			p, err := decodePoint(pb.Points[i*pointLen : (i+1)*pointLen])
			if err != nil {
				return fmt.Errorf("item %d: %w", s.got+i, err)
			}
			p.ScalarMult(s.a, p)
			if members {
				p.Encode(out[i*pointLen : i*pointLen : (i+1)*pointLen])
			} else {
				tagOf(s.evalTags[(s.got+i)*tl:(s.got+i+1)*tl], p.Encode(enc[:0]))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.got += n
	s.prog.add(n)
	if members {
		return &pointBatch{Points: out}, nil
	}
	return &ackMsg{Count: uint32(n)}, nil
}

// streamTagBatches is the number of stream batches that carry the shuffled
// evaluations (Cardinality, Sum).
func (s *ecdhSender) streamTagBatches() int {
	if learnsMembers(s.o.Mode) {
		return 0
	}
	return batches(s.nY, s.o.BatchSize)
}

// StreamBatches is the number of batches the sender streams once all
// evaluations are done.
func (s *ecdhSender) StreamBatches() int {
	return s.streamTagBatches() + batches(len(s.in.items), s.o.BatchSize)
}

// StreamBatch returns stream batch k: first (Cardinality, Sum) the shuffled
// evaluations, then the sender's own items in random order, as tags
// (Intersection), tags and sealed payloads (Join), blinded points
// (Cardinality) or blinded points and encrypted values (Sum).
func (s *ecdhSender) StreamBatch(ctx context.Context, k int) (message, error) {
	if !s.started || s.EvaluationsPending() || k < 0 || k >= s.StreamBatches() {
		return nil, fmt.Errorf("%w: stream batch %d of %d before the evaluations ended", ErrInvalidParams, k, s.StreamBatches())
	}
	tl, bs := s.o.TagLen, s.o.BatchSize
	nt := s.streamTagBatches()
	if k < nt {
		if !s.shuffled {
			tmp := make([]byte, tl)
			if err := shuffle(rand.Reader, s.nY, func(i, j int) {
				copy(tmp, s.evalTags[i*tl:(i+1)*tl])
				copy(s.evalTags[i*tl:(i+1)*tl], s.evalTags[j*tl:(j+1)*tl])
				copy(s.evalTags[j*tl:(j+1)*tl], tmp)
			}); err != nil {
				return nil, err
			}
			s.shuffled = true
		}
		lo, hi := batchRange(k, bs, s.nY)
		s.sizes[k] = hi - lo
		return &tagBatch{TagLen: tl, Tags: s.evalTags[lo*tl : hi*tl]}, nil
	}
	lo, hi := batchRange(k-nt, bs, len(s.in.items))
	msg, err := senderBatch(ctx, s.in, s.perm[lo:hi], s.a, s.s, rand.Reader, s.o)
	if err != nil {
		return nil, err
	}
	s.sizes[k] = hi - lo
	s.prog.add(hi - lo)
	return msg, nil
}

// StreamAck takes the receiver's acknowledgement of stream batch k.
func (s *ecdhSender) StreamAck(k int, a *ackMsg) error {
	n, ok := s.sizes[k]
	if !ok || k != s.acked {
		return fmt.Errorf("%w: ack of stream batch %d, expected %d", ErrMalformed, k, s.acked)
	}
	if int(a.Count) != n {
		return fmt.Errorf("%w: ack of %d items, sent %d", ErrMalformed, a.Count, n)
	}
	delete(s.sizes, k)
	s.acked++
	if s.acked == s.streamTagBatches() {
		s.evalTags = nil // all sent and acknowledged
	}
	return nil
}

// streamDone says whether the whole stream was acknowledged.
func (s *ecdhSender) streamDone() bool {
	return s.started && !s.EvaluationsPending() && s.acked == s.StreamBatches()
}

// DecryptShare (Sum) raises the receiver's rerandomised C1 to the ElGamal
// key and returns it with the public key. It is answered once.
func (s *ecdhSender) DecryptShare(req *sumRequest) (*sumShare, error) {
	if s.o.Mode != Sum || s.o.LatticeSum || !s.streamDone() || s.answered {
		return nil, fmt.Errorf("%w: sum request not expected now", ErrMalformed)
	}
	c1, err := decodePoint(req.C1[:])
	if err != nil {
		return nil, err
	}
	var share sumShare
	d := ristretto255.NewElement().ScalarMult(s.s, c1)
	if s.noise != nil {
		// The release spends SumNoise's budget here, once, before the
		// receiver can decrypt (AddNoise(0) is the noise itself).
		noise, err := s.noise.AddNoise(0)
		if err != nil {
			return nil, fmt.Errorf("SumNoise: %w", err)
		}
		// The receiver solves C2 + t*Q - D = (sum + noise)*G.
		eta := ristretto255.NewElement().ScalarBaseMult(scalarFromInt64(noise))
		d.Subtract(d, eta)
	}
	d.Encode(share.D[:0])
	s.q.Encode(share.Q[:0])
	s.answered = true
	return &share, nil
}

// LatticeKey (LatticeSum, after the stream) returns the sender's fresh
// public key.
func (s *ecdhSender) LatticeKey() (*latticeBlob, error) {
	if s.key == nil || !s.streamDone() || s.chunks > 0 {
		return nil, fmt.Errorf("%w: lattice key not due", ErrInvalidParams)
	}
	return &latticeBlob{kind: kindLatticeKey, Data: s.key.PublicKey()}, nil
}

// LatticeChunks is the number of chunks of encrypted values to send.
func (s *ecdhSender) LatticeChunks() int { return latticeChunks(len(s.in.items)) }

// LatticeChunk returns chunk c of the values encrypted in stream order
// (the order of s.perm, which the receiver matched).
func (s *ecdhSender) LatticeChunk(c int) (*latticeBlob, error) {
	if s.key == nil || !s.streamDone() || c != s.chunks || c >= s.LatticeChunks() {
		return nil, fmt.Errorf("%w: lattice chunk %d not due", ErrInvalidParams, c)
	}
	lo := c * he.SubsetSumSlots
	pos := s.perm[lo:min(lo+he.SubsetSumSlots, len(s.perm))]
	vals := make([]int64, len(pos))
	for i, d := range pos {
		vals[i] = s.in.values[d]
	}
	ct, err := s.key.EncryptChunk(vals)
	if err != nil {
		return nil, err
	}
	s.chunks++
	return &latticeBlob{kind: kindLatticeChunk, Data: ct}, nil
}

// LatticeDecrypt decrypts the receiver's sample, once, adding SumNoise: the
// receiver's mask makes the number uniform to the sender.
func (s *ecdhSender) LatticeDecrypt(m *latticeBlob) (*latticeAnswer, error) {
	if s.key == nil || s.chunks != s.LatticeChunks() || s.answered {
		return nil, fmt.Errorf("%w: lattice sample not expected now", ErrMalformed)
	}
	var noise int64
	if s.noise != nil {
		// As with ElGamal: the budget is spent once, before decrypting.
		var err error
		if noise, err = s.noise.AddNoise(0); err != nil {
			return nil, fmt.Errorf("SumNoise: %w", err)
		}
	}
	mv, err := s.key.Decrypt(m.Data)
	if err != nil {
		return nil, err
	}
	s.answered = true
	return &latticeAnswer{M: mv + uint64(noise)}, nil
}

// HandleReveal (RevealToBoth) takes the receiver's report: matchesMsg in
// Intersection and Join mode, outcomeMsg otherwise.
func (s *ecdhSender) HandleReveal(m message) error {
	if !s.o.RevealToBoth || !s.streamDone() || s.res != nil || (s.o.Mode == Sum && !s.answered) {
		return fmt.Errorf("%w: reveal not expected now", ErrMalformed)
	}
	nX := len(s.in.items)
	res := &Result{Protocol: ECDH, Mode: s.o.Mode, Learned: true}
	switch msg := m.(type) {
	case *matchesMsg:
		if !learnsMembers(s.o.Mode) || int(msg.N) != nX {
			return fmt.Errorf("%w: bitmap of %d items in %s mode, we have %d", ErrMalformed, msg.N, s.o.Mode, nX)
		}
		matched := make([]bool, nX)
		for pos := range nX {
			if msg.Bitmap[pos/8]>>(pos%8)&1 == 1 {
				matched[s.perm[pos]] = true
				res.Cardinality++
			}
		}
		if res.Cardinality > s.nY {
			return fmt.Errorf("%w: %d matches for %d receiver items", ErrMalformed, res.Cardinality, s.nY)
		}
		res.Indices = s.in.indicesOf(matched)
	case *outcomeMsg:
		if learnsMembers(s.o.Mode) || msg.Cardinality > uint64(min(nX, s.nY)) {
			return fmt.Errorf("%w: outcome with cardinality %d in %s mode", ErrMalformed, msg.Cardinality, s.o.Mode)
		}
		res.Cardinality, res.Sum = int(msg.Cardinality), msg.Sum
		res.SumWithheld = s.o.Mode == Sum && res.Cardinality < s.o.MinSumCardinality
	default:
		return fmt.Errorf("%w: %T as reveal", ErrMalformed, m)
	}
	s.res = res
	return nil
}

// Result returns what the sender learned: nothing (Learned false) unless
// RevealToBoth, after HandleReveal.
func (s *ecdhSender) Result() (*Result, error) {
	if !s.streamDone() || (s.o.Mode == Sum && !s.answered) || (s.o.RevealToBoth && s.res == nil) {
		return nil, fmt.Errorf("%w: result before the protocol ended", ErrInvalidParams)
	}
	if s.res != nil {
		return s.res, nil
	}
	return &Result{Protocol: ECDH, Mode: s.o.Mode}, nil
}

// senderBatch builds the message for the sender's items idx (distinct
// indices, already shuffled): tags (Intersection), tags and sealed payloads
// (Join), blinded points (Cardinality), or points and encrypted values (Sum).
func senderBatch(ctx context.Context, in *senderInput, idx []int32, a, s *ristretto255.Scalar, rnd io.Reader, o Config) (message, error) {
	n, tl := len(idx), o.TagLen
	if o.Mode == Sum && o.LatticeSum {
		// The values follow the stream, encrypted in chunks (LatticeChunk):
		// the stream itself is Cardinality's.
		o.Mode = Cardinality
	}
	var ks []byte
	if o.Mode == Sum {
		// Randomness is read here, in one goroutine, in a fixed order.
		ks = make([]byte, 64*n)
		if _, err := io.ReadFull(rnd, ks); err != nil {
			return nil, fmt.Errorf("reading randomness: %w", err)
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
	err := parallel.For(ctx, n, o.Workers, 1, func(l, h int) error {
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
				p.Encode(pts[i*pointLen : i*pointLen : (i+1)*pointLen])
			case Sum:
				p.Encode(pts[i*pointLen : i*pointLen : (i+1)*pointLen])
				// (C1, C2) = (k*G, v*G + k*Q) with Q = s*G; the sender knows s,
				// so C2 = (v + k*s)*G: two fixed-base multiplications.
				k := ristretto255.NewScalar().FromUniformBytes(ks[64*i : 64*(i+1)])
				c1 := ristretto255.NewElement().ScalarBaseMult(k)
				e := ristretto255.NewScalar().Multiply(k, s)
				e.Add(e, scalarFromInt64(in.values[d]))
				c2 := ristretto255.NewElement().ScalarBaseMult(e)
				c1.Encode(ct[2*i*pointLen : 2*i*pointLen : (2*i+1)*pointLen])
				c2.Encode(ct[(2*i+1)*pointLen : (2*i+1)*pointLen : (2*i+2)*pointLen])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch o.Mode {
	case Intersection:
		return &tagBatch{TagLen: tl, Tags: tags}, nil
	case Join:
		return &joinBatch{TagLen: tl, Tags: tags, Sealed: sealed}, nil
	case Cardinality:
		return &pointBatch{Points: pts}, nil
	}
	return &sumItemBatch{Points: pts, Cipher: ct}, nil
}
