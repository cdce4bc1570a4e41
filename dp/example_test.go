package dp_test

import (
	"errors"
	"fmt"

	"github.com/veil-go/veil/dp"
)

// Every release spends from a budget: here an Accountant of epsilon 2 pays
// for two releases of epsilon 1, and refuses the third.
func ExampleNewLaplace() {
	budget, err := dp.NewAccountant(2, 0)
	if err != nil {
		panic(err)
	}
	lap, err := dp.NewLaplace(dp.LaplaceConfig{Epsilon: 1.0, Sensitivity: 1.0, Budget: budget})
	if err != nil {
		panic(err)
	}
	noisy, err := lap.AddNoise(42)
	fmt.Println(noisy != 42, err, lap.Scale() >= 1)
	_, err = lap.AddNoise(42)
	fmt.Println(err)
	_, err = lap.AddNoise(42)
	fmt.Println(errors.Is(err, dp.ErrBudgetExceeded))
	// Output:
	// true <nil> true
	// <nil>
	// true
}

func ExampleNewGaussian() {
	budget, err := dp.NewAccountant(1, 1e-5)
	if err != nil {
		panic(err)
	}
	g, err := dp.NewGaussian(dp.GaussianConfig{Epsilon: 1.0, Delta: 1e-5, Sensitivity: 1.0, Budget: budget})
	if err != nil {
		panic(err)
	}
	// The analytic Gaussian mechanism needs sigma ~ 3.73 here, where the
	// classic bound asks for 4.84.
	fmt.Printf("sigma %.2f, classic %.2f\n", g.Sigma(), dp.ClassicGaussianSigma(dp.GaussianConfig{Epsilon: 1, Delta: 1e-5, Sensitivity: 1}))
	// Output: sigma 3.73, classic 4.84
}

func ExampleNewAccountant() {
	acct, err := dp.NewAccountant(1.0, 1e-6)
	if err != nil {
		panic(err)
	}
	fmt.Println(acct.Spend(0.5, 0), acct.Spend(0.5, 1e-6))
	err = acct.Spend(0.1, 0)
	fmt.Println(errors.Is(err, dp.ErrBudgetExceeded))
	// Output:
	// <nil> <nil>
	// true
}

func ExampleNewDiscreteGaussian() {
	dg, err := dp.NewDiscreteGaussian(dp.DiscreteGaussianConfig{Sigma: 2.5})
	if err != nil {
		panic(err)
	}
	x := dg.Sample()
	fmt.Println(x > -100 && x < 100)
	// Output: true
}

// Each party of a secure aggregation adds a Skellam share to its integer
// vector; the aggregate carries Skellam(mu, mu) noise calibrated for
// (epsilon, delta), as long as MinHonest parties are honest and present.
func ExampleNewSkellamShare() {
	const parties = 5
	// Each party contributes a vector with L2 norm <= 8 and L1 norm <= 16.
	mu, err := dp.CalibrateSkellam(dp.DistributedTarget{Epsilon: 1.0, Delta: 1e-6, L1: 16, L2: 8})
	if err != nil {
		panic(err)
	}
	// At least 3 of the 5 parties are assumed honest and present.
	share, err := dp.NewSkellamShare(dp.SkellamShareConfig{Mu: mu, Parties: parties, MinHonest: 3})
	if err != nil {
		panic(err)
	}
	input := []int64{3, 1, 4, 1}
	share.AddNoise(input) // then send input into mpc/secagg or he
	fmt.Println(len(input), share.Lambda() >= mu/3)
	// Output: 4 true
}

// A sum computed under HE or MPC from fixed-point encoded values is released
// with the same mechanism as a sum computed in the clear. The aggregation
// releases once.
func ExampleBoundedSumFloat() {
	budget, err := dp.NewAccountant(1, 0)
	if err != nil {
		panic(err)
	}
	sum, err := dp.NewBoundedSumFloat(dp.BoundedSumFloatConfig{Epsilon: 1.0, Lower: 0, Upper: 100, Budget: budget})
	if err != nil {
		panic(err)
	}
	// Each party encodes (clamps and converts to fixed point) its value.
	var exact int64
	for _, v := range []float64{12.5, 99.25, 250 /* clamped to 100 */} {
		exact += sum.Encode(v) // in a real deployment: a secure sum
	}
	noisy, err := sum.Release(exact)
	if err != nil {
		panic(err)
	}
	lo, hi, _ := sum.ConfidenceInterval(noisy, 0.95)
	fmt.Println(float64(exact)*sum.Resolution(), lo < hi)
	_, err = sum.Release(exact) // averaging releases is what one-shot prevents
	fmt.Println(errors.Is(err, dp.ErrAlreadyReleased))
	// Output:
	// 211.75 true
	// true
}

func ExampleNewHistogram() {
	budget, err := dp.NewAccountant(1, 1e-6)
	if err != nil {
		panic(err)
	}
	h, err := dp.NewHistogram[string](dp.HistogramConfig{Epsilon: 1.0, Delta: 1e-6, Contribution: dp.Contribution{MaxPartitions: 1}, Budget: budget})
	if err != nil {
		panic(err)
	}
	out, err := h.Release(map[string]int64{"popular": 5000, "rare": 1})
	if err != nil {
		panic(err)
	}
	_, rare := out["rare"]
	fmt.Println(len(out) >= 1, rare, h.Threshold() > 1)
	// Output: true false true
}

func ExampleRDPAccountant() {
	acct := dp.NewRDPAccountant()
	// DP-SGD: 1000 steps, sampling rate 1%, noise multiplier 1.1.
	if err := acct.AddSubsampledGaussian(0.01, 1.1, 1000); err != nil {
		panic(err)
	}
	eps, err := acct.Epsilon(1e-5)
	if err != nil {
		panic(err)
	}
	fmt.Println(eps > 0 && eps < 5)
	// Output: true
}

// An RDP filter lets an adaptive analysis spend until the (epsilon, delta)
// budget is used up: each spend is accepted or refused, and whatever the
// analyst chose along the way, the whole is (epsilon, delta)-DP.
func ExampleNewRDPFilter() {
	f, err := dp.NewRDPFilter(2, 1e-5)
	if err != nil {
		panic(err)
	}
	steps := 0
	for f.SpendGaussian(10, 1) == nil { // Gaussian releases of noise multiplier 10
		steps++
	}
	fmt.Println(steps)
	// Output: 11
}

// A zCDP filter adds up rho exactly; pure-DP releases spend epsilon^2/2.
func ExampleNewZCDPFilter() {
	f, err := dp.NewZCDPFilter(0.5)
	if err != nil {
		panic(err)
	}
	count, err := dp.NewCount(dp.CountConfig{Epsilon: 0.5, Budget: f})
	if err != nil {
		panic(err)
	}
	if _, err := count.Release(1234); err != nil {
		panic(err)
	}
	fmt.Println(f.Spent() >= 0.125, f.SpendGaussian(1.5), errors.Is(f.SpendGaussian(1.5), dp.ErrBudgetExceeded))
	// Output: true <nil> true
}

// The PLD accountant for DP-SGD: tighter than RDP, and never below the true
// epsilon (pessimistic discretization, slack below steps * Interval).
func ExampleNewPLDAccountant() {
	pld, err := dp.NewPLDAccountant(dp.PLDConfig{Interval: 2e-4})
	if err != nil {
		panic(err)
	}
	if err := pld.AddSubsampledGaussian(0.02, 5, 50); err != nil {
		panic(err)
	}
	e, err := pld.Epsilon(1e-5)
	if err != nil {
		panic(err)
	}
	rdp := dp.NewRDPAccountant()
	if err := rdp.AddSubsampledGaussian(0.02, 5, 50); err != nil {
		panic(err)
	}
	r, _ := rdp.Epsilon(1e-5)
	fmt.Printf("PLD %.3f, RDP %.3f\n", e, r)
	// The noise multiplier for a target: about 5 for this epsilon.
	z, err := dp.CalibrateSubsampledGaussian(dp.SGDTarget{Epsilon: e, Delta: 1e-5, SamplingRate: 0.02, Steps: 50}, dp.PLDConfig{Interval: 2e-4})
	if err != nil {
		panic(err)
	}
	fmt.Printf("z %.2f\n", z)
	// Output:
	// PLD 0.096, RDP 0.103
	// z 5.00
}

// Gaussian noise in an aggregation: a unit that touches up to 16 partitions
// moves the sums by sqrt(16) times as much in L2 as in one partition, so
// sigma grows as 4, where Laplace noise would grow as 16. A zCDP filter is
// charged rho once; a second release is refused.
func ExampleBoundedSumInt_gaussian() {
	f, err := dp.NewZCDPFilter(0.1)
	if err != nil {
		panic(err)
	}
	mk := func(partitions int64) *dp.BoundedSumInt {
		s, err := dp.NewBoundedSumInt(dp.BoundedSumIntConfig{Epsilon: 1, Delta: 1e-6, Noise: dp.GaussianNoise,
			Lower: 0, Upper: 10, Contribution: dp.Contribution{MaxPartitions: partitions}, Budget: f})
		if err != nil {
			panic(err)
		}
		return s
	}
	one, sixteen := mk(1), mk(16)
	fmt.Printf("sigma ratio %.2f\n", sixteen.Scale()/one.Scale())
	if _, err := sixteen.Release(1234); err != nil {
		panic(err)
	}
	_, err = sixteen.Release(1234)
	fmt.Println(f.Spent() > 0, errors.Is(err, dp.ErrAlreadyReleased))
	// Output:
	// sigma ratio 4.00
	// true true
}
