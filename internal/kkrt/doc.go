// Package kkrt implements the OT-based private set intersection of
// Kolesnikov, Kumaresan, Rosulek and Trieu (CCS 2016, "Efficient Batched
// Oblivious PRF with Applications to Private Set Intersection"), for large
// sets: [Receive] and [Send] run the two roles over a transport.Conn.
//
// # How it works
//
//  1. Both parties hash their items to 128-bit digests (SHA-256) and drop
//     duplicates. The sender shuffles its set.
//  2. The receiver places its n items in B = [NumBins](n) (1.27n for large sets) bins by
//     cuckoo hashing with 3 hash functions (AES under a random key it
//     announces), one item per bin, no stash.
//  3. One 1-out-of-N OT per bin ([ot] with 512-bit rows): the
//     receiver's row for bin j is the pseudorandom code word C(x, f) of the
//     item x it placed there by hash function f (C = four AES blocks under
//     the sender's code key). This gives the sender q_j and s, and the
//     receiver t_j = q_j ^ (C(x, f) AND s): the batched OPRF
//     F_j(y) = H(j, q_j ^ (C(y) AND s)) with H = SHA-256, of which the
//     receiver learns F_j(x) at its own item only.
//  4. For each of its items y and each f the sender sends F_{h_f(y)}(y, f)
//     truncated to [ValueBytes] (lambda + log2(3 n_S n_R + n_R^2/2) bits),
//     in chunks; the receiver looks each value up in a hash table of its own
//     n values. A hit means the item is in the intersection.
//
// With [Config].Payloads the sender also attaches a payload to each item
// (a join): the payload is sealed with AES-128-GCM under a fresh key, and
// the key is sent masked by each of the item's 3 OPRF keys (the last 16
// bytes of the full OPRF output). The receiver opens the payloads of its
// matches ([Result.Payloads]) and sees the length of every payload.
//
// Messages are streamed: OT rows travel in chunks of about 1 MiB and sender
// values in chunks of [Config].ChunkItems items. The receiver acknowledges
// each values chunk and the sender keeps at most [Config].Window chunks
// unacknowledged, so an honest receiver's queue holds at most that many
// however slowly it reads; the OT rows are not acknowledged, and what a
// dishonest peer sends ahead is bounded by the transport's receive queue
// (transport.Options.MaxQueuedBytes and MaxQueuedMessages). The receiver
// refuses a chunk of fewer than [MinChunkItems] items but for the last, and
// its work per chunk does not depend on which values match beyond a table
// hit or miss: payloads are copied whether or not they match and opened
// after the last chunk, so an acknowledgement's latency does not time
// single items. Heavy steps run on [Config].Workers goroutines. Traffic is
// about [BinFactor](n)*512 bits per receiver item plus 3*8*ValueBytes bits
// per sender item, close to KKRT16's ~1000 bits per item. All randomness
// comes from crypto/rand (keys, the shuffle, the OT secrets) or from a
// [prg.PRG] keyed from it. Measured times, traffic and memory are in
// bench/RESULTS.md (BenchmarkPSI).
//
// # Parameters
//
//   - Code width 512 bits ([CodeWidth]). By KKRT16's criterion (a pair
//     of code words closer than 128 bits, over the about 3n pairs the
//     protocol compares, with probability at most 2^-40), a binomial tail
//     needs 416 bits at n = 2^8, 424 at 2^12, 432 at 2^16, 440 at 2^20 and
//     448 at 2^24. 512 bits is sound with margin: a pair is closer than 128
//     bits with probability 2^-102.3, so even a union bound over all (3n)^2
//     pairs holds up to the 2^28 of [MaxItems]; it is also four AES blocks,
//     word-aligned.
//   - Statistical security lambda = 40 ([StatSecurity]): a false match
//     anywhere in the run, or two of the receiver's own values colliding,
//     has probability at most 2^-40 ([ValueBytes]). Should two of the
//     receiver's values collide anyway, Receive fails with
//     [ErrInvalidParams] rather than hide one item behind the other.
//   - Stash-less cuckoo hashing, 3 hash functions, [NumBins](n) bins: a
//     factor that depends on n ([BinFactor]: 1.78 at n = 2^6, 1.40 at 2^8,
//     about 1.48 from 2^9 to 2^12, 1.27 from 2^13), rounded up to a
//     multiple of 128. Below 2^13 these are the factors cryptoTools'
//     CuckooIndex::selectParams takes for a failure probability of at most
//     2^-40, from its fits of the experiments of Pinkas, Schneider, Weinert
//     and Wieder (Eurocrypt 2018); from 2^13 on, 1.27 is PSWW18's
//     recommendation, and the smallest obstruction (two items in one bin)
//     is below 2^-41. We did not re-derive these bounds, but a regression
//     test simulates the small sizes with exact matching (a flat
//     1.27n, used before, fails about 2^-14.5 of the time near n = 100). On
//     failure the receiver draws a new hash key and retries locally, up to 4
//     times, before anything is sent; the sender only ever sees a key under
//     which the set could be placed, which reveals at most that 2^-40 event.
//     After 4 failures Receive returns [ErrCuckoo].
//   - A peer may announce at most [DefaultMaxPeerItems] (2^24) distinct
//     items unless [Config].MaxPeerItems says otherwise: the sender keeps 64
//     bytes per receiver bin. It allocates them as the OT rows arrive (at
//     most twice what has arrived), so a peer that announces many items and
//     then stalls costs it nothing in proportion to its claim. Each party's
//     own set is at most [MaxItems].
//
// # Errors
//
// A run's error names the role, the step (cuckoo, hello, oprf, values) and
// the peer, as in
//
//	kkrt receiver, step values, peer "shop": malformed message: protocol violation: ...
//
// and wraps [ErrInvalidParams], [ErrMalformed] (of which [ErrProtocol] is a
// case), [ErrCuckoo], a transport error or the context's error.
//
// # Security model
//
// Parties and trust: semi-honest (honest-but-curious) sender and receiver;
// two parties, so no collusion question arises.
//
// What each party learns: the receiver learns the intersection (which of
// its items the sender also holds) and the number of distinct sender items;
// nothing else about the sender's other items (their values are OPRF
// outputs at points it cannot evaluate). With payloads the receiver also
// learns the payload of each matched item and the length of every payload.
// The sender learns only the number of distinct receiver items. There is
// no cardinality-only mode here: the receiver always learns which items
// match (a cardinality-only variant needs a different protocol, such as
// circuit PSI).
//
// What a deviating party can do: deviate undetected. For example a
// receiver using inconsistent OT rows learns sender-item membership for
// more than n points, and either party can make the output wrong. Use a
// malicious-secure protocol where that matters.
//
// Dropouts and faults: a dropped connection or a cancelled context ends
// both runs promptly with an error naming the step; nothing is output.
//
// Timing: no constant-time claim is made. Item hashing takes time that
// depends on item lengths. The receiver's lookups differ by a hit or a miss
// per value (a few nanoseconds, over chunks of at least [MinChunkItems]
// items), and its payload openings, after the stream, take time growing
// with the number of matches.
package kkrt
