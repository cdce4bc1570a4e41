package he

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/hefloat"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/ring"
	"github.com/veil-go/veil/internal/parallel"
)

// Scheme is the homomorphic scheme behind a parameter set.
type Scheme uint8

const (
	// BGV adds signed 64-bit integers exactly (modulo a prime plaintext
	// modulus t, decoded centred in (-t/2, t/2)).
	BGV Scheme = 1
	// CKKS adds float64 values approximately (fixed point with scale Δ).
	CKKS Scheme = 2
)

func (s Scheme) String() string {
	switch s {
	case BGV:
		return "BGV"
	case CKKS:
		return "CKKS"
	}
	return fmt.Sprintf("Scheme(%d)", uint8(s))
}

// Preset names a lattice parameter set with 128-bit security (HE standard:
// log2 QP <= 218 for N = 2^13, <= 438 for N = 2^14). Aggregation needs no
// multiplication, so each preset has a short modulus chain of 60-bit primes
// Q plus one 60-bit prime P (P only lowers the noise of public-key
// encryption); NewParams picks the lowest level whose noise budget holds.
//
//	preset      slots  t (BGV)  Q primes  log QP  ciphertext / 8192-slot batch at level 0, 1, 2
//	IntLogN13    8192  ~2^41    2 x 60    ~180    128 KiB, 256 KiB
//	IntLogN14   16384  ~2^55    3 x 60    ~240    256 KiB, 512 KiB, 768 KiB (per 16384 slots)
//	RealLogN13   4096  -        2 x 60    ~180    128 KiB, 256 KiB (per 4096 slots)
//	RealLogN14   8192  -        3 x 60    ~240    256 KiB, 512 KiB, 768 KiB (per 8192 slots)
//
// The largest safe BGV sum is (t-3)/2 in absolute value: about 1.1e12 for
// IntLogN13 and 1.8e16 for IntLogN14. [Params.MaxSafeSum] gives the exact
// figure, [Params.CiphertextBytes] the exact wire size.
type Preset uint8

const (
	// IntLogN13 is BGV, N = 2^13, t ~ 2^41: the default for integer sums.
	IntLogN13 Preset = iota + 1
	// IntLogN14 is BGV, N = 2^14, t ~ 2^55: larger sums, more parties.
	IntLogN14
	// RealLogN13 is CKKS, N = 2^13 (4096 real slots).
	RealLogN13
	// RealLogN14 is CKKS, N = 2^14 (8192 real slots).
	RealLogN14
)

func (p Preset) String() string {
	switch p {
	case IntLogN13:
		return "IntLogN13"
	case IntLogN14:
		return "IntLogN14"
	case RealLogN13:
		return "RealLogN13"
	case RealLogN14:
		return "RealLogN14"
	}
	return fmt.Sprintf("Preset(%d)", uint8(p))
}

// Custom describes lattice parameters outside the presets. They are checked
// exactly like the presets (128-bit security, noise budget); use them only to
// explore, the presets are the supported path.
type Custom struct {
	Scheme Scheme
	LogN   int
	LogQ   []int // bit sizes of the ciphertext moduli q_0..q_L
	LogP   []int // bit sizes of the key-switching moduli (may be empty)
	LogT   int   // BGV: bit size of the NTT-friendly prime plaintext modulus t
}

var presetSpecs = map[Preset]Custom{
	IntLogN13:  {Scheme: BGV, LogN: 13, LogQ: []int{60, 60}, LogP: []int{60}, LogT: 41},
	IntLogN14:  {Scheme: BGV, LogN: 14, LogQ: []int{60, 60, 60}, LogP: []int{60}, LogT: 55},
	RealLogN13: {Scheme: CKKS, LogN: 13, LogQ: []int{60, 60}, LogP: []int{60}},
	RealLogN14: {Scheme: CKKS, LogN: 14, LogQ: []int{60, 60, 60}, LogP: []int{60}},
}

// maxLogQP is the HE standard's bound on log2(QP) for 128-bit classical
// security with a uniform ternary secret and error sigma 3.2.
var maxLogQP = map[int]float64{10: 27, 11: 54, 12: 109, 13: 218, 14: 438, 15: 881, 16: 1761}

// Defaults used when a Config field is zero.
const (
	DefaultStatisticalSecurity = 40
	DefaultPrecision           = 1.0 / (1 << 20)
	DefaultMaxValues           = 1 << 20
	// encodeBits is the scale CKKS values are encoded at in float64 before
	// an exact multiplication by 2^(LogScale-encodeBits): lattigo's encoder
	// is fast below 2^64 and slow (big integers) above.
	encodeBits = 52
	// tailFactor bounds a sub-Gaussian noise coefficient by this many
	// standard deviations (failure probability below 2^-49 per coefficient).
	tailFactor = 8.0
)

// Config is what a session declares before anything is encrypted. It fixes
// the parameters, the encryption level and the smudging noise, and lets the
// library reject, up front, any sum that could decrypt wrong.
type Config struct {
	// Preset selects the lattice parameters (ignored when Custom is set);
	// 0 means IntLogN13.
	Preset Preset
	// Custom overrides Preset (checked the same way).
	Custom *Custom
	// Bound (BGV): every encrypted value lies in [-Bound, Bound]; >= 1.
	Bound int64
	// RealBound (CKKS): every encrypted value lies in [-RealBound, RealBound].
	RealBound float64
	// MaxWeight is the largest total weight sum(|w_i|) of one aggregate:
	// the number of contributions for a plain sum. >= 1.
	MaxWeight int64
	// KeyHolders is the number of secret-key shares: 1 for a single key,
	// N for a collective (N-of-N or T-of-N) key. 0 means 1.
	KeyHolders int
	// Threshold is T for a T-of-N key (2 <= T <= KeyHolders); 0 means every
	// key holder is needed (N-of-N).
	Threshold int
	// StatisticalSecurity is lambda: smudging noise is 2^lambda times the
	// bound on the noise it hides. 0 means DefaultStatisticalSecurity.
	StatisticalSecurity int
	// Precision (CKKS) is the largest absolute error accepted on each
	// decrypted sum. 0 means DefaultPrecision (2^-20).
	Precision float64
	// MaxValues bounds the length of a vector accepted from a peer.
	// 0 means DefaultMaxValues.
	MaxValues int
	// Workers bounds the goroutines of heavy kernels (encrypting long
	// vectors). 0 means runtime.GOMAXPROCS(0).
	Workers int
	// VerifiedContributions sizes the noise budget for contributions that
	// come with a [Proof] ([Encryptor.EncryptIntsProven],
	// [Params.VerifyProof]): the smudging then floods the noise that a
	// verified proof bounds (its extraction bound, about 2^47 per
	// coefficient for 3 key holders at LogN 14), not only an honest
	// encryption's. The runner's default path ([Round] without
	// SemiHonestContributions) needs it. It needs flooded decryptions (a
	// collective key, or CKKS) and in practice the LogN 14 presets: at
	// LogN 13 the budget does not hold and NewParams fails with
	// [ErrNoiseBudget].
	VerifiedContributions bool
}

// Budget reports the noise analysis behind a Params: every bound is on the
// absolute value of one coefficient (log2), except where noted.
type Budget struct {
	Level         int     // encryption level (number of Q primes - 1)
	LogQ          float64 // log2 of the ciphertext modulus at Level
	LogFresh      float64 // bound on one fresh encryption's noise (VerifiedContributions: on what a verified proof bounds)
	LogAggregate  float64 // bound on an aggregate's noise (MaxWeight x fresh)
	SmudgingBits  int     // each decryptor adds uniform noise in [-2^SmudgingBits, 2^SmudgingBits); 0 when none
	Decryptors    int     // shares combined in one decryption
	LogTotal      float64 // aggregate + decryptors x (smudging + key-switch noise)
	LogLimit      float64 // BGV: Q/(2t); CKKS: (Q/2 - Δ x MaxWeight x RealBound)/(8 sqrt N)
	LogScale      int     // CKKS: log2 Δ
	LogSlotError  float64 // CKKS: bound on the error of a decrypted sum (absolute, log2)
	LogMarginBits float64 // LogLimit - LogTotal
	// LogTranscriptCoefficients is log2 of the coefficients one decryptor
	// may reveal in a round: N per chunk, Chunks(MaxValues) chunks, and
	// N-T+1 shares for a collective key.
	LogTranscriptCoefficients float64
	// LogTranscriptDistance bounds (log2) the statistical distance between
	// everything a decryptor reveals in a round and a transcript that
	// depends on the plaintext alone; it is at most -(lambda+1). It is 0
	// (no bound) when nothing is flooded: a single BGV key.
	LogTranscriptDistance float64
}

// Params is a validated parameter set for one aggregation session. It is
// immutable and safe for concurrent use.
type Params struct {
	cfg      Config
	spec     Custom
	scheme   Scheme
	rlwe     rlwe.Parameters
	bgv      heint.Parameters
	ckks     hefloat.Parameters
	level    int
	t        uint64
	logScale int
	budget   Budget
	slots    int
	decrypt  int // decryptors
	smudge   int // smudging bits, 0 = none
}

// NewParams validates cfg and derives the parameters: security, the lowest
// safe encryption level, the smudging size and (CKKS) the scale. It fails
// with [ErrInsecure], [ErrNoiseBudget] or [ErrOutOfRange] naming the limit that was
// hit, or [ErrInvalidParams].
func NewParams(cfg Config) (*Params, error) {
	spec, err := resolveSpec(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Preset == 0 && cfg.Custom == nil {
		cfg.Preset = IntLogN13
	}
	if err := normalise(&cfg, spec.Scheme); err != nil {
		return nil, err
	}
	p := &Params{cfg: cfg, spec: spec, scheme: spec.Scheme}
	if err := p.buildLattice(); err != nil {
		return nil, err
	}
	if cfg.VerifiedContributions {
		b := p.proofBounds(min(proofGroup, p.Chunks(cfg.MaxValues)))
		if 2*b.be-b.ae > math.MaxInt32 {
			return nil, fmt.Errorf("he: %w: LogN %d is too large for the proofs of well-formedness (their responses exceed 32 bits)", ErrInvalidParams, spec.LogN)
		}
	}
	if err := p.chooseLevel(); err != nil {
		return nil, err
	}
	return p, nil
}

func resolveSpec(cfg Config) (Custom, error) {
	if cfg.Custom != nil {
		c := *cfg.Custom
		c.LogQ = append([]int(nil), c.LogQ...)
		c.LogP = append([]int(nil), c.LogP...)
		if c.Scheme != BGV && c.Scheme != CKKS {
			return c, fmt.Errorf("he: %w: unknown scheme %d", ErrInvalidParams, c.Scheme)
		}
		if c.LogN < 10 || c.LogN > 16 || len(c.LogQ) == 0 || len(c.LogQ) > 8 || len(c.LogP) > 4 {
			return c, fmt.Errorf("he: %w: custom LogN %d with %d Q and %d P primes", ErrInvalidParams, c.LogN, len(c.LogQ), len(c.LogP))
		}
		for _, b := range append(append([]int(nil), c.LogQ...), c.LogP...) {
			if b < 20 || b > 61 {
				return c, fmt.Errorf("he: %w: prime size %d bits outside [20, 61]", ErrInvalidParams, b)
			}
		}
		if c.Scheme == BGV && (c.LogT < c.LogN+2 || c.LogT > 59) {
			return c, fmt.Errorf("he: %w: plaintext modulus of %d bits outside [LogN+2, 59]", ErrInvalidParams, c.LogT)
		}
		return c, nil
	}
	if cfg.Preset == 0 {
		cfg.Preset = IntLogN13
	}
	c, ok := presetSpecs[cfg.Preset]
	if !ok {
		return c, fmt.Errorf("he: %w: unknown preset %v", ErrInvalidParams, cfg.Preset)
	}
	return c, nil
}

func normalise(cfg *Config, s Scheme) error {
	if cfg.KeyHolders == 0 {
		cfg.KeyHolders = 1
	}
	if cfg.KeyHolders < 1 || cfg.KeyHolders > 1<<16 {
		return fmt.Errorf("he: %w: %d key holders", ErrInvalidParams, cfg.KeyHolders)
	}
	if cfg.Threshold != 0 && (cfg.Threshold < 2 || cfg.Threshold > cfg.KeyHolders) {
		return fmt.Errorf("he: %w: threshold %d of %d key holders (need 2 <= T <= N)", ErrInvalidParams, cfg.Threshold, cfg.KeyHolders)
	}
	if cfg.MaxWeight < 1 || cfg.MaxWeight > 1<<40 {
		return fmt.Errorf("he: %w: MaxWeight %d outside [1, 2^40]", ErrInvalidParams, cfg.MaxWeight)
	}
	switch s {
	case BGV:
		if cfg.Bound < 1 {
			return fmt.Errorf("he: %w: Bound %d must be >= 1", ErrInvalidParams, cfg.Bound)
		}
	case CKKS:
		if !(cfg.RealBound > 0) || math.IsInf(cfg.RealBound, 0) {
			return fmt.Errorf("he: %w: RealBound %v must be positive and finite", ErrInvalidParams, cfg.RealBound)
		}
		if cfg.Precision == 0 {
			cfg.Precision = DefaultPrecision
		}
		if !(cfg.Precision > 0) || math.IsInf(cfg.Precision, 0) {
			return fmt.Errorf("he: %w: Precision %v must be positive and finite", ErrInvalidParams, cfg.Precision)
		}
	}
	if cfg.StatisticalSecurity == 0 {
		cfg.StatisticalSecurity = DefaultStatisticalSecurity
	}
	if cfg.StatisticalSecurity < 20 || cfg.StatisticalSecurity > 128 {
		return fmt.Errorf("he: %w: statistical security %d outside [20, 128]", ErrInvalidParams, cfg.StatisticalSecurity)
	}
	if cfg.MaxValues == 0 {
		cfg.MaxValues = DefaultMaxValues
	}
	if cfg.MaxValues < 1 || cfg.MaxValues > 1<<30 {
		return fmt.Errorf("he: %w: MaxValues %d", ErrInvalidParams, cfg.MaxValues)
	}
	if cfg.Workers == 0 {
		cfg.Workers = parallel.Workers(0)
	}
	if cfg.Workers < 1 {
		return fmt.Errorf("he: %w: %d workers", ErrInvalidParams, cfg.Workers)
	}
	if cfg.VerifiedContributions && cfg.KeyHolders == 1 && s == BGV {
		return fmt.Errorf("he: %w: VerifiedContributions needs flooded decryptions (a collective key, or CKKS); a single BGV key decrypts exactly", ErrInvalidParams)
	}
	return nil
}

func (p *Params) buildLattice() error {
	s := p.spec
	switch s.Scheme {
	case BGV:
		gen := ring.NewNTTFriendlyPrimesGenerator(uint64(s.LogT), uint64(2)<<s.LogN)
		t, err := gen.NextDownstreamPrime()
		if err != nil {
			return fmt.Errorf("he: %w: no %d-bit plaintext prime: %v", ErrInvalidParams, s.LogT, err)
		}
		bp, err := heint.NewParametersFromLiteral(heint.ParametersLiteral{
			LogN: s.LogN, LogQ: s.LogQ, LogP: s.LogP, PlaintextModulus: t,
		})
		if err != nil {
			return fmt.Errorf("he: %w: %v", ErrInvalidParams, err)
		}
		p.bgv, p.rlwe, p.t, p.slots = bp, *bp.GetRLWEParameters(), t, bp.MaxSlots()
	case CKKS:
		cp, err := hefloat.NewParametersFromLiteral(hefloat.ParametersLiteral{
			LogN: s.LogN, LogQ: s.LogQ, LogP: s.LogP, LogDefaultScale: 40,
		})
		if err != nil {
			return fmt.Errorf("he: %w: %v", ErrInvalidParams, err)
		}
		p.ckks, p.rlwe, p.slots = cp, *cp.GetRLWEParameters(), cp.MaxSlots()
	}
	limit, ok := maxLogQP[s.LogN]
	if !ok || p.rlwe.LogQP() > limit {
		return fmt.Errorf("he: %w: log2 QP = %.1f exceeds the HE standard's %.0f for LogN %d", ErrInsecure, p.rlwe.LogQP(), limit, s.LogN)
	}
	return nil
}

// freshSigma estimates the standard deviation of one public-key encryption's
// noise under a key that is the sum of keyHolders ternary secrets.
func (p *Params) freshSigma(keyHolders int) float64 {
	h := float64(p.rlwe.XsHammingWeight()) * float64(keyHolders)
	if p.rlwe.PCount() > 0 {
		// Encryption in QP then division by P: the P-scaled errors vanish,
		// the rounding error r0 + r1*s remains.
		return math.Sqrt((h+1)/12.0) + 1
	}
	sigma := p.rlwe.NoiseFreshSK()
	return sigma * math.Sqrt(2*h+1)
}

// logQAt is log2 of q_0 x ... x q_level.
func (p *Params) logQAt(level int) float64 {
	var l float64
	for _, q := range p.rlwe.Q()[:level+1] {
		l += math.Log2(float64(q))
	}
	return l
}

// chooseLevel sizes the noise (fresh, aggregate, smudging) and picks the
// lowest encryption level whose decryption limit it stays under.
func (p *Params) chooseLevel() error {
	if err := p.checkSumBound(); err != nil {
		return err
	}
	b := p.noiseBudget()
	for level := 0; level <= p.rlwe.MaxLevel(); level++ {
		p.levelLimit(&b, level)
		if b.LogMarginBits > 0 {
			p.level, p.logScale, p.smudge, p.budget = level, b.LogScale, b.SmudgingBits, b
			return nil
		}
	}
	return p.budgetError(b)
}

// checkSumBound (BGV) checks that |sum| <= MaxWeight x Bound stays below t/2.
func (p *Params) checkSumBound() error {
	if p.scheme != BGV {
		return nil
	}
	cfg := p.cfg
	hi, lo := bits.Mul64(uint64(cfg.MaxWeight), uint64(cfg.Bound))
	if hi != 0 || lo > p.maxSum() {
		return fmt.Errorf("he: %w: MaxWeight %d x Bound %d exceeds the largest safe sum (t-3)/2 = %d", ErrOutOfRange, cfg.MaxWeight, cfg.Bound, p.maxSum())
	}
	return nil
}

// noiseBudget bounds the noise of a decrypted aggregate: MaxWeight fresh
// encryptions plus, per decryptor, flooding (smudging) and key-switching
// noise. It sets p.decrypt.
//
// Flooding: a collective key's decryptors smudge their shares, and a single
// CKKS key floods its decryptions (IND-CPA^D, as OpenFHE's
// NOISE_FLOODING_DECRYPT), so that what a decryption reveals is
// statistically close to a function of the plaintext alone. Each decryptor
// draws uniform noise in [-2^k, 2^k). For a collective key it is sized per
// transcript: k = lambda + ceil(log2 E) + ceil(log2 C), E the bound on the
// noise it hides and C the number of coefficients one decryptor may reveal
// in a round (N per chunk, Chunks(MaxValues) chunks, N-T+1 shares). By the
// smudging lemma the statistical distance of the whole transcript is then
// at most C x E / 2^(k+1) <= 2^-(lambda+1). A single CKKS key floods per
// coefficient, k = lambda + ceil(log2 E); LogTranscriptDistance reports
// what that gives per ciphertext of MaxValues values.
func (p *Params) noiseBudget() Budget {
	cfg := p.cfg
	p.decrypt = 1
	shares := 1
	if cfg.KeyHolders > 1 {
		p.decrypt = cfg.KeyHolders
		if cfg.Threshold > 0 {
			p.decrypt = cfg.Threshold
		}
		shares = cfg.KeyHolders - p.decrypt + 1
	}
	fresh := tailFactor * p.freshSigma(cfg.KeyHolders)
	if cfg.VerifiedContributions {
		// A verified contribution's key-dependent noise e u + e1 s is
		// bounded only by what the proof extracts; e0 is the honest one.
		fresh = p.proofNoise() + float64(p.eBound())
	}
	if p.scheme == CKKS {
		fresh++ // rounding of the encoding
	}
	agg := float64(cfg.MaxWeight) * fresh
	var perDecryptor, hidden float64
	smudge := 0
	coeffs := float64(p.rlwe.N()) * float64(p.Chunks(cfg.MaxValues)) * float64(shares)
	logCoeffs := math.Log2(coeffs)
	if cfg.KeyHolders > 1 {
		sigmaE := p.rlwe.NoiseFreshSK()
		// key switch: Gaussian of sigma sqrt(2) sigmaE cut at 6 sigma; public key
		// switch: a fresh encryption under the analyst's key plus sigmaE noise.
		ks := 6*math.Sqrt2*sigmaE + tailFactor*p.freshSigma(1) + 6*sigmaE
		hidden = agg + float64(p.decrypt)*ks
		smudge = cfg.StatisticalSecurity + int(math.Ceil(math.Log2(hidden))) + int(math.Ceil(logCoeffs))
		perDecryptor = math.Ldexp(1, smudge) + ks
	} else if p.scheme == CKKS {
		// A single key floods per coefficient (lambda + log2 E, OpenFHE's
		// NOISE_FLOODING_DECRYPT); Budget reports what that gives per
		// transcript (raise StatisticalSecurity for more).
		hidden = agg
		smudge = cfg.StatisticalSecurity + int(math.Ceil(math.Log2(hidden)))
		perDecryptor = math.Ldexp(1, smudge)
	}
	total := agg + float64(p.decrypt)*perDecryptor
	b := Budget{
		LogFresh: math.Log2(fresh), LogAggregate: math.Log2(agg), SmudgingBits: smudge,
		Decryptors: p.decrypt, LogTotal: math.Log2(total), LogTranscriptCoefficients: logCoeffs,
	}
	if smudge > 0 {
		b.LogTranscriptDistance = logCoeffs + math.Log2(hidden) - float64(smudge) - 1
	}
	return b
}

// levelLimit fills b's limit and margin at level: Q/(2t) for BGV; for
// CKKS, the scale the precision needs and the room it leaves under Q/2.
//
// CKKS error split (Precision P): the lattice noise gets P/4, the encoding
// (quantisation and float64 rounding, relative to the magnitude of the
// sums) P/2, and the rounding of the output to a grid of 2^floor(log2 P/2)
// the last P/4.
func (p *Params) levelLimit(b *Budget, level int) {
	cfg := p.cfg
	W := float64(cfg.MaxWeight)
	logN := float64(p.spec.LogN)
	b.Level, b.LogQ = level, p.logQAt(level)
	defer func() { b.LogMarginBits = b.LogLimit - b.LogTotal }()
	if p.scheme == BGV {
		b.LogLimit = b.LogQ - 1 - math.Log2(float64(p.t))
		return
	}
	// error on a decoded slot: 8 sqrt(N) x coefficient bound.
	logErr := b.LogTotal + math.Log2(tailFactor) + logN/2
	// two bits of the precision for the noise.
	b.LogScale = max(int(math.Ceil(logErr-math.Log2(cfg.Precision)))+2, 1)
	quant := 0.0
	if b.LogScale > encodeBits {
		quant = W * tailFactor * math.Exp2(logN/2-encodeBits-1)
	}
	enc := quant + p.floatError()
	b.LogSlotError = math.Log2(math.Exp2(logErr-float64(b.LogScale)) + enc + p.roundGrid()/2)
	if enc > cfg.Precision/2 {
		b.LogLimit = math.Inf(-1)
		return
	}
	// Δ x W x bound + error < Q/2, expressed as a coefficient limit.
	room := math.Exp2(b.LogQ-1) - math.Exp2(float64(b.LogScale)+math.Log2(W*cfg.RealBound))
	if room <= 0 {
		b.LogLimit = math.Inf(-1)
	} else {
		b.LogLimit = math.Log2(room) - math.Log2(tailFactor) - logN/2
	}
}

// floatError (CKKS) bounds the error float64 arithmetic adds to a decoded
// sum, relative to its magnitude W x RealBound: the encoder's and the
// decoder's FFTs (log2 N levels of roundings each, of relative size 2^-53)
// and the final float64 rounding of the sum. This is a model, not a proof:
// TestFloatPrecision measures 2 bits or more of margin under it.
func (p *Params) floatError() float64 {
	return float64(p.cfg.MaxWeight) * p.cfg.RealBound * math.Exp2(-53) * (2*float64(p.spec.LogN) + 1)
}

// roundGrid (CKKS) is the grid decrypted sums are rounded to: the largest
// power of two not above Precision/2.
func (p *Params) roundGrid() float64 {
	return math.Exp2(math.Floor(math.Log2(p.cfg.Precision / 2)))
}

// budgetError names the limit that the top level b still exceeds.
func (p *Params) budgetError(b Budget) error {
	cfg := p.cfg
	if p.scheme == BGV {
		return fmt.Errorf("he: %w: noise bound 2^%.1f (fresh 2^%.1f x weight %d + %d decryptors x smudging 2^%d, sized for 2^%.0f coefficients per transcript) reaches the decryption limit Q/(2t) = 2^%.1f at the top level %d; lower MaxValues or use a larger preset (IntLogN14)",
			ErrNoiseBudget, b.LogTotal, b.LogFresh, cfg.MaxWeight, p.decrypt, b.SmudgingBits, b.LogTranscriptCoefficients, b.LogLimit, b.Level)
	}
	if p.floatError() > cfg.Precision/2 {
		return fmt.Errorf("he: %w: sums up to %g cannot be decoded in float64 within precision %g (float64 error about 2^%.1f); lower RealBound or MaxWeight, or raise Precision",
			ErrNoiseBudget, float64(cfg.MaxWeight)*cfg.RealBound, cfg.Precision, math.Log2(p.floatError()))
	}
	return fmt.Errorf("he: %w: noise bound 2^%.1f (fresh 2^%.1f x weight %d + %d decryptors x smudging 2^%d) with scale 2^%d for precision %g leaves no room under Q/2 = 2^%.1f for sums up to %g at the top level %d",
		ErrNoiseBudget, b.LogTotal, b.LogFresh, cfg.MaxWeight, p.decrypt, b.SmudgingBits, b.LogScale, cfg.Precision, b.LogQ-1, float64(cfg.MaxWeight)*cfg.RealBound, b.Level)
}

// Scheme is BGV (integers) or CKKS (reals).
func (p *Params) Scheme() Scheme { return p.scheme }

// Config returns the configuration with defaults filled in.
func (p *Params) Config() Config { return p.cfg }

// LogN is log2 of the ring degree.
func (p *Params) LogN() int { return p.spec.LogN }

// Slots is the number of values one ciphertext holds.
func (p *Params) Slots() int { return p.slots }

// Level is the encryption level chosen (number of Q primes used, minus 1).
func (p *Params) Level() int { return p.level }

// Budget returns the noise analysis behind these parameters.
func (p *Params) Budget() Budget { return p.budget }

// Decryptors is the number of decryption shares one decryption combines.
func (p *Params) Decryptors() int { return p.decrypt }

// PlaintextModulus is t (BGV); 0 for CKKS.
func (p *Params) PlaintextModulus() uint64 { return p.t }

// LogScale is log2 of the CKKS scale Δ; 0 for BGV.
func (p *Params) LogScale() int { return p.logScale }

// maxSum is the largest |sum| lattigo's centred decoding returns exactly:
// it maps [0, t) to [-(t+1)/2, (t-3)/2].
func (p *Params) maxSum() uint64 { return (p.t - 3) / 2 }

// MaxSafeSum is the largest |sum| that decrypts exactly (BGV: (t-3)/2).
// For CKKS it is the largest |sum| the budget was sized for:
// MaxWeight x RealBound.
func (p *Params) MaxSafeSum() float64 {
	if p.scheme == BGV {
		return float64(p.maxSum())
	}
	return float64(p.cfg.MaxWeight) * p.cfg.RealBound
}

// Chunks is the number of ciphertexts a vector of n values takes.
func (p *Params) Chunks(n int) int { return (n + p.slots - 1) / p.slots }

// polyBytes is the wire size of one polynomial at the encryption level.
func (p *Params) polyBytes() int { return (p.level + 1) * p.rlwe.N() * 8 }

// CiphertextBytes is the wire size of an encrypted vector of n values.
func (p *Params) CiphertextBytes(n int) int {
	return headerSize + ctHeaderSize + p.Chunks(n)*2*p.polyBytes()
}

// String describes the parameter set.
func (p *Params) String() string {
	b := p.budget
	s := fmt.Sprintf("%v LogN=%d slots=%d level=%d logQ=%.1f logQP=%.1f decryptors=%d smudging=2^%d margin=%.1f bits ct=%d B/slot",
		p.scheme, p.spec.LogN, p.slots, p.level, b.LogQ, p.rlwe.LogQP(), p.decrypt, p.smudge, b.LogMarginBits, 2*p.polyBytes()/p.slots)
	if p.scheme == BGV {
		return s + fmt.Sprintf(" t=%d", p.t)
	}
	return s + fmt.Sprintf(" scale=2^%d", p.logScale)
}
