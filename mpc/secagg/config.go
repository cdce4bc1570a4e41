package secagg

import (
	"crypto/rand"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/veil-go/veil/internal/prg"
)

// Graph chooses which pairs of clients share pairwise masks and secret shares.
type Graph int

const (
	// CompleteGraph is the original protocol of Bonawitz et al. (CCS'17):
	// every client is a neighbour of every other. Cost per client grows
	// linearly with the number of clients; use it up to a few hundred.
	CompleteGraph Graph = iota
	// SparseGraph is SecAgg+ (Bell et al., CCS'20): a random Harary graph of
	// even degree k = O(log n), its node labels permuted by a PRG keyed with
	// the public session seed. Cost per client grows with log n.
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

// Defaults of the SecAgg+ parameter choice.
const (
	DefaultDropoutRate  = 0.2  // fraction of clients assumed to drop out
	DefaultCorruptRate  = 0.1  // fraction of clients assumed to collude with the server
	DefaultSecurityBits = 40.0 // failure probability target 2^-40
	DefaultRoundTimeout = time.Minute
	// MaxClients bounds the number of clients of a round.
	MaxClients = 1 << 16
	// MaxDim bounds the vector length (2^27 words = 1 GiB).
	MaxDim = 1 << 27
)

// Config is the public setup of one aggregation round, shared by the server
// and every client: the number of clients n (ids 1..n), the vector length,
// the graph, the threshold t and the session seed. Every party must use the
// same Config; build it with NewConfig on one side and reproduce it on the
// others with the same options and WithSession(cfg.Session()).
type Config struct {
	n, dim, t, k int
	graph        Graph
	session      prg.Seed
	neighbours   [][]int // neighbours[i], sorted, for ids 1..n; [0] unused
	workers      int
	timeout      time.Duration
	dropRate     float64
	corruptRate  float64
	secBits      float64
	failLog2     float64

	userT, userK int
	sessionSet   bool
}

// Option configures NewConfig.
type Option func(*Config) error

// WithGraph selects the complete graph (default) or the SecAgg+ sparse graph.
func WithGraph(g Graph) Option {
	return func(c *Config) error {
		if g != CompleteGraph && g != SparseGraph {
			return fmt.Errorf("%w: unknown graph %d", ErrInvalidParams, int(g))
		}
		c.graph = g
		return nil
	}
}

// WithThreshold sets t, the number of a client's neighbours whose shares
// reconstruct its secrets. The server colluding with fewer than t of a
// client's neighbours learns nothing about that client's input beyond the sum.
func WithThreshold(t int) Option {
	return func(c *Config) error {
		if t < 1 {
			return fmt.Errorf("%w: threshold %d < 1", ErrInvalidParams, t)
		}
		c.userT = t
		return nil
	}
}

// WithDegree sets the degree k of the sparse graph (rounded up to even).
func WithDegree(k int) Option {
	return func(c *Config) error {
		if k < 2 {
			return fmt.Errorf("%w: degree %d < 2", ErrInvalidParams, k)
		}
		c.userK = k + k%2
		return nil
	}
}

// WithDropoutRate sets the fraction of clients the sparse-graph parameters
// must tolerate dropping out (default 0.2).
func WithDropoutRate(d float64) Option {
	return func(c *Config) error {
		if !(d >= 0 && d < 1) {
			return fmt.Errorf("%w: dropout rate %v not in [0,1)", ErrInvalidParams, d)
		}
		c.dropRate = d
		return nil
	}
}

// WithCorruptRate sets the fraction of clients that may collude with the
// server, for the sparse-graph parameters (default 0.1).
func WithCorruptRate(g float64) Option {
	return func(c *Config) error {
		if !(g >= 0 && g < 1) {
			return fmt.Errorf("%w: corrupt rate %v not in [0,1)", ErrInvalidParams, g)
		}
		c.corruptRate = g
		return nil
	}
}

// WithSecurityBits sets σ: the sparse graph is chosen so that the round
// fails (aborts, or loses privacy against the assumed collusion) with
// probability at most 2^-σ (default 40).
func WithSecurityBits(sigma float64) Option {
	return func(c *Config) error {
		if !(sigma >= 1 && sigma <= 128) {
			return fmt.Errorf("%w: security bits %v not in [1,128]", ErrInvalidParams, sigma)
		}
		c.secBits = sigma
		return nil
	}
}

// WithSession sets the public session seed (default: fresh from
// crypto/rand). It keys the sparse graph and is bound into every key
// derivation and ciphertext, so it must be fresh for every round.
func WithSession(s [32]byte) Option {
	return func(c *Config) error {
		c.session = s
		c.sessionSet = true
		return nil
	}
}

// WithWorkers sets the number of goroutines used for mask expansion
// (default runtime.GOMAXPROCS(0)).
func WithWorkers(w int) Option {
	return func(c *Config) error {
		if w < 1 {
			return fmt.Errorf("%w: workers %d < 1", ErrInvalidParams, w)
		}
		c.workers = w
		return nil
	}
}

// WithRoundTimeout sets how long the runner's server waits for the clients'
// messages of one round; clients that have not answered by then are treated
// as dropped (default one minute).
func WithRoundTimeout(d time.Duration) Option {
	return func(c *Config) error {
		if d <= 0 {
			return fmt.Errorf("%w: round timeout %v", ErrInvalidParams, d)
		}
		c.timeout = d
		return nil
	}
}

// NewConfig validates and builds the public configuration of a round of
// clients clients (ids 1..clients) aggregating vectors of dim words.
//
// Complete graph: each client shares its secrets with the n-1 others and the
// default threshold is t = floor((n-1)/2)+1. Sparse graph: unless set with
// WithDegree and WithThreshold, the smallest even degree k and a threshold t
// are chosen such that, with each client dropping out with probability
// DropoutRate and being corrupt with probability CorruptRate independently
// of the graph, the probability that some client keeps fewer than t
// neighbours, that some client has t or more corrupt neighbours, or that the
// surviving honest clients split into several components (the server would
// learn partial sums) is at most 2^-σ (union bounds over the n clients, exact
// binomial tails). If that needs k >= n-1 the complete graph is used.
func NewConfig(clients, dim int, opts ...Option) (*Config, error) {
	if clients < 2 || clients > MaxClients {
		return nil, fmt.Errorf("%w: %d clients, need 2..%d", ErrInvalidParams, clients, MaxClients)
	}
	if dim < 0 || dim > MaxDim {
		return nil, fmt.Errorf("%w: dimension %d, need 0..%d", ErrInvalidParams, dim, MaxDim)
	}
	c := &Config{
		n: clients, dim: dim,
		workers:  runtime.GOMAXPROCS(0),
		timeout:  DefaultRoundTimeout,
		dropRate: DefaultDropoutRate, corruptRate: DefaultCorruptRate, secBits: DefaultSecurityBits,
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if !c.sessionSet {
		if _, err := rand.Read(c.session[:]); err != nil {
			return nil, fmt.Errorf("secagg: reading crypto/rand: %w", err)
		}
	}
	if err := c.chooseGraph(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) chooseGraph() error {
	n := c.n
	if c.graph == SparseGraph {
		k, t := c.userK, c.userT
		if k == 0 {
			var ok bool
			k, t, ok = sparseParams(n, c.dropRate, c.corruptRate, c.secBits, c.userT)
			if !ok {
				k = n - 1
			}
		}
		if k >= n-1 {
			c.graph = CompleteGraph // a Harary graph of degree n-1 is complete
		} else {
			if t == 0 {
				t = sparseThreshold(k, c.corruptRate, c.secBits, n)
			}
			if t > k {
				return fmt.Errorf("%w: threshold %d above degree %d", ErrInvalidParams, t, k)
			}
			c.k, c.t = k, t
			c.failLog2 = failureLog2(n, k, t, c.dropRate, c.corruptRate)
			return c.buildHarary()
		}
	}
	c.k = n - 1
	c.t = c.userT
	if c.t == 0 {
		c.t = (n-1)/2 + 1
	}
	if c.t > n-1 {
		return fmt.Errorf("%w: threshold %d above the %d other clients", ErrInvalidParams, c.t, n-1)
	}
	c.failLog2 = math.Inf(-1)
	c.neighbours = make([][]int, n+1)
	for i := 1; i <= n; i++ {
		nb := make([]int, 0, n-1)
		for j := 1; j <= n; j++ {
			if j != i {
				nb = append(nb, j)
			}
		}
		c.neighbours[i] = nb
	}
	return nil
}

// buildHarary places the clients on a ring in an order drawn from the
// session seed and links each to the k/2 nearest on either side.
func (c *Config) buildHarary() error {
	// Domain-separate the graph stream from other uses of the session seed.
	key, err := deriveKey(c.session[:], c.session[:], labelGraph, 32)
	if err != nil {
		return err
	}
	g, err := prg.New(prg.Seed(key))
	if err != nil {
		return err
	}
	n := c.n
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
	c.neighbours = make([][]int, n+1)
	half := c.k / 2
	for p, id := range ring {
		nb := make([]int, 0, c.k)
		for d := 1; d <= half; d++ {
			nb = append(nb, ring[(p+d)%n], ring[(p-d+n)%n])
		}
		slices.Sort(nb)
		c.neighbours[id] = nb
	}
	return nil
}

// Clients returns n; client ids are 1..n.
func (c *Config) Clients() int { return c.n }

// Dim returns the vector length.
func (c *Config) Dim() int { return c.dim }

// Threshold returns t.
func (c *Config) Threshold() int { return c.t }

// Degree returns the number of neighbours of each client (n-1 for the
// complete graph).
func (c *Config) Degree() int { return c.k }

// Graph returns the graph in use (a sparse request whose degree would reach
// n-1 falls back to the complete graph).
func (c *Config) Graph() Graph { return c.graph }

// Session returns the public session seed.
func (c *Config) Session() [32]byte { return c.session }

// Workers returns the size of the mask-expansion worker pool.
func (c *Config) Workers() int { return c.workers }

// FailureLog2 returns log2 of the bound on the failure probability of the
// sparse-graph parameters under the stated dropout and corruption rates
// (-Inf for the complete graph, which fails only deterministically: when
// more than n-1-t clients drop out).
func (c *Config) FailureLog2() float64 { return c.failLog2 }

// Neighbours returns a copy of client id's neighbours, sorted.
func (c *Config) Neighbours(id int) []int {
	if id < 1 || id > c.n {
		return nil
	}
	return append([]int(nil), c.neighbours[id]...)
}

func (c *Config) isNeighbour(i, j int) bool {
	nb := c.neighbours[i]
	lo, hi := 0, len(nb)
	for lo < hi {
		m := (lo + hi) / 2
		if nb[m] < j {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(nb) && nb[lo] == j
}
