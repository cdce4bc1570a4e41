package dp_test

import (
	"errors"
	"fmt"

	"github.com/veil-go/veil/dp"
)

func ExampleNewLaplace() {
	lap, err := dp.NewLaplace(1.0, 1.0) // epsilon = 1, sensitivity = 1
	if err != nil {
		panic(err)
	}
	noisy := lap.AddNoise(42)
	fmt.Println(noisy != 42, lap.Scale() >= 1)
	// Output: true true
}

func ExampleNewGaussian() {
	g, err := dp.NewGaussian(1.0, 1e-5, 1.0)
	if err != nil {
		panic(err)
	}
	// The analytic Gaussian mechanism needs sigma ~ 3.73 here, where the
	// classic bound asks for 4.84.
	fmt.Printf("sigma %.2f, classic %.2f\n", g.Sigma(), dp.ClassicGaussianSigma(1, 1e-5, 1))
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
	dg, err := dp.NewDiscreteGaussian(2.5)
	if err != nil {
		panic(err)
	}
	dg.SetTestSeed([]byte("example")) // tests only: makes the noise predictable
	x := dg.Sample()
	fmt.Println(x > -100 && x < 100)
	// Output: true
}
