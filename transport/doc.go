// Package transport is how Veil's parties talk to each other.
//
// A [Conn] is a point-to-point, message-oriented connection to one peer:
// [Conn.Send] and [Conn.Recv] move whole messages (framed with a 4-byte
// big-endian length prefix on the wire), every call takes a
// [context.Context] whose deadline or cancellation ends the call promptly,
// and the connection counts the bytes it moves in its [Stats] (payload
// plus the 4-byte header, the same figures in memory and over TLS). A
// [Mesh] is one party's view of N parties: party i reaches party j by
// index. A star, a hub with N spokes as used by secure aggregation and HE
// aggregation, is a mesh in which spokes have a link to the hub only.
//
// Two implementations share these interfaces and pass the same conformance
// suite:
//
//   - in memory ([Pipe], [NewMemMesh], [NewMemStar]) for tests and
//     one-process demos;
//   - TCP with mutual TLS 1.3 ([Listen], [Dial], [DialMesh], and for one
//     process [NewTLSLoopbackMesh], [NewTLSLoopbackStar]), in which each
//     peer is identified by its certificate, never by what it says in a
//     message.
//
// # Conn is the extension point
//
// Every Veil protocol runs over a [Conn] or a [Mesh] and over nothing
// else, so a Conn is how Veil is brought to another transport: a user with
// an HTTP service or a message queue between the parties implements Conn
// over it (and, with [NewMesh], assembles such connections into a Mesh),
// and every protocol runs unchanged. The package
// [github.com/veil-go/veil/transport/transporttest] states the contract as
// tests: an adapter proves itself by passing
// [github.com/veil-go/veil/transport/transporttest.TestConn] (and its
// meshes [github.com/veil-go/veil/transport/transporttest.TestMesh]), as
// this package's own implementations do. The same package has wrappers
// that inject faults (a party that crashes after k messages, stalls, or
// corrupts a message) for testing protocols through the transport.
//
// # Receive queues and back-pressure
//
// Each connection queues the messages it has received until Recv takes
// them (over TLS a background reader per connection does this), so that
// two parties that both send before they receive do not deadlock. The
// queue is bounded, by [Options.MaxQueuedBytes] (default
// [DefaultMaxQueuedBytes], 64 MiB) and [Options.MaxQueuedMessages]
// (default [DefaultMaxQueuedMessages], 1024). When it is full the
// connection stops reading: over TCP the peer's Send then blocks (TCP
// flow control) until Recv makes room or the peer's context ends; in
// memory the peer's Send waits the same way. A message larger than the
// byte bound, but within [Options.MaxMessageSize], is taken in when
// nothing else is queued. So a peer cannot make a party hold more than
// the larger of MaxQueuedBytes and MaxMessageSize of unread messages per
// connection, however fast it sends and whether or not the party calls
// Recv; a protocol that sends more than the bounds before the other side
// reads waits for it, and two parties that both do so wait for each
// other until their contexts end.
//
// # Quick start
//
// In one process, for tests and demos, a TLS star of a hub and 100 spokes:
//
//	meshes, err := transport.NewTLSLoopbackStar(ctx, 101, transport.Options{})
//	// meshes[i] is party i's view; close each one when done.
//	hub, err := meshes[7].Conn(0)
//	err = hub.Send(ctx, msg)
//
// The helpers make a throwaway CA, issue party i a certificate named
// [PartyName](i), listen on 127.0.0.1 and run all handshakes concurrently
// with a bounded pool ([DefaultSetupConcurrency] at once).
//
// # Certificates and identity
//
// A party's [Identity] is its certificate chain and private key plus the CA
// certificates it trusts. Its name is its certificate's common name (CN).
// For demos and tests, [NewCA] makes a throwaway ECDSA P-256 CA whose
// certificates are valid for [DefaultCertValidity]; [CA.Issue] makes a
// party's key and certificate, [Identity.WritePEM] and [CA.CertPEM] write
// them out for programs that run one process per party, and [LoadIdentity]
// reads them back. With your own PKI, give each party a certificate whose
// CN is its name, whose extended key usage allows both TLS server and
// client authentication (a party both dials and accepts), signed by a CA
// that every party lists in its CA file; for example with OpenSSL:
//
//	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
//	    -keyout ca.key -out ca.pem -days 30 -subj "/CN=my CA"
//	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
//	    -keyout party-0.key -out party-0.csr -subj "/CN=party-0"
//	openssl x509 -req -in party-0.csr -CA ca.pem -CAkey ca.key -days 30 \
//	    -extfile <(printf "extendedKeyUsage=serverAuth,clientAuth") -out party-0.crt
//
// and then
//
//	id, err := transport.LoadIdentity("party-0.crt", "party-0.key", "ca.pem")
//
// # Connecting parties
//
// [Listen] and [Listener.Accept] accept parties whose certificate chains to
// the CA pool; the accepted [Conn]'s Peer is the verified CN. [Dial]
// connects to an address and names the party expected there: if the
// certificate presented there does not chain to the CA pool or its CN is
// not that name, Dial fails with [ErrPeerIdentity]. After the handshake the
// accepting side says with one byte whether it takes the connection and the
// dialer confirms with another, so Dial returns only once the other side
// has taken the connection, and the other side counts it only if the dialer
// has not given up meanwhile.
//
// [DialMesh] connects one party to all the others ([MeshConfig] lists each
// party's address and expected name, and says whether it is a star). Party
// j dials each linked party i < j and accepts the linked parties above it;
// an accepted connection is placed at the index of its certificate's name,
// and one with an unknown name or the name of a party already connected is
// refused (the dialer sees [ErrPeerIdentity]) while setup waits for the right
// party. Refused TCP dials (the other party is not listening yet) are
// retried until ctx ends, so the parties may start in any order.
//
// # Security model
//
// Every TLS connection is TLS 1.3 with mutual authentication: both ends
// prove possession of the key of a certificate that chains to the trusted
// CA pool, and the name a Conn reports is the verified CN (the dialer also
// checks it equals the name it asked for). Every message is encrypted and
// integrity-protected against anyone on the network; a network attacker can
// delay, drop or cut connections (that surfaces as an error below) and can
// see message sizes and timing, but cannot read, change, reorder, replay or
// inject messages, nor pose as a party without its private key. The CA is
// trusted completely: whoever holds its key can mint any party's identity,
// which is why demo CAs are throwaway and short-lived. Identity is all the
// transport guarantees about a peer: a legitimate party that runs a
// protocol dishonestly is the protocols' concern (each package's doc states
// whether it is semi-honest or malicious secure and what a dropout does).
// In-memory connections authenticate nothing; they are for one process.
//
// Against a peer's resources attack the transport bounds what a
// connection holds for a peer by the receive queue bounds above, and
// allocates a frame's buffer as its bytes arrive, never by what its
// header announces; a peer can still make our Sends wait by not reading,
// which the caller's context bounds.
//
// # Errors and faults
//
// Errors that concern a peer are [*PeerError] values that name the peer
// (its certificate name, or its address before the handshake) and the
// operation, and print as
//
//	transport: send peer "shop": connection closed
//
// Test for the cause with [errors.Is] against the sentinel errors or
// against [context.DeadlineExceeded] and [context.Canceled]:
//
//   - the peer closes or disconnects between messages: [ErrClosed] (after
//     the messages it sent before are received);
//   - the stream ends or resets inside a frame: [ErrTruncated];
//   - a frame header announces more than [Options.MaxMessageSize]:
//     [ErrMessageTooLarge], without reading or allocating the payload;
//   - the peer stalls, or stops reading while our Send waits on a full
//     queue: the caller's context ends the call;
//   - a certificate from another CA, of the wrong name, missing, or a
//     TLS version below 1.3: [ErrPeerIdentity] at setup, on both sides;
//   - unusable arguments to a constructor: [ErrInvalidParams], the
//     sentinel all of Veil's packages share.
//
// After a receive fault the connection is closed and later Sends fail with
// ErrClosed. A TLS Send that fails part-way (its context ends while the
// peer is not reading, or the network fails) also closes the connection,
// since the peer would otherwise see a torn frame; an in-memory Send whose
// context ends while it waits delivers nothing and leaves the connection
// open. Close waits for the connection's reader goroutine to end; no
// goroutine outlives Close. A Send that returns nil has handed the message
// to the network (or to the peer's queue), not seen the peer read it: a
// peer that vanished shows on the next Send or Recv.
package transport
