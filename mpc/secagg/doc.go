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
// first program. Parties in other processes rebuild the parameters with the
// Config that [Params.Config] returns (its Session filled in; the session
// seed must be fresh each round) or with [Params.UnmarshalBinary]; or a
// client joins on the server's announcement with [JoinRound], which checks
// the announced parameters against the client's [Expectation] (length,
// number of clients, least threshold, privacy target and corruption rate,
// roster) before it advertises anything. Parties whose parameters differ in
// any shared field are caught at the first step with [ErrMismatch]. The
// runner waits a round timeout per step: a client that has not answered in
// time, whose connection fails or whose message is malformed is treated as
// dropped.
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
// A round has n clients (ids 1..n) and a server. The server opens it
// with the shared parameters ([AnnounceMsg]); then come six steps:
//
//  1. Advertise ([Client.Advertise]). Each client draws two X25519 key
//     pairs, one to encrypt messages to its neighbors and one to agree
//     pairwise masks, and signs both public keys, with the parameters'
//     [Params.Digest] and its id, with its identity key. It also draws a
//     fresh 32-byte graph nonce and sends a signed commitment to it
//     (SHA-256 of the nonce, the digest and its id). The server checks the
//     signatures. (The clients need not check the others' commitments:
//     their own nonce keeps the seed unpredictable, see below.)
//  2. Reveal ([Client.Reveal]). The server sends every client the enrolled
//     set, the clients whose adverts it accepted, with their commitments
//     ([EnrolmentMsg]). A client checks that the set holds its own
//     commitment and answers with its nonce. The server relays every
//     enrolled client's nonce with each client's neighbors' signed keys
//     ([KeyListMsg]); each client checks that there is exactly one nonce
//     per enrolled client and that each opens its commitment, and draws
//     the graph from the hash of them all (see Graphs and thresholds).
//  3. Share keys ([Client.ShareKeys]). Each client checks every neighbor's
//     signed keys against its CA and the roster name, splits its mask private
//     key and a fresh 32-byte self-mask seed into Shamir shares of
//     threshold t (each secret as five 60-bit limbs over GF(2^61-1)), one
//     pair per neighbor, and sends each pair through the server sealed
//     with AES-256-GCM under HKDF-SHA256 of the two clients' X25519 secret,
//     bound to the round, the sender, the receiver and the graph seed.
//  4. Masked input ([Client.MaskInput]). Each client adds to its vector its
//     self mask (AES-128-CTR keystream keyed from the seed) and, for each
//     neighbor j that shared, the pairwise mask of the two (keyed from
//     their X25519 secret), added if its id is below j's and subtracted
//     otherwise. Pairwise masks cancel in the sum.
//  5. Consistency ([Client.SignCounted]), as in Bonawitz et al.'s active
//     version: the server announces U3, the set of all clients whose masked
//     input it counted ([CountedSetMsg]); each counted client checks that
//     U3 names it and only neighbors that shared with it, and signs U3, the
//     [Params.Digest], the graph seed and its id with its identity key. A
//     client signs one set per round.
//  6. Unmask ([Client.Unmask]). The server sends each signer U3 again with
//     its neighbors' signatures on it. A client answers only if the set is
//     the one it signed and t signers (itself and t-1 neighbors whose
//     signatures verify against their certificates) vouch for it, and only
//     once, with the share the set implies for each neighbor that shared
//     with it: of the seed if the neighbor is in U3, of the mask key if
//     not. With t shares of each, the server removes the dropped clients'
//     pairwise masks and the counted clients' self masks
//     ([Server.Finish]).
//
// # Graphs and thresholds
//
// The threshold must keep a lying server from collecting t shares of both
// secrets of one client v: it could tell t-c of v's honest neighbors "v
// dropped" and t-c others "v was counted" and add the c colluding
// neighbors' shares, which needs 2t-c <= the k neighbors of v. So t must
// exceed (k + c)/2 for the colluders c assumed; [NewParams] refuses a
// threshold that does not, saying why.
//
// [CompleteGraph] (default): every client is a neighbor of every other
// (k = n-1), and the threshold withstands C = floor(CorruptRate n)
// colluding clients: t > (n-1+C)/2, by default t = floor((n-1+C)/2)+1
// (17 for 30 clients). The round finishes exactly when every client that
// shared keys still has t neighbors that sign and answer at unmasking,
// that is up to n-1-t dropouts in total.
//
// [SparseGraph] (SecAgg+): a Harary graph of even degree k whose ring
// order is a permutation drawn from the graph seed, the SHA-256 of the
// digest and of the nonces of every enrolled client (steps 1 and 2).
// Every nonce is committed to, in a signed advert, before the server
// closes the enrolled set, and revealed only after the client has the set,
// so when the set is fixed no one (the server included) knows anything of
// the graph, and afterwards no one can change it: a client refuses a relay
// that leaves out an enrolled client's nonce or carries one that does not
// open its commitment, and the server aborts when an enrolled client does
// not reveal. Whoever reveals last (a colluder, or the server for a client
// it made up) can at most abort the round, which the server can do at any
// time; a retried round draws a fresh graph. A server that shows different
// clients different enrolled sets gives them different seeds, and clients
// of different seeds cannot open each other's shares (the seed is bound to
// the sealed shares and the signed counted set), so it gains nothing over
// running separate rounds. [NewParams]
// picks the smallest k and a t for two separate targets, when each client
// drops out with probability [Config.DropoutRate] and is corrupt with
// probability [Config.CorruptRate], independently of the graph. Privacy,
// at most 2^-σ ([Config.SecurityBits], default 40): the probability that
// some client has 2t-k-1 or more corrupt neighbors (a lying server could
// then expose an input: as above with 2t-k, and with one fewer by telling
// the clients around each neighbor of the victim different counted sets)
// plus the probability that the honest survivors split into disconnected
// parts (the server would learn partial sums). Aborts, at most 2^-η
// ([Config.CorrectnessBits], default 20): the probability that some client
// keeps fewer than t live neighbors. An abort reveals nothing and the
// round can be retried, so, as in Bell et al. (CCS'20), it takes a weaker
// target than privacy; the chosen t is the smallest threshold that meets the
// privacy target at k, so a lower η only lowers the degree, never the
// privacy. [Params.PrivacyLog2] and [Params.AbortLog2] report the two
// bounds (union bounds over the clients, exact binomial tails). A
// threshold t <= k/2 is refused. For the default rates and targets that
// gives k = 254, t = 163 at n = 500, k = 262, t = 168 at n = 1000 and k =
// 292, t = 187 at n = 10^4 (with η = 40: k = 372, t = 232 at n = 500);
// below about 250 clients no sparse graph meets the targets and the
// complete graph is used. (Against a server that only lies about dropouts
// with no colluder, t > k/2 is enough; the degree is the price of
// tolerating 20% dropouts and 10% colluders at once.)
//
// # Cost
//
// Beyond its masked vector (8 bytes a value), a client sends and receives,
// per neighbor, its neighbor's signed keys and commitment (with their
// certificate; the commitment's signature stays with the server), a sealed
// pair of shares each way, a signature on the counted set and an unmasking
// share, plus the enrolled set and its nonces (36 bytes each per enrolled
// client) and the counted set twice (4 bytes a client). A client does two
// signature checks, three X25519 agreements and one mask expansion per
// neighbor and one hash per enrolled client, makes two signatures and checks
// t-1 more; the server checks two signatures per client, expands one self
// mask per counted client and one pairwise mask per edge between a dropped
// and a counted client, on [Config.Workers] goroutines.
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
// Parties and trust. A server and n clients. Each party's identity is a
// certificate issued by a CA every party trusts (normally the one it
// connects with), and the roster ([Config.Names]) says which name each
// client id has.
//
// Privacy: the server may be malicious (deviate arbitrarily: substitute
// or withhold relayed messages, lie about who dropped out, announce
// different counted sets to different clients) and collude with clients,
// up to floor(CorruptRate n) of them on the complete graph and, on the
// sparse graph, with each client corrupt with probability CorruptRate
// independently of the graph. Then the server and the colluders together
// learn nothing about an honest client's input beyond sums that contain
// it together with other honest counted inputs (on the sparse graph,
// except with probability at most 2^-σ). This is Bonawitz et al.'s active
// model (signed keys, the consistency step, t > (k + c)/2), with the
// SecAgg+ graph of Bell et al.
//
// Correctness: clients must be honest. A client may send any vector (no
// range proof: one client can poison the sum by any amount, and
// [FixedPoint]'s bound holds only for honest clients) or wrong shares: a
// wrong share of a mask key fails the check against the advertised public
// key and aborts the round ([ErrMalformed]); a wrong share of a seed gives
// a wrong sum, undetected. The server computes the sum and may drop any
// client or abort, so it controls correctness and liveness too.
//
// What each party learns, as [Result.Leakage] and [ClientResult.Leakage]
// state it. The server learns the sum modulo 2^64 of the counted clients'
// vectors (plus their noise shares, see below), which clients were
// counted, which dropped and at which step, and the public parameters.
// Each client learns the enrolled set (which clients advertised, with
// their graph nonces, and so the whole graph), which of its neighbors
// advertised keys and which
// shared them, and the counted set of the whole round (it signs it). No
// party sees another's vector or an un-noised partial sum.
//
// How the deviations are caught. A server that substitutes a client's
// advertised keys (to read the shares sent to it, or to agree masks with
// its neighbors itself) cannot sign them for that client, nor replay keys
// signed for another round (the signature covers the parameters' digest,
// session included, and the client's id): every neighbor checks the
// signature, the certificate chain and the roster name and refuses with
// [ErrBadAdvert] before it seals or masks anything, and leaves the round;
// when too few are left, the round aborts with nothing unmasked. A client
// that signs keys for parameters other than the server's is refused with
// [ErrMismatch]. A server that lies about who dropped out gets one share
// of each neighbor from each honest client (the one its signed counted
// set implies), so it reaches t shares of both of a client's secrets only
// with 2t-c <= k, which the thresholds exclude. A server that instead
// tells each client "only you and v were counted" would get, one share per
// neighbor each, v's seed and every neighbor's mask key, and so v's input:
// the consistency step stops this, since a client answers only a set that
// t of its members (itself and its neighbors in it) signed. A request for
// another set than the one signed, or without t signers on it, is refused
// ([ErrProtocol]) and reveals nothing. On the complete graph the
// thresholds also mean that every honest client that answers saw the same
// counted set.
//
// The sparse graph is fixed after enrolment by randomness no single party
// controls (see Graphs and thresholds), so the independence of corruption
// and graph that the sparse thresholds assume holds for colluders fixed
// before the round's enrolled set: each round (and each retry after an
// abort) draws a fresh graph, and the bounds [Params.PrivacyLog2] and
// [Params.AbortLog2] are per round.
//
// Dropouts and faults. A client that drops between its advert and its
// nonce aborts the round (no share has been sent yet; the round can be
// retried without it). A client that drops before its masked input is not
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
// package [github.com/veil-go/veil/dp]:
// [github.com/veil-go/veil/dp.SkellamShare] (Agarwal, Kairouz & Liu 2021) or
// [github.com/veil-go/veil/dp.DiscreteGaussianShare] (Kairouz, Liu & Steinke
// 2021), for example
//
//	share, _ := dp.NewDiscreteGaussianShare(dp.DiscreteGaussianShareConfig{
//		Target:  dp.DistributedTarget{Epsilon: eps, Delta: delta, L1: l1, L2: l2, Dim: length},
//		Parties: n, MinHonest: m}) // sigma calibrated for m honest clients
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
