package ot_test

import (
	"context"
	"fmt"

	"github.com/veil-go/veil/internal/ot"
	"github.com/veil-go/veil/transport"
)

// Example runs chosen 1-out-of-2 OTs between two parties in one process.
func Example() {
	ctx := context.Background()
	a, b := transport.Pipe("sender", "receiver", transport.Options{})
	msgs := [][2]ot.Block{{{'a'}, {'b'}}, {{'c'}, {'d'}}, {{'e'}, {'f'}}}
	choices := []bool{false, true, true}

	done := make(chan error, 1)
	go func() {
		s, err := ot.NewSender(ctx, a, ot.Config{})
		if err == nil {
			err = s.ChosenOT(ctx, msgs)
		}
		done <- err
	}()
	r, err := ot.NewReceiver(ctx, b, ot.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	got, err := r.ChosenOT(ctx, choices)
	if err != nil || <-done != nil {
		fmt.Println("failed", err)
		return
	}
	for _, m := range got {
		fmt.Printf("%c", m[0])
	}
	fmt.Println()
	// Output: adf
}

// ExampleNewSoftSpokenSender runs correlated OTs over Z_2^64 with SoftSpoken
// extension: the receiver gets x_j + c_j*delta_j for the sender's x_j.
func ExampleNewSoftSpokenSender() {
	ctx := context.Background()
	a, b := transport.Pipe("sender", "receiver", transport.Options{})
	delta := []uint64{10, 20, 30}
	choices := []uint64{0b110} // OT j's choice is bit j

	xs := make(chan []uint64, 1)
	go func() {
		s, err := ot.NewSoftSpokenSender(ctx, a, ot.SoftSpokenConfig{K: 4})
		var x []uint64
		if err == nil {
			x, err = s.CorrelatedOT64(ctx, delta)
		}
		if err != nil {
			a.Close()
		}
		xs <- x
	}()
	r, err := ot.NewSoftSpokenReceiver(ctx, b, ot.SoftSpokenConfig{K: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	y, err := r.CorrelatedOT64(ctx, choices, len(delta))
	x := <-xs
	if err != nil || x == nil {
		fmt.Println("failed", err)
		return
	}
	for j := range y {
		fmt.Print(y[j]-x[j], " ")
	}
	fmt.Println()
	// Output: 0 20 30
}
