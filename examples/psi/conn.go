package main

import (
	"context"
	"errors"

	"github.com/veil-go/veil/transport"
)

// loopback connects A and B in this process.
func loopback(ctx context.Context) (a, b transport.Conn, desc string, err error) {
	a, b = transport.Pipe("party-a", "party-b", transport.Options{})
	return a, b, "in-memory pipe, both parties in this process", nil
}

// runRole runs one party as its own process.
func runRole(ctx context.Context, c *config, stdout interface{ Write([]byte) (int, error) }) error {
	return errors.New("-role: TLS between processes is not available in this build yet")
}
