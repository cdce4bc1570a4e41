package kkrt_test

import (
	"context"
	"fmt"

	"github.com/veil-go/veil/internal/kkrt"
	"github.com/veil-go/veil/transport"
)

// Example intersects two small sets; the receiver learns which of its items
// the sender holds.
func Example() {
	ctx := context.Background()
	rc, sc := transport.Pipe("receiver", "sender", transport.Options{})
	receiver := [][]byte{[]byte("alice"), []byte("bob"), []byte("carol"), []byte("dave")}
	sender := [][]byte{[]byte("dave"), []byte("erin"), []byte("bob")}

	done := make(chan error, 1)
	go func() {
		_, err := kkrt.Send(ctx, sc, sender, kkrt.Config{})
		done <- err
	}()
	res, err := kkrt.Receive(ctx, rc, receiver, kkrt.Config{})
	if err != nil || <-done != nil {
		fmt.Println("failed:", err)
		return
	}
	for _, i := range res.Intersection {
		fmt.Println(string(receiver[i]))
	}
	// Output:
	// bob
	// dave
}
