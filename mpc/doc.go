// Package mpc lets N parties compute on values that none of them holds in
// the clear: secret sharing, Beaver multiplication, fixed-point arithmetic
// with stochastic truncation (floor or floor+1, never a wrap-around
// failure), division, reciprocal and square root by Newton's iteration,
// and comparison, over a [transport.Mesh].
//
// # Sharing schemes
//
// Additive sharing over Z_2^64 (the main scheme): a value x is N uint64
// shares that sum to x modulo 2^64, so local arithmetic is native uint64
// arithmetic. [Share] holds one party's shares of a vector of integers,
// [Fixed] the same ring elements read as fixed-point reals, and
// [BoolShare] XOR shares of 64-bit words (used inside comparison).
//
// Shamir sharing over GF(2^61 - 1) ([ShamirSplit], [ShamirReconstruct],
// [Party.OpenShamir]): with threshold T, any T shares reconstruct and any
// T-1 reveal nothing, and when more than T shares arrive every extra one is
// checked against the interpolated polynomial, so a wrong share is detected
// ([ErrInconsistent]). The field's modulus is [ShamirPrime].
// [Party.ShamirMul] and [Party.ShamirDot] multiply Shamir shares with no
// dealer and no OT when the parties are an honest majority, N >= 2T-1:
// the degree-2(T-1) local products are reduced with random double
// sharings that the parties deal themselves and extract with a
// hyper-invertible matrix (Damgard-Nielsen 2007), in two rounds.
//
// # How to use it
//
// Every party runs the same program on its own [Party]. [RunInProcess]
// runs all parties of a test or demo in one process, over in-memory
// transport with an in-process dealer:
//
//	res, err := mpc.RunInProcess(ctx, 3, mpc.Config{}, func(ctx context.Context, p *mpc.Party) error {
//		fx := p.Fixed() // the fixed-point view: reals at scale 2^f
//		x, err := fx.Input(ctx, 0, myValues) // party 0's values; the others' are ignored
//		...
//		y, err := fx.Input(ctx, 1, myValues)
//		...
//		z, err := fx.Mul(ctx, x, y) // Beaver product + truncation
//		...
//		out, err := fx.Open(ctx, z) // every party learns x*y
//		...
//	})
//
// A deployment runs [RunParty] in each party's process, over its view of a
// full mesh ([transport.DialMesh]) and its view of a [Dealer]: a
// [TrustedDealer]'s [TrustedDealer.Party] in process, [NewRemoteDealer]
// talking to a dealer that runs [RunDealer], or the dealer-free
// [NewOTDealer] (every correlation made by oblivious transfer among the
// parties, so every operation runs with no third party). Every run returns a [Result]
// per party: its traffic and duration ([report.Stats]) and what it
// disclosed ([report.Leakage]).
//
// Each operation works on whole vectors: a multiplication of a million
// elements is one round of messages, not a million. Operations come in one
// shape: a method of [Party] (integers, [Share]) or of its fixed-point
// view [FixedParty] ([Party.Fixed]; reals, [Fixed]) that takes a context
// talks to the peers, and every party must make the same call; one without
// a context is local. No operation modifies its arguments; local ones
// return a fresh vector (except [Split], whose pieces are sub-slices of
// its argument) and an error only when their arguments can be wrong
// (lengths, or reals out of range). Those that do not depend on which
// party runs them are functions, generic over [Share] and [Fixed] ([Add],
// [Sub], [MulConst], [MulPublic], [Concat], [Split]); those that bring in
// a public value are methods ([Party.Public], [Party.AddPublic],
// [FixedParty.Public], [FixedParty.AddPublic]), because only party 0 adds
// it. [Party.Mul] and [Party.Dot] take one round (each party sends
// 2*(N-1)*8 bytes per multiplication: its shares of e = x - a and
// f = y - b to every peer); [Party.Open] sends (N-1)*8 bytes per element;
// [Party.Input] sends only a 32-byte seed to each peer whatever the
// length. [Concat] and [Split] batch unrelated operations into one round.
// Vectors travel as messages of at most 2^20 words (8 MiB), each checked
// for its kind, step and exact length.
//
// # Fixed point
//
// A real v is the ring element round(v * 2^f), f = [DefaultFracBits]
// unless [Config.FracBits] says otherwise; [EncodeFixed] rejects
// |v| >= 2^(47-f). [Party.Fixed] returns the party's view at that scale, a
// [FixedParty], whose methods are the operations on [Fixed] values: Input,
// Open, OpenTo, Public, AddPublic, Mul, Dot, MulPublic, Threshold,
// DivPublic, Reciprocal, Rsqrt and Sqrt. A product of two fixed-point
// values is at scale 2^2f; [FixedParty.Mul], [FixedParty.Dot] and
// [FixedParty.MulPublic] truncate it by f bits with [Party.Trunc]: the
// parties open c = x + 2^62 + r for a dealer pair (r, floor(r/d), msb(r));
// c is uniform, so it reveals nothing, and the one possible wrap-around is
// corrected exactly with the shared msb(r). The truncated value is
// floor(x/2^f) or that plus one unit (2^-f), the latter with probability
// (x mod 2^f)/2^f, so the rounding is unbiased; it never fails as long as
// |x| < 2^62, which for a product means |x*y| < 2^(62-2f) in real terms
// (2^30 at f = 16). Because [Fixed] and [Share] are distinct types, an
// integer [Party.Mul] of fixed-point values (a forgotten truncation) does
// not compile; a program that manages scales itself converts explicitly
// (Share(x), Fixed(s)), and reads results at other scales with
// [DecodeFixed].
//
// Division by a public integer ([Party.DivInt]) uses the same pair and is
// exact to within two units; [FixedParty.DivPublic] handles real divisors.
// [FixedParty.Reciprocal], [FixedParty.Rsqrt] and [FixedParty.Sqrt] run
// Newton's iteration from a guess chosen for a public input range
// [lo, hi], with as many steps as a float64 simulation of that range
// needs; inputs outside the stated range give wrong results (the parties
// cannot see them to complain).
// Their error is relative to the result: [FixedParty.Reciprocal] is
// within 2*2^-f*max(1, 1/x) of 1/x, so at x = 2^-8 (1/x = 256) one may
// see a hundred units of 2^-f (182 were measured). [FixedParty.Dot]'s
// bound |x*y| < 2^(62-2f) applies to the sum, not to each product.
// Overflow beyond the stated bounds is not detectable on shares.
//
// # Comparison
//
// [Party.LTZ] gives shares of the bit [x < 0]: open x + r for a dealer
// edaBit r (r shared both additively and as XOR-shared bits), then compute
// the top bit of c - r with a bit-sliced Kogge-Stone carry circuit (6
// levels, 11 word-ANDs with AND triples) and convert the bit to an additive
// share with a dealer random bit: 8 rounds, exact (no error probability).
// [Party.LessThan], [Party.Max], [Party.ReLU], [Party.Select],
// [Party.GreaterEqualPublic] and [FixedParty.Threshold] build on it.
//
// # Security model
//
// Parties and trust. N parties and a dealer. The parties are semi-honest
// for correctness (a deviating party can falsify results, see below) and
// may pool everything they see; additive sharing tolerates any coalition
// of up to N-1 parties, Shamir sharing with threshold T any coalition of
// up to T-1. The dealer is a [TrustedDealer] (a third party everybody
// trusts, below) or the dealer-free [OTDealer] (below), which makes every
// correlation the operations use among the parties themselves. In short,
// who must not collude with whom:
//   - [OTDealer]: no third party; semi-honest, dishonest majority: privacy
//     holds against any coalition of up to N-1 parties that follows the
//     protocol. Nobody else need be trusted.
//   - [TrustedDealer] / [RunDealer]: the dealer must collude with no party
//     (it can unmask everything); the parties then tolerate any coalition
//     of up to N-1 of them.
//   - [Party.ShamirMul], [Party.ShamirDot]: no dealer and no OT; privacy
//     against up to T-1 semi-honest parties with N >= 2T-1 (honest
//     majority).
//
// Shamir multiplication. [Party.ShamirMul] and [Party.ShamirDot] use no
// dealer: they are private against any semi-honest coalition of up to T-1
// parties when N >= 2T-1 (an honest majority when T-1 < N/2). Every value
// opened inside them is the product minus a random value whose degree-
// (T-1) sharing the coalition cannot reconstruct: each of the N-T+1
// extracted values is a combination, with an invertible matrix, of the
// values dealt by the N-T+1 parties outside the coalition. A deviating
// party can deal inconsistent double sharings or send wrong shares and so
// falsify the products, undetected (the checks of DN07's hyper-invertible
// matrix against such parties are not built).
//
// The OT dealer. With [OTDealer] the parties make their correlations among
// themselves and no third party exists: Beaver and AND triples by Gilboa
// multiplication from SoftSpoken correlated OT (internal/ot), pairwise;
// daBits by folding each party's own random bit into an additively shared
// XOR with one correlated OT per bit and pair; edaBits as 64 daBits;
// division pairs from 64 daBits, exactly (r uniform, floor(r/d) and msb(r)
// exact), with the remainder of a divisor that is not a power of two fixed
// up by secure comparisons on the dealer's own edaBits and AND triples,
// whose openings are masked like every other (see [OTDealer.DivPairs]). Its
// model is semi-honest with a dishonest majority: any coalition of up to N-1
// parties that follows the protocol learns nothing about the other parties'
// shares of any correlation (an OT sender's correlation is masked by a hash
// of a row the receiver cannot compute, and an OT receiver's choice bits,
// the bits of its b share or its random bits, are one-time padded by keys
// the sender does not hold), so the openings of every operation stay
// uniformly random to it. Against a party that deviates it promises nothing:
// the OT extension has no consistency check (KOS15, or SoftSpoken's), so a
// malicious OT receiver can choose inconsistent rows and learn bits of the
// sender's secret and then of its a shares, and so of the inputs masked with
// them; it must not be used where a party may deviate, and the statements
// about deviating parties below hold for the trusted dealer only. Its
// messages are sized by the requesting party's own request (a peer cannot
// make it allocate more) and malformed ones are [ErrMalformed]; a peer that
// disappears fails the request, and the dealer refuses further work
// ([ErrAborted]).
//
// The dealer. [TrustedDealer] (in process) or [RunDealer] (a networked
// party) is trusted by every party for privacy and for correctness: it
// knows every party's seed, so it can unmask every value the parties
// open and hand out wrong correlations, and it must not collude with any
// party. It does not rely on the parties' requests being honest:
//   - Parties 0..N-2 receive a 32-byte seed and never talk to it again;
//     party N-1 asks for its correcting shares at every request. Over the
//     network, links must be confidential and authenticated (mutual TLS),
//     since seeds and corrections are secret.
//   - Every party draws the words of its k-th request (kind, length n,
//     divisor d) from AES-CTR streams keyed by HMAC-SHA256 of its seed and
//     (kind, n, d, k, component, chunk). The dealer answers party N-1's
//     k-th request once, computing the corrections from every party's
//     streams for that same (kind, n, d, k).
//   - So a request of party N-1 that differs from what another party draws
//     at the same position (another kind, length or divisor; a request
//     skipped, repeated or reordered) makes the dealer read streams that
//     no honest party reads and no other answer uses: the answer is
//     unrelated to the honest parties' randomness (given that HMAC-SHA256
//     and AES are pseudorandom), and only makes the results wrong. This is
//     what stops the attack in which the last party asked for division
//     pairs where the program used triples and so learned the other
//     party's input. No party commits to a schedule: streams per request
//     give the same guarantee without the other parties talking to the
//     dealer.
//   - The dealer's work is bounded: one request is at most 2^28 elements
//     and is computed (and sent) in chunks of 2^16 elements, so its
//     memory per request is a few chunks per worker whatever the length or
//     the number of parties; a session's total is capped by
//     [DealerConfig.MaxElements], beyond which it refuses the request and
//     (over the network) closes the links.
//
// What each party learns. The values the program opens ([Party.Open] to
// all, [Party.OpenTo] to one party) and the length of every input; the
// openings inside multiplication, truncation and comparison are masked by
// fresh dealer randomness and are uniformly random. [Result.Leakage] lists
// exactly these per run. What the opened values imply about the inputs
// (a sum of two inputs tells each contributor the other's) is the
// program's choice.
//
// What a deviating party can do. This package does not detect deviation
// (no MACs on shares). Everything a party receives before a value the
// program opens is masked by randomness it does not know, whatever it
// sends or asks the dealer for, so deviating does not let it read another
// party's input directly. It can, however, add any error to its shares or
// messages, undetected (except in Shamir openings, where an inconsistent
// share is caught when more than T shares are opened): the results, and so
// the values the program opens, become those of the program with errors
// added. An opening of such a shifted value can tell it something the
// intended opening would not (a comparison's output on x + delta tells
// whether x >= -delta); open only what the parties may learn from any
// result. It can end the computation (abort). It cannot make another
// party panic or allocate without bound: malformed messages (wrong size,
// kind or step) are detected ([ErrMalformed]), lengths a peer announces are
// checked against [Config.MaxLength], and the dealer bounds its work as
// above. A dishonest dealer learns everything and can falsify every
// result.
//
// Dropouts and faults. Computation needs every party: there is no dropout
// tolerance. A party that disconnects, times out (its context) or sends
// malformed data stops the computation: the party that sees the problem
// closes its mesh, so every other party's next receive fails promptly with
// an error naming the step and the peer, and a failed [Party] refuses
// further work ([ErrAborted]). Errors read
// `mpc party <i>, step <step>, peer "<name>": <cause>`.
//
// Timing. Local kernels branch and index only on public values (vector
// lengths, opened masked values, public constants), and message sizes
// depend only on lengths and public parameters. The Go compiler gives no
// constant-time guarantee, and the fixed-point encoding and decoding of a
// party's own inputs and outputs use floating point.
package mpc
