package secagg

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"

	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/internal/sealed"
	"github.com/veil-go/veil/transport"
)

// Client stages.
const (
	stageNew = iota
	stageAdvertised
	stageRevealed
	stageShared
	stageMasked
	stageSigned
	stageDone
)

// Client is one client's state in a round. Its methods are the protocol's
// local steps, to be called in order: [Client.Advertise], [Client.Reveal],
// [Client.ShareKeys], [Client.MaskInput], [Client.SignCounted],
// [Client.Unmask]. A Client is not safe for concurrent use.
type Client struct {
	p        *Params
	id       int
	identity *transport.Identity
	stage    int

	keys *sealed.Keys // the two X25519 key pairs, advertised signed
	seed [32]byte     // self-mask seed

	nonce      [NonceSize]byte // graph nonce, committed in the advert
	commitment [NonceSize]byte
	enrolled   []Enrolled     // the enrolled set this client revealed for
	graphSeed  [SeedSize]byte // hash of the enrolled set's nonces
	g          *graph
	nb         []int // this client's neighbors in g

	// peers are the neighbors whose signed keys this client verified.
	peers map[int]*sealed.Peer
	// chains[j] is neighbor j's certificate chain, from its verified
	// advert: it checks j's signature on the counted set.
	chains map[int][][]byte
	// held[j] are the shares of j's mask key and seed this client holds.
	held map[int][2]shareValue
	// counted is the counted set this client signed.
	counted []int
}

// NewClient returns the state of client id (1..p.Clients()). identity is
// the client's certificate and key, named p.Name(id), with which it signs
// its advertised keys; its CA pool is what the client checks its
// neighbors' signatures against.
func NewClient(p *Params, id int, identity *transport.Identity) (*Client, error) {
	if p == nil || identity == nil {
		return nil, fmt.Errorf("secagg: %w: nil params or identity", ErrInvalidParams)
	}
	if id < 1 || id > p.cfg.Clients {
		return nil, fmt.Errorf("secagg: %w: client id %d, need 1..%d", ErrInvalidParams, id, p.cfg.Clients)
	}
	if identity.Name() != p.Name(id) {
		return nil, fmt.Errorf("secagg: %w: client %d's identity is %q, the roster names %q", ErrInvalidParams, id, identity.Name(), p.Name(id))
	}
	return &Client{p: p, id: id, identity: identity}, nil
}

// ID returns the client's id.
func (c *Client) ID() int { return c.id }

func (c *Client) step(want int, name string) error {
	if c.stage != want {
		return fmt.Errorf("%w: client %d: %s called out of order", ErrProtocol, c.id, name)
	}
	return nil
}

// Advertise draws the client's two X25519 key pairs, its self-mask seed
// and its graph nonce, and returns the public keys and its commitment to
// the nonce, signed with the client's identity, for the server to relay to
// its neighbors.
func (c *Client) Advertise() (*AdvertMsg, error) {
	if err := c.step(stageNew, "Advertise"); err != nil {
		return nil, err
	}
	if _, err := rand.Read(c.nonce[:]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	c.commitment = commitNonce(c.p.digest, c.id, c.nonce)
	sig, err := c.identity.Sign(commitMessage(c.p.digest, c.id, c.commitment))
	if err != nil {
		return nil, fmt.Errorf("signing the commitment: %w", err)
	}
	if c.keys, err = sealed.New(c.identity, labelSealed, c.p.digest[:], c.id, nslots); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if _, err = rand.Read(c.seed[:]); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	adv, err := c.keys.Advert().MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("advert: %w", err)
	}
	c.stage = stageAdvertised
	return &AdvertMsg{ID: c.id, Params: c.p.digest, Commitment: c.commitment, CommitmentSig: sig, Advert: adv}, nil
}

// Reveal answers the server's enrolled set with the client's graph nonce.
// The set must be sorted, name only roster clients, and hold this client
// with the commitment it advertised; the client then keeps it and, at
// [Client.ShareKeys], draws the graph from the nonces of exactly this set.
// Since every nonce of the set was committed before any is revealed, the
// graph is fixed by then and no party chooses it.
func (c *Client) Reveal(m *EnrolmentMsg) (*RevealMsg, error) {
	if err := c.step(stageAdvertised, "Reveal"); err != nil {
		return nil, err
	}
	if m == nil || m.To != c.id {
		return nil, fmt.Errorf("%w: client %d: enrolled set for another client", ErrMalformed, c.id)
	}
	self := false
	for k, e := range m.Enrolled {
		if k > 0 && e.ID <= m.Enrolled[k-1].ID {
			return nil, fmt.Errorf("%w: enrolled set not sorted", ErrMalformed)
		}
		if e.ID < 1 || e.ID > c.p.cfg.Clients {
			return nil, fmt.Errorf("%w: enrolled set names client %d", ErrMalformed, e.ID)
		}
		if e.ID == c.id {
			if e.Commitment != c.commitment {
				return nil, fmt.Errorf("%w: client %d: enrolled set carries another commitment for this client", ErrProtocol, c.id)
			}
			self = true
		}
	}
	if !self {
		return nil, fmt.Errorf("%w: client %d: enrolled set leaves out this client", ErrProtocol, c.id)
	}
	if len(m.Enrolled) <= c.p.cfg.Threshold {
		return nil, fmt.Errorf("%w: client %d: %d clients enrolled, threshold %d", ErrTooManyDropouts, c.id, len(m.Enrolled), c.p.cfg.Threshold)
	}
	c.enrolled = slices.Clone(m.Enrolled)
	c.stage = stageRevealed
	return &RevealMsg{ID: c.id, Nonce: c.nonce}, nil
}

// drawGraph checks the relayed nonces against the enrolled set (one per
// enrolled client, in order, each opening its commitment) and draws the
// graph from them.
func (c *Client) drawGraph(reveals []RevealMsg) error {
	if len(reveals) != len(c.enrolled) {
		return fmt.Errorf("%w: client %d: %d nonces revealed for %d enrolled clients", ErrProtocol, c.id, len(reveals), len(c.enrolled))
	}
	for k, r := range reveals {
		e := c.enrolled[k]
		if r.ID != e.ID {
			return fmt.Errorf("%w: client %d: nonce of client %d where enrolled client %d's was due", ErrProtocol, c.id, r.ID, e.ID)
		}
		if commitNonce(c.p.digest, r.ID, r.Nonce) != e.Commitment {
			return fmt.Errorf("%w: client %d: client %d's nonce does not open its commitment", ErrProtocol, c.id, r.ID)
		}
	}
	c.graphSeed = graphSeed(c.p.digest, reveals)
	g, err := c.p.graph(c.graphSeed)
	if err != nil {
		return err
	}
	c.g, c.nb = g, g.neighbors(c.id)
	return nil
}

// GraphSeed returns the seed the round's graph was drawn from (after
// [Client.ShareKeys]): the hash of the enrolled clients' nonces.
func (c *Client) GraphSeed() [SeedSize]byte { return c.graphSeed }

// Neighbors returns this client's neighbors in the round's graph, sorted
// (nil before [Client.ShareKeys]).
func (c *Client) Neighbors() []int { return slices.Clone(c.nb) }

// ShareKeys verifies the neighbors' signed keys, splits the client's mask
// private key and seed into Shamir shares of threshold t, one pair per
// listed neighbor, and seals each neighbor's pair to it. A neighbor whose
// keys were made under other parameters fails with [ErrMismatch]; one
// whose signature, certificate or name does not verify (keys substituted
// on the way) fails with [ErrBadAdvert]: the client must not go on.
func (c *Client) ShareKeys(kl *KeyListMsg) (*ShareBundleMsg, error) {
	if err := c.step(stageRevealed, "ShareKeys"); err != nil {
		return nil, err
	}
	if kl == nil || kl.To != c.id {
		return nil, fmt.Errorf("%w: client %d: key list for another client", ErrMalformed, c.id)
	}
	if err := c.drawGraph(kl.Reveals); err != nil {
		return nil, err
	}
	t := c.p.cfg.Threshold
	if len(kl.Keys) < t {
		return nil, fmt.Errorf("%w: client %d: %d neighbors left, threshold %d", ErrTooManyDropouts, c.id, len(kl.Keys), t)
	}
	holders := make([]int, len(kl.Keys))
	for i, k := range kl.Keys {
		if i > 0 && k.ID <= kl.Keys[i-1].ID {
			return nil, fmt.Errorf("%w: key list not sorted", ErrMalformed)
		}
		if !c.g.isNeighbor(c.id, k.ID) {
			return nil, fmt.Errorf("%w: client %d is not a neighbor of %d", ErrMalformed, k.ID, c.id)
		}
		if k.Params != c.p.digest {
			return nil, fmt.Errorf("%w: client %d's keys are for other parameters", ErrMismatch, k.ID)
		}
		if _, ok := c.enrolledAs(k.ID); !ok {
			return nil, fmt.Errorf("%w: keys of client %d, which is not enrolled", ErrProtocol, k.ID)
		}
		holders[i] = k.ID
	}
	maskPriv, err := c.keys.PrivateKey(slotMask)
	if err != nil {
		return nil, err
	}
	shares, err := splitSecrets([][]byte{maskPriv, c.seed[:]}, holders, t)
	clear(maskPriv)
	if err != nil {
		return nil, err
	}
	out := &ShareBundleMsg{From: c.id, Shares: make([]EncryptedShare, len(holders))}
	peers := make([]*sealed.Peer, len(holders))
	chains := make([][][]byte, len(holders))
	err = parallel.Each(context.Background(), len(holders), c.p.workers, func(i int) error {
		j := holders[i]
		peer, chain, err := c.verify(&kl.Keys[i])
		if err != nil {
			return err
		}
		pt := make([]byte, 0, 2*ShareSize)
		pt = append(append(pt, shares[i][0][:]...), shares[i][1][:]...)
		box, err := c.keys.Seal(peer, c.graphSeed[:], pt)
		clear(pt)
		clear(shares[i])
		if err != nil {
			return fmt.Errorf("sealing for client %d: %w", j, err)
		}
		peers[i], chains[i] = peer, chain
		out.Shares[i] = EncryptedShare{From: c.id, To: j, Ciphertext: box}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.peers = make(map[int]*sealed.Peer, len(holders))
	c.chains = make(map[int][][]byte, len(holders))
	for i, j := range holders {
		c.peers[j], c.chains[j] = peers[i], chains[i]
	}
	c.stage = stageShared
	return out, nil
}

// enrolledAs returns client id's entry in the enrolled set.
func (c *Client) enrolledAs(id int) (Enrolled, bool) {
	k, ok := slices.BinarySearchFunc(c.enrolled, id, func(e Enrolled, id int) int { return e.ID - id })
	if !ok {
		return Enrolled{}, false
	}
	return c.enrolled[k], true
}

// verify checks a neighbor's signed keys against the roster and returns
// them with the neighbor's certificate chain. The signature on the
// neighbor's commitment is the server's to check: the graph seed is
// unpredictable to the server as long as this client's own nonce enters it,
// whatever the other commitments are, and clients shown different enrolled
// sets cannot open each other's shares.
func (c *Client) verify(k *AdvertMsg) (*sealed.Peer, [][]byte, error) {
	var adv sealed.Advert
	if err := adv.UnmarshalBinary(k.Advert); err != nil {
		return nil, nil, fmt.Errorf("%w: client %d's advert: %w", ErrMalformed, k.ID, err)
	}
	peer, err := sealed.Verify(c.identity, labelSealed, c.p.digest[:], &adv, k.ID, nslots, c.p.Name(k.ID))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: client %d: %w", ErrBadAdvert, k.ID, err)
	}
	return peer, adv.Chain, nil
}

// MaskInput opens the shares the client now holds and returns its masked
// input: input (plus its noise share, if [Config.Noise] is set) plus its
// self mask plus, for each neighbor j that sent shares, the pairwise mask
// of {i, j}, added if i < j and subtracted if i > j, all modulo 2^64.
// len(input) must be the Params' Length; input is not modified.
func (c *Client) MaskInput(del *ShareDeliveryMsg, input []uint64) (*MaskedInputMsg, error) {
	if err := c.step(stageShared, "MaskInput"); err != nil {
		return nil, err
	}
	t := c.p.cfg.Threshold
	if len(input) != c.p.cfg.Length {
		return nil, fmt.Errorf("secagg: %w: input of %d values, length %d", ErrInvalidParams, len(input), c.p.cfg.Length)
	}
	if del == nil || del.To != c.id {
		return nil, fmt.Errorf("%w: client %d: share delivery for another client", ErrMalformed, c.id)
	}
	if len(del.Shares) < t {
		return nil, fmt.Errorf("%w: client %d: %d neighbors left, threshold %d", ErrTooManyDropouts, c.id, len(del.Shares), t)
	}
	for i, s := range del.Shares {
		if i > 0 && s.From <= del.Shares[i-1].From {
			return nil, fmt.Errorf("%w: shares not sorted by sender", ErrMalformed)
		}
		if s.To != c.id || c.peers[s.From] == nil {
			return nil, fmt.Errorf("%w: share from %d to %d delivered to %d", ErrMalformed, s.From, s.To, c.id)
		}
	}
	values, jobs, err := c.openShares(del)
	if err != nil {
		return nil, err
	}
	y, err := c.noisy(input)
	if err != nil {
		return nil, err
	}
	applyMasks(y, jobs, c.p.workers)
	held := make(map[int][2]shareValue, len(del.Shares))
	for i, s := range del.Shares {
		held[s.From] = values[i]
	}
	c.held = held
	clear(c.seed[:])
	c.stage = stageMasked
	return &MaskedInputMsg{ID: c.id, Vector: y}, nil
}

// openShares opens the delivered shares and returns them with the masks to
// add: the self mask first, then one pairwise mask per sender.
func (c *Client) openShares(del *ShareDeliveryMsg) ([][2]shareValue, []maskJob, error) {
	session := c.p.cfg.Session[:]
	values := make([][2]shareValue, len(del.Shares))
	jobs := make([]maskJob, len(del.Shares)+1)
	err := parallel.Each(context.Background(), len(del.Shares), c.p.workers, func(i int) error {
		s := del.Shares[i]
		peer := c.peers[s.From]
		pt, err := c.keys.Open(peer, c.graphSeed[:], s.Ciphertext)
		if err != nil || len(pt) != 2*ShareSize {
			return fmt.Errorf("%w: share from client %d", ErrDecrypt, s.From)
		}
		copy(values[i][0][:], pt)
		copy(values[i][1][:], pt[ShareSize:])
		clear(pt)
		shared, err := c.keys.Shared(slotMask, peer)
		if err != nil {
			return err
		}
		k, err := pairMaskKey(shared, session, c.id, s.From)
		if err != nil {
			return err
		}
		jobs[i+1], err = newMaskJob(k, c.id > s.From)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	sk, err := selfMaskKey(c.seed[:], session, c.id)
	if err != nil {
		return nil, nil, err
	}
	if jobs[0], err = newMaskJob(sk, false); err != nil {
		return nil, nil, err
	}
	return values, jobs, nil
}

// noisy returns a copy of input with the client's noise share added.
func (c *Client) noisy(input []uint64) ([]uint64, error) {
	y := slices.Clone(input)
	if y == nil {
		y = []uint64{}
	}
	noise := c.p.cfg.Noise
	if noise == nil {
		return y, nil
	}
	z, err := noise(len(y))
	if err != nil {
		return nil, fmt.Errorf("noise: %w", err)
	}
	if len(z) != len(y) {
		return nil, fmt.Errorf("secagg: %w: noise of %d values, length %d", ErrInvalidParams, len(z), len(y))
	}
	for i, v := range z {
		y[i] += uint64(v)
	}
	return y, nil
}

// SignCounted is the consistency step: it checks the counted set U3 the
// server announces and signs it with the client's identity. U3 must be
// sorted, name this client, and name only neighbors that sent this client
// their shares; the client signs one counted set per round and, at
// [Client.Unmask], answers only for that set.
func (c *Client) SignCounted(m *CountedSetMsg) (*CountedSigMsg, error) {
	if err := c.step(stageMasked, "SignCounted"); err != nil {
		return nil, err
	}
	if m == nil || m.To != c.id {
		return nil, fmt.Errorf("%w: client %d: counted set for another client", ErrMalformed, c.id)
	}
	self := false
	for k, j := range m.Counted {
		if k > 0 && j <= m.Counted[k-1] {
			return nil, fmt.Errorf("%w: counted set not sorted", ErrMalformed)
		}
		if j < 1 || j > c.p.cfg.Clients {
			return nil, fmt.Errorf("%w: counted set names client %d", ErrMalformed, j)
		}
		self = self || j == c.id
		if j != c.id && c.g.isNeighbor(c.id, j) {
			if _, ok := c.held[j]; !ok {
				return nil, fmt.Errorf("%w: client %d: counted set names neighbor %d, which sent no shares", ErrProtocol, c.id, j)
			}
		}
	}
	if !self {
		return nil, fmt.Errorf("%w: client %d: counted set leaves out this client, which sent its masked input", ErrProtocol, c.id)
	}
	sig, err := c.identity.Sign(countedMessage(c.p.digest, c.graphSeed, c.id, m.Counted))
	if err != nil {
		return nil, fmt.Errorf("signing the counted set: %w", err)
	}
	c.counted = slices.Clone(m.Counted)
	c.stage = stageSigned
	return &CountedSigMsg{From: c.id, Sig: sig}, nil
}

// Unmask answers the server's request once: the request must repeat the
// counted set this client signed and carry, on that same set, valid
// signatures of at least t-1 distinct neighbors that sent this client
// shares (checked against the CA and the roster names of their adverts;
// with its own, t signers);
// otherwise it fails with [ErrProtocol] and reveals nothing. The answer is
// the one the set implies, for every neighbor whose shares the client
// holds: the share of its self-mask seed if it is counted, of its mask key
// if not. A server that announces different sets to different clients
// cannot get t signatures on both from the neighbors it needs (with the
// thresholds [NewParams] enforces), and every honest client gives one
// share per neighbor, so no client's two secrets are both revealed.
func (c *Client) Unmask(req *UnmaskRequestMsg) (*UnmaskResponseMsg, error) {
	if err := c.step(stageSigned, "Unmask"); err != nil {
		return nil, err
	}
	if req == nil || req.To != c.id {
		return nil, fmt.Errorf("%w: client %d: unmask request for another client", ErrMalformed, c.id)
	}
	if !slices.Equal(req.Counted, c.counted) {
		return nil, fmt.Errorf("%w: client %d: unmask request for a counted set other than the one it signed", ErrProtocol, c.id)
	}
	if err := c.checkCountedSigs(req.Signatures); err != nil {
		return nil, err
	}
	return c.answer(), nil
}

// answer is the unmask response the signed counted set implies.
func (c *Client) answer() *UnmaskResponseMsg {
	held := make([]int, 0, len(c.held))
	for j := range c.held {
		held = append(held, j)
	}
	slices.Sort(held)
	out := &UnmaskResponseMsg{From: c.id}
	for _, j := range held {
		if _, counted := slices.BinarySearch(c.counted, j); counted {
			out.SeedShares = append(out.SeedShares, SecretShare{Owner: j, Value: c.held[j][1]})
		} else {
			out.KeyShares = append(out.KeyShares, SecretShare{Owner: j, Value: c.held[j][0]})
		}
	}
	c.stage = stageDone
	c.held = nil
	return out
}

// checkCountedSigs fails unless sigs hold valid signatures on the signed
// counted set by t-1 distinct counted neighbors whose shares this client
// holds (t signers with this client). It verifies in parallel batches of as
// many as are still missing.
func (c *Client) checkCountedSigs(sigs []CountedSigMsg) error {
	t := c.p.cfg.Threshold
	var cand []int // indices into sigs of eligible, distinct signers
	seen := make(map[int]bool, len(sigs))
	for k, s := range sigs {
		_, counted := slices.BinarySearch(c.counted, s.From)
		if _, ok := c.held[s.From]; ok && counted && !seen[s.From] {
			seen[s.From] = true
			cand = append(cand, k)
		}
	}
	valid := 1 // this client's own signature, as in Bonawitz et al.'s |U4| >= t
	for len(cand) > 0 && valid < t {
		batch := cand[:min(t-valid, len(cand))]
		cand = cand[len(batch):]
		ok := make([]bool, len(batch))
		_ = parallel.Each(context.Background(), len(batch), c.p.workers, func(b int) error {
			s := &sigs[batch[b]]
			name, err := c.identity.VerifySigned(c.chains[s.From], countedMessage(c.p.digest, c.graphSeed, s.From, c.counted), s.Sig)
			ok[b] = err == nil && name == c.p.Name(s.From)
			return nil
		})
		for _, v := range ok {
			if v {
				valid++
			}
		}
	}
	if valid < t {
		return fmt.Errorf("%w: client %d: %d signers of the counted set (itself and neighbors with valid signatures), threshold %d", ErrProtocol, c.id, valid, t)
	}
	return nil
}
