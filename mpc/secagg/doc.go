// Package secagg is secure aggregation with dropouts: a server learns the
// sum of many clients' vectors and nothing else about any one of them, even
// when clients go offline mid-round. It implements the double-masking
// protocol of Bonawitz et al. (CCS'17), optionally over the sparse random
// graph of SecAgg+ (Bell et al., CCS'20) so that each client talks to
// O(log n) neighbors instead of all n-1.
//
// # Use
//
// Describe the round in a [Config] and validate it with [NewParams]; every
// party builds its [Params] from the same Config (or from the bytes of
// [Params.MarshalBinary]). Each party has a [transport.Identity]: the
// certificate and key it connects with, named as [Config.Names] says
// (by default [transport.PartyName], the names of
// [transport.NewTLSLoopbackStar]). Then the server runs [RunServer] and
// each client [RunClient] over a transport star (server party 0, clients
// 1..n):
//
//	p, err := secagg.NewParams(secagg.Config{Clients: n, Length: dim, Graph: secagg.SparseGraph})
//	// server:   res, err := secagg.RunServer(ctx, mesh, p, serverID)   // res.Sum, res.Counted
//	// client i: _, err := secagg.RunClient(ctx, mesh, p, clientID, input)
//
// [RunInProcess] runs a whole round in one process, for tests, demos and a
// first program. Parties in other processes rebuild the parameters with
// the Config that [Params.Config] returns (its Session filled in; the
// session seed must be fresh each round) or with [Params.UnmarshalBinary].
// Parties whose parameters differ in any shared field are caught at the
// first step with [ErrMismatch]. The runner waits a round timeout per
// step: a client that has not answered in time, whose connection fails or
// whose message is malformed is treated as dropped.
//
// The steps are also methods on [Client] and [Server] taking and returning
// typed messages (each with MarshalBinary and UnmarshalBinary), so any
// transport can drive them; see Example.
//
// Vectors are words added modulo 2^64: signed integers through
// [FromInt64s] and [ToInt64s] (exact while the true sum lies in int64),
// reals through [FixedPoint], which bounds each value so the sum cannot
// wrap.
//
// # How it works
//
// A round has n clients (ids 1..n) and a server, and four steps:
//
//  1. Advertise keys ([Client.AdvertiseKeys]). Each client draws two X25519
//     key pairs, one to encrypt messages to its neighbors and one to agree
//     pairwise masks, and signs both public keys, with the parameters'
//     [Params.Digest] and its id, with its identity key. The server checks
//     the signatures and relays each client's signed keys to its neighbors
//     ([KeyListMsg]).
//  2. Share keys ([Client.ShareKeys]). Each client checks every neighbor's
//     signature against its CA and the roster name, splits its mask private
//     key and a fresh 32-byte self-mask seed into Shamir shares of
//     threshold t (each secret as five 60-bit limbs over GF(2^61-1)), one
//     pair per neighbor, and sends each pair through the server sealed
//     with AES-256-GCM under HKDF-SHA256 of the two clients' X25519 secret,
//     bound to the round, the sender and the receiver.
//  3. Masked input ([Client.MaskInput]). Each client adds to its vector its
//     self mask (AES-128-CTR keystream keyed from the seed) and, for each
//     neighbor j that shared, the pairwise mask of the two (keyed from
//     their X25519 secret), added if its id is below j's and subtracted
//     otherwise. Pairwise masks cancel in the sum.
//  4. Unmask ([Client.Unmask]). Each counted client sends, for each of its
//     neighbors, the share of the mask key (neighbor dropped before its
//     masked input) or of the seed (neighbor counted), never both: a
//     client refuses a request that names one client in both lists or
//     comes twice. With t shares of each, the server removes the dropped
//     clients' pairwise masks and the counted clients' self masks
//     ([Server.Finish]).
//
// # Graphs and thresholds
//
// [CompleteGraph] (default): every client is a neighbor of every other;
// default threshold t = floor((n-1)/2)+1. The round finishes exactly when
// every client that shared keys still has t neighbors that answer at
// unmasking, that is up to n-1-t dropouts in total.
//
// [SparseGraph] (SecAgg+): a Harary graph of even degree k whose ring
// order is a permutation drawn from the public session seed. [NewParams]
// picks the smallest k and a t such that, when each client drops out with
// probability [Config.DropoutRate] and is corrupt with probability
// [Config.CorruptRate], independently of the graph, the probability that
// some client keeps fewer than t live neighbors (abort), that some client
// has t or more corrupt neighbors (its masks exposed), or that the honest
// survivors split into disconnected parts (the server would learn partial
// sums) is at most 2^-σ ([Config.SecurityBits]; [Params.FailureLog2]
// reports the bound). For n = 500 and the defaults that gives k = 92,
// t = 40. If k would reach n-1 the complete graph is used.
//
// # Cost
//
// Beyond its masked vector (8 bytes a value), a client sends and receives,
// per neighbor, its neighbor's signed keys (with their certificate), a
// sealed pair of shares each way and an unmasking share. A client does
// two signature checks, three X25519 agreements and one mask expansion
// per neighbor; the server expands one self mask per counted client and
// one pairwise mask per edge between a dropped and a counted client, on
// [Config.Workers] goroutines.
//
// # Dropouts
//
// A client that drops before sending its masked input is not counted; one
// that drops after is counted. If at some step a client that must be
// recovered has fewer than t live neighbors, the server aborts with
// [ErrTooManyDropouts] before asking for any share, so it learns nothing
// but the masked vectors, which are uniformly random to it.
// [Result.Counted] lists the clients whose inputs make up the sum.
//
// # Security model
//
// Parties and trust. A server and n clients. The server and the clients
// are semi-honest (they follow the protocol and try to learn more), with
// one exception stated below: the server may replace the keys it relays,
// and is caught. The server may collude with fewer than t of any client's
// neighbors (and, for the sparse graph, with at most the CorruptRate
// fraction of clients assumed by the parameters): together they learn
// nothing about the honest clients' inputs beyond the sum of the counted
// honest clients' inputs. Each party's identity is a certificate issued by
// a CA every party trusts (normally the one it connects with), and the
// roster ([Config.Names]) says which name each client id has.
//
// What each party learns, as [Result.Leakage] and [ClientResult.Leakage]
// state it. The server learns the sum modulo 2^64 of the counted clients'
// vectors (plus their noise shares, see below), which clients were
// counted, which dropped and at which step, and the public parameters.
// Each client learns which of its neighbors advertised keys, which shared
// them, and, from its unmask request, which of those were counted and
// which dropped before their masked input. No party sees another's vector
// or an un-noised partial sum.
//
// What a deviating party can do. A server that substitutes a client's
// advertised keys (to read the shares sent to it, or to agree masks with
// its neighbors itself) cannot sign them for that client, nor replay keys
// signed for another round (the signature covers the parameters' digest,
// session included, and the client's id): every neighbor that receives
// them checks the signature, the certificate chain and the roster name and
// refuses with [ErrBadAdvert] before it seals or masks anything, and
// leaves the round; when too few are left, the round aborts with nothing
// unmasked. A client that signs keys for parameters other than the
// server's is refused with [ErrMismatch]. Not covered: a malicious server
// that lies about who dropped out, telling some of a client's neighbors it
// dropped (asking for its mask key) and others it was counted (asking for
// its seed), learns that client's input when it has 2t live neighbors
// (Bonawitz et al.'s consistency round, which prevents this, is not
// implemented); the server computes the sum and may drop any client, so
// it controls correctness and liveness. A client may send any vector (no
// range proof) or wrong shares: a wrong share of a mask key fails the
// check against the advertised public key and aborts the round
// ([ErrMalformed]); a wrong share of a seed gives a wrong sum, undetected.
//
// Dropouts and faults. A client that drops before its masked input is not
// counted; after it, it is counted. Too many dropouts abort the round
// before any share is requested ([ErrTooManyDropouts]); the server tells
// every remaining client ([ErrAborted]). A client that gives up (a
// neighbor's keys do not verify) tells the server and is dropped.
//
// Timing. X25519, AES and the signatures are the standard library's
// constant-time implementations. The Shamir arithmetic (split on the
// client, combine on the server) is not written to be constant-time;
// its timing could reach a peer only through when a client sends its
// sealed shares, mixed with the network's jitter. The server's work
// depends only on public counts (clients counted and dropped).
//
// # Distributed differential privacy
//
// The sum itself reveals something about each input. [Config.Noise] makes
// each client add a noise vector before masking, so the server only ever
// sees the sum plus the sum of the counted clients' noise shares; no party
// ever sees an un-noised sum. Use a distribution closed under sums from
// package [github.com/veil-go/veil/dp]: [github.com/veil-go/veil/dp.SkellamShare] (Agarwal, Kairouz & Liu 2021) or
// [github.com/veil-go/veil/dp.DiscreteGaussianShare] (Kairouz, Liu & Steinke 2021), for example
//
//	share, _ := dp.NewDiscreteGaussianShare(dp.DiscreteGaussianShareParams{
//		LocalSigma: sigma, Parties: n, MinHonest: m}) // sigma from dp.CalibrateDistributedDiscreteGaussian(..., m)
//	cfg.Noise = func(length int) ([]int64, error) { return share.Noise(length), nil }
//
// The shares are sized so that the shares of m clients alone carry the
// target noise. The guarantee, (epsilon, delta)-DP for one client's whole
// vector within its clipping bound, holds when at least m counted clients
// are honest: clients that drop out before their masked input add nothing,
// and clients colluding with the server know their own shares and can
// subtract them. So choose m = n minus the dropouts and colluders the
// deployment must tolerate, for example (1 - DropoutRate - CorruptRate) n.
// If more clients drop out or collude, the remaining noise is smaller and
// the released sum is private only at a larger epsilon, computable from
// the actual number of honest counted clients with dp's accountants. When
// more clients are honest than m, the noise is larger than needed: privacy
// is only better, accuracy a little worse.
package secagg
