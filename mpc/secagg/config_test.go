package secagg

import (
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewParamsRejects(t *testing.T) {
	for name, cfg := range map[string]Config{
		"one client":       {Clients: 1, Length: 1},
		"too many clients": {Clients: MaxClients + 1, Length: 1},
		"negative length":  {Clients: 3, Length: -1},
		"huge length":      {Clients: 3, Length: MaxLength + 1},
		"threshold < 0":    {Clients: 3, Length: 1, Threshold: -1},
		"threshold above":  {Clients: 3, Length: 1, Threshold: 3},
		"sparse t above k": {Clients: 50, Length: 1, Graph: SparseGraph, Degree: 4, Threshold: 5},
		"degree 1":         {Clients: 50, Length: 1, Graph: SparseGraph, Degree: 1},
		"graph":            {Clients: 3, Length: 1, Graph: Graph(7)},
		"dropout rate":     {Clients: 3, Length: 1, DropoutRate: 1},
		"dropout NaN":      {Clients: 3, Length: 1, DropoutRate: math.NaN()},
		"corrupt rate":     {Clients: 3, Length: 1, CorruptRate: -0.1},
		"security bits":    {Clients: 3, Length: 1, SecurityBits: 0.5},
		"correctness bits": {Clients: 3, Length: 1, CorrectnessBits: 0.5},
		"correctness 129":  {Clients: 3, Length: 1, CorrectnessBits: 129},
		"correctness NaN":  {Clients: 3, Length: 1, CorrectnessBits: math.NaN()},
		"workers":          {Clients: 3, Length: 1, Workers: -1},
		"round timeout":    {Clients: 3, Length: 1, RoundTimeout: -1},
		"names count":      {Clients: 3, Length: 1, Names: []string{"s", "a", "b"}},
		"names repeat":     {Clients: 2, Length: 1, Names: []string{"s", "a", "a"}},
		"name empty":       {Clients: 2, Length: 1, Names: []string{"s", "", "b"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewParams(cfg)
			assert.ErrorIs(t, err, ErrInvalidParams)
		})
	}
}

func TestCompleteGraphDefaults(t *testing.T) {
	p := newParams(t, Config{Clients: 7, Length: 3})
	assert.Equal(t, CompleteGraph, p.Graph())
	assert.Equal(t, 6, p.Degree())
	assert.Equal(t, 4, p.Threshold())
	g, err := p.graph([SeedSize]byte{})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3, 5, 6, 7}, g.neighbors(4))
	assert.Equal(t, "party-0", p.Name(0))
	assert.NotEqual(t, [SessionSize]byte{}, p.Session(), "fresh session")
}

func TestSparseGraph(t *testing.T) {
	for _, n := range []int{500, 1000} {
		p := newParams(t, Config{Clients: n, Length: 1, Graph: SparseGraph})
		require.Equal(t, SparseGraph, p.Graph())
		k := p.Degree()
		// Against a server that lies about dropouts (t > (k + corrupt
		// neighbours)/2), at the default rates and targets (privacy 2^-40,
		// aborts 2^-20): k = 254 at 500 clients, 292 at 10^4, growing
		// with log n.
		assert.Less(t, k, 55*int(math.Log2(float64(n))), "degree O(log n)")
		assert.Greater(t, 2*p.Threshold(), k)
		assert.LessOrEqual(t, p.PrivacyLog2(), -DefaultSecurityBits)
		assert.LessOrEqual(t, p.AbortLog2(), -DefaultCorrectnessBits)
		assert.LessOrEqual(t, p.FailureLog2(), math.Log2(math.Exp2(-DefaultSecurityBits)+math.Exp2(-DefaultCorrectnessBits)))
		// Regular, symmetric, no self loops, and isNeighbor agrees.
		g, err := p.graph([SeedSize]byte{1})
		require.NoError(t, err)
		all := make([][]int, n+1)
		for i := 1; i <= n; i++ {
			nb := g.neighbors(i)
			all[i] = nb
			require.Len(t, nb, k)
			for _, j := range nb {
				require.NotEqual(t, i, j)
				require.True(t, g.isNeighbor(j, i), "%d-%d not symmetric", i, j)
			}
			count := 0
			for j := 1; j <= n; j++ {
				if g.isNeighbor(i, j) {
					count++
				}
			}
			require.Equal(t, k, count)
		}
		// The graph is a function of the graph seed.
		again, err := p.graph([SeedSize]byte{1})
		require.NoError(t, err)
		assert.Equal(t, all[1], again.neighbors(1))
		other, err := p.graph([SeedSize]byte{2})
		require.NoError(t, err)
		assert.NotEqual(t, all[1], other.neighbors(1))
	}
}

// Higher dropout or corruption rates need larger degrees; small rounds fall
// back to the complete graph.
func TestSparseParamsMonotone(t *testing.T) {
	k1, _, ok1 := sparseParams(1000, 0.1, 0.1, 40, 20, 0)
	k2, _, ok2 := sparseParams(1000, 0.3, 0.1, 40, 20, 0)
	k3, _, ok3 := sparseParams(1000, 0.1, 0.3, 40, 20, 0)
	require.True(t, ok1 && ok2 && ok3)
	assert.Less(t, k1, k2)
	assert.Less(t, k1, k3)
	p := newParams(t, Config{Clients: 30, Length: 1, Graph: SparseGraph})
	assert.Equal(t, CompleteGraph, p.Graph())
	// The bounds reported match the stated targets at the chosen k, t.
	a, b, c := sparseFailure(1000, k1, sparseThreshold(k1, 0.1, 40, 1000), 0.1, 0.1)
	assert.LessOrEqual(t, b+c, math.Exp2(-40))
	assert.LessOrEqual(t, a, math.Exp2(-20))
}

// The two targets are met separately: privacy fails with probability at
// most 2^-SecurityBits and the round aborts with probability at most
// 2^-CorrectnessBits, recomputed from the exact binomial tails at the
// chosen k and t; and lowering CorrectnessBits (down to 1) never weakens
// privacy: the threshold stays the smallest that meets the privacy target
// at k (one less would not), and t > k/2 (the malicious bound) holds.
func TestSparseTargetsSeparate(t *testing.T) {
	const drop, corrupt = DefaultDropoutRate, DefaultCorruptRate
	for _, n := range []int{500, 1000, 10000} {
		prevK := math.MaxInt
		for _, eta := range []float64{60, 40, 30, 20, 10, 5, 1} {
			for _, sigma := range []float64{40, 64} {
				p := newParams(t, Config{Clients: n, Length: 1, Graph: SparseGraph, SecurityBits: sigma, CorrectnessBits: eta})
				if p.Graph() != SparseGraph {
					continue
				}
				k, th := p.Degree(), p.Threshold()
				pDrop, pSec, pConn := sparseFailure(n, k, th, drop, corrupt)
				assert.LessOrEqual(t, pSec+pConn, math.Exp2(-sigma), "n=%d eta=%v sigma=%v: privacy", n, eta, sigma)
				assert.LessOrEqual(t, pDrop, math.Exp2(-eta), "n=%d eta=%v sigma=%v: abort", n, eta, sigma)
				assert.LessOrEqual(t, p.PrivacyLog2(), -sigma)
				assert.LessOrEqual(t, p.AbortLog2(), -eta)
				assert.Greater(t, 2*th, k, "malicious bound")
				assert.Equal(t, sparseThreshold(k, corrupt, sigma, n), th)
				if 2*(th-1) > k {
					_, lower, _ := sparseFailure(n, k, th-1, drop, corrupt)
					assert.Greater(t, lower, math.Exp2(-sigma)/2, "n=%d: t-1 would also be private", n)
				}
				if sigma == 40 {
					assert.LessOrEqual(t, k, prevK, "n=%d: a lower eta never needs a larger degree", n)
					prevK = k
				}
			}
		}
	}
	// At n = 500 the default abort target saves a quarter of the degree
	// that an abort target of 2^-40 needs.
	p := newParams(t, Config{Clients: 500, Length: 1, Graph: SparseGraph})
	q := newParams(t, Config{Clients: 500, Length: 1, Graph: SparseGraph, CorrectnessBits: 40})
	assert.Equal(t, [2]int{254, 163}, [2]int{p.Degree(), p.Threshold()})
	assert.Equal(t, [2]int{372, 232}, [2]int{q.Degree(), q.Threshold()})
	// An explicit threshold at or below k/2 is refused whatever the
	// abort target.
	_, err := NewParams(Config{Clients: 500, Length: 1, Graph: SparseGraph, Degree: 100, Threshold: 50, CorrectnessBits: 1})
	assert.ErrorIs(t, err, ErrInvalidParams)
}

// The abort tail is summed directly: 1 minus the upper tail (as before)
// loses it to rounding in the lgamma terms. Checked against the exact sum
// for Bin(340, 4/5) < 214, about 1.1e-13 (the old computation gave 0, so
// k = 340, t = 214 at n = 500 was taken to abort with probability below
// 2^-40; the bound is 2^-34).
func TestBinomTailLTExact(t *testing.T) {
	const k, th = 340, 214
	num, den := new(big.Int), new(big.Int).Exp(big.NewInt(5), big.NewInt(k), nil)
	for i := int64(0); i < th; i++ {
		term := new(big.Int).Binomial(k, i)
		term.Mul(term, new(big.Int).Exp(big.NewInt(4), big.NewInt(i), nil))
		num.Add(num, term)
	}
	exact, _ := new(big.Rat).SetFrac(num, den).Float64()
	assert.InEpsilon(t, exact, binomTailLT(k, th, 0.8), 1e-9)
	assert.InEpsilon(t, 1-exact, binomTailGE(k, th, 0.8), 1e-12)
}

// Params travel: the bytes rebuild the same parameters (same digest and
// graph), Config() rebuilds them too, and any change to a shared field
// changes the digest.
func TestParamsShipping(t *testing.T) {
	p := newParams(t, Config{Clients: 500, Length: 9, Graph: SparseGraph, Workers: 3, Names: nil})
	require.Equal(t, SparseGraph, p.Graph())
	b, err := p.MarshalBinary()
	require.NoError(t, err)
	var q Params
	require.NoError(t, q.UnmarshalBinary(b))
	assert.Equal(t, p.Digest(), q.Digest())
	assert.Equal(t, p.Threshold(), q.Threshold())
	assert.Equal(t, p.FailureLog2(), q.FailureLog2())
	again := newParams(t, p.Config())
	assert.Equal(t, p.Digest(), again.Digest())
	// Local fields do not change the digest; shared ones do.
	cfg := p.Config()
	cfg.Workers, cfg.RoundTimeout = 1, 5
	assert.Equal(t, p.Digest(), newParams(t, cfg).Digest())
	for name, change := range map[string]func(*Config){
		"length":    func(c *Config) { c.Length++ },
		"threshold": func(c *Config) { c.Threshold++ },
		"session":   func(c *Config) { c.Session[0] ^= 1 },
		"names":     func(c *Config) { c.Names[3] = "mallory" },
		"rate":      func(c *Config) { c.DropoutRate = 0.25 },
		"abort":     func(c *Config) { c.CorrectnessBits = 21 },
	} {
		cfg := p.Config()
		change(&cfg)
		assert.NotEqual(t, p.Digest(), newParams(t, cfg).Digest(), name)
	}
	// Every truncation and any trailing byte is rejected.
	for n := range len(b) {
		assert.ErrorIs(t, new(Params).UnmarshalBinary(b[:n]), ErrMalformed, "truncated to %d", n)
	}
	assert.ErrorIs(t, new(Params).UnmarshalBinary(append(b, 0)), ErrMalformed)
}

func FuzzParams(f *testing.F) {
	p, err := NewParams(Config{Clients: 5, Length: 3})
	require.NoError(f, err)
	b, err := p.MarshalBinary()
	require.NoError(f, err)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var q Params
		if err := q.UnmarshalBinary(data); err != nil {
			return
		}
		again, err := q.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, again)
	})
}
