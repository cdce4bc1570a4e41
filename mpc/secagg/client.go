package secagg

import (
	"crypto/ecdh"
	"crypto/rand"
	"fmt"
	"io"
	"slices"
)

// NoiseFunc returns dim integers that a client adds to its input before
// masking: its share of distributed differential-privacy noise (see package
// dp, and WithNoise).
type NoiseFunc func(dim int) ([]int64, error)

// ClientOption configures NewClient.
type ClientOption func(*Client) error

// WithNoise makes the client add noise(dim) to its input, modulo 2^64,
// before masking. With each client adding an independent share of a
// divisible noise distribution (Skellam, from package dp), the unmasked sum
// carries the sum of the counted clients' shares and is differentially
// private towards the server; see the package documentation for what
// dropouts and collusion do to the guarantee.
func WithNoise(f NoiseFunc) ClientOption {
	return func(c *Client) error {
		if f == nil {
			return fmt.Errorf("%w: nil noise function", ErrInvalidParams)
		}
		c.noise = f
		return nil
	}
}

// WithRandom replaces crypto/rand as the source of the client's keys,
// seed and share polynomials. It is meant for tests only: a predictable
// source voids every guarantee.
func WithRandom(r io.Reader) ClientOption {
	return func(c *Client) error {
		if r == nil {
			return fmt.Errorf("%w: nil random source", ErrInvalidParams)
		}
		c.rand = r
		return nil
	}
}

// Client stages.
const (
	stageNew = iota
	stageAdvertised
	stageShared
	stageMasked
	stageDone
)

// Client is one client's state in a round. Its methods are the protocol's
// local steps, to be called in order: AdvertiseKeys, ShareKeys, MaskInput,
// Unmask. A Client is not safe for concurrent use.
type Client struct {
	cfg   *Config
	id    int
	rand  io.Reader
	noise NoiseFunc
	stage int

	dropBefore Stage // simulated dropout, runner only

	encPriv, maskPriv *ecdh.PrivateKey
	seed              [32]byte

	peerMask map[int]*ecdh.PublicKey
	// encShared[j] is the X25519 secret of the encryption keys with j.
	encShared map[int][]byte
	// held[j] are the shares of j's mask key and seed this client holds.
	held map[int][2]shareValue
}

// NewClient returns the state of client id (1..cfg.Clients()).
func NewClient(cfg *Config, id int, opts ...ClientOption) (*Client, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: nil config", ErrInvalidParams)
	}
	if id < 1 || id > cfg.n {
		return nil, fmt.Errorf("%w: client id %d, need 1..%d", ErrInvalidParams, id, cfg.n)
	}
	c := &Client{cfg: cfg, id: id, rand: rand.Reader}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
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
// seed and returns the public keys for the server.
func (c *Client) AdvertiseKeys() (*AdvertiseKeys, error) {
	if err := c.step(stageNew, "AdvertiseKeys"); err != nil {
		return nil, err
	}
	var err error
	if c.encPriv, err = ecdh.X25519().GenerateKey(c.rand); err != nil {
		return nil, fmt.Errorf("secagg: client %d: key generation: %w", c.id, err)
	}
	if c.maskPriv, err = ecdh.X25519().GenerateKey(c.rand); err != nil {
		return nil, fmt.Errorf("secagg: client %d: key generation: %w", c.id, err)
	}
	if _, err = io.ReadFull(c.rand, c.seed[:]); err != nil {
		return nil, fmt.Errorf("secagg: client %d: seed: %w", c.id, err)
	}
	m := &AdvertiseKeys{ID: c.id}
	copy(m.EncKey[:], c.encPriv.PublicKey().Bytes())
	copy(m.MaskKey[:], c.maskPriv.PublicKey().Bytes())
	c.stage = stageAdvertised
	return m, nil
}

// ShareKeys checks the neighbours' keys, splits the client's mask private
// key and seed into t-of-k Shamir shares, one per listed neighbour, and
// encrypts each neighbour's pair of shares to it.
func (c *Client) ShareKeys(kl *KeyList) (*ShareBundle, error) {
	if err := c.step(stageAdvertised, "ShareKeys"); err != nil {
		return nil, err
	}
	if kl == nil || kl.To != c.id {
		return nil, fmt.Errorf("%w: client %d: key list for another client", ErrMalformed, c.id)
	}
	if len(kl.Keys) < c.cfg.t {
		return nil, fmt.Errorf("%w: client %d: %d neighbours left, threshold %d", ErrTooManyDropouts, c.id, len(kl.Keys), c.cfg.t)
	}
	c.encShared = make(map[int][]byte, len(kl.Keys))
	c.peerMask = make(map[int]*ecdh.PublicKey, len(kl.Keys))
	holders := make([]int, len(kl.Keys))
	for i, k := range kl.Keys {
		if i > 0 && k.ID <= kl.Keys[i-1].ID {
			return nil, fmt.Errorf("%w: key list not sorted", ErrMalformed)
		}
		if !c.cfg.isNeighbour(c.id, k.ID) {
			return nil, fmt.Errorf("%w: client %d is not a neighbour of %d", ErrMalformed, k.ID, c.id)
		}
		ek, err := parsePublic(k.EncKey[:])
		if err != nil {
			return nil, err
		}
		mk, err := parsePublic(k.MaskKey[:])
		if err != nil {
			return nil, err
		}
		shared, err := encSecret(c.encPriv, ek)
		if err != nil {
			return nil, err
		}
		c.encShared[k.ID], c.peerMask[k.ID] = shared, mk
		holders[i] = k.ID
	}
	keyShares, err := shamirSplit(c.maskPriv.Bytes(), holders, c.cfg.t, c.rand)
	if err != nil {
		return nil, err
	}
	seedShares, err := shamirSplit(c.seed[:], holders, c.cfg.t, c.rand)
	if err != nil {
		return nil, err
	}
	session := c.cfg.session[:]
	out := &ShareBundle{From: c.id, Shares: make([]EncryptedShare, len(holders))}
	var nonce [12]byte
	pt := make([]byte, 2*shareSize)
	for i, j := range holders {
		aead, err := shareAEAD(c.encShared[j], session, c.id, j)
		if err != nil {
			return nil, err
		}
		copy(pt, keyShares[i][:])
		copy(pt[shareSize:], seedShares[i][:])
		out.Shares[i] = EncryptedShare{From: c.id, To: j, Ciphertext: aead.Seal(nil, nonce[:], pt, shareAD(session, c.id, j))}
	}
	clear(pt)
	c.stage = stageShared
	return out, nil
}

// MaskInput decrypts the shares the client now holds and returns its masked
// input: input (plus its noise share, if any) plus its self mask plus, for
// each neighbour j that sent shares, the pairwise mask of {i, j}, added if
// i < j and subtracted if i > j, all modulo 2^64. len(input) must be
// cfg.Dim(); input is not modified.
func (c *Client) MaskInput(del *ShareDelivery, input []uint64) (*MaskedInput, error) {
	if err := c.step(stageShared, "MaskInput"); err != nil {
		return nil, err
	}
	if len(input) != c.cfg.dim {
		return nil, fmt.Errorf("%w: input of %d values, dimension %d", ErrInvalidParams, len(input), c.cfg.dim)
	}
	if del == nil || del.To != c.id {
		return nil, fmt.Errorf("%w: client %d: share delivery for another client", ErrMalformed, c.id)
	}
	if len(del.Shares) < c.cfg.t {
		return nil, fmt.Errorf("%w: client %d: %d neighbours left, threshold %d", ErrTooManyDropouts, c.id, len(del.Shares), c.cfg.t)
	}
	session := c.cfg.session[:]
	held := make(map[int][2]shareValue, len(del.Shares))
	var nonce [12]byte
	for i, s := range del.Shares {
		if i > 0 && s.From <= del.Shares[i-1].From {
			return nil, fmt.Errorf("%w: shares not sorted by sender", ErrMalformed)
		}
		if s.To != c.id || c.encShared[s.From] == nil {
			return nil, fmt.Errorf("%w: share from %d to %d delivered to %d", ErrMalformed, s.From, s.To, c.id)
		}
		aead, err := shareAEAD(c.encShared[s.From], session, s.From, c.id)
		if err != nil {
			return nil, err
		}
		pt, err := aead.Open(nil, nonce[:], s.Ciphertext, shareAD(session, s.From, c.id))
		if err != nil || len(pt) != 2*shareSize {
			return nil, fmt.Errorf("%w: share from client %d", ErrDecrypt, s.From)
		}
		var v [2]shareValue
		copy(v[0][:], pt)
		copy(v[1][:], pt[shareSize:])
		held[s.From] = v
	}
	y := make([]uint64, len(input))
	copy(y, input)
	if c.noise != nil {
		z, err := c.noise(len(y))
		if err != nil {
			return nil, fmt.Errorf("secagg: client %d: noise: %w", c.id, err)
		}
		if len(z) != len(y) {
			return nil, fmt.Errorf("%w: noise of %d values, dimension %d", ErrInvalidParams, len(z), len(y))
		}
		for i, v := range z {
			y[i] += uint64(v)
		}
	}
	jobs := make([]maskJob, 0, len(held)+1)
	sk, err := selfMaskKey(c.seed[:], session, c.id)
	if err != nil {
		return nil, err
	}
	job, err := newMaskJob(sk, false)
	if err != nil {
		return nil, err
	}
	jobs = append(jobs, job)
	for _, s := range del.Shares {
		k, err := pairMaskKey(c.maskPriv, c.peerMask[s.From], session, c.id, s.From)
		if err != nil {
			return nil, err
		}
		job, err := newMaskJob(k, c.id > s.From)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job)
	}
	applyMasks(y, jobs, c.cfg.workers)
	c.held = held
	c.encShared = nil
	c.stage = stageMasked
	return &MaskedInput{ID: c.id, Vector: y}, nil
}

// Unmask answers the server's request: the shares of the mask keys of the
// listed dropped clients and of the seeds of the listed survivors. It
// refuses (ErrProtocol) a request that names a client in both lists, names
// a client it holds no shares of, or comes a second time: revealing both
// secrets of one client would expose that client's input.
func (c *Client) Unmask(req *UnmaskRequest) (*UnmaskResponse, error) {
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
	out := &UnmaskResponse{From: c.id,
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
