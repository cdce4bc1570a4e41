package bench

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/schemes/bgv"
	"github.com/tuneinsight/lattigo/v5/schemes/ckks"

	"github.com/veil-go/veil/he"
)

// heCases measure package he per preset against raw lattigo doing the same
// work at the same ring degree, modulus sizes and level, and the
// multiparty aggregation round against plain uint64 addition.
func heCases() []Case {
	var cs []Case
	for _, p := range []struct {
		preset he.Preset
		name   string
		anchor string
	}{
		{he.IntLogN13, "BGV LogN13", "lattigo BGV LogN13 level 0: 2.9 ms / 12 us / 0.33 ms (encrypt / add / decrypt)"},
		{he.IntLogN14, "BGV LogN14", "lattigo BGV LogN14 max level: 26 ms / 250 us / 5.0 ms"},
		{he.RealLogN13, "CKKS LogN13", "Paillier-2048 (FATE/HEU): 0.81 ms per value encrypted"},
		{he.RealLogN14, "CKKS LogN14", "lattigo CKKS LogN14: 31 ms / 255 us / 1.4 ms at level 0"},
	} {
		for _, op := range []string{"encrypt", "add", "decrypt"} {
			cs = append(cs, Case{Group: "he", Name: fmt.Sprintf("%s %s (one ciphertext, all slots)", op, p.name), Item: "values",
				Headline: p.preset == he.IntLogN13 && op == "encrypt",
				Anchor:   p.anchor + "; goal: within 10% of raw lattigo", Expect: 4 * time.Second,
				Setup: heOpSetup(p.preset, op)})
		}
	}
	cs = append(cs, Case{Group: "he", Name: "N-of-N aggregation round, BGV LogN13, 8192 values per party", Item: "values",
		Anchor:     "lattigo, 3 parties LogN13 keygen+encrypt+sum+decrypt: ~46 ms (~21 ms at level 0)",
		QuickSizes: []int{3}, FullSizes: []int{2, 3, 5, 10, 20}, Chart: "he", Series: "BGV LogN13, N-of-N",
		Expect: 20 * time.Second, Setup: heRoundSetup(false)})
	cs = append(cs, Case{Group: "he", Name: "T-of-N aggregation round (T = N/2+1), BGV LogN13, 8192 values per party", Item: "values",
		Anchor:     "goal: 1000 clients x 8192 values, T=3 of 5, in < 10 s",
		QuickSizes: []int{3}, FullSizes: []int{3, 5, 10, 20}, Chart: "he", Series: "BGV LogN13, T-of-N",
		Expect: 30 * time.Second, Setup: heRoundSetup(true)})
	return cs
}

func heParams(preset he.Preset, parties, threshold int) (*he.Params, error) {
	// MaxValues: these kernels measure one ciphertext's worth of values, and
	// the smudging is sized for the longest vector a round may carry.
	cfg := he.Config{Preset: preset, MaxWeight: int64(max(parties, 2)), KeyHolders: 1, Threshold: threshold, MaxValues: 1 << 14}
	if parties > 1 {
		cfg.KeyHolders = parties
	}
	switch preset {
	case he.IntLogN13, he.IntLogN14:
		cfg.Bound = 1 << 20
	default:
		cfg.RealBound = 1 << 10
	}
	return he.NewParams(cfg)
}

// rawLattigo mirrors a he.Params with plain lattigo: same degree, modulus
// sizes, plaintext modulus or scale, encryption level.
type rawLattigo struct {
	encrypt, add, decrypt func()
}

func newRawLattigo(p *he.Params) (*rawLattigo, error) {
	nQ := p.Level() + 1
	logQ := make([]int, max(nQ, 2))
	for i := range logQ {
		logQ[i] = 60
	}
	level := p.Level()
	var params rlwe.ParameterProvider
	var encode func(*rlwe.Plaintext) error
	var decode func(*rlwe.Plaintext) error
	var addCt func(a, b, out *rlwe.Ciphertext) error
	var newPt func() *rlwe.Plaintext
	slots := p.Slots()
	switch p.Scheme() {
	case he.BGV:
		bp, err := bgv.NewParametersFromLiteral(bgv.ParametersLiteral{LogN: p.LogN(), LogQ: logQ, LogP: []int{60}, PlaintextModulus: p.PlaintextModulus()})
		if err != nil {
			return nil, err
		}
		ecd := bgv.NewEncoder(bp)
		vals := make([]int64, slots)
		for i := range vals {
			vals[i] = int64(i)
		}
		eval := bgv.NewEvaluator(bp, nil)
		params = bp
		newPt = func() *rlwe.Plaintext { return bgv.NewPlaintext(bp, level) }
		encode = func(pt *rlwe.Plaintext) error { return ecd.Encode(vals, pt) }
		decode = func(pt *rlwe.Plaintext) error { return ecd.Decode(pt, vals) }
		addCt = func(a, b, out *rlwe.Ciphertext) error { return eval.Add(a, b, out) }
	case he.CKKS:
		cp, err := ckks.NewParametersFromLiteral(ckks.ParametersLiteral{LogN: p.LogN(), LogQ: logQ, LogP: []int{60}, LogDefaultScale: p.LogScale()})
		if err != nil {
			return nil, err
		}
		ecd := ckks.NewEncoder(cp)
		vals := make([]float64, slots)
		for i := range vals {
			vals[i] = math.Sin(float64(i))
		}
		eval := ckks.NewEvaluator(cp, nil)
		params = cp
		newPt = func() *rlwe.Plaintext { return ckks.NewPlaintext(cp, level) }
		encode = func(pt *rlwe.Plaintext) error { return ecd.Encode(vals, pt) }
		decode = func(pt *rlwe.Plaintext) error { return ecd.Decode(pt, vals) }
		addCt = func(a, b, out *rlwe.Ciphertext) error { return eval.Add(a, b, out) }
	default:
		return nil, fmt.Errorf("unknown scheme %v", p.Scheme())
	}
	kg := rlwe.NewKeyGenerator(params)
	sk, pk := kg.GenKeyPairNew()
	enc := rlwe.NewEncryptor(params, pk)
	dec := rlwe.NewDecryptor(params, sk)
	pt := newPt()
	if err := encode(pt); err != nil {
		return nil, err
	}
	ct, err := enc.EncryptNew(pt)
	if err != nil {
		return nil, err
	}
	acc := ct.CopyNew()
	return &rawLattigo{
		encrypt: func() {
			pt := newPt()
			_ = encode(pt)
			_, _ = enc.EncryptNew(pt)
		},
		add: func() { _ = addCt(acc, ct, acc) },
		decrypt: func() {
			_ = decode(dec.DecryptNew(ct))
		},
	}, nil
}

func heOpSetup(preset he.Preset, op string) func(context.Context, int) (*Ops, error) {
	return func(context.Context, int) (*Ops, error) {
		p, err := heParams(preset, 1, 0)
		if err != nil {
			return nil, err
		}
		if op == "add" {
			// Room for many additions into one aggregate, so that the
			// figure is the addition and not the accumulator's allocation.
			cfg := p.Config()
			cfg.MaxWeight = 1 << 12
			if p, err = he.NewParams(cfg); err != nil {
				return nil, err
			}
		}
		raw, err := newRawLattigo(p)
		if err != nil {
			return nil, fmt.Errorf("raw lattigo baseline: %w", err)
		}
		sk, pk := p.GenKeyPair()
		enc, err := p.NewEncryptor(pk)
		if err != nil {
			return nil, err
		}
		dec, err := p.NewDecryptor(sk)
		if err != nil {
			return nil, err
		}
		slots := p.Slots()
		ints := make([]int64, slots)
		floats := make([]float64, slots)
		for i := range ints {
			ints[i] = int64(i % 1000)
			floats[i] = math.Sin(float64(i))
		}
		encrypt := func() (*he.Ciphertext, error) {
			if p.Scheme() == he.BGV {
				return enc.EncryptInts(ints)
			}
			return enc.EncryptFloats(floats)
		}
		ct, err := encrypt()
		if err != nil {
			return nil, err
		}
		ops := &Ops{Items: float64(slots), BaselineName: "raw lattigo, same parameters and level"}
		wrap := func(f func()) func(context.Context) (int64, error) {
			return func(context.Context) (int64, error) { f(); return 0, nil }
		}
		switch op {
		case "encrypt":
			ops.Veil = func(context.Context) (int64, error) { _, err := encrypt(); return 0, err }
			ops.Baseline = wrap(raw.encrypt)
		case "add":
			// A fresh accumulator per Setup; MaxWeight bounds how many
			// additions one aggregate may take, so add into a copy that is
			// reset when the bound is near.
			agg, err := p.NewAggregator(slots)
			if err != nil {
				return nil, err
			}
			ops.Veil = func(context.Context) (int64, error) {
				if agg.Count() >= int(p.Config().MaxWeight) {
					if agg, err = p.NewAggregator(slots); err != nil {
						return 0, err
					}
				}
				return 0, agg.Add(ct)
			}
			ops.Baseline = wrap(raw.add)
		case "decrypt":
			ops.Veil = func(context.Context) (int64, error) {
				if p.Scheme() == he.BGV {
					_, err := dec.DecryptInts(ct)
					return 0, err
				}
				_, err := dec.DecryptFloats(ct)
				return 0, err
			}
			ops.Baseline = wrap(raw.decrypt)
		}
		return ops, nil
	}
}

// heRoundSetup measures, for n parties in one process, a whole
// aggregation without transport: collective key generation (and, T-of-N,
// the dealing of threshold shares), every party encrypting 8192 values,
// the sum, and the collective decryption by N (or T) parties. The baseline
// adds the same n plaintext vectors with uint64 arithmetic.
func heRoundSetup(threshold bool) func(context.Context, int) (*Ops, error) {
	return func(ctx context.Context, n int) (*Ops, error) { return heRound(n, threshold) }
}

func heRound(n int, threshold bool) (*Ops, error) {
	t := 0
	var active []int
	if threshold {
		t = n/2 + 1
		for i := range t {
			active = append(active, i)
		}
	}
	p, err := heParams(he.IntLogN13, n, t)
	if err != nil {
		return nil, err
	}
	slots := p.Slots()
	vals := make([]int64, slots)
	for i := range vals {
		vals[i] = int64(i % 1000)
	}
	plain := make([][]uint64, n)
	for i := range plain {
		plain[i] = make([]uint64, slots)
	}
	acc := make([]uint64, slots)
	return &Ops{
		Veil: func(context.Context) (int64, error) {
			khs, pk, err := heCollectiveKey(p, n, threshold)
			if err != nil {
				return 0, err
			}
			enc, err := p.NewEncryptor(pk)
			if err != nil {
				return 0, err
			}
			cts := make([]*he.Ciphertext, n)
			for i := range cts {
				if cts[i], err = enc.EncryptInts(vals); err != nil {
					return 0, err
				}
			}
			sum, err := p.Sum(cts, nil)
			if err != nil {
				return 0, err
			}
			out, err := heCollectiveDecrypt(p, khs, sum, active)
			if err != nil {
				return 0, err
			}
			if out[1] != int64(n) {
				return 0, fmt.Errorf("sum decrypted to %d, want %d", out[1], n)
			}
			return int64(n * p.CiphertextBytes(slots)), nil // one ciphertext from each party
		},
		BaselineName: "plain uint64 addition of the n vectors",
		Baseline: func(context.Context) (int64, error) {
			clear(acc)
			for _, v := range plain {
				plainAdd(acc, v)
			}
			return 0, nil
		},
		Items: float64(n * slots),
	}, nil
}

// heCollectiveKey makes n key holders, their collective public key and,
// for a threshold key, deals their Shamir shares.
func heCollectiveKey(p *he.Params, n int, threshold bool) ([]*he.KeyHolder, *he.PublicKey, error) {
	crs, err := he.NewCRS()
	if err != nil {
		return nil, nil, err
	}
	khs := make([]*he.KeyHolder, n)
	shares := make([]*he.PublicKeyShare, n)
	for i := range khs {
		if khs[i], err = p.NewKeyHolder(i); err != nil {
			return nil, nil, err
		}
		shares[i] = khs[i].GenPublicKeyShare(crs)
	}
	pk, err := p.CombinePublicKey(crs, shares)
	if err != nil || !threshold {
		return khs, pk, err
	}
	dealt := make([][]*he.ShamirShare, n)
	for i, k := range khs {
		if dealt[i], err = k.GenShamirShares(); err != nil {
			return nil, nil, err
		}
	}
	for j, k := range khs {
		got := make([]*he.ShamirShare, n)
		for i := range n {
			got[i] = dealt[i][j]
		}
		if err := k.SetShamirShares(got); err != nil {
			return nil, nil, err
		}
	}
	return khs, pk, nil
}

// heCollectiveDecrypt decrypts sum with the shares of the first
// p.Decryptors() holders (the active set for a threshold key).
func heCollectiveDecrypt(p *he.Params, khs []*he.KeyHolder, sum *he.Ciphertext, active []int) ([]int64, error) {
	ds := make([]*he.DecryptionShare, p.Decryptors())
	for i := range ds {
		var err error
		if ds[i], err = khs[i].DecryptionShare(sum, active); err != nil {
			return nil, err
		}
	}
	return p.CombineInts(sum, ds)
}
