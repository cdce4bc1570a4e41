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
	stageShared
	stageMasked
	stageDone
)

// Client is one client's state in a round. Its methods are the protocol's
// local steps, to be called in order: [Client.AdvertiseKeys],
// [Client.ShareKeys], [Client.MaskInput], [Client.Unmask]. A Client is not
// safe for concurrent use.
type Client struct {
	p        *Params
	id       int
	identity *transport.Identity
	stage    int

	keys *sealed.Keys // the two X25519 key pairs, advertised signed
	seed [32]byte     // self-mask seed

	// peers are the neighbors whose signed keys this client verified.
	peers map[int]*sealed.Peer
	// held[j] are the shares of j's mask key and seed this client holds.
	held map[int][2]shareValue
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

// AdvertiseKeys draws the client's two X25519 key pairs and its self-mask
// seed and returns the public keys, signed with the client's identity, for
// the server to relay to its neighbors.
func (c *Client) AdvertiseKeys() (*AdvertiseKeysMsg, error) {
	if err := c.step(stageNew, "AdvertiseKeys"); err != nil {
		return nil, err
	}
	var err error
	if c.keys, err = sealed.New(c.identity, labelSealed, c.p.digest[:], c.id, nslots); err != nil {
		return nil, fmt.Errorf("secagg: client %d: keys: %w", c.id, err)
	}
	if _, err = rand.Read(c.seed[:]); err != nil {
		return nil, fmt.Errorf("secagg: client %d: seed: %w", c.id, err)
	}
	adv, err := c.keys.Advert().MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("secagg: client %d: %w", c.id, err)
	}
	c.stage = stageAdvertised
	return &AdvertiseKeysMsg{ID: c.id, Params: c.p.digest, Advert: adv}, nil
}

// ShareKeys verifies the neighbors' signed keys, splits the client's mask
// private key and seed into Shamir shares of threshold t, one pair per
// listed neighbor, and seals each neighbor's pair to it. A neighbor whose
// keys were made under other parameters fails with [ErrMismatch]; one
// whose signature, certificate or name does not verify (keys substituted
// on the way) fails with [ErrBadAdvert]: the client must not go on.
func (c *Client) ShareKeys(kl *KeyListMsg) (*ShareBundleMsg, error) {
	if err := c.step(stageAdvertised, "ShareKeys"); err != nil {
		return nil, err
	}
	if kl == nil || kl.To != c.id {
		return nil, fmt.Errorf("%w: client %d: key list for another client", ErrMalformed, c.id)
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
		if !c.p.isNeighbor(c.id, k.ID) {
			return nil, fmt.Errorf("%w: client %d is not a neighbor of %d", ErrMalformed, k.ID, c.id)
		}
		if k.Params != c.p.digest {
			return nil, fmt.Errorf("%w: client %d's keys are for other parameters", ErrMismatch, k.ID)
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
	err = parallel.Each(context.Background(), len(holders), c.p.workers, func(i int) error {
		j := holders[i]
		peer, err := c.verify(&kl.Keys[i])
		if err != nil {
			return err
		}
		pt := make([]byte, 0, 2*ShareSize)
		pt = append(append(pt, shares[i][0][:]...), shares[i][1][:]...)
		box, err := c.keys.Seal(peer, nil, pt)
		clear(pt)
		clear(shares[i])
		if err != nil {
			return fmt.Errorf("secagg: client %d: sealing for %d: %w", c.id, j, err)
		}
		peers[i] = peer
		out.Shares[i] = EncryptedShare{From: c.id, To: j, Ciphertext: box}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.peers = make(map[int]*sealed.Peer, len(holders))
	for i, j := range holders {
		c.peers[j] = peers[i]
	}
	c.stage = stageShared
	return out, nil
}

// verify checks a neighbor's signed keys against the roster.
func (c *Client) verify(k *AdvertiseKeysMsg) (*sealed.Peer, error) {
	var adv sealed.Advert
	if err := adv.UnmarshalBinary(k.Advert); err != nil {
		return nil, fmt.Errorf("%w: client %d's advert: %w", ErrMalformed, k.ID, err)
	}
	peer, err := sealed.Verify(c.identity, labelSealed, c.p.digest[:], &adv, k.ID, nslots, c.p.Name(k.ID))
	if err != nil {
		return nil, fmt.Errorf("%w: client %d: %w", ErrBadAdvert, k.ID, err)
	}
	return peer, nil
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
		pt, err := c.keys.Open(peer, nil, s.Ciphertext)
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
		return nil, fmt.Errorf("secagg: client %d: noise: %w", c.id, err)
	}
	if len(z) != len(y) {
		return nil, fmt.Errorf("secagg: %w: noise of %d values, length %d", ErrInvalidParams, len(z), len(y))
	}
	for i, v := range z {
		y[i] += uint64(v)
	}
	return y, nil
}

// Unmask answers the server's request: the shares of the mask keys of the
// listed dropped clients and of the seeds of the listed survivors. It
// refuses ([ErrProtocol]) a request that names a client in both lists,
// names a client it holds no shares of, or comes a second time: revealing
// both secrets of one client would expose that client's input.
func (c *Client) Unmask(req *UnmaskRequestMsg) (*UnmaskResponseMsg, error) {
	if err := c.step(stageMasked, "Unmask"); err != nil {
		return nil, err
	}
	if req == nil || req.To != c.id {
		return nil, fmt.Errorf("%w: client %d: unmask request for another client", ErrMalformed, c.id)
	}
	seen := make(map[int]bool, len(req.Dropped)+len(req.Survivors))
	check := func(ids []int) error {
		if !slices.IsSorted(ids) {
			return fmt.Errorf("%w: unmask request lists not sorted", ErrMalformed)
		}
		for _, j := range ids {
			if seen[j] {
				return fmt.Errorf("%w: client %d asked twice for client %d's secrets", ErrProtocol, c.id, j)
			}
			seen[j] = true
			if _, ok := c.held[j]; !ok {
				return fmt.Errorf("%w: client %d holds no shares of client %d", ErrProtocol, c.id, j)
			}
		}
		return nil
	}
	if err := check(req.Dropped); err != nil {
		return nil, err
	}
	if err := check(req.Survivors); err != nil {
		return nil, err
	}
	out := &UnmaskResponseMsg{From: c.id,
		KeyShares:  make([]SecretShare, len(req.Dropped)),
		SeedShares: make([]SecretShare, len(req.Survivors))}
	for i, j := range req.Dropped {
		out.KeyShares[i] = SecretShare{Owner: j, Value: c.held[j][0]}
	}
	for i, j := range req.Survivors {
		out.SeedShares[i] = SecretShare{Owner: j, Value: c.held[j][1]}
	}
	c.stage = stageDone
	c.held = nil
	return out, nil
}
