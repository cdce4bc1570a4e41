package he

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// RunHub drives a round as the aggregator (mesh index [HubIndex]):
// collective key generation (and, T-of-N, the relay of the holders' sealed
// Shamir deals), collection and aggregation of the clients' ciphertexts
// until the window closes, then decryption by the key holders, retrying
// with other holders (T-of-N) when some drop. The hub learns the sums and
// sends them, with the list of counted clients, to every spoke still
// connected. On failure it tells the spokes (they fail with [ErrAborted]).
//
// Errors name the step (keygen, deal, publish, collect, decrypt) and the
// spoke involved: he hub, step keygen, peer "party-2": ...
func RunHub(ctx context.Context, mesh transport.Mesh, p *Params, r Round) (*RoundResult, error) {
	if mesh.Self() != HubIndex {
		return nil, fmt.Errorf("he: %w: the hub is mesh index %d, not %d", ErrInvalidParams, HubIndex, mesh.Self())
	}
	r, err := r.resolve(p, mesh.Size())
	if err != nil {
		return nil, err
	}
	if err := r.spendNoise(); err != nil {
		return nil, err
	}
	hs := &hubState{ctx: ctx, mesh: mesh, p: p, r: r, start: time.Now(),
		res: &RoundResult{PerSpoke: map[int]transport.Stats{}}}
	if err = hs.run(); err != nil {
		hs.abort(err)
	}
	hs.finish()
	return hs.res, err
}

// hubState is the hub's side of one round; its phases run in order.
type hubState struct {
	ctx   context.Context
	mesh  transport.Mesh
	p     *Params
	r     Round
	res   *RoundResult
	start time.Time

	crs       CRS
	adverts   [][]byte // key holders' signed adverts (T-of-N)
	pk        *PublicKey
	sum       *Ciphertext
	length    int           // values per vector
	attempts  int           // decryption attempts
	verifying chan struct{} // bounds the proofs being verified at once
}

func (hs *hubState) run() error {
	t := time.Now()
	if err := hs.keygen(); err != nil {
		return err
	}
	if hs.p.cfg.Threshold > 0 {
		if err := hs.deal(); err != nil {
			return err
		}
	}
	if err := hs.publish(); err != nil {
		return err
	}
	hs.res.KeyGen = time.Since(t)
	t = time.Now()
	err := hs.collect()
	hs.res.Collect = time.Since(t)
	if err != nil {
		return err
	}
	t = time.Now()
	err = hs.decrypt()
	hs.res.Decrypt = time.Since(t)
	if err != nil {
		return err
	}
	hs.result()
	return nil
}

// peer is spoke j's name for errors.
func (hs *hubState) peer(j int) string {
	if c, err := hs.mesh.Conn(j); err == nil {
		return c.Peer()
	}
	return hs.r.Names[j]
}

func (hs *hubState) fail(step string, j int, err error) error {
	peer := ""
	if j != HubIndex {
		peer = hs.peer(j)
	}
	return stepErr("hub", step, peer, err)
}

// each runs f for every spoke of idx at once (i is the position in idx)
// and returns the first failure as a step error naming that spoke; a
// failure cancels the others.
func (hs *hubState) each(idx []int, step string, f func(ctx context.Context, i int, c transport.Conn) error) error {
	ctx, cancel := context.WithCancel(hs.ctx)
	defer cancel()
	var once sync.Once
	var first error
	fanOut(len(idx), func(i int) {
		c, err := hs.mesh.Conn(idx[i])
		if err == nil {
			err = f(ctx, i, c)
		}
		if err != nil {
			once.Do(func() { first = hs.fail(step, idx[i], err) })
			cancel()
		}
	})
	return first
}

// keygen sends the CRS to every key holder and combines their public-key
// shares (and keeps their adverts, T-of-N) into the collective key.
func (hs *hubState) keygen() error {
	crs, err := NewCRS()
	if err != nil {
		return hs.fail("keygen", HubIndex, err)
	}
	hs.crs = crs
	n := len(hs.r.Holders)
	shares := make([]*PublicKeyShare, n)
	hs.adverts = make([][]byte, n)
	threshold := hs.p.cfg.Threshold > 0
	err = hs.each(hs.r.Holders, "keygen", func(ctx context.Context, i int, c transport.Conn) error {
		if err := send(ctx, c, &crsMsg{CRS: crs}); err != nil {
			return err
		}
		m, err := expect[*keyGenMsg](ctx, c)
		if err != nil {
			return err
		}
		if threshold != (len(m.Advert) > 0) {
			return fmt.Errorf("%w: key advert missing or unexpected", ErrMalformed)
		}
		s, err := hs.p.UnmarshalPublicKeyShare(m.Share)
		if err != nil {
			return err
		}
		if s.Party != i {
			return fmt.Errorf("%w: key holder %d sent key holder %d's share", ErrMismatch, i, s.Party)
		}
		shares[i], hs.adverts[i] = s, m.Advert
		return nil
	})
	if err != nil {
		return err
	}
	hs.pk, err = hs.p.CombinePublicKey(crs, shares)
	return hs.fail("keygen", HubIndex, err)
}

// deal relays the holders' signed adverts to every holder, then each
// holder's sealed Shamir deals, as they come, to their recipients. The hub
// cannot open a deal, nor substitute a key (it cannot sign for a holder).
func (hs *hubState) deal() error {
	n := len(hs.r.Holders)
	adverts := &advertsMsg{Adverts: hs.adverts}
	err := hs.each(hs.r.Holders, "deal", func(ctx context.Context, _ int, c transport.Conn) error {
		return send(ctx, c, adverts)
	})
	if err != nil {
		return err
	}
	// Every holder has the adverts before any deal is forwarded to it.
	return hs.each(hs.r.Holders, "deal", func(ctx context.Context, i int, c transport.Conn) error {
		m, err := expect[*dealsMsg](ctx, c)
		if err != nil {
			return err
		}
		if len(m.Boxes) != n {
			return fmt.Errorf("%w: %d sealed deals for %d key holders", ErrMalformed, len(m.Boxes), n)
		}
		for j, b := range m.Boxes {
			if (j == i) != (len(b) == 0) {
				return fmt.Errorf("%w: deal slot %d of key holder %d", ErrMalformed, j, i)
			}
		}
		for j, b := range m.Boxes {
			if j == i {
				continue
			}
			out := &dealsMsg{Boxes: make([][]byte, n)}
			out.Boxes[i] = b
			tc, err := hs.mesh.Conn(hs.r.Holders[j])
			if err == nil {
				err = send(ctx, tc, out)
			}
			if err != nil {
				return fmt.Errorf("forwarding the deal to key holder %d: %w", j, err)
			}
		}
		return nil
	})
}

// publish sends the collective public key to every spoke.
func (hs *hubState) publish() error {
	b, err := hs.pk.MarshalBinary()
	if err != nil {
		return hs.fail("publish", HubIndex, err)
	}
	m := &publicKeyMsg{Key: b}
	return hs.each(hs.r.spokes(), "publish", func(ctx context.Context, _ int, c transport.Conn) error {
		return send(ctx, c, m)
	})
}

// collect receives the clients' ciphertexts until the collection window
// closes and adds up those that decode, at the round's length and weight 1.
// On the verified path each ciphertext comes with its proof: the hub
// verifies it, leaves out (and names) the clients whose proof fails, and
// forwards every counted contribution (masks and proof) to every key
// holder, which verifies it again before it makes any decryption share.
func (hs *hubState) collect() error {
	r, p, res := hs.r, hs.p, hs.res
	cctx := hs.ctx
	if r.CollectWindow > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(hs.ctx, r.CollectWindow)
		defer cancel()
	}
	cts := make([]*Ciphertext, len(r.Clients))
	proofs := make([][]byte, len(r.Clients))
	// Proofs are decoded and verified a few at a time (each decoded proof
	// takes 16 MB at LogN 14).
	hs.verifying = make(chan struct{}, p.cfg.Workers)
	rejected := make([]bool, len(r.Clients))
	arrived := make(chan int, len(r.Clients))
	go func() {
		fanOut(len(r.Clients), func(i int) {
			cts[i], proofs[i], rejected[i] = hs.receive(cctx, i)
			arrived <- i
		})
		close(arrived)
	}()
	hs.length = r.Length
	key := hs.pk.Fingerprint() // a ciphertext of another round or key is left out
	var agg *Aggregator
	for i := range arrived {
		client, ct := r.Clients[i], cts[i]
		if rejected[i] {
			res.Rejected = append(res.Rejected, client)
			continue
		}
		if ct == nil || ct.Weight() != 1 || ct.Key() != key || ct.Len() < 1 || (hs.length > 0 && ct.Len() != hs.length) {
			res.Missing = append(res.Missing, client)
			continue
		}
		if agg == nil {
			var err error
			if agg, err = p.NewAggregator(ct.Len()); err != nil {
				return hs.fail("collect", client, err)
			}
			hs.length = ct.Len()
		}
		t0 := time.Now()
		if err := agg.Add(ct); err != nil {
			res.Missing = append(res.Missing, client)
			continue
		}
		res.Aggregate += time.Since(t0)
		res.Counted = append(res.Counted, client)
		if r.verified() {
			if err := hs.forward(client, ct, proofs[i]); err != nil {
				return err
			}
			proofs[i] = nil
		}
	}
	slices.Sort(res.Counted)
	slices.Sort(res.Missing)
	slices.Sort(res.Rejected)
	if err := hs.ctx.Err(); err != nil {
		return hs.fail("collect", HubIndex, err)
	}
	if len(res.Counted) == 0 {
		return hs.fail("collect", HubIndex, fmt.Errorf("%w: %d clients missing, %d rejected", ErrNoInput, len(res.Missing), len(res.Rejected)))
	}
	if nz := r.Noise; nz != nil && len(res.Counted) < nz.cfg.MinHonest {
		// Fewer shares than the calibration counts: the sum is not
		// decrypted.
		return hs.fail("collect", HubIndex, fmt.Errorf("%w: %d clients counted, the noise needs at least MinHonest %d", ErrTooFewShares, len(res.Counted), nz.cfg.MinHonest))
	}
	hs.sum = agg.Result()
	return nil
}

// receive reads client i's ciphertext and, on the verified path, its proof,
// and verifies the proof. It returns nil for a client that sent nothing
// usable, and rejected for one whose proof does not decode or verify.
func (hs *hubState) receive(ctx context.Context, i int) (ct *Ciphertext, proof []byte, rejected bool) {
	client := hs.r.Clients[i]
	c, err := hs.mesh.Conn(client)
	if err != nil {
		return nil, nil, false
	}
	m, err := expect[*ciphertextMsg](ctx, c)
	if err != nil {
		return nil, nil, false
	}
	if ct, err = hs.p.UnmarshalCiphertext(m.Ciphertext); err != nil {
		return nil, nil, false
	}
	if !hs.r.verified() {
		return ct, nil, false
	}
	pm, err := expect[*proofMsg](ctx, c)
	if err != nil {
		return nil, nil, false
	}
	select {
	case hs.verifying <- struct{}{}: // the window bounds arrival, not verification
		defer func() { <-hs.verifying }()
	case <-hs.ctx.Done():
		return nil, nil, false
	}
	pr, err := hs.p.UnmarshalProof(pm.Proof)
	if err == nil {
		err = hs.p.VerifyProof(ct, pr, hs.pk, hs.r.proofContext(client))
	}
	if err != nil {
		return nil, nil, true
	}
	return ct, pm.Proof, false
}

// forward sends a counted contribution's masks and proof to every key
// holder.
func (hs *hubState) forward(client int, ct *Ciphertext, proof []byte) error {
	masks, err := ct.Masks()
	if err != nil {
		return hs.fail("collect", client, err)
	}
	m := &contributionMsg{Client: client, Masks: masks, Proof: proof}
	// A holder that cannot be reached now does not answer the decryption
	// request either, and is dropped then (T-of-N: another set is tried).
	holders := hs.r.Holders
	fanOut(len(holders), func(i int) {
		if c, err := hs.mesh.Conn(holders[i]); err == nil {
			_ = send(hs.ctx, c, m)
		}
	})
	return nil
}

// decrypt asks a decryption set of key holders for their shares of the
// sum and combines them; a holder that fails to answer within the share
// window is dropped and (T-of-N) the next set is tried.
func (hs *hubState) decrypt() error {
	r, p, res := hs.r, hs.p, hs.res
	var masks []byte // holders need c1 only; on the verified path they sum it themselves
	if !r.verified() {
		var err error
		if masks, err = hs.sum.Masks(); err != nil {
			return hs.fail("decrypt", HubIndex, err)
		}
	}
	alive := make([]int, len(r.Holders)) // key-holder indices
	for i := range alive {
		alive[i] = i
	}
	need := p.Decryptors()
	for attempt := uint32(0); ; attempt++ {
		if len(alive) < need {
			return hs.fail("decrypt", HubIndex, fmt.Errorf("%w: %d key holders answered, decryption needs %d (dropped: spokes %v)", ErrNotEnoughShares, len(alive), need, res.Dropped))
		}
		hs.attempts++
		set := alive[:need]
		var active []int
		if p.cfg.Threshold > 0 {
			active = slices.Clone(set)
		}
		req := &decryptMsg{Attempt: attempt, Active: active, Masks: masks}
		// Shares are added up as they arrive; none is kept.
		cb, err := p.NewCombiner(hs.sum)
		if err != nil {
			return hs.fail("decrypt", HubIndex, err)
		}
		var mu sync.Mutex
		failed := make([]bool, need)
		actx, cancel := context.WithTimeout(hs.ctx, r.shareWindow(attempt, len(res.Counted)))
		fanOut(need, func(k int) {
			failed[k] = hs.collectShare(actx, req, set[k], cb, &mu) != nil
		})
		cancel()
		if err := hs.ctx.Err(); err != nil {
			return hs.fail("decrypt", HubIndex, err)
		}
		if slices.Contains(failed, true) {
			var next []int
			for k, h := range set {
				if failed[k] {
					res.Dropped = append(res.Dropped, r.Holders[h])
				} else {
					next = append(next, h)
				}
			}
			alive = append(next, alive[need:]...)
			continue
		}
		if p.scheme == BGV {
			res.Ints, err = cb.Ints()
		} else {
			res.Floats, err = cb.Floats()
		}
		for _, h := range set {
			res.Decryptors = append(res.Decryptors, r.Holders[h])
		}
		return hs.fail("decrypt", HubIndex, err)
	}
}

// collectShare asks key holder h (an index into the holders) for its
// decryption share of req's attempt and adds it to cb under mu. A late
// answer to an earlier attempt is skipped; any failure drops the holder
// from this attempt.
func (hs *hubState) collectShare(ctx context.Context, req *decryptMsg, h int, cb *Combiner, mu *sync.Mutex) error {
	c, err := hs.mesh.Conn(hs.r.Holders[h])
	if err != nil {
		return err
	}
	if err := send(ctx, c, req); err != nil {
		return err
	}
	for {
		m, err := expect[*shareMsg](ctx, c)
		if err != nil {
			return err
		}
		if m.Attempt != req.Attempt {
			continue // a late answer to an earlier attempt
		}
		s, err := hs.p.UnmarshalDecryptionShare(m.Share)
		if err != nil {
			return err
		}
		if s.Party != h || !slices.Equal(s.Active, req.Active) {
			return fmt.Errorf("%w: share from key holder %d for set %v", ErrMismatch, s.Party, s.Active)
		}
		mu.Lock()
		defer mu.Unlock()
		return cb.Add(s)
	}
}

// result sends the sums and the counted clients to every spoke; spokes
// that dropped do not need them.
func (hs *hubState) result() {
	res := hs.res
	m := &resultMsg{Counted: res.Counted, Values: make([]uint64, hs.length)}
	for i := range m.Values {
		if res.Ints != nil {
			m.Values[i] = uint64(res.Ints[i])
		} else {
			m.Values[i] = math.Float64bits(res.Floats[i])
		}
	}
	spokes := hs.r.spokes()
	fanOut(len(spokes), func(i int) {
		if c, err := hs.mesh.Conn(spokes[i]); err == nil {
			_ = send(hs.ctx, c, m)
		}
	})
}

// abort tells every spoke that the round failed.
func (hs *hubState) abort(err error) {
	var conns []transport.Conn
	for _, j := range hs.r.spokes() {
		if c, e := hs.mesh.Conn(j); e == nil {
			conns = append(conns, c)
		}
	}
	abortAll(hs.ctx, conns, err)
}

// finish fills the result's traffic and leakage.
func (hs *hubState) finish() {
	res := hs.res
	for _, j := range hs.r.spokes() {
		if c, err := hs.mesh.Conn(j); err == nil {
			res.PerSpoke[j] = c.Stats()
		}
	}
	res.Stats = report.Stats{Stats: hs.mesh.Stats(), Duration: time.Since(hs.start)}
	res.Leakage = hs.leakage()
}

// leakage states what each role learned in this round, from what actually
// happened: the number of sums, the clients counted, the decryption sets.
func (hs *hubState) leakage() report.Leakage {
	res, r := hs.res, hs.r
	l := report.Leakage{{
		To: "all", What: report.Parameters,
		Note: fmt.Sprintf("%v, key holders %v (threshold %d), clients %v", hs.p, r.Holders, hs.p.Decryptors(), r.Clients),
	}}
	if len(res.Counted) > 0 {
		l = append(l, report.Disclosure{To: "hub", What: report.InputSize, About: "clients", Count: int64(hs.length * len(res.Counted)),
			Note: fmt.Sprintf("%d values from each counted client, from the size of its ciphertext (and when it arrived)", hs.length)},
			report.Disclosure{To: "hub", What: report.Participants, About: "clients", Count: int64(len(res.Counted)),
				Note: fmt.Sprintf("counted %v, missing %v", res.Counted, res.Missing)})
	}
	if len(res.Rejected) > 0 {
		l = append(l, report.Disclosure{To: "hub", What: report.Participants, About: "clients", Count: int64(len(res.Rejected)),
			Note: fmt.Sprintf("rejected %v: their proofs of well-formedness did not verify, their ciphertexts were left out and never decrypted", res.Rejected)})
	}
	if r.verified() && len(res.Counted) > 0 {
		l = append(l, report.Disclosure{To: "key holders", What: report.InputSize, About: "clients", Count: int64(hs.length * len(res.Counted)),
			Note: fmt.Sprintf("the masks (c1) and zero-knowledge proofs of the %d counted clients, forwarded for verification: the length of each vector and who was counted, nothing about the values", len(res.Counted))})
	}
	if hs.attempts > 0 {
		l = append(l, report.Disclosure{To: "hub", What: report.Participants, About: "key holders", Count: int64(len(res.Decryptors)),
			Note: fmt.Sprintf("decryption shares combined from %v, dropped %v", res.Decryptors, res.Dropped)})
	}
	if res.Ints == nil && res.Floats == nil {
		return l
	}
	sums := fmt.Sprintf("the %d sums of the vectors of the %d counted clients", hs.length, len(res.Counted))
	l = append(l, report.Disclosure{To: "hub", What: report.Output, Count: int64(hs.length), Note: sums + ", combined from the decryption shares"})
	for _, to := range []string{"key holders", "clients"} {
		l = append(l, report.Disclosure{To: to, What: report.Output, Count: int64(hs.length), Note: sums + ", sent by the hub to every spoke still connected"},
			report.Disclosure{To: to, What: report.Participants, About: "clients", Count: int64(len(res.Counted)),
				Note: fmt.Sprintf("counted %v", res.Counted)})
	}
	return l
}
