package he

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math/big"
	"math/bits"
	"sync"

	"github.com/tuneinsight/lattigo/v5/ring"
	"github.com/tuneinsight/lattigo/v5/utils/sampling"
)

// Subset sums: one party (the key holder) holds a column of integers, the
// other (the summer) a 0/1 selection of its rows; the summer learns, through
// one decryption by the key holder, the sum of the selected values plus a
// mask of its choice, and neither learns anything else (semi-honest, see
// below). This is the homomorphic core of a PSI sum (package psi, Sum mode)
// with sums up to 2^62 and more, which exponential ElGamal cannot decode.
//
//	key holder                                   summer
//	NewSubsetSumKey: fresh RLWE secret s
//	PublicKey ------------------------------->   NewSubsetSummer
//	EncryptChunk(values[c*N:(c+1)*N]) ------->   Add(chunk, selected[c*N:...])
//	                                             Sample(mask)
//	Decrypt  <--------------------------------   one LWE sample
//	= sum of selected values + mask  (mod 2^64)
//
// The scheme is BFV-like over R_Q = Z_Q[X]/(X^N+1) with N = 8192
// ([SubsetSumSlots]), Q a product of three 60-bit NTT primes (log2 Q = 180,
// within the HE standard's 218 for 128-bit security at N = 8192), plaintext
// modulus t = 2^64 and scale Delta = floor(Q/t), a ternary secret and
// Gaussian errors (sigma 3.2, cut at 19). The key holder packs N values per
// ciphertext as the coefficients of Delta*v(X) (the ciphertext's uniform
// half travels as a 32-byte seed). The summer multiplies each chunk by its
// selection polynomial sel(X) = sel_0 - sum_j sel_j X^(N-j), whose product
// with v(X) has the selected sum as constant coefficient (X^N = -1), adds
// the chunks, adds a fresh public-key encryption of zero (so that the
// ciphertext's uniform half no longer tells the selection), adds
// Delta*mask and a flooding noise uniform in [-2^106, 2^106], and sends only
// the constant coefficient's LWE sample (b, a): the key holder can decrypt
// one number and nothing else.
//
// What each learns. The summer sees the public key and the ciphertexts,
// which hide the values under RLWE. The key holder sees one LWE sample: its
// uniform part is masked by the encryption of zero (RLWE, with the summer's
// fresh secret u), and its decryption is Delta*(sum + mask) plus noise.
// Two parts of that noise depend on the summer's secrets: the sum of the
// selected coefficients' fresh errors (at most 19 per value, so below
// 2^32.3 for up to [MaxSubsetSumItems] values), which the key holder
// knows value by value, and the carry of sum + mask past 2^64: Delta*2^64
// = Q - (Q mod 2^64), so a carry k in {-1, 0, 1} shows as -k*(Q mod 2^64),
// below 2^64, and k tells whether sum + mask wrapped, a hint of the sum's
// size. The flooding noise hides both: between any two selections and
// sums the noise differs by less than 2^65 + 2^33.3, which a uniform noise
// on 2^107+1 points hides within statistical distance below 2^-41.9. With
// the mask uniform modulo 2^64 the decrypted number says nothing of the
// sum. Decryption is exact: the noise (below 2^106.1) and the rounding
// term (below 2^65) stay far below Delta/2 (about 2^115).
//
// The model is semi-honest and each key serves one run (fresh per run,
// answered once). A key holder that deviates (a bad public key, a wrong
// answer) can make the sum wrong, and a summer that deviates (a selection
// that is not 0/1, a mask that is not uniform) can learn other linear
// combinations of the values or hand the key holder the sum; nothing here
// detects it.

const (
	// SubsetSumSlots is the number of values per chunk ([SubsetSumKey.EncryptChunk]).
	SubsetSumSlots = 1 << subsetSumLogN
	// MaxSubsetSumItems bounds the values summed in one run: the flooding
	// noise is sized for it.
	MaxSubsetSumItems = 1 << 28
	// MaxSubsetSumValue bounds each |value|. The decrypted sum is modulo
	// 2^64: a caller keeps the sum of the |values| that can be selected
	// below 2^63 to read it as a signed integer.
	MaxSubsetSumValue = 1 << 62

	subsetSumLogN   = 13
	subsetSumPrimes = 3
	subsetSumPrime  = 60
	subsetSigma     = 3.2
	subsetBound     = 19
	// subsetFloodBits: the flooding noise is uniform in [-2^106, 2^106].
	subsetFloodBits = 106
	seedLen         = 32
	// subsetPolyBytes is the encoded size of one polynomial (putPoly).
	subsetPolyBytes = subsetSumPrimes * SubsetSumSlots * 8

	tagSubsetKey    = 'K'
	tagSubsetChunk  = 'C'
	tagSubsetSample = 'L'
	subsetVersion   = 1
)

// subsetParams is the one parameter set, built once.
type subsetParams struct {
	r     *ring.Ring
	q     *big.Int // the product of the primes
	delta *big.Int // floor(Q / 2^64)
	dmod  []uint64 // delta mod q_i
	t     *big.Int // 2^64
	crt   []*big.Int
}

var subsetOnce = sync.OnceValues(func() (*subsetParams, error) {
	g := ring.NewNTTFriendlyPrimesGenerator(subsetSumPrime, 2<<subsetSumLogN)
	primes, err := g.NextDownstreamPrimes(subsetSumPrimes)
	if err != nil {
		return nil, err
	}
	r, err := ring.NewRing(SubsetSumSlots, primes)
	if err != nil {
		return nil, err
	}
	p := &subsetParams{r: r, q: r.Modulus(), t: new(big.Int).Lsh(big.NewInt(1), 64)}
	p.delta = new(big.Int).Quo(p.q, p.t)
	for _, qi := range primes {
		bq := new(big.Int).SetUint64(qi)
		p.dmod = append(p.dmod, new(big.Int).Mod(p.delta, bq).Uint64())
		// CRT basis: (Q/q_i) * ((Q/q_i)^-1 mod q_i).
		qq := new(big.Int).Quo(p.q, bq)
		inv := new(big.Int).ModInverse(new(big.Int).Mod(qq, bq), bq)
		p.crt = append(p.crt, qq.Mul(qq, inv))
	}
	// Exactness: flooding + fresh and rerandomising noise + carry +
	// rounding below Delta/2, with room.
	bound := new(big.Int).Lsh(big.NewInt(1), subsetFloodBits+2)
	if new(big.Int).Rsh(p.delta, 1).Cmp(bound) <= 0 {
		return nil, fmt.Errorf("he: %w: subset-sum scale below the noise", ErrNoiseBudget)
	}
	return p, nil
})

// mulSub sets c -= a*b (NTT form).
func (p *subsetParams) mulSub(a, b, c ring.Poly) {
	ab := p.r.NewPoly()
	p.r.MulCoeffsBarrett(a, b, ab)
	p.r.Sub(c, ab, c)
}

// putPoly appends the coefficients of a.
func (p *subsetParams) putPoly(b []byte, a ring.Poly) []byte {
	for i := range subsetSumPrimes {
		for _, c := range a.Coeffs[i] {
			b = binary.LittleEndian.AppendUint64(b, c)
		}
	}
	return b
}

// getPoly reads a polynomial, each coefficient below its prime.
func (p *subsetParams) getPoly(b []byte, a ring.Poly) error {
	for i, s := range p.r.SubRings[:subsetSumPrimes] {
		for j := range a.Coeffs[i] {
			c := binary.LittleEndian.Uint64(b[(i*SubsetSumSlots+j)*8:])
			if c >= s.Modulus {
				return fmt.Errorf("%w: coefficient %d of limb %d is not reduced", ErrMalformed, j, i)
			}
			a.Coeffs[i][j] = c
		}
	}
	return nil
}

// uniform is the polynomial (NTT form) expanded from seed.
func (p *subsetParams) uniform(seed []byte) (ring.Poly, error) {
	prng, err := sampling.NewKeyedPRNG(seed)
	if err != nil {
		return ring.Poly{}, err
	}
	a := p.r.NewPoly()
	ring.NewUniformSampler(prng, p.r).Read(a)
	return a, nil
}

// freshPRNG is a lattigo PRNG keyed from crypto/rand.
func freshPRNG() (*sampling.KeyedPRNG, error) {
	var key [seedLen]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	return sampling.NewKeyedPRNG(key[:])
}

// freshUniform draws a seed from crypto/rand and returns it with the
// polynomial (NTT form) it expands to.
func (p *subsetParams) freshUniform() ([]byte, ring.Poly, error) {
	seed := make([]byte, seedLen)
	if _, err := rand.Read(seed); err != nil {
		return nil, ring.Poly{}, err
	}
	a, err := p.uniform(seed)
	return seed, a, err
}

// gaussian returns a fresh error polynomial in NTT form.
func (p *subsetParams) gaussian(prng sampling.PRNG) ring.Poly {
	e := p.r.NewPoly()
	ring.NewGaussianSampler(prng, p.r, ring.DiscreteGaussian{Sigma: subsetSigma, Bound: subsetBound}, false).Read(e)
	p.r.NTT(e, e)
	return e
}

// SubsetSumKey is the key holder's fresh secret key for one run.
type SubsetSumKey struct {
	p    *subsetParams
	s    ring.Poly // NTT form
	prng *sampling.KeyedPRNG
	pk   []byte
	used bool
}

// NewSubsetSumKey draws a fresh secret key (from crypto/rand) and its
// public key.
func NewSubsetSumKey() (*SubsetSumKey, error) {
	p, err := subsetOnce()
	if err != nil {
		return nil, err
	}
	k := &SubsetSumKey{p: p, s: p.r.NewPoly()}
	if k.prng, err = freshPRNG(); err != nil {
		return nil, err
	}
	ts, err := ring.NewTernarySampler(k.prng, p.r, ring.Ternary{P: 2.0 / 3}, false)
	if err != nil {
		return nil, err
	}
	ts.Read(k.s)
	p.r.NTT(k.s, k.s)
	// pk = (-a*s + e, a), a from a seed.
	seed, a, err := p.freshUniform()
	if err != nil {
		return nil, err
	}
	pk0 := p.gaussian(k.prng)
	p.mulSub(a, k.s, pk0)
	k.pk = append([]byte{tagSubsetKey, subsetVersion}, seed...)
	k.pk = p.putPoly(k.pk, pk0)
	return k, nil
}

// PublicKey returns the encoded public key for [NewSubsetSummer].
func (k *SubsetSumKey) PublicKey() []byte { return append([]byte(nil), k.pk...) }

// SubsetSumPublicKeySize is the encoded size of the public key.
func SubsetSumPublicKeySize() int { return 2 + seedLen + subsetPolyBytes }

// SubsetSumChunkSize is the encoded size of one chunk: 24 bytes per slot
// and a seed.
func SubsetSumChunkSize() int { return 2 + seedLen + subsetPolyBytes }

// EncryptChunk encrypts up to [SubsetSumSlots] values, each of magnitude at
// most [MaxSubsetSumValue] (else [ErrOutOfRange]); missing slots are 0.
// It is not safe for concurrent use.
func (k *SubsetSumKey) EncryptChunk(values []int64) ([]byte, error) {
	p := k.p
	if len(values) > SubsetSumSlots {
		return nil, fmt.Errorf("he: %w: %d values in a chunk of %d", ErrInvalidParams, len(values), SubsetSumSlots)
	}
	m := p.r.NewPoly()
	for j, v := range values {
		if v > MaxSubsetSumValue || v < -MaxSubsetSumValue {
			return nil, fmt.Errorf("he: %w: value %d has magnitude above 2^62", ErrOutOfRange, j)
		}
		for i, s := range p.r.SubRings[:subsetSumPrimes] {
			q := s.Modulus
			var vm uint64
			if v >= 0 {
				vm = uint64(v) % q
			} else if r := uint64(-v) % q; r != 0 {
				vm = q - r
			}
			hi, lo := bits.Mul64(vm, p.dmod[i])
			m.Coeffs[i][j] = bits.Rem64(hi, lo, q)
		}
	}
	p.r.NTT(m, m)
	seed, a, err := p.freshUniform()
	if err != nil {
		return nil, err
	}
	// c0 = Delta*v + e - a*s.
	c0 := p.gaussian(k.prng)
	p.r.Add(c0, m, c0)
	p.mulSub(a, k.s, c0)
	out := make([]byte, 0, SubsetSumChunkSize())
	out = append(out, tagSubsetChunk, subsetVersion)
	out = append(out, seed...)
	return p.putPoly(out, c0), nil
}

// Decrypt decrypts the summer's sample: the sum of the selected values plus
// the summer's mask, modulo 2^64. A key answers once (a second call is
// [ErrInvalidParams]): two answers would let a summer combine selections.
func (k *SubsetSumKey) Decrypt(sample []byte) (uint64, error) {
	if k.used {
		return 0, fmt.Errorf("he: %w: the subset-sum key has decrypted once already", ErrInvalidParams)
	}
	x, err := k.decryptRaw(sample)
	if err != nil {
		return 0, err
	}
	k.used = true
	return k.p.round(x), nil
}

// round maps a centred x = Delta*m + noise to m mod 2^64.
func (p *subsetParams) round(x *big.Int) uint64 {
	num := new(big.Int).Mul(x, p.t)
	num.Add(num, new(big.Int).Rsh(p.q, 1))
	num.Div(num, p.q) // floor for Q > 0
	return new(big.Int).Mod(num, p.t).Uint64()
}

// decryptRaw returns b + <a, s> centred in (-Q/2, Q/2].
func (k *SubsetSumKey) decryptRaw(sample []byte) (*big.Int, error) {
	p := k.p
	b, a, err := p.parseSample(sample)
	if err != nil {
		return nil, err
	}
	as := p.r.NewPoly()
	p.r.MulCoeffsBarrett(a, k.s, as)
	p.r.INTT(as, as)
	res := make([]uint64, subsetSumPrimes)
	for i, s := range p.r.SubRings[:subsetSumPrimes] {
		res[i] = (b[i] + as.Coeffs[i][0]) % s.Modulus
	}
	return p.centre(p.fromRNS(res)), nil
}

func (p *subsetParams) fromRNS(c []uint64) *big.Int {
	x := new(big.Int)
	for i, ci := range c {
		x.Add(x, new(big.Int).Mul(new(big.Int).SetUint64(ci), p.crt[i]))
	}
	return x.Mod(x, p.q)
}

func (p *subsetParams) centre(x *big.Int) *big.Int {
	if x.Cmp(new(big.Int).Rsh(p.q, 1)) > 0 {
		x.Sub(x, p.q)
	}
	return x
}

// SubsetSumSampleSize is the encoded size of the summer's sample.
func SubsetSumSampleSize() int { return 2 + subsetSumPrimes*8 + subsetPolyBytes }

// parseSample decodes a sample: b (coefficient 0, RNS) and a (NTT form).
func (p *subsetParams) parseSample(sample []byte) ([]uint64, ring.Poly, error) {
	if len(sample) != SubsetSumSampleSize() || sample[0] != tagSubsetSample || sample[1] != subsetVersion {
		return nil, ring.Poly{}, fmt.Errorf("he: %w: subset-sum sample of %d bytes", ErrMalformed, len(sample))
	}
	b := make([]uint64, subsetSumPrimes)
	for i, s := range p.r.SubRings[:subsetSumPrimes] {
		b[i] = binary.LittleEndian.Uint64(sample[2+8*i:])
		if b[i] >= s.Modulus {
			return nil, ring.Poly{}, fmt.Errorf("he: %w: subset-sum sample not reduced", ErrMalformed)
		}
	}
	a := p.r.NewPoly()
	if err := p.getPoly(sample[2+8*subsetSumPrimes:], a); err != nil {
		return nil, ring.Poly{}, fmt.Errorf("he: subset-sum sample: %w", err)
	}
	return b, a, nil
}

// SubsetSummer is the selecting party's accumulator for one run.
type SubsetSummer struct {
	p          *subsetParams
	pk0, pk1   ring.Poly
	acc0, acc1 ring.Poly
	sel, c0    ring.Poly
	chunks     int
	done       bool
	// floodBits is the flooding noise's size; only tests lower it (to
	// show what the flooding hides).
	floodBits uint
}

// NewSubsetSummer decodes the key holder's public key.
func NewSubsetSummer(publicKey []byte) (*SubsetSummer, error) {
	p, err := subsetOnce()
	if err != nil {
		return nil, err
	}
	if len(publicKey) != SubsetSumPublicKeySize() || publicKey[0] != tagSubsetKey || publicKey[1] != subsetVersion {
		return nil, fmt.Errorf("he: %w: subset-sum public key of %d bytes", ErrMalformed, len(publicKey))
	}
	s := &SubsetSummer{p: p, pk0: p.r.NewPoly(), acc0: p.r.NewPoly(), acc1: p.r.NewPoly(),
		sel: p.r.NewPoly(), c0: p.r.NewPoly(), floodBits: subsetFloodBits}
	if err := p.getPoly(publicKey[2+seedLen:], s.pk0); err != nil {
		return nil, fmt.Errorf("he: subset-sum public key: %w", err)
	}
	if s.pk1, err = p.uniform(publicKey[2 : 2+seedLen]); err != nil {
		return nil, err
	}
	return s, nil
}

// Add takes one encrypted chunk and the selection of its slots (at most
// [SubsetSumSlots]; missing slots are not selected). Its work does not
// depend on the selection.
func (s *SubsetSummer) Add(chunk []byte, selected []bool) error {
	p := s.p
	if s.done {
		return fmt.Errorf("he: %w: chunk after the sample", ErrInvalidParams)
	}
	if len(selected) > SubsetSumSlots {
		return fmt.Errorf("he: %w: selection of %d slots, a chunk has %d", ErrInvalidParams, len(selected), SubsetSumSlots)
	}
	if len(chunk) != SubsetSumChunkSize() || chunk[0] != tagSubsetChunk || chunk[1] != subsetVersion {
		return fmt.Errorf("he: %w: subset-sum chunk of %d bytes", ErrMalformed, len(chunk))
	}
	if (s.chunks+1)*SubsetSumSlots > MaxSubsetSumItems {
		return fmt.Errorf("he: %w: more than %d values", ErrOutOfRange, MaxSubsetSumItems)
	}
	if err := p.getPoly(chunk[2+seedLen:], s.c0); err != nil {
		return fmt.Errorf("he: subset-sum chunk: %w", err)
	}
	a, err := p.uniform(chunk[2 : 2+seedLen])
	if err != nil {
		return err
	}
	// sel(X) = sel_0 - sum_{j>0} sel_j X^(N-j): constant term of
	// sel(X)*v(X) is sum_j sel_j v_j.
	for i, sr := range p.r.SubRings[:subsetSumPrimes] {
		c := s.sel.Coeffs[i]
		clear(c)
		minus := sr.Modulus - 1
		for j, on := range selected {
			// Branch-free: the same work for a selected slot or not.
			bit := uint64(0)
			if on {
				bit = 1
			}
			if j == 0 {
				c[0] = bit
			} else {
				c[SubsetSumSlots-j] = minus * bit
			}
		}
	}
	p.r.NTT(s.sel, s.sel)
	p.r.MulCoeffsBarrettThenAdd(s.c0, s.sel, s.acc0)
	p.r.MulCoeffsBarrettThenAdd(a, s.sel, s.acc1)
	s.chunks++
	return nil
}

// Sample returns the one LWE sample for the key holder: the selected sum
// plus mask, rerandomised and flooded (see above). It is answered once.
func (s *SubsetSummer) Sample(mask uint64) ([]byte, error) {
	p := s.p
	if s.done {
		return nil, fmt.Errorf("he: %w: the sample was taken already", ErrInvalidParams)
	}
	s.done = true
	prng, err := freshPRNG()
	if err != nil {
		return nil, err
	}
	// A fresh public-key encryption of zero: (u*pk0 + e0, u*pk1 + e1).
	ts, err := ring.NewTernarySampler(prng, p.r, ring.Ternary{P: 2.0 / 3}, false)
	if err != nil {
		return nil, err
	}
	u := p.r.NewPoly()
	ts.Read(u)
	p.r.NTT(u, u)
	p.r.MulCoeffsBarrettThenAdd(u, s.pk0, s.acc0)
	p.r.MulCoeffsBarrettThenAdd(u, s.pk1, s.acc1)
	p.r.Add(s.acc0, p.gaussian(prng), s.acc0)
	p.r.Add(s.acc1, p.gaussian(prng), s.acc1)
	p.r.INTT(s.acc0, s.acc0)
	// b = acc0_0 + Delta*mask + flood.
	b := make([]uint64, subsetSumPrimes)
	for i := range b {
		b[i] = s.acc0.Coeffs[i][0]
	}
	x := p.fromRNS(b)
	x.Add(x, new(big.Int).Mul(p.delta, new(big.Int).SetUint64(mask)))
	if s.floodBits > 0 {
		bound := new(big.Int).Lsh(big.NewInt(1), s.floodBits)
		width := new(big.Int).Lsh(bound, 1)
		f, err := rand.Int(rand.Reader, width.Add(width, big.NewInt(1))) // [0, 2B]
		if err != nil {
			return nil, err
		}
		x.Add(x, f.Sub(f, bound))
	}
	x.Mod(x, p.q)
	out := make([]byte, 0, SubsetSumSampleSize())
	out = append(out, tagSubsetSample, subsetVersion)
	for _, sr := range p.r.SubRings[:subsetSumPrimes] {
		out = binary.LittleEndian.AppendUint64(out, new(big.Int).Mod(x, new(big.Int).SetUint64(sr.Modulus)).Uint64())
	}
	return p.putPoly(out, s.acc1), nil
}
