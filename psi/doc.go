// Package psi lets two parties find what their sets share, and compute on
// it, revealing nothing else beyond the leakage each mode states.
//
// # Use
//
// One party is the sender, the other the receiver. Each calls its runner,
// [RunSender] or [RunReceiver], over a [transport.Conn] to the other with
// its input as a [Set] (one type for both roles) and the same [Config]
// (Protocol, Mode, RevealToBoth and TagLen must agree; the first message
// checks it):
//
//	// receiver
//	res, err := psi.RunReceiver(ctx, conn, psi.Set{Items: psi.Items(myIDs)}, psi.Config{Mode: psi.Intersection})
//	// res.Indices: positions in myIDs of the shared IDs
//
//	// sender
//	_, err := psi.RunSender(ctx, conn, psi.Set{Items: psi.Items(theirIDs)}, psi.Config{Mode: psi.Intersection})
//
// The mode decides which fields of a Set are used: Items always, and for
// the sender Payloads in Join mode and Values in Sum mode, one per item. A
// field the run does not use must be nil (the receiver's Set is items only
// in every mode): a run refuses it before sending anything rather than
// ignore it.
//
// [RunInProcess] runs both roles in one process over an in-memory connection
// (the receiver's Set first, then the sender's) and returns both results,
// for tests, demos and a first program. A [transport.Conn] is the extension
// point: to run over another transport (HTTP, a queue), implement it.
//
// Every [Result] carries its cost ([Result.Stats]: bytes, messages and
// duration) and a statement of what each party learned in that run
// ([Result.Leakage], see the Security model below).
//
// Items are byte strings compared exactly, so both parties must normalise
// their IDs the same way: [NormalizeString], [NormalizeEmail] and
// [NormalizePhone] state one way for common IDs, and [Items] converts
// strings.
//
// # Modes
//
//   - [Intersection]: the receiver learns which of its items the sender
//     holds ([Result.Indices]).
//   - [Cardinality]: the receiver learns only the number of distinct shared
//     items ([Result.Cardinality]): the sender shuffles the evaluations of
//     the receiver's items as a whole before returning them, and sends its
//     own items in random order.
//   - [Join]: as Intersection, and the receiver gets the sender's payload of
//     each shared item ([Result.Payloads], from [Set.Payloads]). Each
//     payload is sealed with AES-256-GCM under a key derived (HKDF-SHA256)
//     from the item's PRF value, which the receiver can compute only for its
//     own items.
//   - [Sum]: the receiver learns the cardinality and the sum of the
//     sender's values ([Set.Values]) over the shared items
//     ([Result.Sum]), nothing per item (as Google's Private Join and
//     Compute). Each sender value travels as an exponential-ElGamal
//     ciphertext under a fresh sender key; the receiver adds the ciphertexts
//     of the matches, rerandomises the sum and has the sender decrypt it
//     partly, and then finds the sum as a discrete log by baby-step
//     giant-step, in time about 7*sqrt(|sum|) group operations, bounded by
//     [Config].MaxSum (else [ErrOutOfRange], never a wrong sum). The
//     decoding caps |sum| at [MaxSumLimit] = 2^44 (for example 16 values of
//     2^40). For larger sums (money columns) set [Config].LatticeSum, or
//     declare a [Config].MaxSum above 2^44, which selects it (see "Sum:
//     which path" below): the
//     sender encrypts its values in stream order under a fresh lattice key
//     of package he (subset sums, plaintext modulus 2^64), the receiver
//     multiplies each chunk of 8192 by its 0/1 matches, adds a fresh
//     encryption of zero, a mask and flooding noise, and has the sender
//     decrypt one masked number: sums exact up to 2^62 in magnitude
//     ([MaxLatticeSum] bounds the sum of the sender's |values|), 24 bytes
//     per slot of 8192-item chunks instead of 64 per item, plus about
//     384 KiB once, and no ElGamal operations per item. The sum over a single
//     shared item is that item's value (a receiver can pick Y = {target}):
//     [Config].MinSumCardinality withholds the sum below a number of shared
//     items, and [Config].SumNoise has the sender add differentially private
//     noise (package dp) to the released sum.
//
// With [Config].RevealToBoth the sender learns the output too: the shared
// items of its own set in Intersection and Join mode (not the payloads it
// sent), the cardinality, and the sum, in Cardinality and Sum mode.
//
// # Protocols: which to pick
//
// [Config].Protocol selects one of two protocols behind the same API:
//
//   - [ECDH] (the default) serves all four modes. It sends the fewest bytes
//     (a 32-byte point per receiver item each way and a TagLen-byte tag per
//     sender item in Intersection mode) but costs about one hash to the
//     group and two scalar multiplications per item per party. Pick it for
//     Cardinality and Sum, for small sets, when bytes on the wire cost more
//     than CPU, or when only DDH (no OT extension assumptions) should be
//     relied on.
//   - [KKRT] (OT-based PSI of Kolesnikov, Kumaresan, Rosulek and Trieu,
//     CCS 2016) serves Intersection and Join only, with or without
//     RevealToBoth: its receiver always learns which of its items matched,
//     which Cardinality and Sum promise to hide ([ErrUnsupported]). It
//     sends more bytes per item than ECDH but costs tens of times less CPU.
//     Pick it for intersections and joins of large sets. Progress is
//     reported once, at the end.
//
// Measured times and bytes per item of both protocols are in
// bench/RESULTS.md (BenchmarkPSI, BenchmarkKKRTvsECDH, BenchmarkEndToEnd).
//
// # Sum: which path
//
// Sum mode has two ways to add the sender's values, with the same leakage:
// exponential ElGamal (the default: 64 bytes per sender item, a decoding
// in time about 7*sqrt([Config].MaxSum), |sum| at most 2^44) and the
// lattice path ([Config].LatticeSum: |sum| up to 2^62, about 384 KiB once,
// fewer bytes than ElGamal above about 2^14 sender items). The path is a
// function of the Config alone: LatticeSum, or a MaxSum above
// [MaxSumLimit], which ElGamal cannot decode, selects the lattice; both
// parties must then set one of them, and the first message refuses a peer
// on the other path ([ErrMismatch]). The library does not pick the path
// from the values themselves: the sender alone knows them, so a
// data-driven choice would disagree with the receiver's, and, announced
// in the first message, would tell the receiver whether the sender's
// values exceed a bound. An application that sees its own data may pick
// (examples/psi does, with both files in one process); a sender with
// values beyond ElGamal's range is refused before anything is sent
// ([ErrInvalidParams]), never run into a decoding failure. With ElGamal
// a sum above MaxSum fails the run at the receiver after the stream
// ([ErrOutOfRange], never a wrong sum), which the sender sees: declare a
// MaxSum that bounds every possible sum (the sum of the sender's |values|)
// when that failure would tell too much.
//
// # Duplicates
//
// Items are sets: each party merges its duplicates before the protocol runs,
// so the peer learns nothing about multiplicities and counts are of distinct
// items. [Result.Indices] lists every position of a shared item, duplicates
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
//	Sum with LatticeSum (after the stream above, without the + 64)
//	S -> R  fresh RLWE public key            about 192 KiB
//	S -> R  Enc(values in stream order)      24 per sender item (chunks of 8192)
//	R -> S  one LWE sample of sum + mask     about 192 KiB
//	S -> R  sum + mask (+ SumNoise) mod 2^64 9
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
// With ECDH, items travel in batches of [Config].BatchSize; an honest party
// has at most [Config].Window batches unanswered, so the data in flight is
// bounded whatever the set sizes. A dishonest peer can send ahead of the
// window; what it queues is then bounded by the transport
// ([transport.Options].MaxQueuedBytes and MaxQueuedMessages: a full inbox
// makes the peer's sends wait), not by this package. With KKRT the sender's
// values travel in chunks of 2^14 items (about 400 KiB), each acknowledged
// by the receiver, and an honest sender has at most 4 chunks unanswered (the
// receiver refuses chunks of fewer than 16 items but for the last, and its
// work per chunk does not depend on which items match: Join payloads are
// opened after the stream); the OT rows (about 1 MiB per message) are not
// acknowledged, so those the receiver streams ahead, and anything a
// dishonest peer sends, are bounded by the same transport limits. Group
// operations and duplicate removal run on [Config].Workers goroutines. What
// grows with the sets besides the inputs and the output: the receiver keeps
// a tag per own distinct item (about 40 bytes each in a map; Join adds 32
// bytes each; with LatticeSum it also keeps one byte per sender item, which
// stream positions matched, and, whatever the sizes, the summer's six ring
// elements of 192 KiB: the public key, the two sums and two of scratch),
// the sender in Cardinality and Sum mode keeps TagLen bytes per receiver
// item to shuffle them as a whole (a per-batch shuffle would leak per-batch
// counts), and both keep a small index per own item for deduplication
// (about 16 bytes per item while it runs) and shuffling. Beyond those tags,
// neither party keeps anything of the other's set: points are processed
// batch by batch and dropped. Each party holds at most [MaxItems] items;
// with KKRT it also refuses a peer that announces more than 2^24 distinct
// items.
//
// # Errors
//
// A run's error names the package, the role, the step and the peer once,
// then the cause:
//
//	psi receiver, step hello, peer "shop": mismatch: peer runs mode cardinality, we run intersection
//
// It wraps one of this package's sentinels ([ErrInvalidParams],
// [ErrMalformed], [ErrMismatch], [ErrUnsupported], [ErrOutOfRange],
// [ErrDuplicate]), a transport error or the context's error. The steps are
// hello, blind, evaluate, unblind, stream, decrypt, reveal and result with
// ECDH, and "kkrt hello", "kkrt oprf", "kkrt values" and reveal with KKRT.
// An invalid Config or input fails before anything is sent, with an error
// of the form "psi: invalid parameters: ...".
//
// # Security model
//
// Parties and trust. Two parties, a sender and a receiver, each of which
// may be corrupted; semi-honest (honest-but-curious) security: each follows
// the protocol and may try to learn more from what it sees. With [ECDH] the
// guarantees rest on the decisional Diffie-Hellman assumption in
// ristretto255 with the hash to the group modelled as a random oracle; with
// [KKRT] on those of OT extension (base OTs over ristretto255, AES as a PRG,
// SHA-256 and fixed-key AES as correlation-robust hashes), and a false match
// has probability at most 2^-40. Keys are fresh per run, from crypto/rand,
// so runs cannot be linked. Run over an authenticated transport
// (transport's TLS) so that each party knows who it talks to.
//
// What each party learns (as [Result.Leakage] reports, with the actual
// counts):
//
//   - Both: the other's number of distinct items, and the protocol, mode,
//     RevealToBoth and TagLen the other runs.
//   - Intersection: the receiver learns which of its items the sender
//     holds.
//   - Cardinality: the receiver learns the number of distinct shared items.
//   - Join: the receiver learns which of its items the sender holds, the
//     sender's payload of each, and the length of every sender payload (pad
//     the payloads if lengths are sensitive).
//   - Sum: the receiver learns the number of distinct shared items and the
//     sum of the sender's values over them (unless there are fewer than
//     [Config].MinSumCardinality: then only the number; plus the sender's
//     noise with [Config].SumNoise). Nothing per item is sent in the clear,
//     but the sum of one item is its value. The sender's partial decryption
//     shows it only a uniformly random group element, whether or not the
//     sum is withheld. With [Config].LatticeSum the same holds: the
//     receiver sees the sender's values only under a fresh RLWE key (ring
//     degree 8192, a 180-bit modulus, 128-bit security by the HE
//     standard), used for this run alone; the sender decrypts one number,
//     the sum plus the receiver's fresh mask uniform modulo 2^64 (with an
//     empty selection when the sum is withheld), so the number is uniform
//     to it. The sample it decrypts is rerandomised by a fresh public-key
//     encryption of zero (RLWE) and flooded with noise uniform in
//     [-2^106, 2^106], which hides the sum of the selected slots'
//     encryption errors (below 2^33, which the key holder could otherwise
//     read the selection from) and whether sum + mask wrapped modulo 2^64
//     (a term below 2^64) within statistical distance 2^-41.
//   - With RevealToBoth the sender learns the same output (its own shared
//     items in Intersection and Join mode; the cardinality and the sum in
//     Cardinality and Sum mode). Without it the sender learns nothing
//     beyond the receiver's set size.
//
// What a deviating party can do. A party that deviates from the protocol is
// not detected; it can learn more or make the output wrong. With
// RevealToBoth the sender must trust the receiver's report; in Sum mode a
// cheating receiver could ask for the decryption of a single item's value
// (MinSumCardinality is applied by the receiver, so it binds only an
// honest one; SumNoise is added by the sender and holds against any
// receiver); with LatticeSum a cheating receiver could select with
// weights other than 0/1 (learning another linear combination of the
// values) or drop its mask (handing the sender the sum), and a cheating
// sender could send a malformed key or answer and make the sum wrong;
// with KKRT a receiver using inconsistent OT rows tests more than its own
// items against the sender's set.
//
// Dropouts and faults. If a party stops (a closed connection, a cancelled
// context), the other's call returns an error naming the peer and the step;
// nothing is output. A peer's malformed message is an error wrapping
// [ErrMalformed]. With ECDH, memory for the peer's data grows with what has
// arrived, not with the size the peer announces; so does the KKRT sender's
// OT matrix (64 bytes per cuckoo bin received, at most twice what has
// arrived while it grows), and each party bounds the peer's announced set
// by 2^24 items with KKRT.
//
// Timing. No constant-time claim is made beyond that of the group and cipher
// implementations. Each party's work grows with both set sizes, which both
// learn anyway. With ECDH the receiver's work on each stream batch, which
// the sender can time through its acknowledgement, does the same operations
// whether or not the batch's items match: in Join it only copies each
// payload to a new buffer (keeping those of matches, which costs memory
// equal to the output) and opens them after the whole stream; in Sum it
// decodes every ciphertext and adds it either to the sum or to a dummy (a
// map hit and a miss still differ by a few nanoseconds). A receiver also
// refuses stream batches of fewer than [MinBatchSize] items (but for the
// last), so a sender cannot time single items. In Sum mode the receiver's
// decryption takes time growing with sqrt(|sum|), which the sender can
// observe with RevealToBoth, when the receiver answers after decrypting;
// with KKRT the receiver's work on each values chunk, which the sender can
// time through its acknowledgement, differs only by a table hit or miss per
// matching item (payloads are copied, matching or not, and opened after the
// stream).
package psi
