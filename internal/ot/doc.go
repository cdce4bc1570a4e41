// Package ot implements oblivious transfer for Veil's protocols: base OT
// over ristretto255 and OT extension, both in the classic 1-out-of-2 form
// (IKNP, and SoftSpoken with 128/k bits per OT) and in the wide-row form
// used by KKRT16's batched OPRF (1-out-of-N OT with a pseudorandom code).
//
// # What it does
//
// In a 1-out-of-2 OT a sender holds pairs (m0, m1) and a receiver holds a
// choice bit c per pair; the receiver learns m_c and nothing about
// m_{1-c}, and the sender learns nothing about c.
//
//   - Base OT ([BaseSend], [BaseReceive], or the local steps
//     [NewBaseSender], [NewBaseReceiver], [BaseReceiver.Respond],
//     [BaseSender.Finish]) is Chou-Orlandi "simplest OT" over ristretto255:
//     one round trip, one point per OT, keys derived with SHA-256 over the
//     whole transcript (index, A, B_i, shared point), which is the known fix
//     for the original paper's key derivation.
//   - OT extension ([NewSender], [NewReceiver]) turns w base OTs (done once
//     per session, roles reversed) into any number of OTs at the cost of
//     AES and a bit-matrix transpose: the receiver picks a w-bit row d_j per
//     OT and learns t_j, the sender learns q_j = t_j XOR (d_j AND s) for its
//     secret s. With w = 128 and d_j = c_j*1^128 this is IKNP:
//     [Sender.RandomOT], [Receiver.RandomOT], [Sender.ChosenOT],
//     [Receiver.ChosenOT], and correlated OT over Z_2^64
//     ([Sender.CorrelatedOT64], [Receiver.CorrelatedOT64]: the sender gets
//     a random word x_j, the receiver x_j + c_j*delta_j for the sender's
//     delta_j, at one extra word per OT), which mpc's Gilboa
//     multiplication uses. With w = 512 and d_j = C(x_j), a pseudorandom
//     code word, it is the 1-out-of-N OT of KKRT16 used by internal/kkrt
//     through [Receiver.ExtendFunc] and [Sender.Extend].
//   - SoftSpoken OT extension ([NewSoftSpokenSender],
//     [NewSoftSpokenReceiver]; Roy, CRYPTO 2022) gives the same IKNP
//     correlation q_j = t_j XOR c_j*Delta from a small-field VOLE: Delta is
//     cut into blocks of k bits ([SoftSpokenConfig.K], 1 to 8), each block a
//     GGM tree of 2^k leaves of which the sender holds all but the one its k
//     bits of Delta name (a punctured PRF made from k base OTs). It sends
//     128/k bits per OT instead of 128 and expands about 2^k/k AES blocks
//     per OT per party, and offers the same [SoftSpokenSender.RandomOT],
//     [SoftSpokenSender.ChosenOT] and [SoftSpokenSender.CorrelatedOT64] (and
//     receiver methods) as IKNP, hashed the same way, and Gilboa products
//     over Z_2^64 ([SoftSpokenSender.MulShares64]: the sender's word times
//     the receiver's, as additive shares, from 64 OTs whose corrections are
//     truncated to the bits the product uses, 260 bytes per product). [OneOfTwoSender] and
//     [OneOfTwoReceiver] are the method sets both extensions share.
//
// # How to use it
//
//	// sender side                          // receiver side
//	s, err := ot.NewSender(ctx, conn, ot.Config{})  r, err := ot.NewReceiver(ctx, conn, ot.Config{})
//	pairs, err := s.RandomOT(ctx, n)                keys, err := r.RandomOT(ctx, choices)
//	err = s.ChosenOT(ctx, msgs)                     got, err := r.ChosenOT(ctx, choices)
//
// A Sender/Receiver pair may run any number of extensions in sequence; each
// row index of the session is used once (the PRG counters and the hash
// tweaks carry the global row index). Both parties pass a [Config]: rows
// travel in chunks of Config.ChunkRows rows (about 1 MiB per message by
// default; SoftSpokenConfig.ChunkRows, 16384 rows, for SoftSpoken), and
// chunks are expanded and transposed on up to Config.Workers goroutines. All
// secrets come from crypto/rand. Measured throughput is in bench/RESULTS.md
// (BenchmarkRandomOT, BenchmarkOTExtension, which compares IKNP, SoftSpoken
// for several k and the AES floor in one run, BenchmarkTranspose,
// BenchmarkBaseOT).
//
// Primitives: the PRG is AES-128-CTR (crypto/aes, AES-NI) keyed by each base
// OT key with the counter starting at row offset/128; the
// correlation-robust hash that turns rows into messages is MMO^sigma
// (Guo, Katz, Wang, Yu 2020) under an AES key of its own for each group of
// 256 consecutive OTs, derived from a salt both parties take from the
// session's setup message ([CRHash]): one crypto/aes call per hash, and a
// bound that does not grow with the number of OTs or sessions; the
// transpose works on 64x64 bit blocks in 64-bit words.
//
// # Security model
//
// Parties and trust: two parties, semi-honest (honest-but-curious);
// computational security 128 bits (128 base OTs; a wider extension takes its
// w base OTs from an IKNP extension of those 128, so a session costs 128
// public-key OTs whatever its width; SoftSpoken also runs 128 base OTs, one
// per GGM level of its 128/k trees). Two parties only: no collusion
// question arises.
//
// What each party learns: the receiver learns exactly the chosen message of
// each OT; the other message is masked by the hash of a row the receiver
// cannot compute without the sender's secret s. With the hash modelled as
// an ideal cipher, a receiver that makes p AES evaluations learns some other
// message with probability about 2^9 * p / 2^128: the 2^9 is the hash
// inputs that share one key (two per OT, 256 OTs per group), and it does not
// grow with the number of OTs, as it would under one fixed key. The sender learns nothing
// about the choices: the columns it receives are one-time padded by AES-CTR
// keystreams keyed by base-OT keys it does not hold. In SoftSpoken the
// sender sees, per block, the choice bits XOR the sum of all 2^k leaf
// keystreams, one of which comes from the leaf it cannot compute: the GGM
// level sums that would give it that leaf are masked by the base-OT keys it
// did not choose. Both learn the number of OTs and the width (for
// SoftSpoken, k).
//
// What a deviating party can do: a malicious receiver can choose
// inconsistent rows d_j (IKNP is not secure against it without a
// consistency check, as in KOS15; SoftSpoken likewise has no consistency
// check here, and a malicious receiver can also send inconsistent GGM level
// sums), so this package must not be used where a party may deviate.
//
// Dropouts and faults: if a connection drops, the calls return a wrapped
// transport error promptly and the session's state must be discarded (a
// partly-run extension cannot be resumed). A malformed message is an error
// wrapping [ErrMalformed].
//
// Timing: no constant-time claim is made. The work grows with the number of
// OTs and the width; selections by choice bit are ordinary branches.
package ot
