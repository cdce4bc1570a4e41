package transport

import "testing"

// For the external tests (package transport_test), which run the exported
// conformance suite and so cannot live in this package.

// PlainTCPPair is tcpPair: the TLS connection's framing over plain TCP.
func PlainTCPPair(t testing.TB, opts Options) (Conn, Conn) { return tcpPair(t, opts) }

// TLSPair is tlsPair: alice dials bob over mutual TLS on 127.0.0.1.
func TLSPair(t testing.TB, opts Options) (Conn, Conn) { return tlsPair(t, opts) }

// CheckLeaks is checkLeaks.
func CheckLeaks(t *testing.T) { checkLeaks(t) }
