package he

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"
	"github.com/tuneinsight/lattigo/v5/utils/sampling"
)

// CRS is the common reference string of collective key generation: a public
// random seed from which every key holder expands the same uniform
// polynomial. Anyone may draw it (the aggregator does, in the runner); it
// must only be fresh and not chosen adversarially.
type CRS [32]byte

// NewCRS draws a CRS from crypto/rand.
func NewCRS() (CRS, error) {
	var c CRS
	_, err := rand.Read(c[:])
	return c, err
}

func (c CRS) prng() mhe.CRS {
	prng, err := sampling.NewKeyedPRNG(c[:])
	if err != nil {
		panic(err) // unreachable: blake2b accepts 32-byte keys
	}
	return prng
}

// KeyHolder is one of the N holders of a collective key: it holds a share
// of the secret key (and, for T-of-N, a Shamir share of the whole key) and
// produces the shares of key generation and decryption. Not safe for
// concurrent use.
type KeyHolder struct {
	p      *Params
	index  int
	sk     *rlwe.SecretKey
	tsk    *mhe.ShamirSecretShare // T-of-N: own Shamir share of the collective secret
	shamir *mhe.ShamirPolynomial
	ks     *mhe.KeySwitchProtocol
	pcks   *mhe.PublicKeySwitchProtocol
	zero   *rlwe.SecretKey
	sm     *smudger
}

// NewKeyHolder draws key holder index's secret-key share (index in
// [0, KeyHolders)). It needs a collective configuration (KeyHolders >= 2).
// The share, and the smudging noise of the holder's decryption shares, come
// from crypto/rand (expanded by lattigo's keyed samplers and an AES-CTR
// generator).
func (p *Params) NewKeyHolder(index int) (*KeyHolder, error) {
	if p.cfg.KeyHolders < 2 {
		return nil, fmt.Errorf("he: %w: a collective key needs KeyHolders >= 2 (have %d)", ErrInvalidParams, p.cfg.KeyHolders)
	}
	if index < 0 || index >= p.cfg.KeyHolders {
		return nil, fmt.Errorf("he: %w: key holder index %d outside [0, %d)", ErrInvalidParams, index, p.cfg.KeyHolders)
	}
	k := &KeyHolder{p: p, index: index}
	k.sk = rlwe.NewKeyGenerator(p.rlwe).GenSecretKeyNew()
	k.zero = rlwe.NewSecretKey(p.rlwe)
	var err error
	if k.sm, err = newSmudger(p); err != nil {
		return nil, err
	}
	noise := ring.DiscreteGaussian{Sigma: p.rlwe.NoiseFreshSK(), Bound: 6 * p.rlwe.NoiseFreshSK()}
	ks, err := mhe.NewKeySwitchProtocol(p.rlwe, noise)
	if err != nil {
		return nil, fmt.Errorf("he: %w: %v", ErrInvalidParams, err)
	}
	pcks, err := mhe.NewPublicKeySwitchProtocol(p.rlwe, noise)
	if err != nil {
		return nil, fmt.Errorf("he: %w: %v", ErrInvalidParams, err)
	}
	k.ks, k.pcks = &ks, &pcks
	return k, nil
}

// Index is the key holder's index in [0, KeyHolders).
func (k *KeyHolder) Index() int { return k.index }

// PublicKeyShare is one key holder's contribution to the collective public
// key.
type PublicKeyShare struct {
	p     *Params
	Party int
	share mhe.PublicKeyGenShare
}

// GenPublicKeyShare makes this key holder's public-key share for crs.
func (k *KeyHolder) GenPublicKeyShare(crs CRS) *PublicKeyShare {
	ckg := mhe.NewPublicKeyGenProtocol(k.p.rlwe)
	s := &PublicKeyShare{p: k.p, Party: k.index, share: ckg.AllocateShare()}
	ckg.GenShare(k.sk, ckg.SampleCRP(crs.prng()), &s.share)
	return s
}

// CombinePublicKey builds the collective public key from the shares of all
// KeyHolders key holders (each exactly once).
func (p *Params) CombinePublicKey(crs CRS, shares []*PublicKeyShare) (*PublicKey, error) {
	if len(shares) != p.cfg.KeyHolders {
		return nil, fmt.Errorf("he: %w: %d public-key shares for %d key holders", ErrNotEnoughShares, len(shares), p.cfg.KeyHolders)
	}
	seen := make([]bool, p.cfg.KeyHolders)
	ckg := mhe.NewPublicKeyGenProtocol(p.rlwe)
	agg := ckg.AllocateShare()
	for _, s := range shares {
		if s == nil || s.p != p || s.Party < 0 || s.Party >= len(seen) || seen[s.Party] {
			return nil, fmt.Errorf("he: %w: public-key share missing, foreign or repeated", ErrMismatch)
		}
		seen[s.Party] = true
		ckg.AggregateShares(agg, s.share, &agg)
	}
	pk := rlwe.NewPublicKey(p.rlwe)
	ckg.GenPublicKey(agg, ckg.SampleCRP(crs.prng()), pk)
	return &PublicKey{p: p, pk: pk}, nil
}

// UnmarshalPublicKeyShare decodes a peer's public-key share under p (see
// [PublicKeyShare.UnmarshalBinary]).
func (p *Params) UnmarshalPublicKeyShare(data []byte) (*PublicKeyShare, error) {
	v := &PublicKeyShare{p: p}
	if err := v.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return v, nil
}

// MarshalBinary encodes the share: header, party, QP polynomial.
func (s *PublicKeyShare) MarshalBinary() ([]byte, error) {
	if s == nil || s.p == nil {
		return nil, fmt.Errorf("he: %w: nil share", ErrInvalidParams)
	}
	p := s.p
	b := make([]byte, 0, headerSize+4+p.qpBytes())
	b = p.putHeader(b, kindPublicKeyShare, p.rlwe.MaxLevel())
	b = binary.BigEndian.AppendUint32(b, uint32(s.Party))
	return appendPolyQP(b, s.share.Value), nil
}

// UnmarshalBinary decodes a peer's public-key share into s, which must be
// bound to a Params ([Params.UnmarshalPublicKeyShare] decodes into a fresh
// one).
func (s *PublicKeyShare) UnmarshalBinary(data []byte) error {
	if s == nil || s.p == nil {
		return fmt.Errorf("he: %w: share not bound to parameters (use Params.UnmarshalPublicKeyShare)", ErrInvalidParams)
	}
	p := s.p
	if err := p.checkHeader(data, kindPublicKeyShare, p.rlwe.MaxLevel()); err != nil {
		return err
	}
	if want := headerSize + 4 + p.qpBytes(); len(data) != want {
		return fmt.Errorf("he: %w: public-key share is %d bytes, expected %d", ErrMalformed, len(data), want)
	}
	party, err := p.readParty(data[headerSize:])
	if err != nil {
		return err
	}
	share := mhe.NewPublicKeyGenProtocol(p.rlwe).AllocateShare()
	if _, err := p.readPolyQP(data[headerSize+4:], share.Value); err != nil {
		return err
	}
	s.Party, s.share = party, share
	return nil
}

func (p *Params) readParty(b []byte) (int, error) {
	v := binary.BigEndian.Uint32(b)
	if int64(v) >= int64(p.cfg.KeyHolders) {
		return 0, fmt.Errorf("he: %w: party %d outside [0, %d)", ErrMalformed, v, p.cfg.KeyHolders)
	}
	return int(v), nil
}

// checkActive validates the decryption set: nil for N-of-N, else exactly
// Threshold distinct sorted key-holder indices containing self (self < 0
// skips that test).
func (p *Params) checkActive(active []int, self int) error {
	if p.cfg.Threshold == 0 {
		if active != nil {
			return fmt.Errorf("he: %w: an N-of-N key takes no decryption set", ErrInvalidParams)
		}
		return nil
	}
	if len(active) != p.cfg.Threshold {
		return fmt.Errorf("he: %w: decryption set of %d key holders, threshold is %d", ErrNotEnoughShares, len(active), p.cfg.Threshold)
	}
	for i, a := range active {
		if a < 0 || a >= p.cfg.KeyHolders || (i > 0 && active[i-1] >= a) {
			return fmt.Errorf("he: %w: decryption set %v must be distinct increasing indices below %d", ErrInvalidParams, active, p.cfg.KeyHolders)
		}
	}
	if self >= 0 && !slices.Contains(active, self) {
		return fmt.Errorf("he: %w: key holder %d is not in the decryption set %v", ErrInvalidParams, self, active)
	}
	return nil
}

// decryptionKey is the secret this holder decrypts with: its share of the
// N-of-N key, or its Lagrange-weighted Shamir share for the active set.
func (k *KeyHolder) decryptionKey(active []int) (*rlwe.SecretKey, error) {
	p := k.p
	if err := p.checkActive(active, k.index); err != nil {
		return nil, err
	}
	if p.cfg.Threshold == 0 {
		return k.sk, nil
	}
	if k.tsk == nil {
		return nil, fmt.Errorf("he: %w: key holder %d has no threshold share yet (SetShamirShares)", ErrInvalidParams, k.index)
	}
	all := make([]mhe.ShamirPublicPoint, p.cfg.KeyHolders)
	for i := range all {
		all[i] = shamirPoint(i)
	}
	pts := make([]mhe.ShamirPublicPoint, len(active))
	for i, a := range active {
		pts[i] = shamirPoint(a)
	}
	cmb := mhe.NewCombiner(p.rlwe, shamirPoint(k.index), all, p.cfg.Threshold)
	out := rlwe.NewSecretKey(p.rlwe)
	if err := cmb.GenAdditiveShare(pts, shamirPoint(k.index), *k.tsk, out); err != nil {
		return nil, fmt.Errorf("he: %w: %v", ErrInvalidParams, err)
	}
	return out, nil
}

func shamirPoint(i int) mhe.ShamirPublicPoint { return mhe.ShamirPublicPoint(i + 1) }

// DecryptionShare is one key holder's share of a collective decryption of
// one Ciphertext: per chunk, s_i*c1 + smudging noise.
type DecryptionShare struct {
	p      *Params
	Party  int
	Active []int // the T-of-N decryption set; nil for N-of-N
	n      int
	key    Fingerprint // of the ciphertext's key
	polys  []ring.Poly
}

// DecryptionShare makes this holder's share for decrypting c. active is the
// decryption set for a T-of-N key (Threshold sorted indices including this
// holder) and nil for an N-of-N key.
func (k *KeyHolder) DecryptionShare(c *Ciphertext, active []int) (*DecryptionShare, error) {
	if c == nil || c.p != k.p {
		return nil, fmt.Errorf("he: %w: ciphertext missing or made under other parameters", ErrMismatch)
	}
	sk, err := k.decryptionKey(active)
	if err != nil {
		return nil, err
	}
	p := k.p
	r := p.rlwe.RingQ().AtLevel(p.level)
	s := &DecryptionShare{p: p, Party: k.index, Active: slices.Clone(active), n: c.n, key: c.key, polys: make([]ring.Poly, len(c.cts))}
	for i, ct := range c.cts {
		sh := k.ks.AllocateShare(p.level)
		k.ks.GenShare(sk, k.zero, ct, &sh)
		if err := k.sm.addTo(p, sh.Value); err != nil {
			return nil, err
		}
		// lattigo's key switch leaves coefficients in [0, 2q): reduce so the
		// share has one canonical encoding.
		r.Reduce(sh.Value, sh.Value)
		s.polys[i] = sh.Value
	}
	return s, nil
}

// checkShares validates a set of decryption or re-encryption shares: count,
// distinct parties, same decryption set, same length as c.
func (p *Params) checkShares(c *Ciphertext, n int, party func(i int) (int, []int, int, Fingerprint)) error {
	if c == nil || c.p != p {
		return fmt.Errorf("he: %w: ciphertext missing or made under other parameters", ErrMismatch)
	}
	if n != p.decrypt {
		return fmt.Errorf("he: %w: %d shares, decryption needs exactly %d", ErrNotEnoughShares, n, p.decrypt)
	}
	seen := make(map[int]bool, n)
	var set []int
	for i := 0; i < n; i++ {
		who, active, length, key := party(i)
		if who < 0 || seen[who] {
			return fmt.Errorf("he: %w: share missing or key holder %d twice", ErrMismatch, who)
		}
		seen[who] = true
		if length != c.n {
			return fmt.Errorf("he: %w: share of key holder %d is for %d values, ciphertext has %d", ErrMismatch, who, length, c.n)
		}
		if key != c.key {
			return fmt.Errorf("he: %w: share of key holder %d is for a ciphertext under another key (a stale share)", ErrMismatch, who)
		}
		if err := p.checkActive(active, who); err != nil {
			return err
		}
		if i == 0 {
			set = active
		} else if !slices.Equal(set, active) {
			return fmt.Errorf("he: %w: shares computed for different decryption sets %v and %v", ErrMismatch, set, active)
		}
	}
	return nil
}

func (p *Params) combineDecryption(c *Ciphertext, shares []*DecryptionShare, ints []int64, floats []float64) error {
	err := p.checkShares(c, len(shares), func(i int) (int, []int, int, Fingerprint) {
		if shares[i] == nil || shares[i].p != p {
			return -1, nil, 0, Fingerprint{}
		}
		return shares[i].Party, shares[i].Active, shares[i].n, shares[i].key
	})
	if err != nil {
		return err
	}
	cb, err := p.NewCombiner(c)
	if err != nil {
		return err
	}
	for _, s := range shares {
		if err := cb.Add(s); err != nil {
			return err
		}
	}
	return cb.finish(ints, floats)
}

// CombineInts finishes a collective decryption of the BGV ciphertext c from
// exactly Decryptors() shares (all N for N-of-N; one T-set for T-of-N).
func (p *Params) CombineInts(c *Ciphertext, shares []*DecryptionShare) ([]int64, error) {
	if c == nil {
		return nil, fmt.Errorf("he: %w: nil ciphertext", ErrMismatch)
	}
	out := make([]int64, c.n)
	if err := p.combineDecryption(c, shares, out, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// CombineFloats finishes a collective decryption of the CKKS ciphertext c.
func (p *Params) CombineFloats(c *Ciphertext, shares []*DecryptionShare) ([]float64, error) {
	if c == nil {
		return nil, fmt.Errorf("he: %w: nil ciphertext", ErrMismatch)
	}
	out := make([]float64, c.n)
	if err := p.combineDecryption(c, shares, nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ReencryptionShare is one key holder's share of switching a ciphertext
// from the collective key to an analyst's public key.
type ReencryptionShare struct {
	p      *Params
	Party  int
	Active []int
	n      int
	key    Fingerprint // of the ciphertext's key
	elems  []mhe.PublicKeySwitchShare
}

// ReencryptionShare makes this holder's share for re-encrypting c under
// target (an analyst's public key); active as for DecryptionShare.
func (k *KeyHolder) ReencryptionShare(c *Ciphertext, target *PublicKey, active []int) (*ReencryptionShare, error) {
	if c == nil || c.p != k.p || target == nil || target.pk == nil || target.p != k.p {
		return nil, fmt.Errorf("he: %w: ciphertext or target key missing or made under other parameters", ErrMismatch)
	}
	sk, err := k.decryptionKey(active)
	if err != nil {
		return nil, err
	}
	p := k.p
	r := p.rlwe.RingQ().AtLevel(p.level)
	s := &ReencryptionShare{p: p, Party: k.index, Active: slices.Clone(active), n: c.n, key: c.key, elems: make([]mhe.PublicKeySwitchShare, len(c.cts))}
	for i, ct := range c.cts {
		sh := k.pcks.AllocateShare(p.level)
		k.pcks.GenShare(sk, target.pk, ct, &sh)
		if err := k.sm.addTo(p, sh.Value[0]); err != nil {
			return nil, err
		}
		r.Reduce(sh.Value[0], sh.Value[0])
		r.Reduce(sh.Value[1], sh.Value[1])
		s.elems[i] = sh
	}
	return s, nil
}

// CombineReencryption switches c to the analyst's key from exactly
// Decryptors() re-encryption shares; only the analyst's SecretKey decrypts
// the result.
func (p *Params) CombineReencryption(c *Ciphertext, shares []*ReencryptionShare) (*Ciphertext, error) {
	err := p.checkShares(c, len(shares), func(i int) (int, []int, int, Fingerprint) {
		if shares[i] == nil || shares[i].p != p {
			return -1, nil, 0, Fingerprint{}
		}
		return shares[i].Party, shares[i].Active, shares[i].n, shares[i].key
	})
	if err != nil {
		return nil, err
	}
	out := p.newCiphertext(c.n)
	out.weight = c.weight
	r := p.rlwe.RingQ().AtLevel(p.level)
	for k, ct := range c.cts {
		o := out.cts[k]
		o.Value[0].CopyLvl(p.level, ct.Value[0])
		o.Value[1].Zero()
		for _, s := range shares {
			r.Add(o.Value[0], s.elems[k].Value[0], o.Value[0])
			r.Add(o.Value[1], s.elems[k].Value[1], o.Value[1])
		}
	}
	return out, nil
}
