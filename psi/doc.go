// Package psi lets two parties find what their sets share, and compute on
// it, revealing nothing else beyond the leakage each mode states.
//
// # Use
//
// One party is the sender, the other the receiver. Each calls its runner
// over a [transport.Conn] to the other with the same Config (Protocol, Mode,
// RevealToBoth and TagLen must agree; the first message checks it):
//
//	// receiver
//	res, err := psi.RunReceiver(ctx, conn, psi.Items(myIDs), psi.Options{Mode: psi.Intersection})
//	// res.Indices: positions in myIDs of the shared IDs
//
//	// sender
//	_, err := psi.RunSender(ctx, conn, psi.SenderSet{Items: psi.Items(theirIDs)}, psi.Options{Mode: psi.Intersection})
//
// The runners drive local steps that a caller with another transport (HTTP,
// a queue) can drive by hand: [prepareECDHReceiver] and [prepareECDHSender] return
// the parties' states, whose methods take and return the typed messages
// (each with MarshalBinary and UnmarshalBinary; [decodeMessage] decodes any
// of them); the order is in the comment at the top of ecdh_steps.go.
//
// Items are byte strings compared exactly, so both parties must normalise
// their IDs the same way: [NormalizeString], [NormalizeEmail] and
// [NormalizePhone] state one way for common IDs.
//
// # Modes and what each party learns
//
// Both parties always learn the other's number of distinct items, and which
// protocol and mode the other runs. Beyond that:
//
//   - [Intersection]: the receiver learns which of its items the sender
//     holds (Result.Indices). With RevealToBoth the sender learns which of
//     its items the receiver holds.
//   - [Cardinality]: the receiver learns the number of distinct shared items
//     and nothing about which they are: the sender shuffles the evaluations
//     of the receiver's items as a whole before returning them, and sends its
//     own items in random order. With RevealToBoth the sender learns the
//     number too.
//   - [Join]: as Intersection, and the receiver gets the sender's payload of
//     each shared item (Result.Payloads). Each payload is sealed with
//     AES-256-GCM under a key derived (HKDF-SHA256) from the item's PRF value
//     H(x)^a, which the receiver can compute only for its own items. The
//     receiver also sees the length of every sender payload; pad them if
//     lengths are sensitive. With RevealToBoth the sender learns the shared
//     items of its own set (not anything of the receiver's beyond that).
//   - [Sum]: the receiver learns the cardinality and the sum of the sender's
//     values over the shared items, nothing per item (as Google's Private
//     Join and Compute). Each sender value travels as an exponential-ElGamal
//     ciphertext under a fresh sender key s; the receiver adds the
//     ciphertexts of the matches, rerandomises the sum and has the sender
//     raise its first half to s, which reveals to the sender only a uniformly
//     random element; the receiver then finds the sum as a discrete log by
//     baby-step giant-step, in time about 7*sqrt(|sum|) group operations,
//     bounded by Config.MaxSum (else [ErrSumOutOfRange], never a wrong sum).
//     With RevealToBoth the receiver tells the sender the cardinality and sum.
//
// # Security model
//
// Semi-honest (honest-but-curious) two-party security, under the decisional
// Diffie-Hellman assumption in ristretto255 with the hash to the group
// modelled as a random oracle. A party that deviates from the protocol can
// learn more or make the output wrong; in particular, with RevealToBoth the
// sender must trust the receiver's report, and in Sum mode a cheating
// receiver could ask for the decryption of a single item's value. Run over
// an authenticated transport (transport's TLS) so that each party knows who
// it talks to. If a party stops (a dropout, a closed connection, a cancelled
// context), the other's call returns an error naming the peer and the step;
// nothing is output. Keys are fresh per run, so runs cannot be linked.
//
// # Protocols: which to pick
//
// Config.Protocol selects one of two protocols behind the same API:
//
//   - [ECDH] (the default) serves all four modes. It sends the fewest bytes
//     (about 38 bytes per item per side in Intersection and Cardinality
//     mode with the default TagLen, about 70 in Sum mode, plus the payloads
//     in Join mode) but costs about one hash to the group and two
//     scalar multiplications per item per party: about 100 us of CPU per
//     item per party. Pick it for Cardinality and Sum, for small sets, when
//     bytes on the wire cost more than CPU, or when only DDH (no OT
//     extension assumptions) should be relied on.
//   - [KKRT] (OT-based PSI of Kolesnikov, Kumaresan, Rosulek and Trieu,
//     CCS 2016; internal/kkrt) serves Intersection and Join only, with or
//     without RevealToBoth: its receiver compares the sender's OPRF values
//     with its own, so it always learns which of its items matched, which
//     Cardinality and Sum promise to hide ([ErrUnsupported]). It sends about
//     59 bytes per item per side (Join: about 102 with 18-byte payloads) and
//     costs about 2 us of CPU per item per party, about 50 times less than
//     ECDH. Pick it for intersections and joins of large sets.
//
// KKRT's security model: semi-honest sender and receiver, as for ECDH, but
// under the assumptions of OT extension (128 base OTs over ristretto255,
// AES as a PRG, SHA-256 and fixed-key AES as correlation-robust hashes)
// instead of DDH alone. A deviating party can learn more (for example a
// receiver with inconsistent OT rows tests more than its n items). False
// matches have probability at most 2^-40 (statistical parameter 40), and
// the receiver's stash-less cuckoo hashing (3 hash functions, 1.27n bins)
// fails with probability about 2^-40, in which case it retries locally with
// a new key before sending anything (see internal/kkrt). Each party accepts
// a peer set of at most 2^24 distinct items.
//
// Measured (BenchmarkKKRTvsECDH: both parties in one process over
// transport.Pipe, 2^k items per side, half shared, 1-3 runs each, wall time
// and the process's CPU time; a 2-core VM shared with one or two light
// processes, so figures vary by 10-20%):
//
//	run (2^k x 2^k)          wall       CPU, both parties  bytes/item/side
//	2^18 Intersection ECDH   26 s       51 s               38
//	2^18 Intersection KKRT   0.61 s     1.06 s             59
//	2^20 Intersection KKRT   2.2 s      3.75-3.95 s        59
//	2^20 Join KKRT           4.9-5.6 s  8.5-10 s           102
//
// At 2^20 the CPU is internal/kkrt's (SHA-256 OPRF values, the OT
// extension's transpose); this package's own work (duplicate removal,
// indices) is about 0.2 s of CPU for both parties together. In Join mode
// most of the extra time is the per-item AES-GCM sealing in internal/kkrt.
//
// # Duplicates
//
// Items are sets: each party merges its duplicates before the protocol runs,
// so the peer learns nothing about multiplicities and counts are of distinct
// items. Result.Indices lists every position of a shared item, duplicates
// included. For the sender, copies of one item must carry equal join
// payloads (else [ErrDuplicate]); their sum values are added (as a SQL
// GROUP BY would).
//
// # Protocol (ECDH) and cost
//
// With H = hash_to_ristretto255 of RFC 9380 (expand_message_xmd with SHA-512,
// DST [HashDST]), sender key a and receiver key b (fresh random scalars):
//
//	Intersection, Join                       bytes per item on the wire
//	R -> S  H(y)^b                           32 per receiver item
//	S -> R  H(y)^(ab), same order            32 per receiver item
//	        R computes F(y) = (H(y)^(ab))^(1/b) = H(y)^a and its tag T(F(y))
//	S -> R  T(H(x)^a), shuffled              TagLen per sender item
//	        (Join: + 4-byte length + 16-byte GCM tag + payload)
//	Cardinality, Sum
//	R -> S  H(y)^b                           32 per receiver item
//	S -> R  T(H(y)^(ab)), shuffled together  TagLen per receiver item
//	S -> R  H(x)^a, shuffled                 32 per sender item (Sum: + 64)
//	        R compares T((H(x)^a)^b) with the tags
//
// T is SHA-256 with its own domain, truncated to TagLen bytes (default 12):
// the probability that any pair of distinct items matches by accident is at
// most |X|*|Y|*2^(-8*TagLen), below 2^-56 for 2^20 x 2^20 items. On top of
// this come batch headers (5-6 bytes per batch), a 5-byte acknowledgement
// per batch and a few short messages. Each party computes about one hash to
// the group and two scalar multiplications per item (its own items once,
// the peer's once); Sum adds about two scalar multiplications per sender
// item for the encryption.
//
// # Scale and memory
//
// Items travel in batches of Config.BatchSize; each party has at most
// Config.Window batches unanswered, so the data in flight is bounded
// whatever the set sizes. Group operations run on Config.Workers
// goroutines. What grows with the sets besides the inputs and the output:
// the receiver keeps a tag per own distinct item (about 40 bytes each in a
// map; Join adds 32 bytes each), the sender in Cardinality and Sum mode
// keeps TagLen bytes per receiver item to shuffle them as a whole (a
// per-batch shuffle would leak per-batch counts), and both keep a small index
// per own item for deduplication and shuffling. Duplicates are removed
// with a 64-bit hash per item (hash/maphash under a fresh random seed,
// equal hashes confirmed by comparing the bytes), partitioned by hash and
// processed on Config.Workers goroutines; about 16 bytes per item while it
// runs, and a set without duplicates is used as given, without a copy.
// Beyond those tags, neither party keeps anything of the other's set:
// points are processed batch by batch and dropped. Measured (shared 2-core
// machine, both parties in one process, inputs included): peak heap about
// 42 MiB at 2^16 x 2^16.
//
// # Adding a protocol
//
// The runners validate options and inputs, merge duplicates and exchange
// [helloMsg] (which checks that both parties run the same protocol, mode and
// options); then they hand over to an engine, the small internal interface
// in run.go with one method per role, given the deduplicated inputs, the
// peer's helloMsg and the validated options. A protocol such as KKRT plugs in
// by adding a file (kkrt.go) with a type implementing engine, its own
// message types (each with MarshalBinary, UnmarshalBinary and a fuzz
// target; give them kinds after the ECDH ones in messages.go), and a case
// in engineFor. The API, the options and the Result stay the same; a
// protocol that cannot serve a mode returns an error wrapping
// [ErrUnsupported]. Reuse the helpers: dedup/prepareSender (done before the
// engine), receiverInput.indicesOf for Result.Indices, pipeline for
// windowed streaming, parallel for the worker pool, stepConn for errors that
// name the role, step and peer, and the property tests in psi_test.go
// (runPair with Config{Protocol: KKRT}).
package psi
