// Package secagg is secure aggregation with dropouts: a server learns the
// sum of many clients' vectors and nothing else about any one of them, even
// when clients go offline mid-round. It implements the double-masking
// protocol of Bonawitz et al. (CCS'17), optionally over the sparse random
// graph of SecAgg+ (Bell et al., CCS'20) so that each client talks to
// O(log n) neighbours instead of all n-1.
//
// # How it works
//
// A round has n clients (ids 1..n) and a server, and four steps:
//
//  1. Advertise keys. Each client draws two X25519 key pairs (crypto/ecdh):
//     one to encrypt messages to its neighbours, one to agree pairwise masks.
//  2. Share keys. Each client splits its mask private key and a fresh 32-byte
//     self-mask seed into t-of-k Shamir shares (five 60-bit limbs, each
//     shared over GF(2^61-1)), one pair
//     per neighbour, and sends each pair through the server encrypted with
//     AES-256-GCM under HKDF-SHA256 of the X25519 secret; the associated
//     data binds the session (round), the sender and the receiver.
//  3. Masked input. Each client adds to its vector its self mask (AES-128-CTR
//     keystream keyed from the seed) and, for each neighbour j that shared,
//     the pairwise mask of the two (keyed from their X25519 secret), added if
//     its id is below j's and subtracted otherwise. Pairwise masks cancel in
//     the sum.
//  4. Unmasking. Each counted client sends, for each of its neighbours, the
//     share of the mask key (neighbour dropped before its masked input) or
//     of the seed (neighbour counted), never both: a client refuses a request
//     that names one client in both lists or comes twice. With t shares of
//     each, the server removes the dropped clients' pairwise masks and the
//     counted clients' self masks.
//
// Vectors are words added modulo 2^64 (k = 64): signed integers through
// FromInt64s and ToInt64s (exact while the true sum lies in int64), reals
// through FixedPoint, which bounds each value so the sum cannot wrap.
//
// # Use
//
// The steps are methods on Client and Server taking and returning typed
// messages (each with MarshalBinary and UnmarshalBinary), so any transport
// can drive them; see Example. RunServer and RunClient drive them over a
// transport star (server party 0, clients 1..n, e.g.
// transport.NewTLSLoopbackStar), with a deadline per round: a client that
// has not answered in time, whose connection fails or whose message is
// malformed is treated as dropped. Every party builds the same Config:
//
//	cfg, err := secagg.NewConfig(n, dim, secagg.WithGraph(secagg.SparseGraph))
//	// server:   res, err := secagg.RunServer(ctx, mesh, cfg)   // res.Sum, res.Counted
//	// client i: err := secagg.RunClient(ctx, mesh, cfg, input)
//
// Parties in other processes rebuild the Config with the same options and
// WithSession(cfg.Session()); the session seed must be fresh each round.
//
// # Graphs and thresholds
//
// CompleteGraph (default): every client is a neighbour of every other;
// default threshold t = floor((n-1)/2)+1. The round finishes exactly when
// every client that shared keys still has t neighbours that answer at
// unmasking, i.e. up to n-1-t dropouts in total.
//
// SparseGraph (SecAgg+): a Harary graph of even degree k whose ring order is
// a permutation drawn from the public session seed. NewConfig picks the
// smallest k and a t such that, when each client drops out with probability
// DropoutRate (default 0.2) and is corrupt with probability CorruptRate
// (default 0.1), independently of the graph, the probability that some
// client keeps fewer than t live neighbours (abort), that some client has t
// or more corrupt neighbours (its masks exposed), or that the honest
// survivors split into disconnected parts (the server would learn partial
// sums) is at most 2^-σ (σ = 40 by default; Config.FailureLog2 reports the
// bound). For n = 500 that gives k = 92, t = 40. If k would reach n-1 the
// complete graph is used.
//
// # Cost
//
// Beyond its masked vector (8 bytes a value), a client sends and receives
// about 325 bytes per neighbour: keys, encrypted shares and unmasking
// shares; 30 KB at k = 92, 3.7% of a 100,000-value vector. A client
// expands k+1 AES-128-CTR masks over its vector; the server expands one
// self mask per counted client and one pairwise mask per edge between a
// dropped and a counted client, on a worker pool of WithWorkers
// goroutines. See BenchmarkRound for time against clients and dropouts.
//
// # Dropouts
//
// A client that drops before sending its masked input is not counted; one
// that drops after is counted. If at some step a client that must be
// recovered has fewer than t live neighbours, the server aborts with
// ErrTooManyDropouts before asking for any share, so it learns nothing but
// the masked vectors, which are uniformly random to it. Result.Counted lists
// the clients whose inputs make up the sum.
//
// # Security model
//
// Semi-honest (honest-but-curious): all parties follow the protocol. The
// server may collude with fewer than t of any client's neighbours (and, for
// the sparse graph, with at most the CorruptRate fraction of clients
// assumed by the parameters): together they learn nothing about the honest
// clients' inputs beyond the sum of the counted honest clients' inputs.
// Clients learn nothing about other clients' inputs. Not covered: a
// malicious server that lies about who dropped out (Bonawitz et al.'s
// active-security variant with signatures and a consistency round is not
// implemented), clients that send wrong shares or inputs (a wrong share
// makes the mask-key reconstruction fail its public-key check or yields a
// wrong sum), and the set of counted clients, which is public.
//
// # Distributed differential privacy
//
// The sum itself reveals something about each input. WithNoise makes each
// client add a noise vector before masking, so the server only ever sees
// the sum plus the sum of the counted clients' noise shares; no party ever
// sees an un-noised sum. Use a distribution closed under sums from package
// dp: dp.SkellamShare (Agarwal, Kairouz & Liu 2021) or
// dp.DiscreteGaussianShare (Kairouz, Liu & Steinke 2021), for example
//
//	share, _ := dp.NewDiscreteGaussianShare(dp.DiscreteGaussianShareParams{
//		LocalSigma: sigma, Parties: n, MinHonest: m}) // sigma from dp.CalibrateDistributedDiscreteGaussian(..., m)
//	opt := secagg.WithNoise(func(dim int) ([]int64, error) { return share.Noise(dim), nil })
//
// (examples/fedavg does this). The shares are sized so that the shares of m
// clients alone carry the target noise. The guarantee, (epsilon, delta)-DP
// for one client's whole vector within its clipping bound, holds when at
// least m counted clients are honest: clients that drop out before their
// masked input add nothing, and clients colluding with the server know their
// own shares and can subtract them. So choose m = n minus the dropouts and
// colluders the deployment must tolerate (examples/fedavg uses
// (1 - DropoutRate - CorruptRate) n). If more clients drop out or collude,
// the remaining noise is smaller and the released sum is private only at a
// larger epsilon, computable from the actual number of honest counted
// clients with dp's accountants. When more clients are honest than m, the
// noise is larger than needed: privacy is only better, accuracy a little
// worse.
package secagg
