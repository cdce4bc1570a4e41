package he

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/hefloat"
	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// Ciphertext is an encrypted vector of any length, split across as many
// lattigo ciphertexts as it needs ([Params.Chunks]). It records its length and
// its weight: the total sum(|w_i|) of the contributions folded into it (1
// for a fresh encryption), which the library checks against
// [Config.MaxWeight] so that no aggregate can outgrow its noise budget or the
// plaintext space.
type Ciphertext struct {
	p      *Params
	n      int
	weight int64
	key    Fingerprint // of the key it is encrypted under; zero = unbound
	cts    []*rlwe.Ciphertext
}

// Key is the [Fingerprint] of the public key c is encrypted under (zero
// for a sum nothing was added to, or a re-encrypted result).
func (c *Ciphertext) Key() Fingerprint { return c.key }

// Len is the number of values.
func (c *Ciphertext) Len() int { return c.n }

// Weight is the total |weight| of the contributions summed in c.
func (c *Ciphertext) Weight() int64 { return c.weight }

// newCiphertext allocates a zero ciphertext for n values at the encryption
// level with the metadata encryption produces.
func (p *Params) newCiphertext(n int) *Ciphertext {
	c := &Ciphertext{p: p, n: n, cts: make([]*rlwe.Ciphertext, p.Chunks(n))}
	for i := range c.cts {
		c.cts[i] = p.newRLWECiphertext()
	}
	return c
}

func (p *Params) newRLWECiphertext() *rlwe.Ciphertext {
	if p.scheme == BGV {
		return heint.NewCiphertext(p.bgv, 1, p.level)
	}
	ct := hefloat.NewCiphertext(p.ckks, 1, p.level)
	ct.Scale = rlwe.NewScale(math.Ldexp(1, p.logScale))
	return ct
}

// CopyNew returns a deep copy of c.
func (c *Ciphertext) CopyNew() *Ciphertext {
	d := &Ciphertext{p: c.p, n: c.n, weight: c.weight, key: c.key, cts: make([]*rlwe.Ciphertext, len(c.cts))}
	for i, ct := range c.cts {
		d.cts[i] = ct.CopyNew()
	}
	return d
}

// MarshalBinary encodes c: header, length, weight, key fingerprint, then for each chunk the
// polynomials c0 and c1 at the encryption level. A ciphertext of weight 0
// (a sum whose weights are all 0) encodes, but no decoder accepts it.
func (c *Ciphertext) MarshalBinary() ([]byte, error) {
	if c == nil || c.p == nil {
		return nil, fmt.Errorf("he: %w: nil ciphertext", ErrInvalidParams)
	}
	p := c.p
	b := make([]byte, 0, p.CiphertextBytes(c.n))
	b = p.putHeader(b, kindCiphertext, p.level)
	b = binary.BigEndian.AppendUint32(b, uint32(c.n))
	b = binary.BigEndian.AppendUint64(b, uint64(c.weight))
	b = append(b, c.key[:]...)
	for _, ct := range c.cts {
		b = appendPoly(b, ct.Value[0], p.level+1)
		b = appendPoly(b, ct.Value[1], p.level+1)
	}
	return b, nil
}

// UnmarshalBinary decodes a ciphertext from a peer into c, which must be
// bound to a Params (made under it; [Params.UnmarshalCiphertext] decodes
// into a fresh one). It rejects any message whose size, kind,
// parameters, length (above [Config.MaxValues]), weight (0, or above
// [Config.MaxWeight]) or coefficients are not what p expects.
func (c *Ciphertext) UnmarshalBinary(data []byte) error {
	if c == nil || c.p == nil {
		return fmt.Errorf("he: %w: ciphertext not bound to parameters (use Params.UnmarshalCiphertext)", ErrInvalidParams)
	}
	p := c.p
	if err := p.checkHeader(data, kindCiphertext, p.level); err != nil {
		return err
	}
	rest := data[headerSize:]
	if len(rest) < ctHeaderSize {
		return fmt.Errorf("he: %w: ciphertext: truncated header", ErrMalformed)
	}
	n := binary.BigEndian.Uint32(rest)
	w := binary.BigEndian.Uint64(rest[4:])
	var key Fingerprint
	copy(key[:], rest[12:])
	rest = rest[ctHeaderSize:]
	if int64(n) > int64(p.cfg.MaxValues) {
		return fmt.Errorf("he: %w: ciphertext of %d values exceeds MaxValues %d", ErrMalformed, n, p.cfg.MaxValues)
	}
	if w < 1 || w > uint64(p.cfg.MaxWeight) {
		// Weight 0 would let a peer add ciphertexts that count nothing
		// toward MaxWeight, defeating the overflow and noise checks.
		return fmt.Errorf("he: %w: ciphertext weight %d outside [1, MaxWeight %d]", ErrMalformed, w, p.cfg.MaxWeight)
	}
	if want := p.CiphertextBytes(int(n)); len(data) != want {
		return fmt.Errorf("he: %w: ciphertext of %d values is %d bytes, expected %d", ErrMalformed, n, len(data), want)
	}
	out := p.newCiphertext(int(n))
	out.weight, out.key = int64(w), key
	var err error
	for _, ct := range out.cts {
		if rest, err = readPoly(rest, ct.Value[0], p.qAt()); err != nil {
			return err
		}
		if rest, err = readPoly(rest, ct.Value[1], p.qAt()); err != nil {
			return err
		}
	}
	*c = *out
	return nil
}

// Masks is the part of a ciphertext a key holder needs to make its
// decryption or re-encryption share: the c1 polynomials only, half the
// bytes of the ciphertext. Decoded with [Params.UnmarshalMasks], it stands in
// for the ciphertext in [KeyHolder.DecryptionShare] and
// [KeyHolder.ReencryptionShare].
func (c *Ciphertext) Masks() ([]byte, error) {
	if c == nil || c.p == nil {
		return nil, fmt.Errorf("he: %w: nil ciphertext", ErrInvalidParams)
	}
	p := c.p
	b := make([]byte, 0, headerSize+ctHeaderSize+len(c.cts)*p.polyBytes())
	b = p.putHeader(b, kindMasks, p.level)
	b = binary.BigEndian.AppendUint32(b, uint32(c.n))
	b = binary.BigEndian.AppendUint64(b, uint64(c.weight))
	b = append(b, c.key[:]...)
	for _, ct := range c.cts {
		b = appendPoly(b, ct.Value[1], p.level+1)
	}
	return b, nil
}

// UnmarshalMasks decodes the output of [Ciphertext.Masks] into a ciphertext
// whose c0 is zero: good for making shares, not for combining them.
func (p *Params) UnmarshalMasks(data []byte) (*Ciphertext, error) {
	if err := p.checkHeader(data, kindMasks, p.level); err != nil {
		return nil, err
	}
	rest := data[headerSize:]
	if len(rest) < ctHeaderSize {
		return nil, fmt.Errorf("he: %w: masks: truncated header", ErrMalformed)
	}
	n := binary.BigEndian.Uint32(rest)
	w := binary.BigEndian.Uint64(rest[4:])
	var key Fingerprint
	copy(key[:], rest[12:])
	rest = rest[ctHeaderSize:]
	if int64(n) > int64(p.cfg.MaxValues) || w < 1 || w > uint64(p.cfg.MaxWeight) {
		return nil, fmt.Errorf("he: %w: masks for %d values of weight %d exceed MaxValues %d or lie outside weight [1, MaxWeight %d]", ErrMalformed, n, w, p.cfg.MaxValues, p.cfg.MaxWeight)
	}
	if want := p.Chunks(int(n)) * p.polyBytes(); len(rest) != want {
		return nil, fmt.Errorf("he: %w: masks of %d values have %d polynomial bytes, expected %d", ErrMalformed, n, len(rest), want)
	}
	out := p.newCiphertext(int(n))
	out.weight, out.key = int64(w), key
	var err error
	for _, ct := range out.cts {
		if rest, err = readPoly(rest, ct.Value[1], p.qAt()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UnmarshalCiphertext decodes a ciphertext from a peer (see
// [Ciphertext.UnmarshalBinary]).
func (p *Params) UnmarshalCiphertext(data []byte) (*Ciphertext, error) {
	c := &Ciphertext{p: p}
	if err := c.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *Params) compatible(a, b *Ciphertext) error {
	if a == nil || b == nil || a.p == nil || b.p == nil {
		return fmt.Errorf("he: %w: nil ciphertext", ErrInvalidParams)
	}
	if a.p != p || b.p != p {
		return fmt.Errorf("he: %w: ciphertext made under other parameters", ErrMismatch)
	}
	if a.n != b.n {
		return fmt.Errorf("he: %w: lengths %d and %d", ErrMismatch, a.n, b.n)
	}
	if a.key != b.key && a.key != (Fingerprint{}) && b.key != (Fingerprint{}) {
		return fmt.Errorf("he: %w: ciphertexts under different keys (fingerprints %x and %x): a stale or foreign ciphertext", ErrMismatch, a.key[:4], b.key[:4])
	}
	return nil
}

func (p *Params) addWeight(have, add, w int64) (int64, error) {
	aw := w
	if aw < 0 {
		aw = -aw
	}
	if w == math.MinInt64 || aw > p.cfg.MaxWeight || add > p.cfg.MaxWeight/aw || have+add*aw > p.cfg.MaxWeight {
		return 0, fmt.Errorf("he: %w: total weight would exceed MaxWeight %d (the sum could overflow or outgrow its noise budget)", ErrOutOfRange, p.cfg.MaxWeight)
	}
	return have + add*aw, nil
}

// Add sets dst = dst + src (homomorphically). It fails with [ErrOutOfRange] if the
// total weight would exceed [Config.MaxWeight].
func (p *Params) Add(dst, src *Ciphertext) error {
	return p.AddWeighted(dst, src, 1)
}

// AddWeighted sets dst = dst + w*src for a public integer weight w
// (negative allowed, 0 a no-op). The weight counts |w| times toward
// [Config.MaxWeight].
func (p *Params) AddWeighted(dst, src *Ciphertext, w int64) error {
	if err := p.compatible(dst, src); err != nil {
		return err
	}
	if w == 0 {
		return nil
	}
	nw, err := p.addWeight(dst.weight, src.weight, w)
	if err != nil {
		return err
	}
	if dst.key == (Fingerprint{}) {
		dst.key = src.key
	}
	r := p.rlwe.RingQ().AtLevel(p.level)
	for i := range dst.cts {
		a, b := dst.cts[i], src.cts[i]
		if w == 1 {
			r.Add(a.Value[0], b.Value[0], a.Value[0])
			r.Add(a.Value[1], b.Value[1], a.Value[1])
			continue
		}
		bw := big.NewInt(w)
		r.MulScalarBigintThenAdd(b.Value[0], bw, a.Value[0])
		r.MulScalarBigintThenAdd(b.Value[1], bw, a.Value[1])
	}
	dst.weight = nw
	return nil
}

// Sum returns sum_i weights[i]*cts[i]; weights nil means all 1.
func (p *Params) Sum(cts []*Ciphertext, weights []int64) (*Ciphertext, error) {
	if len(cts) == 0 {
		return nil, fmt.Errorf("he: %w: nothing to sum", ErrInvalidParams)
	}
	if weights != nil && len(weights) != len(cts) {
		return nil, fmt.Errorf("he: %w: %d weights for %d ciphertexts", ErrMismatch, len(weights), len(cts))
	}
	w := func(i int) int64 {
		if weights == nil {
			return 1
		}
		return weights[i]
	}
	if err := p.compatible(cts[0], cts[0]); err != nil {
		return nil, err
	}
	acc := p.newCiphertext(cts[0].n)
	for i, c := range cts {
		if err := p.AddWeighted(acc, c, w(i)); err != nil {
			return nil, fmt.Errorf("%w (ciphertext %d)", err, i)
		}
	}
	return acc, nil
}
