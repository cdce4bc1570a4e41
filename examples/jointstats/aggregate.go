package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"time"

	"github.com/veil-go/veil/he"
	"github.com/veil-go/veil/internal/csvio"
	"github.com/veil-go/veil/transport"
	"github.com/veil-go/veil/transport/transporttest"
)

// exactRows is the number of rows per hospital the exact encoding is
// declared for: he.MomentsEncoding sums (count, sum, sum of squares) of up
// to 2^32 rows of any int64 cents per hospital exactly, in limbs that fit
// IntLogN13's plaintext space for up to maxParties hospitals (10 slots: 2,
// 3 and 5 limbs of 32 bits for 64 hospitals).
const exactRows = 1 << 32

// encoding is how the totals travel: exact wide limbs (epsilon 0) or
// the release's three noisy figures.
type encoding struct {
	params  *he.Params
	moments *he.MomentsEncoding // epsilon 0
	rel     *release
}

func newEncoding(cfg *config, n int, rel *release) (*encoding, error) {
	base := he.Config{Preset: he.IntLogN13, MaxWeight: int64(n), KeyHolders: n, MaxValues: 16}
	if cfg.threshold < n {
		base.Threshold = cfg.threshold
	}
	e := &encoding{rel: rel}
	var err error
	if rel.noise == nil {
		e.params, e.moments, err = he.NewMomentsEncoding(base, exactRows, math.MaxInt64)
		return e, err
	}
	// The noisy figures take one slot each; many hospitals of many rows
	// may need IntLogN14's larger plaintext space.
	if e.params, err = he.NewParams(rel.noise.Config(base)); errors.Is(err, he.ErrOutOfRange) {
		base.Preset = he.IntLogN14
		e.params, err = he.NewParams(rel.noise.Config(base))
	}
	return e, err
}

// encode is a hospital's vector from its values (in cents), and how many
// were clamped to the bounds (with noise).
func (e *encoding) encode(values []int64) ([]int64, int, error) {
	if e.moments == nil {
		return e.rel.moments.Encode(values)
	}
	v, err := e.moments.Encode(values)
	return v, 0, err
}

// decode reads the released figures from the decrypted sums.
func (e *encoding) decode(v []int64) (figures, error) {
	if e.moments == nil {
		s, err := e.rel.moments.Decode(v)
		if err != nil {
			return figures{}, err
		}
		var f figures
		f.count, _ = new(big.Float).SetInt(s.Count).Float64()
		f.sum, _ = new(big.Rat).SetFrac(s.SumOfValues(), big.NewInt(csvio.Scale)).Float64()
		f.mean = s.Mean() / csvio.Scale
		f.variance = s.SampleVariance() / (csvio.Scale * csvio.Scale)
		return f, nil
	}
	m, err := e.moments.Decode(v)
	if err != nil {
		return figures{}, err
	}
	var f figures
	f.count, _ = new(big.Float).SetInt(m.Count).Float64()
	f.sum, _ = new(big.Rat).SetFrac(m.Sum, big.NewInt(csvio.Scale)).Float64()
	f.mean, f.variance = math.NaN(), math.NaN()
	if m.Count.Sign() > 0 {
		f.mean, _ = new(big.Rat).SetFrac(m.Sum, new(big.Int).Mul(m.Count, big.NewInt(csvio.Scale))).Float64()
	}
	f.variance = m.SampleVariance() / (csvio.Scale * csvio.Scale)
	return f, nil
}

// aggregate runs one threshold HE aggregation round (package he, BGV) with
// he's runner over a star on mutual TLS 1.3 on loopback: the aggregator is
// the hub (mesh index 0, no key, no data) and hospital i is spoke i+1, both
// a key holder and a client. The runner does collective key generation
// (and, for T-of-N, the dealing of threshold shares), collects and adds
// the ciphertexts, and has T key holders decrypt, trying other holders if
// some dropped. Parties in -drop close their links right after sending
// their ciphertext: their mesh is wrapped with transporttest.CloseAfter.
func aggregate(ctx context.Context, cfg *config, enc *encoding, vecs [][]int64, res *result) (figures, error) {
	n := len(vecs)
	params := enc.params
	hecfg := params.Config()
	// The semi-honest model for contributions: every party here runs this
	// program. he's default, verified path (each hospital proves its
	// ciphertext well formed, every key holder verifies) would need
	// Config.VerifiedContributions, which does not fit IntLogN13's noise
	// budget: IntLogN14, twice the ciphertext, and a ~14 MB proof per
	// hospital (see he.Round.SemiHonestContributions, bench/RESULTS.md).
	// With -epsilon > 0 the round's Noise makes each hospital's spoke add
	// its noise share before encrypting (its own, in its own process).
	round := he.Round{SemiHonestContributions: true, Noise: enc.rel.noise}
	inputs := make(map[int]he.SpokeInput, n)
	for i := range n {
		round.Holders = append(round.Holders, i+1)
		round.Clients = append(round.Clients, i+1)
		inputs[i+1] = he.SpokeInput{Ints: vecs[i]}
	}
	// A hospital sends its key-generation message, (T-of-N) its sealed
	// deals, then its ciphertext.
	sends := 2
	if hecfg.Threshold > 0 {
		sends = 3
	}
	rr, tlsTime, err := runStar(ctx, cfg, n, params, round, inputs, sends)
	if err != nil {
		return figures{}, err
	}
	if len(rr.Counted) != n {
		return figures{}, fmt.Errorf("only hospitals %v were counted (missing %v)", hospitals(rr.Counted), hospitals(rr.Missing))
	}
	out, err := enc.decode(rr.Ints)
	if err != nil {
		return figures{}, err
	}
	var sent int64
	for i := 1; i <= n; i++ {
		sent += rr.PerSpoke[i].BytesReceived // what spoke i sent, seen by the hub
	}
	res.BytesPerParty = float64(sent) / float64(n)
	res.decryptor = hospitals(rr.Decryptors)
	res.counted = hospitals(rr.Counted)
	res.params = params.String()
	res.phases = []string{
		fmt.Sprintf("mutual TLS 1.3 between the aggregator and %d hospitals on 127.0.0.1 (%.3f s)", n, tlsTime.Seconds()),
		fmt.Sprintf("collective key generation: each hospital made a secret-key share, the aggregator combined the joint public key (%.3f s)", rr.KeyGen.Seconds()),
		fmt.Sprintf("each hospital encrypted its totals and sent the ciphertext (%.3f s)", rr.Collect.Seconds()),
		fmt.Sprintf("the aggregator added the %d ciphertexts (%.3f s)", len(rr.Counted), rr.Aggregate.Seconds()),
		fmt.Sprintf("hospitals %v sent decryption shares, the aggregator combined them (%.3f s)", res.decryptor, rr.Decrypt.Seconds()),
	}
	thr := fmt.Sprintf("all %d hospitals must take part in decryption (N-of-N key)", n)
	if hecfg.Threshold > 0 {
		thr = fmt.Sprintf("any %d of the %d hospitals can decrypt (T-of-N key)", cfg.threshold, n)
	}
	res.scheme = fmt.Sprintf("Threshold homomorphic encryption (package he, %s): %s. The hospitals are trusted to encrypt well-formed totals (he.Round.SemiHonestContributions: this demo skips he's proofs of well-formed ciphertexts, which need IntLogN14 and about 14 MB per hospital).", params, thr)
	what := "Only the joint count, sum and sum of squares"
	if enc.rel.noise != nil {
		what = "Only the noisy joint count, sum and sum of squares (each hospital's noise share added inside the round)"
	}
	res.revealed = what + ", to everyone. Each hospital sent only ciphertexts and key material;\n" +
		"  the aggregator saw ciphertexts and decryption shares, never a hospital's rows or subtotals."
	return out, nil
}

// runRound connects the aggregator and the hospitals over TLS and runs one
// round with he's runner; the hospitals in drop crash after their first
// sends messages.
func runRound(ctx context.Context, n int, params *he.Params, round he.Round, inputs map[int]he.SpokeInput, drop []int, sends int) (*he.RoundResult, time.Duration, error) {
	setup := time.Now()
	star, err := transport.NewTLSLoopbackStar(ctx, n+1, transport.Options{})
	if err != nil {
		return nil, 0, fmt.Errorf("setting up TLS on loopback: %w", err)
	}
	defer func() {
		for _, m := range star {
			m.Close()
		}
	}()
	tlsTime := time.Since(setup)
	spokes := slices.Clone(star)
	for _, i := range drop {
		spokes[i+1] = transporttest.WrapMesh(star[i+1], func(_ int, c transport.Conn) transport.Conn {
			return transporttest.CloseAfter(c, sends)
		})
	}
	rr, err := he.RunInProcess(ctx, spokes, params, round, inputs)
	return rr, tlsTime, err
}

// hospitals maps mesh indices (hub 0, hospital i at i+1) to hospital numbers.
func hospitals(idx []int) []int {
	out := make([]int, len(idx))
	for k, j := range idx {
		out[k] = j - 1
	}
	return out
}
