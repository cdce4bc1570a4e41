// Package mpc lets N parties compute on values that none of them holds in
// the clear: secret sharing, Beaver multiplication, fixed-point arithmetic
// with exact truncation, division, reciprocal and square root by Newton's
// iteration, and comparison, over a [transport.Mesh].
//
// # Sharing schemes
//
// Additive sharing over Z_2^64 (the main scheme): a value x is N uint64
// shares that sum to x modulo 2^64, so local arithmetic is native uint64
// arithmetic. [Share] holds one party's shares of a vector, [BoolShare]
// XOR shares of 64-bit words (used inside comparison).
//
// Shamir (t, n) sharing over GF(2^61 - 1) ([ShamirSplit],
// [ShamirReconstruct], [Party.OpenShamir]): any t+1 shares reconstruct,
// any t reveal nothing, and when more than t+1 shares arrive every extra
// one is checked against the interpolated polynomial, so a wrong share is
// detected ([ErrInconsistent]). The Mersenne prime makes reduction a few
// shifts after a 64x64-bit multiply (see [ShamirPrime]).
//
// # How to use it
//
// Every party makes a [Party] over its view of a full mesh and a view of a
// [Dealer], and runs the same program:
//
//	dealer, _ := mpc.NewTrustedDealer(n)          // held by a trusted third party
//	d, _ := dealer.Party(i)                       // what party i gets (a seed)
//	p, _ := mpc.NewParty(mesh, d)
//	x, _ := p.InputFixed(ctx, 0, myValues)        // party 0 owns the values; others pass nil
//	y, _ := p.InputFixed(ctx, 1, theirValues)
//	z, _ := p.MulFixed(ctx, x, y)                 // Beaver product + truncation
//	out, _ := p.OpenFixed(ctx, z)                 // every party learns x*y
//
// Each operation works on whole vectors: a multiplication of a million
// elements is one round of messages, not a million. Local operations
// ([Add], [Sub], [MulConst], [MulPublic], [Party.AddPublic]) need no
// communication; [Party.Mul] and [Party.Dot] take one round (each party
// sends 2*(N-1)*8 bytes per multiplication: its shares of e = x - a and
// f = y - b to every peer); [Party.Open] sends (N-1)*8 bytes per element;
// [Party.Input] sends only a 32-byte seed to each peer whatever the length.
// [Concat] and [Split] batch unrelated operations into one round. Vectors
// travel as messages of at most 2^20 words (8 MiB), each checked for its
// kind, step and exact length ([Message]). [RunLocal] runs all parties of
// a one-process demo or test (over transport.NewMemMesh or
// transport.NewTLSLoopbackMesh) with an in-process dealer.
// [Correlate] is the two-column covariance / correlation / regression
// used by examples/vertical.
//
// # Fixed point
//
// A real v is the ring element round(v * 2^f), f = 16 by default
// ([WithFracBits]); [EncodeFixed] rejects |v| >= 2^(47-f). A product of two
// fixed-point values is at scale 2^2f and is truncated by f bits with
// [Party.DivInt]: the parties open c = x + 2^62 + r for a dealer pair
// (r, floor(r/d), msb(r)); c is uniform, so it reveals nothing, and the one
// possible wrap-around is corrected exactly with the shared msb(r). The
// truncated value is floor(x/2^f) or that plus one unit (2^-f), the
// latter with probability (x mod 2^f)/2^f, so the rounding is unbiased;
// it never fails as long as |x| < 2^62, which for a product means
// |x*y| < 2^(62-2f) in real terms (2^30 at f = 16). (This avoids the
// 2^(l+1-64) failure probability of SecureML's local truncation, at the
// price of one round.) Division by a public integer uses the same pair and
// is exact to within two units; [Party.DivPublic] handles real divisors.
// [Party.Reciprocal], [Party.Rsqrt] and [Party.Sqrt] run Newton's iteration
// from a guess chosen for a public input range [lo, hi], with as many steps
// as a float64 simulation of that range needs; inputs outside the stated
// range give wrong results (the parties cannot see them to complain).
// Overflow beyond the stated bounds is not detectable on shares.
//
// # Comparison
//
// [Party.LTZ] gives shares of the bit [x < 0]: open x + r for a dealer
// edaBit r (r shared both additively and as XOR-shared bits), then compute
// the top bit of c - r with a bit-sliced Kogge-Stone carry circuit (6
// levels, 11 word-ANDs with AND triples) and convert the bit to an additive
// share with a dealer random bit: 8 rounds, exact (no error probability).
// [Party.LessThan], [Party.Max], [Party.ReLU], [Party.Select] and
// [Party.GreaterEqualPublic] build on it.
//
// # Security model
//
// Semi-honest (honest-but-curious): parties follow the protocol but may
// pool what they see. Additive sharing with an honest dealer tolerates any
// N-1 colluding parties: every opened value is masked by dealer randomness
// or is an agreed output. Shamir sharing tolerates t colluders. Outputs
// are revealed to whoever the program opens them to; [Correlate] documents
// its extra public values (row count, means, power-of-two scales).
//
// The dealer ([TrustedDealer]) knows all correlated randomness and so can
// unmask everything opened: it must not collude with any party. It gives
// parties 0..N-2 only a seed (they derive their shares themselves) and
// computes party N-1's correcting shares from all seeds. It runs in
// process ([TrustedDealer.Party]) or as a separate networked party
// ([TrustedDealer.Serve] with [NewRemoteDealer] on each party; over mutual
// TLS, since seeds and shares must stay confidential); then only party N-1
// receives traffic from it, one vector per triple request. Dealer-free
// generation (OT or homomorphic encryption) would plug in behind the same
// [Dealer] interface.
//
// Malicious behaviour is not prevented: a party that sends wrong shares
// changes the result undetected (except Shamir openings with N >= t+2).
// Malformed messages (wrong size, kind or step) are detected.
//
// # Failures and dropouts
//
// Computation needs every party: there is no dropout tolerance. A party
// that disconnects, times out (context) or sends malformed data stops the
// computation: the party that sees the problem closes its mesh, so every
// other party's next receive fails promptly with an error naming the peer
// (a *transport.PeerError) or wrapping [ErrMalformed], and a failed [Party]
// refuses further work ([ErrAborted]).
package mpc
