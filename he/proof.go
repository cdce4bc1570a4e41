package he

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/ring"
	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/internal/prg"
)

// Proofs that contributions are well formed.
//
// A client encrypts each chunk with explicit randomness, c1 = a u + e1 and
// c0 = b u + e0 + pt (NTT domain, modulo Q at the encryption level; (b, a)
// the public key), and proves, for every chunk j of a group of at most
// proofGroup chunks, knowledge of u_j, e_j with c1_j = a u_j + e_j and
// small norms. It is a Schnorr-like Σ-protocol with binary challenges,
// repeated proofReps times in parallel and made non-interactive with
// Fiat-Shamir (SHA-256):
//
//	prover, per repetition r: y_u, y_e uniform in [-B_u, B_u]^N, [-B_e, B_e]^N;
//	                          w_r = a y_u + y_e
//	challenge bits c_rj = H(context, c1_1..c1_g, w_1..w_R)
//	response z_u,r = y_u + sum_j c_rj u_j, z_e,r = y_e + sum_j c_rj e_j,
//	          sent only if |z_u| <= A_u = B_u - g and |z_e| <= A_e = B_e - g*eBound
//	          (otherwise the whole group restarts: rejection sampling)
//	verifier: norms, then recomputes w_r = a z_u,r + z_e,r - sum_j c_rj c1_j and the hash.
//
// The proof carries the hash and the z's, not the w's.
const (
	// proofReps is R: each repetition halves a cheating prover's chance.
	proofReps = 128
	// proofGroup is the largest number of chunks one group's proof covers.
	// The masks (and so the noise bound a proof gives) grow with the group.
	proofGroup = 8
	// proofBoxFactor: B = proofBoxFactor x N x R x (largest |sum_j c_rj x_j|),
	// so a group attempt is accepted with probability about e^(-2/proofBoxFactor).
	proofBoxFactor = 4
	// maxSession bounds ProofContext.Session.
	maxSession  = 64
	proofDomain = "veil/he/v1 proof of well-formed encryption"
)

// ProofContext binds a [Proof] to one contribution: the round (Session,
// at most 64 bytes) and the contributor (Client, the runner's mesh index).
// The proof's hash also covers the key's [Fingerprint], so the runner,
// whose key is fresh each round, names the round by its key and passes a
// fixed Session. A proof made for one context does not verify in another,
// so a proof cannot be replayed for another round, key, client or length.
type ProofContext struct {
	Session []byte
	Client  int
}

// Proof is a non-interactive zero-knowledge proof that every chunk of one
// [Ciphertext] is a well-formed encryption under the round's public key:
// that its c1 is a u + e1 for small u and e1 known to the prover (see the
// package documentation's security model for what that buys and what it
// does not). It covers the whole vector, in groups of up to 8 chunks.
type Proof struct {
	p      *Params
	n      int
	groups []proofGroupData
}

type proofGroupData struct {
	h      [sha256.Size]byte
	zu, ze [][]int32 // proofReps x N
}

// proofBounds are a group's bounds for g chunks.
type proofBounds struct {
	bu, be int64 // the prover's masking boxes
	au, ae int64 // the verifier's norm bounds on z (B - beta)
}

// eBound is the hard bound of the encryption noise sampler.
func (p *Params) eBound() int64 {
	if g, ok := p.rlwe.Xe().(ring.DiscreteGaussian); ok && g.Bound > 0 {
		return int64(math.Floor(g.Bound))
	}
	return int64(math.Ceil(6 * p.rlwe.NoiseFreshSK()))
}

func (p *Params) proofBounds(g int) proofBounds {
	m := int64(proofBoxFactor) * int64(p.rlwe.N()) * proofReps
	betaU, betaE := int64(g), int64(g)*p.eBound()
	b := proofBounds{bu: m * betaU, be: m * betaE}
	b.au, b.ae = b.bu-betaU, b.be-betaE
	return b
}

// proofGroups is the number of groups for n values and the size of group gi.
func (p *Params) proofGroups(n int) int { return (p.Chunks(n) + proofGroup - 1) / proofGroup }

func (p *Params) groupSize(n, gi int) int {
	return min(proofGroup, p.Chunks(n)-gi*proofGroup)
}

// proofNoise bounds, per coefficient, the key-dependent noise e u + e1 s of
// one chunk that passed verification: the extracted witness has
// |u| <= 2 A_u and |e1| <= 2 A_e, the key's error is at most K x eBound and
// the key's secret at most K (K key holders, ternary secrets).
func (p *Params) proofNoise() float64 {
	g := min(proofGroup, p.Chunks(p.cfg.MaxValues))
	b := p.proofBounds(g)
	n := float64(p.rlwe.N())
	k := float64(p.cfg.KeyHolders)
	return n*k*float64(p.eBound())*2*float64(b.au) + n*k*2*float64(b.ae)
}

// ProofBytes is the size of the binary form of a [Proof] for n values.
func (p *Params) ProofBytes(n int) int {
	size := headerSize + 4
	for gi := range p.proofGroups(n) {
		size += p.groupBytes(p.groupSize(n, gi))
	}
	return size
}

func (p *Params) groupBytes(g int) int {
	b := p.proofBounds(g)
	wu, we := bits.Len64(uint64(2*b.au)), bits.Len64(uint64(2*b.ae))
	return sha256.Size + (proofReps*p.rlwe.N()*(wu+we)+7)/8
}

// EncryptIntsProven encrypts values (BGV) like [Encryptor.EncryptInts] and
// proves that the ciphertext is well formed, for the context pc. The
// Params must be made with [Config].VerifiedContributions.
func (e *Encryptor) EncryptIntsProven(values []int64, pc ProofContext) (*Ciphertext, *Proof, error) {
	if err := e.p.CheckInts(values); err != nil {
		return nil, nil, err
	}
	return e.encryptProven(len(values), pc, func(cd *codec, lo, hi int) error { return cd.encodeInts(values[lo:hi]) })
}

// EncryptFloatsProven encrypts values (CKKS) like [Encryptor.EncryptFloats]
// and proves that the ciphertext is well formed, for the context pc.
func (e *Encryptor) EncryptFloatsProven(values []float64, pc ProofContext) (*Ciphertext, *Proof, error) {
	if err := e.p.CheckFloats(values); err != nil {
		return nil, nil, err
	}
	return e.encryptProven(len(values), pc, func(cd *codec, lo, hi int) error { return cd.encodeFloats(values[lo:hi]) })
}

func checkContext(pc ProofContext) error {
	if len(pc.Session) > maxSession || pc.Client < 0 || pc.Client > math.MaxUint32 {
		return fmt.Errorf("he: %w: proof context: session of %d bytes (at most %d), client %d", ErrInvalidParams, len(pc.Session), maxSession, pc.Client)
	}
	return nil
}

// witness is one chunk's encryption randomness (coefficient domain).
type witness struct{ u, e []int32 }

func (e *Encryptor) encryptProven(n int, pc ProofContext, encode func(cd *codec, lo, hi int) error) (*Ciphertext, *Proof, error) {
	p := e.p
	if err := checkContext(pc); err != nil {
		return nil, nil, err
	}
	if !p.cfg.VerifiedContributions {
		// Encryption in Q (the witness must be the randomness) has more
		// noise than the P-assisted one the default budget is sized for.
		return nil, nil, fmt.Errorf("he: %w: proven encryption needs Params made with Config.VerifiedContributions", ErrInvalidParams)
	}
	if n == 0 {
		return nil, nil, fmt.Errorf("he: %w: nothing to encrypt", ErrInvalidParams)
	}
	src, err := prg.NewRandom()
	if err != nil {
		return nil, nil, fmt.Errorf("he: encryption randomness: %w", err)
	}
	r := p.rlwe.RingQ().AtLevel(p.level)
	gauss, err := ring.NewSampler(src, r, p.rlwe.Xe(), false)
	if err != nil {
		return nil, nil, fmt.Errorf("he: %w: noise sampler: %v", ErrInvalidParams, err)
	}
	cd := p.newCodec()
	out := p.newCiphertext(n)
	out.weight, out.key = 1, e.key
	wit := make([]witness, len(out.cts))
	b, a := e.pk.pk.Value[0].Q, e.pk.pk.Value[1].Q
	uPoly, ePoly := r.NewPoly(), r.NewPoly()
	for k, ct := range out.cts {
		lo, hi := k*p.slots, min((k+1)*p.slots, n)
		if err := encode(cd, lo, hi); err != nil {
			return nil, nil, fmt.Errorf("he: %w: encode: %v", ErrInvalidParams, err)
		}
		w := witness{u: make([]int32, p.rlwe.N()), e: make([]int32, p.rlwe.N())}
		sampleTernary(src, w.u)
		liftInt32(r, w.u, uPoly)
		r.NTT(uPoly, uPoly)
		// c0 = b u + e0 + pt
		if err := p.sampleNoise(gauss, r, ePoly, nil); err != nil {
			return nil, nil, err
		}
		r.NTT(ePoly, ePoly)
		r.MulCoeffsMontgomery(uPoly, b, ct.Value[0])
		r.Add(ct.Value[0], ePoly, ct.Value[0])
		r.Add(ct.Value[0], cd.pt.Value, ct.Value[0])
		// c1 = a u + e1, with e1 kept as the witness
		if err := p.sampleNoise(gauss, r, ePoly, w.e); err != nil {
			return nil, nil, err
		}
		r.NTT(ePoly, ePoly)
		r.MulCoeffsMontgomery(uPoly, a, ct.Value[1])
		r.Add(ct.Value[1], ePoly, ct.Value[1])
		wit[k] = w
	}
	pr, err := e.prove(out, wit, pc, true)
	if err != nil {
		return nil, nil, err
	}
	return out, pr, nil
}

// sampleNoise draws one noise polynomial (coefficient domain) into pol,
// redrawn until every coefficient is within eBound, and copies its
// centred coefficients into dst when given.
func (p *Params) sampleNoise(s ring.Sampler, r *ring.Ring, pol ring.Poly, dst []int32) error {
	q0 := r.SubRings[0].Modulus
	bound := p.eBound()
	for range 64 {
		s.Read(pol)
		ok := true
		for i, c := range pol.Coeffs[0] {
			v := int64(c)
			if c > q0/2 {
				v = -int64(q0 - c)
			}
			if v > bound || v < -bound {
				ok = false
				break
			}
			if dst != nil {
				dst[i] = int32(v)
			}
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("he: %w: noise sampler exceeds its bound %d", ErrInvalidParams, bound)
}

// sampleTernary fills u with independent uniform values in {-1, 0, 1}.
func sampleTernary(src *prg.PRG, u []int32) {
	var buf [8]byte
	i := 0
	for i < len(u) {
		_, _ = src.Read(buf[:])
		for _, b := range buf {
			if b < 255 && i < len(u) { // 255 = 3 x 85: unbiased
				u[i] = int32(b%3) - 1
				i++
			}
		}
	}
}

// sampleBox fills y with independent uniform values in [-B, B].
func sampleBox(src *prg.PRG, y []int32, b int64, buf []uint64) {
	span := uint64(2 * b) // values 0..span
	mask := uint64(1)<<bits.Len64(span) - 1
	i := 0
	for i < len(y) {
		src.FillUint64(buf)
		for _, x := range buf {
			for _, v := range [2]uint64{x & mask, (x >> 32) & mask} {
				if v <= span && i < len(y) {
					y[i] = int32(int64(v) - b)
					i++
				}
			}
		}
	}
}

// liftInt32 writes the small integers v into pol (every limb, coefficient
// domain).
func liftInt32(r *ring.Ring, v []int32, pol ring.Poly) {
	for i, s := range r.SubRings[:r.Level()+1] {
		q := s.Modulus
		c := pol.Coeffs[i]
		for j, x := range v {
			// x + q when x < 0, branch-free (|x| < q)
			c[j] = uint64(int64(x)) + q&uint64(int64(x)>>63)
		}
	}
}

// proofPrefix is the Fiat-Shamir context of group gi of a proof for n values.
func (p *Params) proofPrefix(key Fingerprint, pc ProofContext, n, gi int) []byte {
	b := []byte(proofDomain)
	b = append(b, 0, byte(p.scheme), byte(p.spec.LogN), byte(p.level))
	for _, q := range p.qAt() {
		b = binary.BigEndian.AppendUint64(b, q)
	}
	b = binary.BigEndian.AppendUint64(b, p.t)
	b = append(b, key[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(pc.Session)))
	b = append(b, pc.Session...)
	b = binary.BigEndian.AppendUint32(b, uint32(pc.Client))
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = binary.BigEndian.AppendUint32(b, uint32(gi))
	b = binary.BigEndian.AppendUint32(b, uint32(p.proofGroups(n)))
	return binary.BigEndian.AppendUint16(b, proofReps)
}

// polyDigest is SHA-256 over pol's limbs (8 bytes little-endian each).
func polyDigest(pol ring.Poly, limbs int, buf []byte) [sha256.Size]byte {
	h := sha256.New()
	for i := range limbs {
		buf = buf[:0]
		for _, c := range pol.Coeffs[i] {
			buf = binary.LittleEndian.AppendUint64(buf, c)
		}
		h.Write(buf)
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// challengeBits expands h into proofReps x g bits: bit (r, j) is bit j of row r.
func challengeBits(h [sha256.Size]byte, g int) [][]bool {
	out := make([][]bool, proofReps)
	var block [sha256.Size]byte
	ctr := uint32(0)
	used := 8 * sha256.Size
	for r := range out {
		out[r] = make([]bool, g)
		for j := range out[r] {
			if used == 8*sha256.Size {
				x := sha256.New()
				x.Write([]byte("veil/he/v1 proof challenges"))
				x.Write(h[:])
				x.Write(binary.BigEndian.AppendUint32(nil, ctr))
				x.Sum(block[:0])
				ctr++
				used = 0
			}
			out[r][j] = block[used/8]>>(used%8)&1 == 1
			used++
		}
	}
	return out
}

// groupHash is H(prefix, digests of the c1s, digests of the w's).
func groupHash(prefix []byte, c1, w [][sha256.Size]byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write(prefix)
	for _, d := range c1 {
		h.Write(d[:])
	}
	for _, d := range w {
		h.Write(d[:])
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// repWorker is one goroutine's scratch space for repetitions.
type repWorker struct {
	src    *prg.PRG
	pu, pe ring.Poly
	buf    []byte
	rnd    []uint64
}

func (p *Params) newRepWorkers(n int, random bool) ([]*repWorker, error) {
	r := p.rlwe.RingQ().AtLevel(p.level)
	ws := make([]*repWorker, n)
	for i := range ws {
		w := &repWorker{pu: r.NewPoly(), pe: r.NewPoly(), buf: make([]byte, 0, 8*p.rlwe.N())}
		if random {
			var err error
			if w.src, err = prg.NewRandom(); err != nil {
				return nil, fmt.Errorf("he: proof randomness: %w", err)
			}
			w.rnd = make([]uint64, 512)
		}
		ws[i] = w
	}
	return ws, nil
}

// combine sets w.pu = a zu + ze (NTT): the prover's commitment w of masks
// (zu, ze), and the start of the verifier's recomputation of it from the
// responses.
func (w *repWorker) combine(r *ring.Ring, a ring.Poly, zu, ze []int32) {
	liftInt32(r, zu, w.pu)
	liftInt32(r, ze, w.pe)
	r.NTT(w.pu, w.pu)
	r.NTT(w.pe, w.pe)
	r.MulCoeffsMontgomery(w.pu, a, w.pu)
	r.Add(w.pu, w.pe, w.pu)
}

// prove makes the proof for ct (encrypted with the witnesses wit). reject
// is false only in tests that play a prover who ignores the bounds.
func (e *Encryptor) prove(ct *Ciphertext, wit []witness, pc ProofContext, reject bool) (*Proof, error) {
	p := e.p
	a := e.pk.pk.Value[1].Q
	nw := min(p.cfg.Workers, proofReps)
	ws, err := p.newRepWorkers(nw, true)
	if err != nil {
		return nil, err
	}
	pr := &Proof{p: p, n: ct.n, groups: make([]proofGroupData, p.proofGroups(ct.n))}
	N := p.rlwe.N()
	r := p.rlwe.RingQ().AtLevel(p.level)
	for gi := range pr.groups {
		g := p.groupSize(ct.n, gi)
		cts, wg := ct.cts[gi*proofGroup:gi*proofGroup+g], wit[gi*proofGroup:gi*proofGroup+g]
		bd := p.proofBounds(g)
		prefix := p.proofPrefix(e.key, pc, ct.n, gi)
		c1 := p.c1Digests(cts, ws)
		gd := proofGroupData{zu: make([][]int32, proofReps), ze: make([][]int32, proofReps)}
		for rep := range proofReps {
			gd.zu[rep], gd.ze[rep] = make([]int32, N), make([]int32, N)
		}
		for attempt := 0; ; attempt++ {
			if attempt == 1000 {
				return nil, fmt.Errorf("he: %w: proof rejected 1000 times", ErrInvalidParams)
			}
			digests := make([][sha256.Size]byte, proofReps)
			_ = parallel.Each(context.Background(), nw, nw, func(wi int) error {
				w := ws[wi]
				for rep := wi; rep < proofReps; rep += nw {
					sampleBox(w.src, gd.zu[rep], bd.bu, w.rnd)
					sampleBox(w.src, gd.ze[rep], bd.be, w.rnd)
					w.combine(r, a, gd.zu[rep], gd.ze[rep])
					digests[rep] = polyDigest(w.pu, p.level+1, w.buf)
				}
				return nil
			})
			gd.h = groupHash(prefix, c1, digests)
			ch := challengeBits(gd.h, g)
			ok := make([]bool, proofReps)
			_ = parallel.Each(context.Background(), nw, nw, func(wi int) error {
				for rep := wi; rep < proofReps; rep += nw {
					ok[rep] = respond(gd.zu[rep], gd.ze[rep], ch[rep], wg, bd) || !reject
				}
				return nil
			})
			accepted := true
			for _, o := range ok {
				accepted = accepted && o
			}
			if accepted {
				break
			}
		}
		pr.groups[gi] = gd
	}
	return pr, nil
}

// respond turns the masks (zu, ze) into the responses for one repetition's
// challenge bits, and reports whether they stay within the verifier's bounds
// (rejection sampling: only then are they independent of the witness).
func respond(zu, ze []int32, ch []bool, wit []witness, bd proofBounds) bool {
	for j, c := range ch {
		if !c {
			continue
		}
		for i := range zu {
			zu[i] += wit[j].u[i]
			ze[i] += wit[j].e[i]
		}
	}
	return bd.holds(zu, ze)
}

// holds reports whether every response coefficient is within the
// verifier's norm bounds, |zu| <= A_u and |ze| <= A_e.
func (bd proofBounds) holds(zu, ze []int32) bool {
	for i := range zu {
		if int64(zu[i]) > bd.au || int64(zu[i]) < -bd.au || int64(ze[i]) > bd.ae || int64(ze[i]) < -bd.ae {
			return false
		}
	}
	return true
}

func (p *Params) c1Digests(cts []*rlwe.Ciphertext, ws []*repWorker) [][sha256.Size]byte {
	d := make([][sha256.Size]byte, len(cts))
	nw := len(ws)
	_ = parallel.Each(context.Background(), nw, nw, func(wi int) error {
		for j := wi; j < len(cts); j += nw {
			d[j] = polyDigest(cts[j].Value[1], p.level+1, ws[wi].buf)
		}
		return nil
	})
	return d
}

// VerifyProof checks that pr proves ct well formed under pk for the context
// pc. ct may be the ciphertext or its masks ([Params.UnmarshalMasks]): the
// proof is about the c1 polynomials. It fails with [ErrBadProof] (or
// [ErrMismatch] for a ciphertext under another key, of another length or
// weight) and never decrypts anything.
func (p *Params) VerifyProof(ct *Ciphertext, pr *Proof, pk *PublicKey, pc ProofContext) error {
	if ct == nil || pr == nil || pk == nil || ct.p != p || pr.p != p || pk.p != p {
		return fmt.Errorf("he: %w: ciphertext, proof or key missing or made under other parameters", ErrMismatch)
	}
	if err := checkContext(pc); err != nil {
		return err
	}
	key := pk.Fingerprint()
	if ct.key != key || ct.weight != 1 || pr.n != ct.n || len(pr.groups) != p.proofGroups(ct.n) {
		return fmt.Errorf("he: %w: proof for %d values of a ciphertext of %d values, weight %d, under key %x (the round's is %x)", ErrMismatch, pr.n, ct.n, ct.weight, ct.key[:4], key[:4])
	}
	a := pk.pk.Value[1].Q
	nw := min(p.cfg.Workers, proofReps)
	ws, err := p.newRepWorkers(nw, false)
	if err != nil {
		return err
	}
	r := p.rlwe.RingQ().AtLevel(p.level)
	for gi, gd := range pr.groups {
		g := p.groupSize(ct.n, gi)
		cts := ct.cts[gi*proofGroup : gi*proofGroup+g]
		bd := p.proofBounds(g)
		for rep := range proofReps {
			if !bd.holds(gd.zu[rep], gd.ze[rep]) {
				return fmt.Errorf("he: %w: group %d, repetition %d: response above the norm bound", ErrBadProof, gi, rep)
			}
		}
		ch := challengeBits(gd.h, g)
		digests := make([][sha256.Size]byte, proofReps)
		_ = parallel.Each(context.Background(), nw, nw, func(wi int) error {
			w := ws[wi]
			for rep := wi; rep < proofReps; rep += nw {
				w.combine(r, a, gd.zu[rep], gd.ze[rep])
				for j, c := range ch[rep] {
					if c {
						r.Sub(w.pu, cts[j].Value[1], w.pu)
					}
				}
				digests[rep] = polyDigest(w.pu, p.level+1, w.buf)
			}
			return nil
		})
		h := groupHash(p.proofPrefix(key, pc, ct.n, gi), p.c1Digests(cts, ws), digests)
		if subtle.ConstantTimeCompare(h[:], gd.h[:]) != 1 {
			return fmt.Errorf("he: %w: group %d (chunks %d to %d) does not verify", ErrBadProof, gi, gi*proofGroup, gi*proofGroup+g-1)
		}
	}
	return nil
}

// MarshalBinary encodes the proof: header, length, then per group the hash
// and the responses, each coefficient z + A in a fixed number of bits
// (the bit length of 2A), z_u of every repetition then z_e.
func (pr *Proof) MarshalBinary() ([]byte, error) {
	if pr == nil || pr.p == nil {
		return nil, fmt.Errorf("he: %w: nil proof", ErrInvalidParams)
	}
	p := pr.p
	b := make([]byte, 0, p.ProofBytes(pr.n))
	b = p.putHeader(b, kindProof, p.level)
	b = binary.BigEndian.AppendUint32(b, uint32(pr.n))
	for gi, gd := range pr.groups {
		bd := p.proofBounds(p.groupSize(pr.n, gi))
		b = append(b, gd.h[:]...)
		var bw bitWriter
		bw.b = b
		wu, we := bits.Len64(uint64(2*bd.au)), bits.Len64(uint64(2*bd.ae))
		for _, zs := range [2]struct {
			z     [][]int32
			a     int64
			width int
		}{{gd.zu, bd.au, wu}, {gd.ze, bd.ae, we}} {
			for _, z := range zs.z {
				for _, v := range z {
					if int64(v) > zs.a || int64(v) < -zs.a {
						return nil, fmt.Errorf("he: %w: proof response outside its bound", ErrInvalidParams)
					}
					bw.put(uint64(int64(v)+zs.a), zs.width)
				}
			}
		}
		b = bw.flush()
	}
	return b, nil
}

// UnmarshalBinary decodes a proof from a peer into pr, which must be bound
// to a Params ([Params.UnmarshalProof] decodes into a fresh one).
func (pr *Proof) UnmarshalBinary(data []byte) error {
	if pr == nil || pr.p == nil {
		return fmt.Errorf("he: %w: proof not bound to parameters (use Params.UnmarshalProof)", ErrInvalidParams)
	}
	out, err := pr.p.UnmarshalProof(data)
	if err != nil {
		return err
	}
	*pr = *out
	return nil
}

// UnmarshalProof decodes a proof from a peer: kind, parameters, a length
// within [Config.MaxValues], the exact size, and every response within its
// bound; anything else fails with [ErrMalformed] (or [ErrMismatch] for
// other parameters).
func (p *Params) UnmarshalProof(data []byte) (*Proof, error) {
	if err := p.checkHeader(data, kindProof, p.level); err != nil {
		return nil, err
	}
	rest := data[headerSize:]
	if len(rest) < 4 {
		return nil, fmt.Errorf("he: %w: proof: truncated header", ErrMalformed)
	}
	n := int64(binary.BigEndian.Uint32(rest))
	if n < 1 || n > int64(p.cfg.MaxValues) {
		return nil, fmt.Errorf("he: %w: proof for %d values, outside [1, MaxValues %d]", ErrMalformed, n, p.cfg.MaxValues)
	}
	if want := p.ProofBytes(int(n)); len(data) != want {
		return nil, fmt.Errorf("he: %w: proof for %d values is %d bytes, expected %d", ErrMalformed, n, len(data), want)
	}
	rest = rest[4:]
	N := p.rlwe.N()
	pr := &Proof{p: p, n: int(n), groups: make([]proofGroupData, p.proofGroups(int(n)))}
	for gi := range pr.groups {
		g := p.groupSize(int(n), gi)
		bd := p.proofBounds(g)
		gb := p.groupBytes(g)
		gd := &pr.groups[gi]
		copy(gd.h[:], rest)
		br := bitReader{b: rest[sha256.Size:gb]}
		rest = rest[gb:]
		wu, we := bits.Len64(uint64(2*bd.au)), bits.Len64(uint64(2*bd.ae))
		read := func(w int, a int64) ([][]int32, error) {
			z := make([][]int32, proofReps)
			for r := range z {
				z[r] = make([]int32, N)
				for i := range z[r] {
					v := br.get(w)
					if v > uint64(2*a) {
						return nil, fmt.Errorf("he: %w: proof group %d: response outside its bound", ErrMalformed, gi)
					}
					z[r][i] = int32(int64(v) - a)
				}
			}
			return z, nil
		}
		var err error
		if gd.zu, err = read(wu, bd.au); err != nil {
			return nil, err
		}
		if gd.ze, err = read(we, bd.ae); err != nil {
			return nil, err
		}
		if br.tail() != 0 {
			return nil, fmt.Errorf("he: %w: proof group %d: nonzero padding", ErrMalformed, gi)
		}
	}
	return pr, nil
}

// bitWriter appends values of a fixed bit width, least significant bit
// first.
type bitWriter struct {
	b    []byte
	acc  uint64
	nacc int
}

func (w *bitWriter) put(v uint64, width int) {
	for width > 0 {
		take := min(width, 64-w.nacc)
		w.acc |= (v & (1<<take - 1)) << w.nacc
		w.nacc += take
		v >>= take
		width -= take
		for w.nacc >= 8 {
			w.b = append(w.b, byte(w.acc))
			w.acc >>= 8
			w.nacc -= 8
		}
	}
}

func (w *bitWriter) flush() []byte {
	if w.nacc > 0 {
		w.b = append(w.b, byte(w.acc))
	}
	w.acc, w.nacc = 0, 0
	return w.b
}

type bitReader struct {
	b    []byte
	acc  uint64
	nacc int
}

// get reads width (at most 56) bits; past the end it returns all ones,
// which no bound accepts (the caller sized b exactly, so it never does).
func (r *bitReader) get(width int) uint64 {
	for r.nacc < width {
		if len(r.b) == 0 {
			return math.MaxUint64
		}
		r.acc |= uint64(r.b[0]) << r.nacc
		r.b = r.b[1:]
		r.nacc += 8
	}
	v := r.acc & (1<<width - 1)
	r.acc >>= width
	r.nacc -= width
	return v
}

// tail is what is left in the last partial byte (must be zero padding).
func (r *bitReader) tail() uint64 { return r.acc | uint64(len(r.b)) }
