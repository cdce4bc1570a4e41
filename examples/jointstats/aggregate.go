package main

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/veil-go/veil/he"
	"github.com/veil-go/veil/transport"
	"github.com/veil-go/veil/transport/transporttest"
)

// The totals travel as limbs: each of count, sum and sum of squares (int64)
// is written v = l0 + l1*2^24 + l2*2^48 with every limb of v's sign and
// below 2^24 in magnitude, so that the HE sum of up to maxParties
// contributions stays far inside the plaintext space of the smallest
// preset whatever the data, and the exact int64 totals are rebuilt after
// decryption with big integers.
const (
	limbBits  = 24
	limbs     = 3 // 3*24 = 72 bits cover any int64
	vectorLen = 3 * limbs
)

func encodeTotals(t totals) []int64 {
	out := make([]int64, 0, vectorLen)
	for _, v := range []int64{t.count, t.sum, t.sumSq} {
		for range limbs {
			l := v % (1 << limbBits) // Go's % keeps the sign of v
			out = append(out, l)
			v = (v - l) >> limbBits
		}
	}
	return out
}

// decodeTotals rebuilds the totals; a total outside int64 is an error.
func decodeTotals(v []int64) (totals, error) {
	if len(v) != vectorLen {
		return totals{}, fmt.Errorf("decrypted %d values, want %d", len(v), vectorLen)
	}
	var out [3]int64
	for k := range out {
		x := new(big.Int)
		for j := limbs - 1; j >= 0; j-- {
			x.Lsh(x, limbBits)
			x.Add(x, big.NewInt(v[k*limbs+j]))
		}
		if !x.IsInt64() {
			return totals{}, errors.New("a joint total exceeds 64 bits")
		}
		out[k] = x.Int64()
	}
	return totals{count: out[0], sum: out[1], sumSq: out[2]}, nil
}

// aggregate runs one threshold HE aggregation round (package he, BGV) with
// he's runner over a star on mutual TLS 1.3 on loopback: the aggregator is
// the hub (mesh index 0, no key, no data) and hospital i is spoke i+1, both
// a key holder and a client. The runner does collective key generation
// (and, for T-of-N, the dealing of threshold shares), collects and adds
// the ciphertexts, and has T key holders decrypt, trying other holders if
// some dropped. Parties in -drop close their links right after sending
// their ciphertext: their mesh is wrapped with transporttest.CloseAfter.
func aggregate(ctx context.Context, cfg *config, locals []totals, rel *release, res *result) (totals, error) {
	n := len(locals)
	hecfg := he.Config{Preset: he.IntLogN13, Bound: 1<<limbBits - 1, MaxWeight: int64(n), KeyHolders: n, MaxValues: vectorLen}
	if cfg.threshold < n {
		hecfg.Threshold = cfg.threshold
	}
	params, err := he.NewParams(hecfg)
	if err != nil {
		return totals{}, err
	}
	// The semi-honest model for contributions: every party here runs this
	// program. he's default, verified path (each hospital proves its
	// ciphertext well formed, every key holder verifies) would need
	// Config.VerifiedContributions, which does not fit IntLogN13's noise
	// budget: IntLogN14, twice the ciphertext, and a ~14 MB proof per
	// hospital (see he.Round.SemiHonestContributions, bench/RESULTS.md).
	round := he.Round{Length: vectorLen, SemiHonestContributions: true}
	inputs := make(map[int]he.SpokeInput, n)
	for i := range n {
		round.Holders = append(round.Holders, i+1)
		round.Clients = append(round.Clients, i+1)
		inputs[i+1] = he.SpokeInput{Ints: encodeTotals(rel.noisy(i, locals[i]))}
	}
	// A hospital sends its key-generation message, (T-of-N) its sealed
	// deals, then its ciphertext.
	sends := 2
	if hecfg.Threshold > 0 {
		sends = 3
	}
	rr, tlsTime, err := runStar(ctx, cfg, n, params, round, inputs, sends)
	if err != nil {
		return totals{}, err
	}
	if len(rr.Counted) != n {
		return totals{}, fmt.Errorf("only hospitals %v were counted (missing %v)", hospitals(rr.Counted), hospitals(rr.Missing))
	}
	out, err := decodeTotals(rr.Ints)
	if err != nil {
		return totals{}, err
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
	res.revealed = "Only the joint count, sum and sum of squares, to everyone. Each hospital sent only ciphertexts and key material;\n" +
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
