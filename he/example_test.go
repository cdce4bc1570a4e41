package he_test

import (
	"context"
	"fmt"
	"time"

	"github.com/veil-go/veil/dp"
	"github.com/veil-go/veil/he"
	"github.com/veil-go/veil/transport"
	"github.com/veil-go/veil/transport/transporttest"
)

// Single key: clients encrypt under the decryptor's public key, anyone adds
// the ciphertexts, only the key owner decrypts.
func Example_singleKey() {
	p, err := he.NewParams(he.Config{Preset: he.IntLogN13, Bound: 1_000_000, MaxWeight: 3})
	if err != nil {
		panic(err)
	}
	sk, pk := p.GenKeyPair()
	enc, _ := p.NewEncryptor(pk)
	a, _ := enc.EncryptInts([]int64{10, -20, 30})
	b, _ := enc.EncryptInts([]int64{1, 2, 3})
	sum, _ := p.Sum([]*he.Ciphertext{a, b}, []int64{1, 2}) // a + 2b
	dec, _ := p.NewDecryptor(sk)
	out, _ := dec.DecryptInts(sum)
	fmt.Println(out, "level", p.Level(), "slots", p.Slots())
	// Output: [12 -16 36] level 0 slots 8192
}

// N-of-N: three key holders make a collective key; the aggregate is
// re-encrypted to an analyst, so only the analyst learns the result.
func Example_collectiveReencryption() {
	p, _ := he.NewParams(he.Config{Preset: he.IntLogN13, Bound: 1000, MaxWeight: 3, KeyHolders: 3})
	crs, _ := he.NewCRS()
	var holders []*he.KeyHolder
	var shares []*he.PublicKeyShare
	for i := 0; i < 3; i++ {
		h, _ := p.NewKeyHolder(i)
		holders = append(holders, h)
		shares = append(shares, h.GenPublicKeyShare(crs))
	}
	pk, _ := p.CombinePublicKey(crs, shares)

	enc, _ := p.NewEncryptor(pk)
	agg, _ := p.NewAggregator(2)
	for _, v := range [][]int64{{1, 100}, {2, 200}, {3, -300}} {
		c, _ := enc.EncryptInts(v)
		_ = agg.Add(c)
	}
	sum := agg.Result()

	analystSK, analystPK := p.GenKeyPair()
	var rs []*he.ReencryptionShare
	for _, h := range holders {
		s, _ := h.ReencryptionShare(sum, analystPK, nil)
		rs = append(rs, s)
	}
	forAnalyst, _ := p.CombineReencryption(sum, rs)
	dec, _ := p.NewDecryptor(analystSK)
	out, _ := dec.DecryptInts(forAnalyst)
	fmt.Println(out)
	// Output: [6 0]
}

// T-of-N: five key holders, any three decrypt; two have dropped.
func Example_threshold() {
	p, _ := he.NewParams(he.Config{Preset: he.IntLogN13, Bound: 1000, MaxWeight: 2, KeyHolders: 5, Threshold: 3})
	crs, _ := he.NewCRS()
	holders := make([]*he.KeyHolder, 5)
	var shares []*he.PublicKeyShare
	for i := range holders {
		holders[i], _ = p.NewKeyHolder(i)
		shares = append(shares, holders[i].GenPublicKeyShare(crs))
	}
	pk, _ := p.CombinePublicKey(crs, shares)
	// Each holder deals Shamir shares of its key share to every holder.
	dealt := make([][]*he.ShamirShare, 5)
	for i, h := range holders {
		dealt[i], _ = h.GenShamirShares()
	}
	for j, h := range holders {
		mine := make([]*he.ShamirShare, 5)
		for i := range holders {
			mine[i] = dealt[i][j]
		}
		_ = h.SetShamirShares(mine)
	}

	enc, _ := p.NewEncryptor(pk)
	a, _ := enc.EncryptInts([]int64{7, -7})
	b, _ := enc.EncryptInts([]int64{35, 0})
	sum, _ := p.Sum([]*he.Ciphertext{a, b}, nil)

	active := []int{0, 3, 4} // holders 1 and 2 are gone
	var ds []*he.DecryptionShare
	for _, i := range active {
		s, _ := holders[i].DecryptionShare(sum, active)
		ds = append(ds, s)
	}
	out, _ := p.CombineInts(sum, ds)
	fmt.Println(out)
	// Output: [42 -7]
}

// A whole threshold round over an in-memory star: hub 0 aggregates, spokes
// 1-3 hold the key (2 of 3 decrypt) and contribute moments, spoke 2 crashes
// after sending its vector (its third message: key generation, sealed
// deals, ciphertext), simulated by wrapping its mesh.
func ExampleRunInProcess() {
	bound, _ := he.MomentsBound(100, 100_00) // up to 100 rows of |x| <= 100.00
	p, _ := he.NewParams(he.Config{Preset: he.IntLogN13, Bound: bound, MaxWeight: 3, KeyHolders: 3, Threshold: 2})
	star, _ := transport.NewMemStar(4, transport.Options{})
	rows := map[int][]int64{1: {150, 250}, 2: {-100}, 3: {1000, 2000, 3000}}
	inputs := map[int]he.SpokeInput{}
	for j, r := range rows {
		m, _ := he.Moments(r)
		inputs[j] = he.SpokeInput{Ints: m}
	}
	star[2] = transporttest.WrapMesh(star[2], func(_ int, c transport.Conn) transport.Conn {
		return transporttest.CloseAfter(c, 3)
	})
	round := he.Round{SemiHonestContributions: true, Holders: []int{1, 2, 3}, Clients: []int{1, 2, 3}, Length: 3, CollectWindow: 5 * time.Second}
	res, err := he.RunInProcess(context.Background(), star, p, round, inputs)
	if err != nil {
		panic(err)
	}
	ms, _ := he.NewMomentSums(res.Ints)
	fmt.Printf("n=%d mean=%.2f counted=%v decryptors=%v\n", ms.Count, ms.Mean()/100, res.Counted, res.Decryptors)
	// Output: n=6 mean=10.50 counted=[1 2 3] decryptors=[1 3]
}

// A differentially private sum: three clients, each adding its share of
// Skellam noise inside the round; the Params come from the Noise, which
// sizes the plaintext range for the values plus the noise's tail.
func Example_noisySum() {
	budget, _ := dp.NewAccountant(1, 1e-6)
	noise, err := he.NewNoise(he.NoiseConfig{Epsilon: 1, Delta: 1e-6,
		MaxAbs: []int64{100, 10_000}, Sensitivity: []int64{1, 100},
		Parties: 3, MinHonest: 2, Budget: budget})
	if err != nil {
		panic(err)
	}
	p, _ := he.NewParams(noise.Config(he.Config{Preset: he.IntLogN13, KeyHolders: 3}))
	star, _ := transport.NewMemStar(4, transport.Options{})
	in := map[int]he.SpokeInput{1: {Ints: []int64{1, 50}}, 2: {Ints: []int64{1, 70}}, 3: {Ints: []int64{1, 90}}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := he.RunInProcess(ctx, star, p, he.Round{SemiHonestContributions: true, Noise: noise}, in)
	if err != nil {
		panic(err)
	}
	eps, delta := budget.Spent()
	fmt.Println(len(res.Ints), "noisy sums; spent", eps, delta)
	// Output: 2 noisy sums; spent 1 1e-06
}
