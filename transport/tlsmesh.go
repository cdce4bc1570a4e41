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
	// nil means PartyName(i). Identity's name must be Names[Self].
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
	// (dialing, accepting); 0 means DefaultSetupConcurrency.
	Concurrency int
}

// DialMesh connects this party to the others over mutual TLS and returns
// its view of the mesh once every link is up. By convention party j dials
// each linked party i < j and accepts the linked parties above it; an
// accepted party is placed by its verified certificate's common name, and
// a connection with an unknown or already connected name is refused (the
// dialer's error wraps ErrPeerIdentity) while DialMesh waits on for the
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
	names, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	n, self := len(names), cfg.Self
	workers := cfg.Concurrency
	if workers <= 0 {
		workers = DefaultSetupConcurrency
	}
	if dialSem == nil {
		dialSem = make(chan struct{}, workers)
	}
	var toDial []int
	expected := make(map[string]int)
	for i := 0; i < n; i++ {
		switch {
		case !cfg.linked(i, self):
		case i < self:
			toDial = append(toDial, i)
		default:
			expected[names[i]] = i
		}
	}
	l := cfg.Listener
	if l == nil && len(expected) > 0 {
		if l, err = Listen(cfg.Addrs[self], cfg.Identity, cfg.Options); err != nil {
			return nil, err
		}
		defer l.Close()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conns := make([]Conn, n)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}

	for _, i := range toDial {
		wg.Go(func() {
			select {
			case dialSem <- struct{}{}:
			case <-ctx.Done():
				fail(peerErr(names[i], "dial", ctx.Err()))
				return
			}
			defer func() { <-dialSem }()
			c, err := dialRetry(ctx, cfg.Addrs[i], cfg.Identity, names[i], cfg.Options)
			if err != nil {
				fail(err)
				return
			}
			mu.Lock()
			conns[i] = c
			mu.Unlock()
		})
	}

	if len(expected) > 0 {
		a := &meshAcceptor{l: l, names: names, expected: expected, conns: conns, mu: &mu, remaining: len(expected)}
		actx, acancel := context.WithCancel(ctx)
		a.done = acancel
		var awg sync.WaitGroup
		for range min(workers, len(expected)) {
			awg.Go(func() {
				if err := a.run(actx); err != nil {
					fail(err)
				}
			})
		}
		awg.Wait()
		acancel()
		if a.incomplete() {
			// The workers stop early only when ctx ends (a listener's
			// deadline may fire a moment before ctx reports it).
			<-ctx.Done()
		}
		mu.Lock()
		if a.remaining > 0 && firstErr == nil {
			firstErr = a.missingErr(ctx)
		}
		mu.Unlock()
	}
	wg.Wait()

	if firstErr != nil {
		for _, c := range conns {
			if c != nil {
				_ = c.Close()
			}
		}
		return nil, firstErr
	}
	return &mesh{self: self, conns: conns}, nil
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

// meshAcceptor places the parties that dial in.
type meshAcceptor struct {
	l         *Listener
	names     []string
	expected  map[string]int // name -> index, for parties that dial us
	conns     []Conn         // guarded by mu
	reserved  map[int]bool   // guarded by mu: accepted, reply under way
	mu        *sync.Mutex
	remaining int    // guarded by mu
	lastErr   error  // guarded by mu: the last refused connection
	done      func() // ends the other workers once all are in
}

// run accepts connections until every expected party is in or ctx ends; it
// returns an error only if the listener itself fails.
func (a *meshAcceptor) run(ctx context.Context) error {
	for ctx.Err() == nil {
		tc, name, err := a.l.handshake(ctx)
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
			a.mu.Lock()
			a.lastErr = err
			a.mu.Unlock()
			continue
		}
		a.mu.Lock()
		if a.reserved == nil {
			a.reserved = make(map[int]bool)
		}
		idx, ok := a.expected[name]
		ok = ok && !a.reserved[idx]
		if ok {
			a.reserved[idx] = true
		}
		a.mu.Unlock()
		c, err := a.l.finish(ctx, tc, name, ok)
		a.mu.Lock()
		switch {
		case err != nil:
			a.lastErr = err
			if ok {
				delete(a.reserved, idx)
			}
		default:
			a.conns[idx] = c
			a.remaining--
			if a.remaining == 0 {
				a.done()
			}
		}
		a.mu.Unlock()
	}
	return nil
}

func (a *meshAcceptor) incomplete() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.remaining > 0
}

// missingErr names a party that never connected. The caller holds mu.
func (a *meshAcceptor) missingErr(ctx context.Context) error {
	cause := ctx.Err()
	missing := -1
	for _, idx := range a.expected {
		if a.conns[idx] == nil && (missing < 0 || idx < missing) {
			missing = idx
		}
	}
	detail := fmt.Errorf("%w: %d of %d parties did not connect", cause, a.remaining, len(a.expected))
	if a.lastErr != nil {
		detail = fmt.Errorf("%w (last refused connection: %v)", detail, a.lastErr)
	}
	return peerErr(a.names[missing], "accept", detail)
}

// NewTLSLoopbackMesh connects n parties of this process over mutual TLS 1.3
// on 127.0.0.1, every pair directly, and returns each party's view. It
// makes a throwaway CA and issues party i a certificate named PartyName(i).
// Meant for tests and one-process demos of the TLS path; close every mesh.
func NewTLSLoopbackMesh(ctx context.Context, n int, opts Options) ([]Mesh, error) {
	return newTLSLoopback(ctx, n, opts, false)
}

// NewTLSLoopbackStar is NewTLSLoopbackMesh for a star: party 0 is the hub
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
