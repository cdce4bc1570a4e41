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
