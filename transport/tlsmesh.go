package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultSetupConcurrency is how many TLS handshakes a mesh setup runs at
// once in each direction when [MeshConfig.Concurrency] is 0.
const DefaultSetupConcurrency = 64

// MeshConfig describes one party's place in a TLS mesh for [DialMesh].
type MeshConfig struct {
	// Self is this party's index, 0..len(Addrs)-1.
	Self int
	// Addrs holds each party's "host:port". Only the addresses of parties
	// this party dials, and its own if it must listen and Listener is nil,
	// are used; the others may be empty.
	Addrs []string
	// Names holds the certificate common name expected of each party;
	// nil means [PartyName](i). Identity's name must be Names[Self].
	Names []string
	// Identity is this party's certificate, key and trusted CAs.
	Identity *Identity
	// Listener, if not nil, is an already listening listener for Self
	// (DialMesh leaves it open; the connections it accepts take its
	// Options); otherwise DialMesh listens on Addrs[Self] when some party
	// must dial this one, and closes that listener before it returns.
	Listener *Listener
	// Star makes party 0 a hub linked to every other party and the others
	// spokes linked only to the hub; otherwise every pair is linked.
	Star bool
	// Options apply to every connection.
	Options Options
	// Concurrency bounds the handshakes running at once in each direction
	// (dialing, accepting); 0 means [DefaultSetupConcurrency].
	Concurrency int
}

// DialMesh connects this party to the others over mutual TLS and returns
// its view of the mesh once every link is up. By convention party j dials
// each linked party i < j and accepts the linked parties above it; an
// accepted party is placed by its verified certificate's common name, and
// a connection with an unknown or already connected name is refused (the
// dialer's error wraps [ErrPeerIdentity]) while DialMesh waits on for the
// right party. Dials that find nobody listening or accepting yet are
// retried; a certificate check that fails is not. ctx bounds the whole
// setup: if it ends first, the error names a missing party.
//
// Every party of the mesh calls DialMesh with the same Addrs, Names and
// Star, at about the same time (for example one process per party).
func DialMesh(ctx context.Context, cfg MeshConfig) (Mesh, error) {
	return dialMesh(ctx, cfg, nil)
}

func (cfg *MeshConfig) linked(i, j int) bool {
	return i != j && (!cfg.Star || i == 0 || j == 0)
}

func (cfg *MeshConfig) validate() ([]string, error) {
	n := len(cfg.Addrs)
	if n < 2 {
		return nil, invalidParams("a mesh needs at least 2 parties, got %d", n)
	}
	if cfg.Self < 0 || cfg.Self >= n {
		return nil, invalidParams("party %d of %d", cfg.Self, n)
	}
	if cfg.Identity == nil {
		return nil, invalidParams("mesh needs an identity")
	}
	names := cfg.Names
	if names == nil {
		names = make([]string, n)
		for i := range names {
			names[i] = PartyName(i)
		}
	}
	if len(names) != n {
		return nil, invalidParams("%d names for %d addresses", len(names), n)
	}
	seen := make(map[string]bool, n)
	for i, name := range names {
		if name == "" || seen[name] {
			return nil, invalidParams("name of party %d is empty or repeated: %q", i, name)
		}
		seen[name] = true
	}
	if got := cfg.Identity.Name(); got != names[cfg.Self] {
		return nil, invalidParams("identity names %q but party %d is %q", got, cfg.Self, names[cfg.Self])
	}
	for i := 0; i < cfg.Self; i++ {
		if cfg.linked(i, cfg.Self) && cfg.Addrs[i] == "" {
			return nil, invalidParams("no address for party %d", i)
		}
	}
	return names, nil
}

// dialMesh is DialMesh with an optional semaphore shared by the dials of
// several parties set up in one process.
func dialMesh(ctx context.Context, cfg MeshConfig, dialSem chan struct{}) (Mesh, error) {
	s, err := planMesh(cfg, dialSem)
	if err != nil {
		return nil, err
	}
	if err := s.listen(); err != nil {
		return nil, err
	}
	defer s.closeListener()
	s.ctx, s.cancel = context.WithCancel(ctx)
	defer s.cancel()
	s.dialLower()
	s.acceptHigher()
	s.dials.Wait()
	return s.finish()
}

// meshSetup is one party's setup of a TLS mesh, in phases: plan (who
// dials whom), listen, dialLower (dial the linked parties below us),
// acceptHigher (place the linked parties above us as they dial in), and
// finish (the mesh, or the first failure with every connection closed).
// The dials run in the background while the accepts run.
type meshSetup struct {
	cfg     MeshConfig
	names   []string
	self    int
	workers int            // handshakes at once in each direction
	dialSem chan struct{}  // bounds the dials, possibly shared
	toDial  []int          // the linked parties below us
	expect  map[string]int // name -> index, for the linked parties above us

	l        *Listener
	ownsL    bool // we opened l and close it when done
	ctx      context.Context
	cancel   context.CancelFunc
	dials    sync.WaitGroup
	mu       sync.Mutex
	conns    []Conn       // guarded by mu
	firstErr error        // guarded by mu
	reserved map[int]bool // guarded by mu: accepted, reply under way
	missing  int          // guarded by mu: expected parties not in yet
	lastErr  error        // guarded by mu: the last refused connection
	allIn    func()       // ends the accept workers once all are in
}

// planMesh validates cfg and works out which parties we dial and which we
// accept.
func planMesh(cfg MeshConfig, dialSem chan struct{}) (*meshSetup, error) {
	names, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	s := &meshSetup{cfg: cfg, names: names, self: cfg.Self, workers: cfg.Concurrency,
		dialSem: dialSem, expect: make(map[string]int), conns: make([]Conn, len(names))}
	if s.workers <= 0 {
		s.workers = DefaultSetupConcurrency
	}
	if s.dialSem == nil {
		s.dialSem = make(chan struct{}, s.workers)
	}
	for i := range names {
		switch {
		case !cfg.linked(i, s.self):
		case i < s.self:
			s.toDial = append(s.toDial, i)
		default:
			s.expect[names[i]] = i
		}
	}
	s.missing = len(s.expect)
	return s, nil
}

// listen opens our listener if some party dials us and cfg has none.
func (s *meshSetup) listen() error {
	s.l = s.cfg.Listener
	if s.l != nil || len(s.expect) == 0 {
		return nil
	}
	l, err := Listen(s.cfg.Addrs[s.self], s.cfg.Identity, s.cfg.Options)
	if err != nil {
		return err
	}
	s.l, s.ownsL = l, true
	return nil
}

func (s *meshSetup) closeListener() {
	if s.ownsL {
		_ = s.l.Close()
	}
}

// fail records the setup's first error and ends the other phases.
func (s *meshSetup) fail(err error) {
	s.mu.Lock()
	if s.firstErr == nil {
		s.firstErr = err
	}
	s.mu.Unlock()
	s.cancel()
}

// dialLower starts a dial, retried until the party answers, to each linked
// party below us.
func (s *meshSetup) dialLower() {
	for _, i := range s.toDial {
		s.dials.Go(func() {
			select {
			case s.dialSem <- struct{}{}:
			case <-s.ctx.Done():
				s.fail(peerErr(s.names[i], "dial", s.ctx.Err()))
				return
			}
			defer func() { <-s.dialSem }()
			c, err := dialRetry(s.ctx, s.cfg.Addrs[i], s.cfg.Identity, s.names[i], s.cfg.Options)
			if err != nil {
				s.fail(err)
				return
			}
			s.mu.Lock()
			s.conns[i] = c
			s.mu.Unlock()
		})
	}
}

// acceptHigher accepts the linked parties above us with a pool of workers
// until all are in or the setup ends; if they are not all in, the error
// names one that is missing.
func (s *meshSetup) acceptHigher() {
	if len(s.expect) == 0 {
		return
	}
	actx, acancel := context.WithCancel(s.ctx)
	defer acancel()
	s.allIn = acancel
	var wg sync.WaitGroup
	for range min(s.workers, len(s.expect)) {
		wg.Go(func() {
			if err := s.acceptWorker(actx); err != nil {
				s.fail(err)
			}
		})
	}
	wg.Wait()
	s.mu.Lock()
	missing := s.missing
	s.mu.Unlock()
	if missing == 0 {
		return
	}
	// The workers stop early only when ctx ends (a listener's deadline may
	// fire a moment before ctx reports it).
	<-s.ctx.Done()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.firstErr == nil {
		s.firstErr = s.missingErr()
	}
}

// acceptWorker accepts connections until every expected party is in or ctx
// ends; it returns an error only if the listener itself fails. A
// connection from a party we do not expect, or one already in, is refused.
func (s *meshSetup) acceptWorker(ctx context.Context) error {
	for ctx.Err() == nil {
		tc, name, err := s.l.handshake(ctx)
		if err != nil {
			var pe *PeerError
			if ctx.Err() != nil {
				return nil
			}
			if errors.As(err, &pe) && pe.Op == "accept" {
				if errors.Is(err, context.DeadlineExceeded) {
					return nil // ctx's deadline, just before ctx saw it
				}
				return err // the listener, not a peer, failed
			}
			s.mu.Lock()
			s.lastErr = err
			s.mu.Unlock()
			continue
		}
		s.mu.Lock()
		if s.reserved == nil {
			s.reserved = make(map[int]bool)
		}
		idx, ok := s.expect[name]
		ok = ok && !s.reserved[idx]
		if ok {
			s.reserved[idx] = true
		}
		s.mu.Unlock()
		c, err := s.l.finish(ctx, tc, name, ok)
		s.mu.Lock()
		switch {
		case err != nil:
			s.lastErr = err
			if ok {
				delete(s.reserved, idx)
			}
		default:
			s.conns[idx] = c
			s.missing--
			if s.missing == 0 {
				s.allIn()
			}
		}
		s.mu.Unlock()
	}
	return nil
}

// missingErr names a party that never connected. The caller holds mu.
func (s *meshSetup) missingErr() error {
	missing := -1
	for _, idx := range s.expect {
		if s.conns[idx] == nil && (missing < 0 || idx < missing) {
			missing = idx
		}
	}
	detail := fmt.Errorf("%w: %d of %d parties did not connect", s.ctx.Err(), s.missing, len(s.expect))
	if s.lastErr != nil {
		detail = fmt.Errorf("%w (last refused connection: %v)", detail, s.lastErr)
	}
	return peerErr(s.names[missing], "accept", detail)
}

// finish returns the mesh, or the first error after closing every
// connection made.
func (s *meshSetup) finish() (Mesh, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.firstErr != nil {
		for _, c := range s.conns {
			if c != nil {
				_ = c.Close()
			}
		}
		return nil, s.firstErr
	}
	return &mesh{self: s.self, conns: s.conns}, nil
}

// dialRetry dials until the party answers: a refused TCP connection (the
// party is not listening yet) or a setup that timed out or was cut (the
// party is not accepting yet) is retried with backoff until ctx ends. An
// identity failure is final.
func dialRetry(ctx context.Context, addr string, id *Identity, peer string, opts Options) (*streamConn, error) {
	backoff := 10 * time.Millisecond
	for {
		c, err := dial(ctx, addr, id, peer, opts)
		if err == nil || ctx.Err() != nil || errors.Is(err, ErrPeerIdentity) || errors.Is(err, ErrInvalidParams) {
			return c, err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		backoff = min(2*backoff, time.Second)
	}
}

// NewTLSLoopbackMesh connects n parties of this process over mutual TLS 1.3
// on 127.0.0.1, every pair directly, and returns each party's view. It
// makes a throwaway CA and issues party i a certificate named [PartyName](i).
// Meant for tests and one-process demos of the TLS path; close every mesh.
func NewTLSLoopbackMesh(ctx context.Context, n int, opts Options) ([]Mesh, error) {
	return newTLSLoopback(ctx, n, opts, false)
}

// NewTLSLoopbackStar is [NewTLSLoopbackMesh] for a star: party 0 is the hub
// and reaches every other party; the spokes 1..n-1 reach only the hub.
func NewTLSLoopbackStar(ctx context.Context, n int, opts Options) ([]Mesh, error) {
	return newTLSLoopback(ctx, n, opts, true)
}

func newTLSLoopback(ctx context.Context, n int, opts Options, star bool) ([]Mesh, error) {
	if n < 2 {
		return nil, invalidParams("a mesh needs at least 2 parties, got %d", n)
	}
	ca, err := NewCA("veil loopback CA")
	if err != nil {
		return nil, err
	}
	ids := make([]*Identity, n)
	for i := range ids {
		if ids[i], err = ca.Issue(PartyName(i)); err != nil {
			return nil, err
		}
	}
	cfgs := make([]MeshConfig, n)
	addrs := make([]string, n)
	for i := range cfgs {
		cfgs[i] = MeshConfig{Self: i, Addrs: addrs, Identity: ids[i], Star: star, Options: opts}
	}
	// Every party that some party dials listens, before anyone dials.
	for i := range n {
		if (star && i > 0) || (!star && i == n-1) {
			continue
		}
		l, err := Listen("127.0.0.1:0", ids[i], opts)
		if err != nil {
			closeListeners(cfgs)
			return nil, err
		}
		cfgs[i].Listener = l
		addrs[i] = l.Addr().String()
	}
	defer closeListeners(cfgs)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dialSem := make(chan struct{}, DefaultSetupConcurrency)
	meshes := make([]Mesh, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			meshes[i], errs[i] = dialMesh(ctx, cfgs[i], dialSem)
			if errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		for _, m := range meshes {
			if m != nil {
				_ = m.Close()
			}
		}
		return nil, err
	}
	return meshes, nil
}

func closeListeners(cfgs []MeshConfig) {
	for _, c := range cfgs {
		if c.Listener != nil {
			_ = c.Listener.Close()
		}
	}
}

// firstError returns the first error that is not a mere consequence of
// another party's failure (a cancellation), or else the first error.
func firstError(errs []error) error {
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}
