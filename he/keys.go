package he

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"math/big"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/hefloat"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/ring"
	"github.com/veil-go/veil/internal/parallel"
)

// SecretKey is a single secret key (one decryptor, or an analyst who
// receives re-encrypted results). It never leaves its owner: it has no
// binary form.
type SecretKey struct {
	p  *Params
	sk *rlwe.SecretKey
}

// PublicKey encrypts for a SecretKey or for a collective key.
type PublicKey struct {
	p  *Params
	pk *rlwe.PublicKey
}

// GenKeyPair draws a fresh single key pair.
func (p *Params) GenKeyPair() (*SecretKey, *PublicKey) {
	kg := rlwe.NewKeyGenerator(p.rlwe)
	sk, pk := kg.GenKeyPairNew()
	return &SecretKey{p: p, sk: sk}, &PublicKey{p: p, pk: pk}
}

// PublicKey derives the public key of sk (a fresh one each call).
func (sk *SecretKey) PublicKey() *PublicKey {
	return &PublicKey{p: sk.p, pk: rlwe.NewKeyGenerator(sk.p.rlwe).GenPublicKeyNew(sk.sk)}
}

// UnmarshalPublicKey decodes a public key under p (see
// [PublicKey.UnmarshalBinary]).
func (p *Params) UnmarshalPublicKey(data []byte) (*PublicKey, error) {
	v := &PublicKey{p: p}
	if err := v.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return v, nil
}

// Fingerprint returns the key's [Fingerprint].
func (k *PublicKey) Fingerprint() Fingerprint {
	var f Fingerprint
	b, err := k.MarshalBinary()
	if err != nil {
		return f
	}
	h := sha256.Sum256(b)
	copy(f[:], h[:])
	return f
}

// MarshalBinary encodes the key: header then the two QP polynomials.
func (k *PublicKey) MarshalBinary() ([]byte, error) {
	if k == nil || k.pk == nil {
		return nil, fmt.Errorf("he: %w: nil public key", ErrInvalidParams)
	}
	p := k.p
	b := make([]byte, 0, headerSize+2*p.qpBytes())
	b = p.putHeader(b, kindPublicKey, p.rlwe.MaxLevel())
	b = appendPolyQP(b, k.pk.Value[0])
	return appendPolyQP(b, k.pk.Value[1]), nil
}

// UnmarshalBinary decodes a public key from a peer (exact size, reduced
// coefficients) into k, which must be bound to a Params
// ([Params.UnmarshalPublicKey] decodes into a fresh one).
func (k *PublicKey) UnmarshalBinary(data []byte) error {
	if k == nil || k.p == nil {
		return fmt.Errorf("he: %w: public key not bound to parameters (use Params.UnmarshalPublicKey)", ErrInvalidParams)
	}
	p := k.p
	if err := p.checkHeader(data, kindPublicKey, p.rlwe.MaxLevel()); err != nil {
		return err
	}
	if want := headerSize + 2*p.qpBytes(); len(data) != want {
		return fmt.Errorf("he: %w: public key is %d bytes, expected %d", ErrMalformed, len(data), want)
	}
	pk := rlwe.NewPublicKey(p.rlwe)
	rest, err := p.readPolyQP(data[headerSize:], pk.Value[0])
	if err != nil {
		return err
	}
	if _, err = p.readPolyQP(rest, pk.Value[1]); err != nil {
		return err
	}
	k.pk = pk
	return nil
}

// codec is one worker's lattigo encoder state.
type codec struct {
	p    *Params
	ienc *heint.Encoder
	fenc *hefloat.Encoder
	pt   *rlwe.Plaintext
	ibuf []int64
	fbuf []float64
	// CKKS above level 0: the fast CRT decoder's state.
	coeffs ring.Poly
	crt    *crtFloat
	cbuf   []complex128
}

func (p *Params) newCodec() *codec {
	c := &codec{p: p}
	if p.scheme == BGV {
		c.ienc = heint.NewEncoder(p.bgv)
		c.pt = heint.NewPlaintext(p.bgv, p.level)
		c.ibuf = make([]int64, p.slots)
	} else {
		c.fenc = hefloat.NewEncoder(p.ckks)
		c.pt = hefloat.NewPlaintext(p.ckks, p.level)
		c.pt.Scale = rlwe.NewScale(math.Ldexp(1, p.logScale))
		c.fbuf = make([]float64, p.slots)
	}
	return c
}

// encodeChunk encodes values[k*slots:...] into c.pt.
func (c *codec) encodeInts(vals []int64) error {
	n := copy(c.ibuf, vals)
	clear(c.ibuf[n:])
	return c.ienc.Encode(c.ibuf, c.pt)
}

func (c *codec) encodeFloats(vals []float64) error {
	n := copy(c.fbuf, vals)
	clear(c.fbuf[n:])
	p := c.p
	shift := p.logScale - encodeBits
	if shift <= 0 {
		return c.fenc.Encode(c.fbuf, c.pt)
	}
	// Encode at 2^encodeBits (float64 fast path), then scale up exactly.
	full := c.pt.Scale
	c.pt.Scale = rlwe.NewScale(math.Ldexp(1, encodeBits))
	err := c.fenc.Encode(c.fbuf, c.pt)
	c.pt.Scale = full
	if err != nil {
		return err
	}
	p.rlwe.RingQ().AtLevel(p.level).MulScalarBigint(c.pt.Value, new(big.Int).Lsh(big.NewInt(1), uint(shift)), c.pt.Value)
	return nil
}

// decodeInts decodes the plaintext polynomial pol (NTT, at the encryption
// level) into out.
func (c *codec) decodeInts(pol ring.Poly, out []int64) error {
	c.pt.Value = pol
	// lattigo's BGV decoder writes len(out) values: no staging copy.
	return c.ienc.Decode(c.pt, out)
}

func (c *codec) decodeFloats(pol ring.Poly, out []float64) error {
	if c.p.level > 0 {
		if err := c.decodeFloatsCRT(pol); err != nil {
			return err
		}
	} else {
		c.pt.Value = pol
		if err := c.fenc.Decode(c.pt, c.fbuf); err != nil {
			return err
		}
	}
	// Only the slots of the vector leave the codec, rounded to the
	// precision grid; the padding slots are dropped.
	g := c.p.roundGrid()
	for i := range out {
		out[i] = math.Round(c.fbuf[i]/g) * g
	}
	clear(c.fbuf)
	return nil
}

// Encryptor encrypts vectors under a public key. It splits long vectors
// across [Config.Workers] goroutines. Not safe for concurrent use: give each
// goroutine its own ([Params.NewEncryptor] is cheap).
type Encryptor struct {
	p       *Params
	pk      *PublicKey
	key     Fingerprint
	workers []*encWorker
}

type encWorker struct {
	enc *rlwe.Encryptor
	cd  *codec
}

// NewEncryptor returns an encryptor for pk.
func (p *Params) NewEncryptor(pk *PublicKey) (*Encryptor, error) {
	if pk == nil || pk.pk == nil || pk.p != p {
		return nil, fmt.Errorf("he: %w: public key missing or made under other parameters", ErrInvalidParams)
	}
	return &Encryptor{p: p, pk: pk, key: pk.Fingerprint()}, nil
}

func (e *Encryptor) worker(i int) *encWorker {
	for len(e.workers) <= i {
		e.workers = append(e.workers, &encWorker{enc: rlwe.NewEncryptor(e.p.rlwe, e.pk.pk), cd: e.p.newCodec()})
	}
	return e.workers[i]
}

// CheckInts returns [ErrOutOfRange] if a value lies outside [-Bound, Bound].
func (p *Params) CheckInts(values []int64) error {
	if p.scheme != BGV {
		return fmt.Errorf("he: %w: integer values need a BGV preset", ErrInvalidParams)
	}
	if len(values) > p.cfg.MaxValues {
		return fmt.Errorf("he: %w: %d values exceed MaxValues %d", ErrInvalidParams, len(values), p.cfg.MaxValues)
	}
	b := p.cfg.Bound
	for i, v := range values {
		if v > b || v < -b {
			return fmt.Errorf("he: %w: value %d at index %d outside [-%d, %d]", ErrOutOfRange, v, i, b, b)
		}
	}
	return nil
}

// CheckFloats returns [ErrOutOfRange] if a value is NaN, infinite or outside
// [-RealBound, RealBound].
func (p *Params) CheckFloats(values []float64) error {
	if p.scheme != CKKS {
		return fmt.Errorf("he: %w: real values need a CKKS preset", ErrInvalidParams)
	}
	if len(values) > p.cfg.MaxValues {
		return fmt.Errorf("he: %w: %d values exceed MaxValues %d", ErrInvalidParams, len(values), p.cfg.MaxValues)
	}
	b := p.cfg.RealBound
	for i, v := range values {
		if !(v <= b && v >= -b) {
			return fmt.Errorf("he: %w: value %v at index %d outside [-%v, %v]", ErrOutOfRange, v, i, b, b)
		}
	}
	return nil
}

// EncryptInts encrypts values (BGV) after checking them against the bound.
func (e *Encryptor) EncryptInts(values []int64) (*Ciphertext, error) {
	if err := e.p.CheckInts(values); err != nil {
		return nil, err
	}
	return e.encrypt(len(values), func(w *encWorker, lo, hi int) error { return w.cd.encodeInts(values[lo:hi]) })
}

// EncryptFloats encrypts values (CKKS) after checking them against the bound.
func (e *Encryptor) EncryptFloats(values []float64) (*Ciphertext, error) {
	if err := e.p.CheckFloats(values); err != nil {
		return nil, err
	}
	return e.encrypt(len(values), func(w *encWorker, lo, hi int) error { return w.cd.encodeFloats(values[lo:hi]) })
}

func (e *Encryptor) encrypt(n int, encode func(w *encWorker, lo, hi int) error) (*Ciphertext, error) {
	p := e.p
	out := p.newCiphertext(n)
	out.weight, out.key = 1, e.key
	chunks := len(out.cts)
	nw := min(p.cfg.Workers, chunks)
	for i := 0; i < nw; i++ {
		e.worker(i)
	}
	// Task wi runs on one goroutine with its own encryptor and encoder and
	// takes chunks wi, wi+nw, ...: what a chunk holds depends only on its
	// index.
	err := parallel.Each(context.Background(), nw, nw, func(wi int) error {
		w := e.workers[wi]
		for k := wi; k < chunks; k += nw {
			lo, hi := k*p.slots, min((k+1)*p.slots, n)
			if err := encode(w, lo, hi); err != nil {
				return fmt.Errorf("he: %w: encode: %v", ErrInvalidParams, err)
			}
			if err := w.enc.Encrypt(w.cd.pt, out.cts[k]); err != nil {
				return fmt.Errorf("he: %w: encrypt: %v", ErrInvalidParams, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Decryptor decrypts with a single secret key. Not safe for concurrent use.
//
// CKKS decryptions are noise-flooded (IND-CPA^D): before decoding, the
// decryptor adds fresh uniform noise of [Budget].SmudgingBits bits to the
// phase, which hides the encryption noise (and so the secret key and the
// encryptor's randomness) from whoever sees the output, and it rounds the
// output to the precision grid. BGV outputs are exact integers and carry no
// noise. Flooding hides noise, not plaintext: a ciphertext crafted so that
// the key appears in its plaintext (c1 a multiple of the scale, or of
// t^-1 for BGV) still decrypts to it, so never let a party that supplied an
// unverified ciphertext see its decryption (see the package documentation).
type Decryptor struct {
	p   *Params
	dec *rlwe.Decryptor
	cd  *codec
	pt  *rlwe.Plaintext
	sm  *smudger // CKKS: flooding noise
}

// NewDecryptor returns a decryptor for sk.
func (p *Params) NewDecryptor(sk *SecretKey) (*Decryptor, error) {
	if sk == nil || sk.sk == nil || sk.p != p {
		return nil, fmt.Errorf("he: %w: secret key missing or made under other parameters", ErrInvalidParams)
	}
	d := &Decryptor{p: p, dec: rlwe.NewDecryptor(p.rlwe, sk.sk), cd: p.newCodec(), pt: rlwe.NewPlaintext(p.rlwe, p.level)}
	if p.scheme == CKKS {
		var err error
		if d.sm, err = newSmudger(p); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *Decryptor) check(c *Ciphertext) error {
	if c == nil || c.p != d.p {
		return fmt.Errorf("he: %w: ciphertext missing or made under other parameters", ErrMismatch)
	}
	return nil
}

// DecryptInts decrypts a BGV ciphertext to its signed sums.
func (d *Decryptor) DecryptInts(c *Ciphertext) ([]int64, error) {
	if err := d.check(c); err != nil {
		return nil, err
	}
	out := make([]int64, c.n)
	err := d.p.decodeChunks(c, d.cd, func(k int, ct *rlwe.Ciphertext) (ring.Poly, error) {
		d.dec.Decrypt(ct, d.pt)
		return d.pt.Value, nil
	}, out, nil)
	return out, err
}

// DecryptFloats decrypts a CKKS ciphertext to its sums.
func (d *Decryptor) DecryptFloats(c *Ciphertext) ([]float64, error) {
	if err := d.check(c); err != nil {
		return nil, err
	}
	out := make([]float64, c.n)
	err := d.p.decodeChunks(c, d.cd, func(k int, ct *rlwe.Ciphertext) (ring.Poly, error) {
		d.dec.Decrypt(ct, d.pt)
		return d.pt.Value, d.sm.addTo(d.p, d.pt.Value)
	}, nil, out)
	return out, err
}

// decodeChunks turns each chunk of c into its plaintext polynomial with
// phase, then decodes it into ints or floats.
func (p *Params) decodeChunks(c *Ciphertext, cd *codec, phase func(k int, ct *rlwe.Ciphertext) (ring.Poly, error), ints []int64, floats []float64) error {
	if (p.scheme == BGV) != (ints != nil) {
		return fmt.Errorf("he: %w: %v ciphertext decoded as the other scheme's values", ErrInvalidParams, p.scheme)
	}
	saved := cd.pt.Value
	defer func() { cd.pt.Value = saved }()
	for k, ct := range c.cts {
		pol, err := phase(k, ct)
		if err != nil {
			return err
		}
		lo, hi := k*p.slots, min((k+1)*p.slots, c.n)
		if ints != nil {
			err = cd.decodeInts(pol, ints[lo:hi])
		} else {
			err = cd.decodeFloats(pol, floats[lo:hi])
		}
		if err != nil {
			return fmt.Errorf("he: %w: decode: %v", ErrInvalidParams, err)
		}
	}
	return nil
}
