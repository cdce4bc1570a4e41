package he

import (
	"fmt"
	"math"
	"math/big"
	"testing"
	"testing/cryptotest"

	"github.com/stretchr/testify/require"
)

// signedCoeffs reconstructs the centred integers of s.tmp by CRT.
func signedCoeffs(p *Params, s *smudger) []*big.Int {
	moduli := p.qAt()
	Q := big.NewInt(1)
	for _, q := range moduli {
		Q.Mul(Q, new(big.Int).SetUint64(q))
	}
	half := new(big.Int).Rsh(Q, 1)
	out := make([]*big.Int, p.rlwe.N())
	for j := range out {
		v := new(big.Int)
		for i, q := range moduli {
			qi := new(big.Int).SetUint64(q)
			Qi := new(big.Int).Div(Q, qi)
			inv := new(big.Int).ModInverse(new(big.Int).Mod(Qi, qi), qi)
			term := new(big.Int).SetUint64(s.tmp.Coeffs[i][j])
			term.Mul(term, inv).Mul(term, Qi)
			v.Add(v, term)
		}
		v.Mod(v, Q)
		if v.Cmp(half) > 0 {
			v.Sub(v, Q)
		}
		out[j] = v
	}
	return out
}

// uniformCheck tests samples against uniform on [-2^k, 2^k): range, mean
// and variance within 6 standard errors (false-failure rate < 1e-8 each).
func uniformCheck(samples []*big.Int, k int) (inRange, meanOK, varOK bool) {
	lo, hi := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), uint(k))), new(big.Int).Lsh(big.NewInt(1), uint(k))
	inRange = true
	var sum, sq float64
	scale := math.Ldexp(1, -k) // work in units of 2^k
	for _, v := range samples {
		if v.Cmp(lo) < 0 || v.Cmp(hi) >= 0 {
			inRange = false
		}
		f, _ := new(big.Float).SetInt(v).Float64()
		f *= scale
		sum += f
		sq += f * f
	}
	n := float64(len(samples))
	mean, variance := sum/n, sq/n-(sum/n)*(sum/n)
	// uniform on [-1, 1): variance 1/3, sd of the mean sqrt(1/3n); the
	// sample variance has sd sqrt((1/5 - 1/9)/n).
	meanOK = math.Abs(mean) < 6*math.Sqrt(1/(3*n))
	varOK = math.Abs(variance-1.0/3) < 6*math.Sqrt((1.0/5-1.0/9)/n)
	return
}

func TestSmudgingDistribution(t *testing.T) {
	p, err := NewParams(Config{Preset: IntLogN13, Bound: 1000, MaxWeight: 10, KeyHolders: 3})
	require.NoError(t, err)
	require.Equal(t, 1, p.Level())
	for _, k := range []int{10, 63, 64, 70, p.Budget().SmudgingBits} {
		t.Run(fmt.Sprint(k), func(t *testing.T) { smudgingDistribution(t, p, k) })
	}
}

// smudgingDistribution checks 2^k-smudging samples; crypto/rand is seeded
// so that the (6-sigma) statistical checks are reproducible.
func smudgingDistribution(t *testing.T, p *Params, k int) {
	cryptotest.SetGlobalRandom(t, uint64(k))
	{
		s, err := newSmudger(p)
		require.NoError(t, err)
		var all []*big.Int
		for rep := 0; rep < 4; rep++ {
			require.NoError(t, s.sample(p, k))
			all = append(all, signedCoeffs(p, s)...)
		}
		inRange, meanOK, varOK := uniformCheck(all, k)
		require.True(t, inRange && meanOK && varOK, "k=%d range %v mean %v variance %v", k, inRange, meanOK, varOK)
		// power: the same samples judged against twice the scale fail.
		_, _, varWrong := uniformCheck(all, k+1)
		require.False(t, varWrong, "k=%d: a wrong scale must be detected", k)
		// and half the scale is out of range
		inRangeHalf, _, _ := uniformCheck(all, k-1)
		require.False(t, inRangeHalf, "k=%d", k)
	}
}
