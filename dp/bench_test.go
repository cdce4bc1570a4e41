package dp

import (
	"math"
	"testing"
)

// The benchmarks report samples/s next to a naive, INSECURE inverse-CDF
// sampler drawing from the same buffered AES-CTR source, so the cost of exact
// sampling is visible in one run.

var sinkF float64
var sinkI int64

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// naiveLaplace is the textbook -b*sgn(u)*ln(1-2|u|): vulnerable to Mironov's
// floating-point attack. Baseline only.
func naiveLaplace(r *rng, scale float64) float64 {
	u := float64(r.uint64()>>11)*0x1p-53 - 0.5
	if u < 0 {
		return scale * math.Log1p(2*u)
	}
	return -scale * math.Log1p(-2*u)
}

// naiveGaussian is Box-Muller on the same source. Baseline only.
func naiveGaussian(r *rng, sigma float64) float64 {
	u1 := (float64(r.uint64()>>11) + 1) * 0x1p-53
	u2 := float64(r.uint64()>>11) * 0x1p-53
	return sigma * math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

func BenchmarkLaplace(b *testing.B) {
	l, err := NewLaplace(LaplaceConfig{Budget: testBudget(), Epsilon: 1, Sensitivity: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("secure", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sinkF = must(l.AddNoise(3.25))
		}
		reportRate(b)
	})
	b.Run("naive-inverse-cdf", func(b *testing.B) {
		r, _ := newRNG()
		for i := 0; i < b.N; i++ {
			sinkF = 3.25 + naiveLaplace(r, 1)
		}
		reportRate(b)
	})
}

func BenchmarkDiscreteLaplace(b *testing.B) {
	for _, eps := range []float64{1, 0.01} {
		d, err := NewDiscreteLaplace(DiscreteLaplaceConfig{Budget: testBudget(), Epsilon: eps, Sensitivity: 1})
		if err != nil {
			b.Fatal(err)
		}
		name := "eps=1"
		if eps != 1 {
			name = "eps=0.01"
		}
		b.Run("secure/"+name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sinkI = must(d.AddNoise(7))
			}
			reportRate(b)
		})
	}
	b.Run("naive-inverse-cdf", func(b *testing.B) {
		r, _ := newRNG()
		for i := 0; i < b.N; i++ {
			sinkI = 7 + int64(math.Round(naiveLaplace(r, 1)))
		}
		reportRate(b)
	})
}

func BenchmarkDiscreteGaussian(b *testing.B) {
	for _, s := range []float64{1, 10, 100, 1e6} {
		d, err := NewDiscreteGaussian(DiscreteGaussianConfig{Sigma: s})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("secure/sigma="+ftoa(s), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sinkI = d.Sample()
			}
			reportRate(b)
		})
	}
	b.Run("naive-box-muller/sigma=100", func(b *testing.B) {
		r, _ := newRNG()
		for i := 0; i < b.N; i++ {
			sinkI = int64(math.Round(naiveGaussian(r, 100)))
		}
		reportRate(b)
	})
}

func BenchmarkGaussian(b *testing.B) {
	g, err := NewGaussian(GaussianConfig{Budget: testBudget(), Epsilon: 1, Delta: 1e-5, Sensitivity: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("secure", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sinkF = must(g.AddNoise(3.25))
		}
		reportRate(b)
	})
	b.Run("naive-box-muller", func(b *testing.B) {
		r, _ := newRNG()
		s := g.Sigma()
		for i := 0; i < b.N; i++ {
			sinkF = 3.25 + naiveGaussian(r, s)
		}
		reportRate(b)
	})
}

func BenchmarkPRG(b *testing.B) {
	r, _ := newRNG()
	for i := 0; i < b.N; i++ {
		sinkI = int64(r.uint64())
	}
	b.SetBytes(8)
}

func ftoa(x float64) string {
	switch x {
	case 1:
		return "1"
	case 10:
		return "10"
	case 100:
		return "100"
	default:
		return "1e6"
	}
}

func BenchmarkSkellamShare(b *testing.B) {
	for _, lambda := range []float64{1, 100, 1e4, 1e6} {
		s, err := NewSkellamShare(SkellamShareConfig{Mu: lambda, Parties: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("lambda="+ftoa2(lambda), func(b *testing.B) {
			v := make([]int64, 256)
			for i := 0; i < b.N; i += len(v) {
				s.AddNoise(v)
			}
			reportRate(b)
		})
	}
}

func ftoa2(x float64) string {
	switch x {
	case 1:
		return "1"
	case 100:
		return "100"
	case 1e4:
		return "1e4"
	default:
		return "1e6"
	}
}

func BenchmarkSkellamNoiseVector(b *testing.B) {
	const dim = 1 << 16
	for _, w := range []int{1, 0} {
		name := "workers=1"
		if w == 0 {
			name = "workers=GOMAXPROCS"
		}
		s, err := NewSkellamShare(SkellamShareConfig{Mu: 1e4, Parties: 1, Workers: w})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				_ = s.Noise(dim)
			}
			b.ReportMetric(float64(b.N)*dim/b.Elapsed().Seconds(), "coords/s")
		})
	}
}
