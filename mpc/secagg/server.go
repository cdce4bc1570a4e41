package secagg

import (
	"bytes"
	"crypto/ecdh"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/veil-go/veil/transport"
)

// Result is the outcome of a round.
type Result struct {
	// Sum is the sum modulo 2^64 of the inputs (and noise shares) of the
	// counted clients.
	Sum []uint64
	// Counted lists, sorted, the clients whose masked input is in Sum.
	Counted []int
	// Dropped lists, sorted, the clients whose input is not in Sum.
	Dropped []int
	// Excluded says why the runner dropped each client it dropped (nil
	// when the local steps are driven by hand).
	Excluded map[int]error
	// Traffic is the server's traffic over the whole round (runner only).
	Traffic transport.Stats
}

// Server stages.
const (
	srvKeys = iota
	srvShares
	srvInputs
	srvUnmask
	srvDone
	srvAborted
)

// Server is the server's state in a round. Its methods are the protocol's
// local steps: collect AdvertiseKeys with AddKeys and close the round with
// KeyLists; then AddShares and Deliveries; AddMaskedInput and
// UnmaskRequests; AddUnmaskResponse and Finish. Clients whose message is not
// added before a round is closed are dropped. A Server is not safe for
// concurrent use.
type Server struct {
	cfg   *Config
	stage int

	keys     map[int]*AdvertiseKeys // U1
	u1       []int
	lists    map[int][]int // neighbours each client of U1 was given
	inbox    map[int][]EncryptedShare
	u2       []int
	u2set    map[int]bool
	sum      []uint64
	u3set    map[int]bool
	u3       []int
	requests map[int]*UnmaskRequest
	answered map[int]bool
	// shares[j] are the collected shares of j's secret (mask key for
	// clients dropped after sharing, seed for the counted ones).
	shareX map[int][]int
	shareY map[int][]shareValue
}

// NewServer returns the server's state for a round.
func NewServer(cfg *Config) (*Server, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: nil config", ErrInvalidParams)
	}
	return &Server{cfg: cfg, keys: make(map[int]*AdvertiseKeys)}, nil
}

func (s *Server) step(want int, name string) error {
	if s.stage == srvAborted {
		return fmt.Errorf("%w: %s after abort", ErrAborted, name)
	}
	if s.stage != want {
		return fmt.Errorf("%w: server: %s called out of order", ErrProtocol, name)
	}
	return nil
}

func (s *Server) abort(err error) error {
	s.stage = srvAborted
	s.sum = nil
	return err
}

func (s *Server) validID(id int) error {
	if id < 1 || id > s.cfg.n {
		return fmt.Errorf("%w: client id %d, need 1..%d", ErrMalformed, id, s.cfg.n)
	}
	return nil
}

// AddKeys records a client's advertised keys.
func (s *Server) AddKeys(m *AdvertiseKeys) error {
	if err := s.step(srvKeys, "AddKeys"); err != nil {
		return err
	}
	if err := s.validID(m.ID); err != nil {
		return err
	}
	if s.keys[m.ID] != nil {
		return fmt.Errorf("%w: client %d advertised twice", ErrMalformed, m.ID)
	}
	if _, err := parsePublic(m.EncKey[:]); err != nil {
		return fmt.Errorf("client %d: %w", m.ID, err)
	}
	if _, err := parsePublic(m.MaskKey[:]); err != nil {
		return fmt.Errorf("client %d: %w", m.ID, err)
	}
	mc := *m
	s.keys[m.ID] = &mc
	return nil
}

// checkAlive aborts unless every client in ids has at least t neighbours in
// alive.
func (s *Server) checkAlive(ids []int, alive func(int) bool, when string) error {
	for _, i := range ids {
		c := 0
		for _, j := range s.cfg.neighbours[i] {
			if alive(j) {
				c++
			}
		}
		if c < s.cfg.t {
			return s.abort(fmt.Errorf("%w: %s: client %d has %d live neighbours, threshold %d", ErrTooManyDropouts, when, i, c, s.cfg.t))
		}
	}
	return nil
}

// KeyLists closes the key round: the clients that advertised form U1, and
// each gets the keys of its neighbours in U1. It aborts with
// ErrTooManyDropouts if some client of U1 has fewer than t neighbours in U1.
func (s *Server) KeyLists() (map[int]*KeyList, error) {
	if err := s.step(srvKeys, "KeyLists"); err != nil {
		return nil, err
	}
	for id := range s.keys {
		s.u1 = append(s.u1, id)
	}
	slices.Sort(s.u1)
	if len(s.u1) == 0 {
		return nil, s.abort(fmt.Errorf("%w: no client advertised keys", ErrTooManyDropouts))
	}
	if err := s.checkAlive(s.u1, func(j int) bool { return s.keys[j] != nil }, "after advertising keys"); err != nil {
		return nil, err
	}
	out := make(map[int]*KeyList, len(s.u1))
	s.lists = make(map[int][]int, len(s.u1))
	for _, i := range s.u1 {
		kl := &KeyList{To: i}
		for _, j := range s.cfg.neighbours[i] {
			if k := s.keys[j]; k != nil {
				kl.Keys = append(kl.Keys, *k)
				s.lists[i] = append(s.lists[i], j)
			}
		}
		out[i] = kl
	}
	s.inbox = make(map[int][]EncryptedShare)
	s.u2set = make(map[int]bool)
	s.stage = srvShares
	return out, nil
}

// AddShares records a client's encrypted shares, which must address exactly
// the neighbours in the key list it was sent, in order.
func (s *Server) AddShares(m *ShareBundle) error {
	if err := s.step(srvShares, "AddShares"); err != nil {
		return err
	}
	if err := s.validID(m.From); err != nil {
		return err
	}
	list, ok := s.lists[m.From]
	if !ok {
		return fmt.Errorf("%w: shares from client %d, which did not advertise keys", ErrMalformed, m.From)
	}
	if s.u2set[m.From] {
		return fmt.Errorf("%w: client %d sent shares twice", ErrMalformed, m.From)
	}
	if len(m.Shares) != len(list) {
		return fmt.Errorf("%w: client %d sent %d shares for %d neighbours", ErrMalformed, m.From, len(m.Shares), len(list))
	}
	for i, sh := range m.Shares {
		if sh.From != m.From || sh.To != list[i] || len(sh.Ciphertext) != ciphertextSize {
			return fmt.Errorf("%w: client %d: share %d addressed %d->%d", ErrMalformed, m.From, i, sh.From, sh.To)
		}
	}
	for _, sh := range m.Shares {
		s.inbox[sh.To] = append(s.inbox[sh.To], sh)
	}
	s.u2set[m.From] = true
	return nil
}

// Deliveries closes the share round: the clients that sent shares form U2,
// and each gets the shares addressed to it by clients of U2. It aborts if
// some client of U2 has fewer than t neighbours in U2.
func (s *Server) Deliveries() (map[int]*ShareDelivery, error) {
	if err := s.step(srvShares, "Deliveries"); err != nil {
		return nil, err
	}
	for id := range s.u2set {
		s.u2 = append(s.u2, id)
	}
	slices.Sort(s.u2)
	if err := s.checkAlive(s.u2, func(j int) bool { return s.u2set[j] }, "after sharing keys"); err != nil {
		return nil, err
	}
	out := make(map[int]*ShareDelivery, len(s.u2))
	for _, i := range s.u2 {
		d := &ShareDelivery{To: i}
		for _, sh := range s.inbox[i] {
			if s.u2set[sh.From] {
				d.Shares = append(d.Shares, sh)
			}
		}
		slices.SortFunc(d.Shares, func(a, b EncryptedShare) int { return a.From - b.From })
		out[i] = d
	}
	s.inbox = nil
	s.sum = make([]uint64, s.cfg.dim)
	s.u3set = make(map[int]bool)
	s.stage = srvInputs
	return out, nil
}

// AddMaskedInput adds a client's masked vector to the running sum.
func (s *Server) AddMaskedInput(m *MaskedInput) error {
	if err := s.step(srvInputs, "AddMaskedInput"); err != nil {
		return err
	}
	if err := s.validID(m.ID); err != nil {
		return err
	}
	if !s.u2set[m.ID] {
		return fmt.Errorf("%w: masked input from client %d, which did not share keys", ErrMalformed, m.ID)
	}
	if s.u3set[m.ID] {
		return fmt.Errorf("%w: client %d sent its masked input twice", ErrMalformed, m.ID)
	}
	if len(m.Vector) != s.cfg.dim {
		return fmt.Errorf("%w: client %d sent %d values, dimension %d", ErrMalformed, m.ID, len(m.Vector), s.cfg.dim)
	}
	for i, v := range m.Vector {
		s.sum[i] += v
	}
	s.u3set[m.ID] = true
	return nil
}

// UnmaskRequests closes the input round: the clients whose masked input
// arrived form U3 (counted). It aborts, revealing nothing, if some client of
// U2 has fewer than t neighbours in U3, as its secret could not be
// recovered. Otherwise each counted client is asked for its shares of its
// dropped neighbours' mask keys and of its counted neighbours' seeds.
func (s *Server) UnmaskRequests() (map[int]*UnmaskRequest, error) {
	if err := s.step(srvInputs, "UnmaskRequests"); err != nil {
		return nil, err
	}
	for id := range s.u3set {
		s.u3 = append(s.u3, id)
	}
	slices.Sort(s.u3)
	if len(s.u3) == 0 {
		return nil, s.abort(fmt.Errorf("%w: no masked input arrived", ErrTooManyDropouts))
	}
	if err := s.checkAlive(s.u2, func(j int) bool { return s.u3set[j] }, "after masked input"); err != nil {
		return nil, err
	}
	out := make(map[int]*UnmaskRequest, len(s.u3))
	for _, i := range s.u3 {
		r := &UnmaskRequest{To: i}
		for _, j := range s.cfg.neighbours[i] {
			switch {
			case s.u3set[j]:
				r.Survivors = append(r.Survivors, j)
			case s.u2set[j]:
				r.Dropped = append(r.Dropped, j)
			}
		}
		out[i] = r
	}
	s.requests = out
	s.answered = make(map[int]bool)
	s.shareX = make(map[int][]int)
	s.shareY = make(map[int][]shareValue)
	s.stage = srvUnmask
	return out, nil
}

// AddUnmaskResponse records a counted client's shares, which must answer its
// request exactly.
func (s *Server) AddUnmaskResponse(m *UnmaskResponse) error {
	if err := s.step(srvUnmask, "AddUnmaskResponse"); err != nil {
		return err
	}
	if err := s.validID(m.From); err != nil {
		return err
	}
	req := s.requests[m.From]
	if req == nil {
		return fmt.Errorf("%w: unmask response from client %d, which was not asked", ErrMalformed, m.From)
	}
	if s.answered[m.From] {
		return fmt.Errorf("%w: client %d answered twice", ErrMalformed, m.From)
	}
	match := func(got []SecretShare, want []int) bool {
		if len(got) != len(want) {
			return false
		}
		for i := range got {
			if got[i].Owner != want[i] {
				return false
			}
		}
		return true
	}
	if !match(m.KeyShares, req.Dropped) || !match(m.SeedShares, req.Survivors) {
		return fmt.Errorf("%w: client %d's unmask response does not answer its request", ErrMalformed, m.From)
	}
	for _, l := range [][]SecretShare{m.KeyShares, m.SeedShares} {
		for _, sh := range l {
			s.shareX[sh.Owner] = append(s.shareX[sh.Owner], m.From)
			s.shareY[sh.Owner] = append(s.shareY[sh.Owner], sh.Value)
		}
	}
	s.answered[m.From] = true
	return nil
}

// Finish closes the unmask round: it reconstructs the dropped clients' mask
// keys and the counted clients' seeds, removes their masks from the sum
// and returns it. It aborts with ErrTooManyDropouts if some secret has fewer
// than t shares.
func (s *Server) Finish() (*Result, error) {
	if err := s.step(srvUnmask, "Finish"); err != nil {
		return nil, err
	}
	for _, j := range s.u2 {
		if len(s.shareX[j]) < s.cfg.t {
			return nil, s.abort(fmt.Errorf("%w: unmasking: %d shares of client %d's secret, threshold %d", ErrTooManyDropouts, len(s.shareX[j]), j, s.cfg.t))
		}
	}
	session := s.cfg.session[:]
	secrets := make([][]byte, len(s.u2))
	err := parallelFor(len(s.u2), s.cfg.workers, func(k int) error {
		j := s.u2[k]
		sec, err := shamirCombine(s.shareX[j], s.shareY[j], s.cfg.t)
		if err != nil {
			return fmt.Errorf("client %d: %w", j, err)
		}
		secrets[k] = sec
		return nil
	})
	if err != nil {
		return nil, s.abort(err)
	}
	var (
		mu   sync.Mutex
		jobs []maskJob
	)
	err = parallelFor(len(s.u2), s.cfg.workers, func(k int) error {
		j := s.u2[k]
		var local []maskJob
		if s.u3set[j] { // counted: remove the self mask
			key, err := selfMaskKey(secrets[k], session, j)
			if err != nil {
				return err
			}
			job, err := newMaskJob(key, true)
			if err != nil {
				return err
			}
			local = append(local, job)
		} else { // dropped after sharing: remove its pairwise masks
			sk, err := ecdh.X25519().NewPrivateKey(secrets[k])
			if err != nil {
				return fmt.Errorf("%w: client %d's mask key: %v", ErrMalformed, j, err)
			}
			if !bytes.Equal(sk.PublicKey().Bytes(), s.keys[j].MaskKey[:]) {
				return fmt.Errorf("%w: shares of client %d's mask key are inconsistent", ErrMalformed, j)
			}
			for _, i := range s.cfg.neighbours[j] {
				if !s.u3set[i] {
					continue
				}
				pk, err := parsePublic(s.keys[i].MaskKey[:])
				if err != nil {
					return err
				}
				key, err := pairMaskKey(sk, pk, session, i, j)
				if err != nil {
					return err
				}
				job, err := newMaskJob(key, i < j) // undo client i's sign
				if err != nil {
					return err
				}
				local = append(local, job)
			}
		}
		mu.Lock()
		jobs = append(jobs, local...)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, s.abort(err)
	}
	applyMasks(s.sum, jobs, s.cfg.workers)
	res := &Result{Sum: s.sum, Counted: slices.Clone(s.u3)}
	for i := 1; i <= s.cfg.n; i++ {
		if !s.u3set[i] {
			res.Dropped = append(res.Dropped, i)
		}
	}
	s.sum = nil
	s.stage = srvDone
	return res, nil
}

// parallelFor runs f(0..n-1) on at most workers goroutines and returns the
// first error. All goroutines end before it returns.
func parallelFor(n, workers int, f func(int) error) error {
	workers = max(1, min(workers, n))
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range workers {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= n {
					return
				}
				if err := f(k); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}
