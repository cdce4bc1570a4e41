package he

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/veil-go/veil/internal/sealed"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// RunSpoke plays a spoke's part in a round: key holder (if its mesh index is
// in r.Holders), client (if in r.Clients), or both. It returns the sums the
// hub sends back. A client's input is checked before anything is sent (a
// spoke that cannot take part only tells the hub so).
//
// Errors name the spoke, the step (keygen, deal, key, contribute, decrypt,
// result) and the hub: he spoke 2, step deal, peer "party-0": ...
func RunSpoke(ctx context.Context, mesh transport.Mesh, p *Params, r Round, in SpokeInput) (*SpokeResult, error) {
	r, err := r.resolve(p, mesh.Size())
	if err != nil {
		return nil, err
	}
	if err := r.spendNoise(); err != nil {
		return nil, err
	}
	self := mesh.Self()
	ss := &spokeState{ctx: ctx, mesh: mesh, p: p, r: r, in: in, self: self, start: time.Now(),
		role: fmt.Sprintf("spoke %d", self), holder: slices.Index(r.Holders, self),
		client: slices.Contains(r.Clients, self), res: &SpokeResult{}}
	if ss.hub, err = mesh.Conn(HubIndex); err != nil {
		return nil, stepErr(ss.role, "connect", "", err)
	}
	if err := ss.check(); err != nil {
		// Tell the hub, so that it does not wait for this spoke; what is
		// wrong with the input stays here.
		abortAll(ctx, []transport.Conn{ss.hub}, fmt.Errorf("spoke %d: unusable input or role", self))
		return nil, err
	}
	if err = ss.run(); err != nil {
		abortAll(ctx, []transport.Conn{ss.hub}, err)
	}
	ss.res.Stats = report.Stats{Stats: mesh.Stats(), Duration: time.Since(ss.start)}
	return ss.res, err
}

// spokeState is a spoke's side of one round; its phases run in order.
type spokeState struct {
	ctx    context.Context
	mesh   transport.Mesh
	hub    transport.Conn
	p      *Params
	r      Round
	in     SpokeInput
	self   int
	role   string
	holder int // key-holder index, -1 if none
	client bool
	start  time.Time
	res    *SpokeResult

	length   int // the client's vector length
	crs      CRS
	kh       *KeyHolder
	keys     *sealed.Keys
	pk       *PublicKey
	requests int // decryption requests answered
	// Verified path (key holders): the verified contributions' masks,
	// summed as they arrive, and their clients.
	vsum    *Aggregator
	vclient map[int]bool
	vmasks  *Ciphertext // the sum, fixed at the first decryption request
}

func (ss *spokeState) fail(step string, err error) error {
	return stepErr(ss.role, step, ss.hub.Peer(), err)
}

// check validates the spoke's role and input before anything is sent.
func (ss *spokeState) check() error {
	if ss.holder < 0 && !ss.client {
		return fmt.Errorf("he: %w: spoke %d has no role in the round", ErrInvalidParams, ss.self)
	}
	if ss.holder >= 0 && ss.p.cfg.Threshold > 0 && ss.in.Identity == nil {
		return fmt.Errorf("he: %w: key holder %d of a T-of-N key needs SpokeInput.Identity", ErrInvalidParams, ss.holder)
	}
	if !ss.client {
		return nil
	}
	if ss.r.Noise != nil {
		if ss.in.Floats != nil {
			return fmt.Errorf("he: %w: noise shares need integer inputs", ErrInvalidParams)
		}
		noisy, err := ss.r.Noise.addShare(ss.in.Ints)
		if err != nil {
			return err
		}
		ss.in.Ints = noisy
	}
	n, err := ss.p.checkInput(ss.in)
	if err != nil {
		return err
	}
	if ss.r.Length > 0 && n != ss.r.Length || n == 0 {
		return fmt.Errorf("he: %w: %d values, round length %d", ErrInvalidParams, n, ss.r.Length)
	}
	ss.length = n
	return nil
}

func (ss *spokeState) run() error {
	if ss.holder >= 0 {
		if err := ss.keygen(); err != nil {
			return err
		}
		if ss.p.cfg.Threshold > 0 {
			if err := ss.deal(); err != nil {
				return err
			}
		}
	}
	if err := ss.awaitKey(); err != nil {
		return err
	}
	if ss.client {
		if err := ss.contribute(); err != nil {
			return err
		}
	}
	return ss.serve()
}

// keygen makes this holder's key share for the hub's CRS and sends it,
// with (T-of-N) the advert of the keys its deals are sealed under, signed
// with the spoke's identity.
func (ss *spokeState) keygen() error {
	m, err := expect[*crsMsg](ss.ctx, ss.hub)
	if err != nil {
		return ss.fail("keygen", err)
	}
	ss.crs = m.CRS
	if ss.kh, err = ss.p.NewKeyHolder(ss.holder); err != nil {
		return ss.fail("keygen", err)
	}
	out := &keyGenMsg{}
	if ss.p.cfg.Threshold > 0 {
		if ss.keys, err = sealed.New(ss.in.Identity, sealLabel, ss.crs[:], ss.holder, 1); err != nil {
			return ss.fail("keygen", err)
		}
		if out.Advert, err = ss.keys.Advert().MarshalBinary(); err != nil {
			return ss.fail("keygen", err)
		}
	}
	if out.Share, err = ss.kh.GenPublicKeyShare(ss.crs).MarshalBinary(); err != nil {
		return ss.fail("keygen", err)
	}
	return ss.fail("keygen", send(ss.ctx, ss.hub, out))
}

// deal checks every other holder's advert (signed by the name r.Names
// gives it, for this round's CRS), seals a Shamir deal to each (one
// message), and opens the deals they sealed to this holder (one message
// each, relayed by the hub).
func (ss *spokeState) deal() error {
	n := len(ss.r.Holders)
	m, err := expect[*advertsMsg](ss.ctx, ss.hub)
	if err != nil {
		return ss.fail("deal", err)
	}
	if len(m.Adverts) != n {
		return ss.fail("deal", fmt.Errorf("%w: %d adverts for %d key holders", ErrMalformed, len(m.Adverts), n))
	}
	peers := make([]*sealed.Peer, n)
	for j, b := range m.Adverts {
		if j == ss.holder {
			continue
		}
		if peers[j], err = ss.verify(j, b); err != nil {
			return ss.fail("deal", err)
		}
	}
	deals, err := ss.kh.GenShamirShares()
	if err != nil {
		return ss.fail("deal", err)
	}
	out := &dealsMsg{Boxes: make([][]byte, n)}
	for j := range n {
		if j == ss.holder {
			continue
		}
		b, err := deals[j].MarshalBinary()
		if err == nil {
			out.Boxes[j], err = ss.keys.Seal(peers[j], nil, b)
		}
		if err != nil {
			return ss.fail("deal", err)
		}
	}
	if err := send(ss.ctx, ss.hub, out); err != nil {
		return ss.fail("deal", err)
	}
	mine := make([]*ShamirShare, n)
	mine[ss.holder] = deals[ss.holder]
	for range n - 1 {
		in, err := expect[*dealsMsg](ss.ctx, ss.hub)
		if err != nil {
			return ss.fail("deal", err)
		}
		from := -1
		for i, b := range in.Boxes {
			if len(b) > 0 {
				from = i
				break
			}
		}
		if len(in.Boxes) != n || from < 0 || from == ss.holder || mine[from] != nil || slices.ContainsFunc(in.Boxes[from+1:], func(b []byte) bool { return len(b) > 0 }) {
			return ss.fail("deal", fmt.Errorf("%w: relayed deal not one new box from another key holder", ErrMalformed))
		}
		if mine[from], err = ss.open(peers[from], from, in.Boxes[from]); err != nil {
			return ss.fail("deal", err)
		}
	}
	return ss.fail("deal", ss.kh.SetShamirShares(mine))
}

// verify checks key holder j's advert.
func (ss *spokeState) verify(j int, b []byte) (*sealed.Peer, error) {
	name := ss.r.Names[ss.r.Holders[j]]
	var a sealed.Advert
	if err := a.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: key holder %d (%q): %w", ErrBadAdvert, j, name, err)
	}
	peer, err := sealed.Verify(ss.in.Identity, sealLabel, ss.crs[:], &a, j, 1, name)
	if err != nil {
		return nil, fmt.Errorf("%w: key holder %d (%q): %w", ErrBadAdvert, j, name, err)
	}
	return peer, nil
}

// open opens and decodes the deal that key holder i sealed to this one.
func (ss *spokeState) open(peer *sealed.Peer, i int, box []byte) (*ShamirShare, error) {
	b, err := ss.keys.Open(peer, nil, box)
	if err != nil {
		return nil, fmt.Errorf("%w: deal from key holder %d: %w", ErrMalformed, i, err)
	}
	s, err := ss.p.UnmarshalShamirShare(b)
	if err != nil {
		return nil, err
	}
	if s.From != i || s.To != ss.holder {
		return nil, fmt.Errorf("%w: deal from key holder %d labelled %d->%d", ErrMalformed, i, s.From, s.To)
	}
	return s, nil
}

// awaitKey receives the collective public key.
func (ss *spokeState) awaitKey() error {
	m, err := expect[*publicKeyMsg](ss.ctx, ss.hub)
	if err == nil {
		ss.pk, err = ss.p.UnmarshalPublicKey(m.Key)
	}
	return ss.fail("key", err)
}

// contribute encrypts the client's vector and sends it, on the verified
// path followed by its proof of well-formedness.
func (ss *spokeState) contribute() error {
	enc, err := ss.p.NewEncryptor(ss.pk)
	if err != nil {
		return ss.fail("contribute", err)
	}
	var ct *Ciphertext
	var pr *Proof
	switch {
	case !ss.r.verified():
		ct, err = enc.encryptInput(ss.in)
	case ss.p.scheme == BGV:
		ct, pr, err = enc.EncryptIntsProven(ss.in.Ints, ss.r.proofContext(ss.self))
	default:
		ct, pr, err = enc.EncryptFloatsProven(ss.in.Floats, ss.r.proofContext(ss.self))
	}
	if err != nil {
		return ss.fail("contribute", err)
	}
	b, err := ct.MarshalBinary()
	if err == nil {
		err = send(ss.ctx, ss.hub, &ciphertextMsg{Ciphertext: b})
	}
	if err == nil && pr != nil {
		if b, err = pr.MarshalBinary(); err == nil {
			err = send(ss.ctx, ss.hub, &proofMsg{Proof: b})
		}
	}
	return ss.fail("contribute", err)
}

// contribution verifies a contribution the hub forwards (verified path)
// and adds its masks to this key holder's own sum. A contribution that
// does not verify fails the round: only a faulty or malicious hub
// forwards one, and no decryption share is made after it.
func (ss *spokeState) contribution(m *contributionMsg) error {
	if ss.kh == nil || !ss.r.verified() || ss.vmasks != nil {
		return fmt.Errorf("%w: unexpected contribution from the hub", ErrMalformed)
	}
	if !slices.Contains(ss.r.Clients, m.Client) || ss.vclient[m.Client] {
		return fmt.Errorf("%w: contribution of spoke %d, not a client or repeated", ErrMalformed, m.Client)
	}
	ct, err := ss.p.UnmarshalMasks(m.Masks)
	if err != nil {
		return err
	}
	pr, err := ss.p.UnmarshalProof(m.Proof)
	if err != nil {
		return err
	}
	if err := ss.p.VerifyProof(ct, pr, ss.pk, ss.r.proofContext(m.Client)); err != nil {
		return fmt.Errorf("contribution of client %d: %w", m.Client, err)
	}
	if ss.vsum == nil {
		if ss.vsum, err = ss.p.NewAggregator(ct.Len()); err != nil {
			return err
		}
		ss.vclient = map[int]bool{}
	}
	if err := ss.vsum.Add(ct); err != nil {
		return err
	}
	ss.vclient[m.Client] = true
	return nil
}

// serve answers the hub's decryption requests (key holders) until the
// result arrives.
func (ss *spokeState) serve() error {
	for {
		m, err := recv(ss.ctx, ss.hub)
		if err != nil {
			return ss.fail("result", err)
		}
		switch m := m.(type) {
		case *resultMsg:
			return ss.fail("result", ss.result(m))
		case *decryptMsg:
			if err := ss.share(m); err != nil {
				return ss.fail("decrypt", err)
			}
		case *contributionMsg:
			if err := ss.contribution(m); err != nil {
				return ss.fail("verify", err)
			}
		default:
			return ss.fail("result", fmt.Errorf("%w: unexpected %v message from the hub", ErrMalformed, m.typ()))
		}
	}
}

// share answers one decryption request.
func (ss *spokeState) share(m *decryptMsg) error {
	if ss.kh == nil {
		return fmt.Errorf("%w: decryption request to a spoke that holds no key", ErrMalformed)
	}
	if nz := ss.r.Noise; nz != nil && ss.r.verified() && len(ss.vclient) < nz.cfg.MinHonest {
		// The holder decrypts only the sum of what it verified: too few
		// contributions, too few noise shares, whatever the hub says.
		return fmt.Errorf("%w: %d verified contributions, the noise needs at least MinHonest %d", ErrTooFewShares, len(ss.vclient), nz.cfg.MinHonest)
	}
	// Every retry drops at least one holder, so a round needs at most
	// N-T+1 shares from a holder; refuse more (each share spends
	// statistical security of the smudging).
	limit := ss.p.cfg.KeyHolders - ss.p.Decryptors() + 1
	if ss.requests++; ss.requests > limit {
		return fmt.Errorf("%w: decryption request %d exceeds the %d a round can need", ErrMalformed, ss.requests, limit)
	}
	var ct *Ciphertext
	var err error
	if ss.r.verified() {
		// The holder decrypts only the sum of what it verified itself.
		if len(m.Masks) != 0 || ss.vsum == nil {
			return fmt.Errorf("%w: decryption request with masks, or before any verified contribution", ErrMalformed)
		}
		if ss.vmasks == nil {
			ss.vmasks = ss.vsum.Result()
		}
		ct = ss.vmasks
	} else if ct, err = ss.p.UnmarshalMasks(m.Masks); err != nil {
		return err
	}
	if ct.Key() != ss.pk.Fingerprint() {
		return fmt.Errorf("%w: decryption request for a ciphertext under another key than this round's", ErrMismatch)
	}
	s, err := ss.kh.DecryptionShare(ct, m.Active)
	if err != nil {
		return err
	}
	b, err := s.MarshalBinary()
	if err != nil {
		return err
	}
	return send(ss.ctx, ss.hub, &shareMsg{Attempt: m.Attempt, Share: b})
}

// result reads the sums and states what the spoke learned.
func (ss *spokeState) result(m *resultMsg) error {
	n := len(m.Values)
	if ss.r.Length > 0 && n != ss.r.Length || n == 0 || n > ss.p.cfg.MaxValues || (ss.client && n != ss.length) {
		return fmt.Errorf("%w: result of %d values", ErrMalformed, n)
	}
	for i, j := range m.Counted {
		if !slices.Contains(ss.r.Clients, j) || (i > 0 && m.Counted[i-1] >= j) {
			return fmt.Errorf("%w: result counts spoke %d", ErrMalformed, j)
		}
	}
	if ss.vclient != nil && (len(m.Counted) != len(ss.vclient) || slices.ContainsFunc(m.Counted, func(j int) bool { return !ss.vclient[j] })) {
		return fmt.Errorf("%w: result counts %v, but the hub forwarded contributions of %d other clients", ErrMismatch, m.Counted, len(ss.vclient))
	}
	res := ss.res
	res.Counted = m.Counted
	if ss.p.scheme == BGV {
		res.Ints = make([]int64, n)
		for i, v := range m.Values {
			res.Ints[i] = int64(v)
		}
	} else {
		res.Floats = make([]float64, n)
		for i, v := range m.Values {
			res.Floats[i] = math.Float64frombits(v)
		}
	}
	res.Leakage = report.Leakage{
		{To: ss.role, What: report.Output, Count: int64(n), Note: fmt.Sprintf("the %d sums of the vectors of the %d counted clients", n, len(m.Counted))},
		{To: ss.role, What: report.Participants, About: "clients", Count: int64(len(m.Counted)), Note: fmt.Sprintf("counted %v", m.Counted)},
	}
	return nil
}

// checkInput checks a client's input against the scheme and the bound and
// returns its length.
func (p *Params) checkInput(in SpokeInput) (int, error) {
	if p.scheme == BGV {
		if in.Floats != nil {
			return 0, fmt.Errorf("he: %w: real values for a BGV round", ErrInvalidParams)
		}
		return len(in.Ints), p.CheckInts(in.Ints)
	}
	if in.Ints != nil {
		return 0, fmt.Errorf("he: %w: integer values for a CKKS round", ErrInvalidParams)
	}
	return len(in.Floats), p.CheckFloats(in.Floats)
}

// encryptInput encrypts a client's input under the round's scheme.
func (e *Encryptor) encryptInput(in SpokeInput) (*Ciphertext, error) {
	if e.p.scheme == BGV {
		return e.EncryptInts(in.Ints)
	}
	return e.EncryptFloats(in.Floats)
}
