package secagg

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/internal/prg"
	"github.com/veil-go/veil/transport"
)

// Graph chooses which pairs of clients share pairwise masks and secret shares.
type Graph int

const (
	// CompleteGraph is the original protocol of Bonawitz et al. (CCS'17):
	// every client is a neighbor of every other. Cost per client grows
	// linearly with the number of clients; use it up to a few hundred.
	CompleteGraph Graph = iota
	// SparseGraph is SecAgg+ (Bell et al., CCS'20): a random Harary graph of
	// even degree k = O(log n), its node labels permuted by a PRG keyed with
	// the graph seed, which the clients draw together after enrolment
	// (commit and reveal; see the package doc). Cost per client grows with
	// log n.
	SparseGraph
)

func (g Graph) String() string {
	switch g {
	case CompleteGraph:
		return "complete"
	case SparseGraph:
		return "sparse"
	}
	return fmt.Sprintf("Graph(%d)", int(g))
}

// Defaults and limits of a [Config].
const (
	DefaultDropoutRate  = 0.2  // fraction of clients assumed to drop out
	DefaultCorruptRate  = 0.1  // fraction of clients assumed to collude with the server
	DefaultSecurityBits = 40.0 // privacy failure probability target 2^-40
	// DefaultCorrectnessBits is the sparse graph's abort target 2^-20: an
	// abort is a liveness failure (the round is retried, nothing is
	// revealed), so it takes a weaker target than privacy, as the
	// correctness parameter η of Bell et al. (CCS'20).
	DefaultCorrectnessBits = 20.0
	DefaultRoundTimeout    = time.Minute
	// MaxClients bounds the number of clients of a round.
	MaxClients = 1 << 16
	// MaxLength bounds the vector length (2^27 words = 1 GiB).
	MaxLength = 1 << 27
	// SessionSize is the length of the public session seed.
	SessionSize = 32
	// DigestSize is the length of [Params.Digest].
	DigestSize = sha256.Size
	// NonceSize is the length of a client's graph nonce and of its
	// commitment ([AdvertMsg.Commitment], [RevealMsg.Nonce]).
	NonceSize = 32
	// SeedSize is the length of the graph seed ([Client.GraphSeed]).
	SeedSize = sha256.Size
	// maxName bounds a roster name (a certificate common name).
	maxName = 64
)

// NoiseFunc returns length integers that a client adds to its input before
// masking: its share of distributed differential-privacy noise (see
// [Config.Noise]).
type NoiseFunc func(length int) ([]int64, error)

// Config is the setup of one aggregation round, shared by the server and
// every client. The zero value of every field but Clients and Length means
// its default. [NewParams] validates it into the [Params] the protocol
// uses; every party must build its Params from the same Config (or from
// [Params.MarshalBinary]'s bytes), and parties whose Params differ are
// caught at the first step ([ErrMismatch]).
type Config struct {
	// Clients is the number of clients n (ids 1..n), 2..MaxClients.
	Clients int
	// Length is the number of words in each client's vector,
	// 0..MaxLength.
	Length int
	// Graph is [CompleteGraph] (the default) or [SparseGraph].
	Graph Graph
	// Threshold is t, the number of a client's neighbors whose shares
	// reconstruct its secrets. Against a server that lies about dropouts
	// with c colluding neighbors of a client, t must exceed (k+c)/2 for
	// degree k: [NewParams] refuses t <= (n-1+floor(CorruptRate n))/2 on
	// the complete graph and t <= k/2 on the sparse graph. 0 means the
	// smallest allowed, floor((n-1+floor(CorruptRate n))/2)+1, for the
	// complete graph and the value chosen with Degree for the sparse
	// graph.
	Threshold int
	// Degree is the degree k of the sparse graph (rounded up to even); 0
	// means the smallest k that meets the privacy and abort targets
	// (SecurityBits, CorrectnessBits). Ignored for the
	// complete graph.
	Degree int
	// DropoutRate is the fraction of clients the sparse-graph parameters
	// must tolerate dropping out, in (0, 1); 0 means
	// [DefaultDropoutRate].
	DropoutRate float64
	// CorruptRate is the fraction of clients that may collude with the
	// server, in (0, 1); 0 means [DefaultCorruptRate]. The complete
	// graph's threshold withstands floor(CorruptRate n) colluders; the
	// sparse graph's parameters assume each client corrupt with this
	// probability, independently.
	CorruptRate float64
	// SecurityBits is σ, the privacy target: the sparse graph's degree and
	// threshold are chosen so that the round loses privacy against the
	// assumed collusion (some client has too many corrupt neighbors, or the
	// honest survivors are disconnected) with probability at most 2^-σ, in
	// [1, 128]; 0 means [DefaultSecurityBits]. The complete graph's
	// threshold is private deterministically.
	SecurityBits float64
	// CorrectnessBits is η, the abort target: the sparse graph's degree and
	// threshold are chosen so that the round aborts (some client keeps
	// fewer than t live neighbors at the assumed dropout rate) with
	// probability at most 2^-η, in [1, 128]; 0 means
	// [DefaultCorrectnessBits]. It never weakens privacy: the threshold
	// always meets SecurityBits, and a lower η only allows a smaller
	// degree. The complete graph aborts deterministically (more than n-1-t
	// dropouts) and ignores it.
	CorrectnessBits float64
	// Session is the public session seed. It is
	// bound into every signature, key derivation and ciphertext, so it must
	// be fresh for every round; the zero value means a fresh one from
	// crypto/rand (read it back with [Params.Session]).
	Session [SessionSize]byte
	// Names are the certificate common names of the parties: Names[0] the
	// server's, Names[i] client i's. A client's advertised keys must be
	// signed by the identity that Names gives it. nil means
	// [transport.PartyName](i), the names of
	// [transport.NewTLSLoopbackStar]; otherwise it has Clients+1 entries.
	Names []string

	// The fields below are local to each party: they are not part of
	// [Params.MarshalBinary] and parties may set them differently.

	// Workers bounds the goroutines of mask expansion, key agreement and
	// reconstruction; 0 means GOMAXPROCS.
	Workers int
	// RoundTimeout is how long [RunServer] waits for the clients' messages
	// of one step; clients that have not answered by then are treated as
	// dropped. 0 means [DefaultRoundTimeout].
	RoundTimeout time.Duration
	// Noise, if not nil, makes each client add Noise(Length) to its input,
	// modulo 2^64, before masking: with each client adding an independent
	// share of a divisible noise distribution (package dp), the unmasked
	// sum carries the sum of the counted clients' shares and is
	// differentially private towards the server; see the package
	// documentation for what dropouts and collusion do to the guarantee.
	// The server ignores it.
	Noise NoiseFunc `json:"-"`
}

// Params is a validated [Config]: the immutable public setup of a round,
// with the graph built and the threshold chosen. It is safe for concurrent
// use.
type Params struct {
	cfg       Config  // resolved: Graph, Threshold, Degree, rates, bits, Session and Names filled
	privLog2  float64 // log2 of the privacy failure bound
	abortLog2 float64 // log2 of the abort bound
	workers   int
	digest    [DigestSize]byte
}

// NewParams validates cfg and builds the round's parameters.
//
// Complete graph: each client shares its secrets with the n-1 others and
// the threshold must exceed (n-1+C)/2, C = floor(CorruptRate n), the
// default being the smallest such t. Sparse graph: t must exceed k/2;
// unless Degree and Threshold are set, the smallest even degree k and a
// threshold t are chosen such that, with each client dropping out with
// probability DropoutRate and being corrupt with probability CorruptRate
// independently of the graph, privacy fails with probability at most 2^-σ
// (SecurityBits): that some client has 2t-k-1 or more corrupt neighbors (a
// server lying about dropouts could then expose a client) and that the
// surviving honest clients split into several components (the server would
// learn partial sums) each have probability at most 2^-σ/2; and the round
// aborts with probability at most 2^-η (CorrectnessBits): some client
// keeps fewer than t neighbors (union bounds over the n clients, exact
// binomial tails). t is the smallest threshold that meets the privacy
// target at k, whatever η. If that needs k >= n-1 the complete graph is
// used.
func NewParams(cfg Config) (*Params, error) {
	c := cfg
	c.Names = slices.Clone(cfg.Names)
	bad := func(format string, a ...any) (*Params, error) {
		return nil, fmt.Errorf("secagg: %w: "+format, append([]any{ErrInvalidParams}, a...)...)
	}
	switch {
	case c.Clients < 2 || c.Clients > MaxClients:
		return bad("%d clients, need 2..%d", c.Clients, MaxClients)
	case c.Length < 0 || c.Length > MaxLength:
		return bad("length %d, need 0..%d", c.Length, MaxLength)
	case c.Graph != CompleteGraph && c.Graph != SparseGraph:
		return bad("unknown graph %d", int(c.Graph))
	case c.Threshold < 0:
		return bad("threshold %d < 1", c.Threshold)
	case c.Degree < 0 || c.Degree == 1:
		return bad("degree %d < 2", c.Degree)
	case !(c.DropoutRate >= 0 && c.DropoutRate < 1):
		return bad("dropout rate %v not in (0,1)", c.DropoutRate)
	case !(c.CorruptRate >= 0 && c.CorruptRate < 1):
		return bad("corrupt rate %v not in (0,1)", c.CorruptRate)
	case !(c.SecurityBits == 0 || c.SecurityBits >= 1 && c.SecurityBits <= 128):
		return bad("security bits %v not in [1,128]", c.SecurityBits)
	case !(c.CorrectnessBits == 0 || c.CorrectnessBits >= 1 && c.CorrectnessBits <= 128):
		return bad("correctness bits %v not in [1,128]", c.CorrectnessBits)
	case c.Workers < 0:
		return bad("workers %d < 0", c.Workers)
	case c.RoundTimeout < 0:
		return bad("round timeout %v < 0", c.RoundTimeout)
	case c.Names != nil && len(c.Names) != c.Clients+1:
		return bad("%d names for a server and %d clients", len(c.Names), c.Clients)
	}
	if c.Names == nil {
		c.Names = make([]string, c.Clients+1)
		for i := range c.Names {
			c.Names[i] = transport.PartyName(i)
		}
	}
	seen := make(map[string]bool, len(c.Names))
	for i, name := range c.Names {
		if name == "" || len(name) > maxName || seen[name] {
			return bad("name %d %q is empty, longer than %d bytes or repeated", i, name, maxName)
		}
		seen[name] = true
	}
	c.Degree += c.Degree % 2
	if c.DropoutRate == 0 {
		c.DropoutRate = DefaultDropoutRate
	}
	if c.CorruptRate == 0 {
		c.CorruptRate = DefaultCorruptRate
	}
	if c.SecurityBits == 0 {
		c.SecurityBits = DefaultSecurityBits
	}
	if c.CorrectnessBits == 0 {
		c.CorrectnessBits = DefaultCorrectnessBits
	}
	if c.RoundTimeout == 0 {
		c.RoundTimeout = DefaultRoundTimeout
	}
	if c.Session == ([SessionSize]byte{}) {
		if _, err := rand.Read(c.Session[:]); err != nil {
			return nil, fmt.Errorf("secagg: reading crypto/rand: %w", err)
		}
	}
	p := &Params{cfg: c, workers: parallel.Workers(c.Workers)}
	if err := p.chooseGraph(); err != nil {
		return nil, err
	}
	p.digest = sha256.Sum256(append([]byte(labelParams), p.marshal()...))
	return p, nil
}

func (p *Params) chooseGraph() error {
	c := &p.cfg
	n := c.Clients
	if c.Graph == SparseGraph {
		k, t := c.Degree, c.Threshold
		if k == 0 {
			var ok bool
			k, t, ok = sparseParams(n, c.DropoutRate, c.CorruptRate, c.SecurityBits, c.CorrectnessBits, c.Threshold)
			if !ok {
				k = n - 1
			}
		}
		if k < n-1 {
			if t == 0 {
				t = sparseThreshold(k, c.CorruptRate, c.SecurityBits, n)
			}
			if t > k {
				return fmt.Errorf("secagg: %w: threshold %d above degree %d", ErrInvalidParams, t, k)
			}
			if 2*t <= k {
				return fmt.Errorf("secagg: %w: threshold %d of degree %d: a server that lies about who dropped out collects t shares of both of a client's secrets from two disjoint groups of its neighbors; need t > k/2 = %d", ErrInvalidParams, t, k, k/2)
			}
			c.Degree, c.Threshold = k, t
			p.privLog2, p.abortLog2 = failureLog2(n, k, t, c.DropoutRate, c.CorruptRate)
			return nil
		}
		c.Graph = CompleteGraph // a Harary graph of degree n-1 is complete
	}
	c.Degree = n - 1
	colluders := completeColluders(n, c.CorruptRate)
	if c.Threshold == 0 {
		c.Threshold = (n-1+colluders)/2 + 1
	}
	if c.Threshold > n-1 {
		return fmt.Errorf("secagg: %w: threshold %d above the %d other clients", ErrInvalidParams, c.Threshold, n-1)
	}
	if 2*c.Threshold <= n-1+colluders {
		return fmt.Errorf("secagg: %w: threshold %d of %d clients: a server that lies about who dropped out, with %d colluding clients (CorruptRate %v of %d), collects t shares of both of a client's secrets from two groups of its neighbors; need t > (n-1+%d)/2, at least %d",
			ErrInvalidParams, c.Threshold, n, colluders, c.CorruptRate, n, colluders, (n-1+colluders)/2+1)
	}
	p.privLog2, p.abortLog2 = math.Inf(-1), math.Inf(-1)
	return nil
}

// completeColluders is the number of colluding clients the complete graph's
// threshold must withstand: floor(CorruptRate * n).
func completeColluders(n int, corrupt float64) int {
	return int(math.Floor(corrupt * float64(n)))
}

// graph is the round's graph: complete, or a Harary graph of even degree
// k on a ring whose order is drawn from the graph seed (see [graphSeed]).
type graph struct {
	n, half  int
	complete bool
	ring     []int // ring[pos] = client id
	pos      []int // pos[id] = position on the ring; [0] unused
}

// graph returns the round's graph for the graph seed. The complete graph
// does not depend on it.
func (p *Params) graph(seed [SeedSize]byte) (*graph, error) {
	n := p.cfg.Clients
	if p.cfg.Graph == CompleteGraph {
		return &graph{n: n, complete: true}, nil
	}
	// Domain-separate the graph stream from other uses of the seed.
	key, err := deriveKey(seed[:], p.digest[:], labelGraph, 32)
	if err != nil {
		return nil, err
	}
	g, err := prg.New(prg.Seed(key))
	if err != nil {
		return nil, err
	}
	ring := make([]int, n)
	for i := range ring {
		ring[i] = i + 1
	}
	for i := n - 1; i > 0; i-- { // Fisher-Yates, unbiased by rejection
		bound := uint64(i + 1)
		limit := math.MaxUint64 - math.MaxUint64%bound
		var r uint64
		for r = g.Uint64(); r >= limit; r = g.Uint64() {
		}
		j := int(r % bound)
		ring[i], ring[j] = ring[j], ring[i]
	}
	pos := make([]int, n+1)
	for i, id := range ring {
		pos[id] = i
	}
	return &graph{n: n, half: p.cfg.Degree / 2, ring: ring, pos: pos}, nil
}

// neighbors returns client id's neighbors, sorted (a fresh slice).
func (g *graph) neighbors(id int) []int {
	if g.complete {
		nb := make([]int, 0, g.n-1)
		for j := 1; j <= g.n; j++ {
			if j != id {
				nb = append(nb, j)
			}
		}
		return nb
	}
	at := g.pos[id]
	nb := make([]int, 0, 2*g.half)
	for d := 1; d <= g.half; d++ {
		nb = append(nb, g.ring[(at+d)%g.n], g.ring[(at-d+g.n)%g.n])
	}
	slices.Sort(nb)
	return nb
}

// isNeighbor says whether clients i and j (both in 1..n) are neighbors.
func (g *graph) isNeighbor(i, j int) bool {
	if i == j {
		return false
	}
	if g.complete {
		return true
	}
	d := g.pos[i] - g.pos[j]
	if d < 0 {
		d = -d
	}
	return min(d, g.n-d) <= g.half
}

// Config returns the configuration the parameters were built from, with
// every default resolved: the graph in use, Threshold, Degree, the rates,
// SecurityBits, CorrectnessBits, Session and Names filled in. NewParams of
// it builds the same parameters.
func (p *Params) Config() Config {
	c := p.cfg
	c.Names = slices.Clone(c.Names)
	return c
}

// Clients returns n; client ids are 1..n.
func (p *Params) Clients() int { return p.cfg.Clients }

// Length returns the vector length.
func (p *Params) Length() int { return p.cfg.Length }

// Threshold returns t.
func (p *Params) Threshold() int { return p.cfg.Threshold }

// Degree returns the number of neighbors of each client (n-1 for the
// complete graph).
func (p *Params) Degree() int { return p.cfg.Degree }

// Graph returns the graph in use (a sparse request whose degree would reach
// n-1 falls back to [CompleteGraph]).
func (p *Params) Graph() Graph { return p.cfg.Graph }

// Session returns the public session seed.
func (p *Params) Session() [SessionSize]byte { return p.cfg.Session }

// Name returns the roster name of party i (0 the server, 1..n the clients).
func (p *Params) Name(i int) string {
	if i < 0 || i > p.cfg.Clients {
		return ""
	}
	return p.cfg.Names[i]
}

// Workers returns the degree of parallelism in use.
func (p *Params) Workers() int { return p.workers }

// FailureLog2 returns log2 of the bound on the probability that the round
// fails in either way, privacy or abort ([Params.PrivacyLog2] and
// [Params.AbortLog2] added), for the sparse-graph parameters under the
// stated dropout and corruption rates (-Inf for the complete graph, which
// fails only deterministically: when more than n-1-t clients drop out).
func (p *Params) FailureLog2() float64 {
	return math.Log2(min(math.Exp2(p.privLog2)+math.Exp2(p.abortLog2), 1))
}

// PrivacyLog2 returns log2 of the bound on the probability that the
// sparse-graph parameters lose privacy under the stated corruption and
// dropout rates (at most -SecurityBits for the default degree and
// threshold; -Inf for the complete graph).
func (p *Params) PrivacyLog2() float64 { return p.privLog2 }

// AbortLog2 returns log2 of the bound on the probability that the round
// aborts, some client keeping fewer than t live neighbors, under the stated
// dropout rate (at most -CorrectnessBits for the default degree and
// threshold; -Inf for the complete graph, which aborts only
// deterministically).
func (p *Params) AbortLog2() float64 { return p.abortLog2 }

// Digest returns the SHA-256 digest of the shared parameters (what
// [Params.MarshalBinary] encodes). Every client's advertised keys are
// signed under it, so parties whose parameters differ in anything cannot
// complete a round together.
func (p *Params) Digest() [DigestSize]byte { return p.digest }

// paramsVersion is the first byte of an encoded Params. 2: the round has
// the consistency step and the malicious-server thresholds, so parties of
// version 1 (whose digest differs) are caught at the first step. 3: the
// separate abort target (CorrectnessBits) is encoded. 4: the sparse graph
// is drawn from the clients' committed nonces, not from the session seed.
const paramsVersion = 4

// marshal encodes the shared fields.
func (p *Params) marshal() []byte {
	c := &p.cfg
	b := []byte{paramsVersion, byte(c.Graph)}
	b = binary.BigEndian.AppendUint32(b, uint32(c.Clients))
	b = binary.BigEndian.AppendUint32(b, uint32(c.Length))
	b = binary.BigEndian.AppendUint32(b, uint32(c.Threshold))
	b = binary.BigEndian.AppendUint32(b, uint32(c.Degree))
	for _, f := range []float64{c.DropoutRate, c.CorruptRate, c.SecurityBits, c.CorrectnessBits} {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	}
	b = append(b, c.Session[:]...)
	for _, name := range c.Names {
		b = append(b, byte(len(name)))
		b = append(b, name...)
	}
	return b
}

// MarshalBinary encodes the shared parameters (every field of [Config] but
// the local Workers, RoundTimeout and Noise), for a party in another
// process to rebuild the same Params with [Params.UnmarshalBinary].
func (p *Params) MarshalBinary() ([]byte, error) { return p.marshal(), nil }

// UnmarshalBinary decodes parameters made by MarshalBinary and validates
// them as [NewParams] does. The local fields take their defaults; to set
// them, take [Params.Config], set Workers, RoundTimeout or Noise and call
// NewParams: the digest does not change.
func (p *Params) UnmarshalBinary(b []byte) error {
	d := &decoder{b: b}
	if v := d.u8(); d.err == nil && v != paramsVersion {
		return fmt.Errorf("%w: params version %d", ErrMalformed, v)
	}
	var c Config
	c.Graph = Graph(d.u8())
	u32 := func() int {
		v := d.take(4)
		if v == nil {
			return 0
		}
		return int(binary.BigEndian.Uint32(v))
	}
	c.Clients, c.Length, c.Threshold, c.Degree = u32(), u32(), u32(), u32()
	f64 := func() float64 {
		v := d.take(8)
		if v == nil {
			return 0
		}
		return math.Float64frombits(binary.BigEndian.Uint64(v))
	}
	c.DropoutRate, c.CorruptRate, c.SecurityBits, c.CorrectnessBits = f64(), f64(), f64(), f64()
	copy(c.Session[:], d.take(SessionSize))
	if d.err == nil && (c.Clients < 2 || c.Clients > MaxClients) {
		return fmt.Errorf("%w: params of %d clients", ErrMalformed, c.Clients)
	}
	for range c.Clients + 1 {
		n := int(d.u8())
		c.Names = append(c.Names, string(d.take(n)))
		if d.err != nil {
			break
		}
	}
	if err := d.end(); err != nil {
		return err
	}
	q, err := NewParams(c)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if q.digest != sha256.Sum256(append([]byte(labelParams), b...)) {
		return fmt.Errorf("%w: params do not re-encode to the same bytes", ErrMalformed)
	}
	*p = *q
	return nil
}

// Expectation is what a client requires of a round whose parameters the
// server announces ([AnnounceMsg], [JoinRound]): a client in its own
// process need not be shipped a Config, but it must not take the server's
// word for the thresholds either. [Expectation.Accept] rebuilds the
// round's [Params] from the announcement and refuses, with [ErrMismatch]
// naming the field, parameters weaker than these bounds. The announced
// parameters carry the session, and every signature of the round covers
// their digest, so what the client accepted is bound to this round.
type Expectation struct {
	// Length is the vector length the client contributes; required.
	Length int
	// MinClients and MaxClients bound the number of clients (0: any); a
	// client may want a crowd to hide in, or noise calibrated for n.
	MinClients, MaxClients int
	// MinThreshold is the least threshold t the client accepts (0: any
	// that [NewParams] accepts).
	MinThreshold int
	// MinSecurityBits and MinCorruptRate are the least privacy target and
	// assumed corruption rate the round's threshold must be sized for;
	// 0 means [DefaultSecurityBits] and [DefaultCorruptRate].
	MinSecurityBits, MinCorruptRate float64
	// Names, if not nil, is the roster the client expects (Names[0] the
	// server's, Names[i] client i's).
	Names []string

	// Workers, RoundTimeout and Noise are the client's local fields of
	// the Params built, as in [Config].
	Workers      int
	RoundTimeout time.Duration
	Noise        NoiseFunc `json:"-"`
}

// Accept rebuilds the round's parameters from the server's announcement
// and checks them against e. The Params returned have e's local fields.
func (e Expectation) Accept(m *AnnounceMsg) (*Params, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: no announcement", ErrMalformed)
	}
	var shared Params
	if err := shared.UnmarshalBinary(m.Params); err != nil {
		return nil, err
	}
	c := shared.cfg
	minBits, minCorrupt := e.MinSecurityBits, e.MinCorruptRate
	if minBits == 0 {
		minBits = DefaultSecurityBits
	}
	if minCorrupt == 0 {
		minCorrupt = DefaultCorruptRate
	}
	weaker := func(format string, a ...any) (*Params, error) {
		return nil, fmt.Errorf("%w: the server announces "+format, append([]any{ErrMismatch}, a...)...)
	}
	switch {
	case e.Length <= 0:
		return nil, fmt.Errorf("secagg: %w: expected length %d", ErrInvalidParams, e.Length)
	case c.Length != e.Length:
		return weaker("vectors of %d values, this client has %d", c.Length, e.Length)
	case e.MaxClients > 0 && c.Clients > e.MaxClients:
		return weaker("%d clients, this client accepts at most %d", c.Clients, e.MaxClients)
	case c.Clients < e.MinClients:
		return weaker("%d clients, this client requires at least %d", c.Clients, e.MinClients)
	case c.Threshold < e.MinThreshold:
		return weaker("threshold %d, this client requires at least %d", c.Threshold, e.MinThreshold)
	case c.SecurityBits < minBits:
		return weaker("a privacy target of %v bits, this client requires %v", c.SecurityBits, minBits)
	case c.CorruptRate < minCorrupt:
		return weaker("corruption rate %v, this client requires thresholds sized for at least %v", c.CorruptRate, minCorrupt)
	case e.Names != nil && !slices.Equal(c.Names, e.Names):
		return weaker("another roster than the one this client expects")
	}
	c.Workers, c.RoundTimeout, c.Noise = e.Workers, e.RoundTimeout, e.Noise
	p, err := NewParams(c)
	if err != nil {
		return nil, err
	}
	if p.digest != shared.digest {
		return nil, fmt.Errorf("%w: announced parameters do not rebuild to the same digest", ErrMalformed)
	}
	return p, nil
}
