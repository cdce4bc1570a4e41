package he

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/veil-go/veil/transport"
)

// benchSingle is a single-key IntLogN13 session at level 0, one worker.
func benchSingle(b *testing.B) (*Params, *SecretKey, *PublicKey, []int64) {
	p, err := NewParams(Config{Preset: IntLogN13, Bound: 1 << 20, MaxWeight: 1 << 10, Workers: 1})
	require.NoError(b, err)
	require.Equal(b, 0, p.Level())
	sk, pk := p.GenKeyPair()
	return p, sk, pk, randInts(rand.New(rand.NewSource(1)), p.Slots(), 1<<20)
}

// Wrapper against raw lattigo, side by side: encrypt, add, decrypt one full
// ciphertext (8192 values) at LogN 13, level 0.
func BenchmarkWrapperVsLattigo(b *testing.B) {
	p, sk, pk, v := benchSingle(b)
	enc, _ := p.NewEncryptor(pk)
	dec, _ := p.NewDecryptor(sk)
	ct, err := enc.EncryptInts(v)
	require.NoError(b, err)
	acc := ct.CopyNew()

	// raw lattigo
	ecd := heint.NewEncoder(p.bgv)
	renc := rlwe.NewEncryptor(p.rlwe, pk.pk)
	rdec := rlwe.NewDecryptor(p.rlwe, sk.sk)
	pt := heint.NewPlaintext(p.bgv, 0)
	rct := heint.NewCiphertext(p.bgv, 1, 0)
	racc := heint.NewCiphertext(p.bgv, 1, 0)
	out := make([]int64, p.Slots())
	ringQ := p.rlwe.RingQ().AtLevel(0)

	values := func(b *testing.B) {
		b.ReportMetric(float64(b.N)*float64(p.Slots())/b.Elapsed().Seconds(), "values/s")
	}
	b.Run("encrypt/lattigo", func(b *testing.B) {
		for b.Loop() {
			_ = ecd.Encode(v, pt)
			_ = renc.Encrypt(pt, rct)
		}
		values(b)
	})
	b.Run("encrypt/he", func(b *testing.B) {
		for b.Loop() {
			_, _ = enc.EncryptInts(v)
		}
		values(b)
	})
	b.Run("add/lattigo", func(b *testing.B) {
		for b.Loop() {
			ringQ.Add(racc.Value[0], rct.Value[0], racc.Value[0])
			ringQ.Add(racc.Value[1], rct.Value[1], racc.Value[1])
		}
		values(b)
	})
	b.Run("add/he", func(b *testing.B) {
		for b.Loop() {
			acc.weight = 0
			_ = p.Add(acc, ct)
		}
		values(b)
	})
	b.Run("decrypt/lattigo", func(b *testing.B) {
		for b.Loop() {
			rdec.Decrypt(rct, pt)
			_ = ecd.Decode(pt, out)
		}
		values(b)
	})
	b.Run("decrypt/he", func(b *testing.B) {
		for b.Loop() {
			_, _ = dec.DecryptInts(ct)
		}
		values(b)
	})
}

// Aggregation throughput at LogN 13 level 0: values added per second on one
// core, lazy Aggregator against ring.Add and a plain uint64 loop baseline.
func BenchmarkAggregateThroughput(b *testing.B) {
	p, _, pk, v := benchSingle(b)
	enc, _ := p.NewEncryptor(pk)
	const batch = 64 // ciphertexts of 8192 values each
	cts := make([]*Ciphertext, batch)
	for i := range cts {
		cts[i], _ = enc.EncryptInts(v)
	}
	per := float64(batch * p.Slots())
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.N)*per/b.Elapsed().Seconds(), "values/s")
	}
	b.Run("aggregator-lazy", func(b *testing.B) {
		for b.Loop() {
			a, _ := p.NewAggregator(p.Slots())
			for _, c := range cts {
				if err := a.Add(c); err != nil {
					b.Fatal(err)
				}
			}
			a.reduce()
		}
		report(b)
	})
	b.Run("ring-add", func(b *testing.B) {
		acc := p.newCiphertext(p.Slots())
		r := p.rlwe.RingQ().AtLevel(0)
		for b.Loop() {
			for _, c := range cts {
				r.Add(acc.cts[0].Value[0], c.cts[0].Value[0], acc.cts[0].Value[0])
				r.Add(acc.cts[0].Value[1], c.cts[0].Value[1], acc.cts[0].Value[1])
			}
		}
		report(b)
	})
	b.Run("uint64-add-baseline", func(b *testing.B) {
		acc := make([]uint64, 2*p.rlwe.N())
		for b.Loop() {
			for _, c := range cts {
				x, y := c.cts[0].Value[0].Coeffs[0], c.cts[0].Value[1].Coeffs[0]
				n := len(x)
				for j := range x {
					acc[j] += x[j]
					acc[n+j] += y[j]
				}
			}
		}
		report(b)
	})
}

// thresholdAggregate runs the whole pipeline in one process: a T-of-N key,
// clients x length values encrypted (workers in parallel, each with its own
// aggregator), summed and threshold-decrypted by T holders.
func thresholdAggregate(b *testing.B, clients, length, n, t int) {
	// MaxValues = length: the smudging is sized for the longest vector of
	// the round (IntLogN13 cannot protect 1000 clients at 2^20 values).
	p, err := NewParams(Config{Preset: IntLogN13, Bound: 1 << 20, MaxWeight: int64(clients), KeyHolders: n, Threshold: t, Workers: 1, MaxValues: length})
	require.NoError(b, err)
	v := randInts(rand.New(rand.NewSource(2)), length, 1<<20)
	workers := p.Config().Workers
	if w := testingWorkers(); w > 0 {
		workers = w
	}
	for b.Loop() {
		_, hs, pk := collective(b, p.Config())
		pp := hs[0].p
		aggs := make([]*Aggregator, workers)
		var wg sync.WaitGroup
		for w := range aggs {
			aggs[w], _ = pp.NewAggregator(length)
			wg.Add(1)
			go func() {
				defer wg.Done()
				enc, _ := pp.NewEncryptor(pk)
				for c := w; c < clients; c += workers {
					ct, err := enc.EncryptInts(v)
					if err != nil {
						panic(err)
					}
					if err := aggs[w].Add(ct); err != nil {
						panic(err)
					}
				}
			}()
		}
		wg.Wait()
		sum := aggs[0].Result()
		for _, a := range aggs[1:] {
			if err := pp.Add(sum, a.Result()); err != nil {
				b.Fatal(err)
			}
		}
		active := make([]int, t)
		for i := range active {
			active[i] = n - t + i // the first n-t holders dropped
		}
		var ds []*DecryptionShare
		for _, i := range active {
			s, err := hs[i].DecryptionShare(sum, active)
			require.NoError(b, err)
			ds = append(ds, s)
		}
		got, err := pp.CombineInts(sum, ds)
		require.NoError(b, err)
		require.Equal(b, v[0]*int64(clients), got[0])
	}
	b.ReportMetric(float64(b.N)*float64(clients*length)/b.Elapsed().Seconds(), "values/s")
	b.ReportMetric(float64(p.CiphertextBytes(length)), "bytes/client")
}

// testingWorkers: GOMAXPROCS (the default of Config.Workers) via a Params.
func testingWorkers() int { return 0 }

// 1000 clients x 8192 values, T = 3 of 5 (goal: under 10 s on 2 cores).
func BenchmarkThreshold1000x8192(b *testing.B) {
	thresholdAggregate(b, 1000, 8192, 5, 3)
}

// How time grows with clients and vector length (T = 3 of 5).
func BenchmarkThresholdScaling(b *testing.B) {
	for _, clients := range []int{10, 100} {
		for _, length := range []int{1024, 8192, 32768} {
			b.Run(fmt.Sprintf("clients=%d/len=%d", clients, length), func(b *testing.B) {
				thresholdAggregate(b, clients, length, 5, 3)
			})
		}
	}
}

// Wrapper overhead measured by alternating raw lattigo and the wrapper in
// the same loop, so that machine noise hits both alike: reports
// wrapper/raw - 1 in percent for encrypt, add and decrypt.
func BenchmarkOverhead(b *testing.B) {
	p, sk, pk, v := benchSingle(b)
	enc, _ := p.NewEncryptor(pk)
	dec, _ := p.NewDecryptor(sk)
	ct, _ := enc.EncryptInts(v)
	acc := ct.CopyNew()
	ecd := heint.NewEncoder(p.bgv)
	renc := rlwe.NewEncryptor(p.rlwe, pk.pk)
	rdec := rlwe.NewDecryptor(p.rlwe, sk.sk)
	pt := heint.NewPlaintext(p.bgv, 0)
	rct := heint.NewCiphertext(p.bgv, 1, 0)
	racc := heint.NewCiphertext(p.bgv, 1, 0)
	out := make([]int64, p.Slots())
	ringQ := p.rlwe.RingQ().AtLevel(0)
	ops := []struct {
		name      string
		raw, wrap func()
	}{
		{"encrypt", func() { _ = ecd.Encode(v, pt); _ = renc.Encrypt(pt, rct) }, func() { _, _ = enc.EncryptInts(v) }},
		{"add", func() {
			ringQ.Add(racc.Value[0], rct.Value[0], racc.Value[0])
			ringQ.Add(racc.Value[1], rct.Value[1], racc.Value[1])
		}, func() { acc.weight = 0; _ = p.Add(acc, ct) }},
		{"decrypt", func() { rdec.Decrypt(rct, pt); _ = ecd.Decode(pt, out) }, func() { _, _ = dec.DecryptInts(ct) }},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			var raw, wrap time.Duration
			i := 0
			for b.Loop() {
				// alternate the order so neither side always runs warm
				first, second := op.raw, op.wrap
				if i%2 == 1 {
					first, second = op.wrap, op.raw
				}
				t0 := time.Now()
				first()
				t1 := time.Now()
				second()
				t2 := time.Now()
				if i%2 == 0 {
					raw, wrap = raw+t1.Sub(t0), wrap+t2.Sub(t1)
				} else {
					wrap, raw = wrap+t1.Sub(t0), raw+t2.Sub(t1)
				}
				i++
			}
			b.ReportMetric(100*(float64(wrap)/float64(raw)-1), "overhead-%")
			b.ReportMetric(float64(raw.Nanoseconds())/float64(b.N), "raw-ns/op")
			b.ReportMetric(float64(wrap.Nanoseconds())/float64(b.N), "he-ns/op")
		})
	}
}

// BenchmarkProof measures one client's proof of well-formedness for a
// vector of 2^16 values (BGV LogN 14: 4 chunks, one group; CKKS LogN 14:
// 8 chunks, one group) beside the plain encryption of the same vector: the
// client's cost is encrypt-proven, each verifier's is verify.
func BenchmarkProof(b *testing.B) {
	const n = 1 << 16
	for _, cfg := range []Config{
		{Preset: IntLogN14, Bound: 1 << 20, MaxWeight: 100, KeyHolders: 3, MaxValues: n, VerifiedContributions: true},
		{Preset: RealLogN14, RealBound: 1000, MaxWeight: 100, KeyHolders: 3, MaxValues: n, VerifiedContributions: true},
	} {
		p, _, pk := collective(b, cfg)
		enc, err := p.NewEncryptor(pk)
		require.NoError(b, err)
		ints := make([]int64, n)
		floats := make([]float64, n)
		for i := range ints {
			ints[i] = int64(i)
			floats[i] = float64(i) / 128
		}
		pc := ProofContext{Session: []byte("bench"), Client: 1}
		encrypt := func() (*Ciphertext, error) {
			if p.Scheme() == BGV {
				return enc.EncryptInts(ints)
			}
			return enc.EncryptFloats(floats)
		}
		prove := func() (*Ciphertext, *Proof, error) {
			if p.Scheme() == BGV {
				return enc.EncryptIntsProven(ints, pc)
			}
			return enc.EncryptFloatsProven(floats, pc)
		}
		name := fmt.Sprintf("%v-LogN%d-2^16", p.Scheme(), p.LogN())
		metrics := func(b *testing.B) {
			b.ReportMetric(float64(p.ProofBytes(n)), "proof-bytes")
			b.ReportMetric(float64(p.CiphertextBytes(n)), "ciphertext-bytes")
		}
		b.Run(name+"/encrypt", func(b *testing.B) {
			for b.Loop() {
				if _, err := encrypt(); err != nil {
					b.Fatal(err)
				}
			}
			metrics(b)
		})
		b.Run(name+"/encrypt-proven", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := prove(); err != nil {
					b.Fatal(err)
				}
			}
			metrics(b)
		})
		ct, pr, err := prove()
		require.NoError(b, err)
		b.Run(name+"/verify", func(b *testing.B) {
			for b.Loop() {
				if err := p.VerifyProof(ct, pr, pk, pc); err != nil {
					b.Fatal(err)
				}
			}
			metrics(b)
		})
	}
}

// BenchmarkRoundProofs runs one in-process round (3 key holders that are
// also clients, plus 1 client; 2^16 values each; BGV LogN 14) with and
// without proofs, on the same Params: the difference is what the
// verified path costs (each client proves once; the hub and each of the 3
// key holders verify the 4 proofs).
func BenchmarkRoundProofs(b *testing.B) {
	const n = 1 << 16
	p, err := NewParams(Config{Preset: IntLogN14, Bound: 1 << 20, MaxWeight: 4, KeyHolders: 3, MaxValues: n, VerifiedContributions: true})
	require.NoError(b, err)
	inputs := map[int]SpokeInput{}
	for j := 1; j <= 4; j++ {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(i % 1000 * j)
		}
		inputs[j] = SpokeInput{Ints: v}
	}
	for _, semi := range []bool{true, false} {
		name := "verified"
		if semi {
			name = "semi-honest"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				star, err := transport.NewMemStar(5, transport.Options{})
				require.NoError(b, err)
				res, err := RunInProcess(context.Background(), star, p, Round{Length: n, SemiHonestContributions: semi}, inputs)
				require.NoError(b, err)
				require.Len(b, res.Counted, 4)
				b.ReportMetric(float64(res.PerSpoke[4].BytesReceived), "client-bytes")
				b.ReportMetric(res.Collect.Seconds(), "collect-s")
				for _, m := range star {
					m.Close()
				}
			}
		})
	}
}
