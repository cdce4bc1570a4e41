package secagg

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"fmt"
	"slices"
	"sync"

	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/internal/sealed"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// Result is the outcome of a round, as the server sees it.
type Result struct {
	// Sum is the sum modulo 2^64 of the inputs (and noise shares) of the
	// counted clients.
	Sum []uint64
	// Counted lists, sorted, the clients whose masked input is in Sum.
	Counted []int
	// Transcript is the hash of the round's public record (the parameters'
	// digest, the graph seed and the counted set), which the server and
	// every client that finished compute alike ([ClientResult.Transcript]):
	// in a star no client sees the others' messages, so a receipt of the
	// round carries this rather than a hash of the messages.
	Transcript [DigestSize]byte
	// Dropped lists, sorted, the clients whose input is not in Sum.
	Dropped []int
	// Excluded says why the runner dropped each client it dropped (nil
	// when the local steps are driven by hand).
	Excluded map[int]error
	// Stats is the server's traffic and the round's duration (zero when the
	// local steps are driven by hand).
	Stats report.Stats
	// Leakage is what the parties learned in this round.
	Leakage report.Leakage
}

// Server stages.
const (
	srvKeys = iota
	srvReveal
	srvShares
	srvInputs
	srvSign
	srvUnmask
	srvDone
	srvAborted
)

// Server is the server's state in a round. Its methods are the protocol's
// local steps: collect [AdvertMsg] with [Server.AddAdvert] and close the
// step with [Server.Enrolment]; then [Server.AddReveal] and
// [Server.KeyLists]; [Server.AddShares] and
// [Server.Deliveries]; [Server.AddMaskedInput] and
// [Server.CountedSets]; [Server.AddCountedSig] and
// [Server.UnmaskRequests]; [Server.AddUnmaskResponse] and
// [Server.Finish]. Clients whose message is not added before a step is
// closed are dropped. A Server is not safe for concurrent use.
type Server struct {
	p        *Params
	identity *transport.Identity
	stage    int

	keys     map[int]*advertised // U1
	u1       []int
	reveals  map[int]RevealMsg
	seed     [SeedSize]byte
	nb       [][]int       // the graph: nb[i] = client i's neighbors, sorted
	lists    map[int][]int // neighbors each client of U1 was given
	inbox    map[int][]EncryptedShare
	u2       []int
	u2set    map[int]bool
	sum      []uint64
	u3set    map[int]bool
	u3       []int
	sigs     map[int]CountedSigMsg // U4: the counted clients that signed U3
	requests map[int]*unmaskWant
	answered map[int]bool
	// shareX[j], shareY[j] are the collected shares of j's secret (mask key
	// for clients dropped after sharing, seed for the counted ones).
	shareX map[int][]int
	shareY map[int][]shareValue
}

// advertised is a client's verified advert.
type advertised struct {
	msg     AdvertMsg
	maskKey *ecdh.PublicKey
	maskRaw []byte
	chain   [][]byte
}

// unmaskWant is what the server expects a client to answer: the owners of
// the key shares and of the seed shares, sorted.
type unmaskWant struct {
	dropped, survivors []int
}

// NewServer returns the server's state for a round. identity's CA pool is
// what the server checks the clients' signed keys against (its own
// certificate is not used).
func NewServer(p *Params, identity *transport.Identity) (*Server, error) {
	if p == nil || identity == nil {
		return nil, fmt.Errorf("secagg: %w: nil params or identity", ErrInvalidParams)
	}
	return &Server{p: p, identity: identity, keys: make(map[int]*advertised)}, nil
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
	if id < 1 || id > s.p.cfg.Clients {
		return fmt.Errorf("%w: client id %d, need 1..%d", ErrMalformed, id, s.p.cfg.Clients)
	}
	return nil
}

// checkKeys verifies a client's advert; it touches no state, so the runner
// calls it concurrently.
func (s *Server) checkKeys(m *AdvertMsg) (*advertised, error) {
	if err := s.validID(m.ID); err != nil {
		return nil, err
	}
	if m.Params != s.p.digest {
		return nil, fmt.Errorf("%w: client %d runs other parameters", ErrMismatch, m.ID)
	}
	var adv sealed.Advert
	if err := adv.UnmarshalBinary(m.Advert); err != nil {
		return nil, fmt.Errorf("%w: client %d's advert: %w", ErrMalformed, m.ID, err)
	}
	if _, err := sealed.Verify(s.identity, labelSealed, s.p.digest[:], &adv, m.ID, nslots, s.p.Name(m.ID)); err != nil {
		return nil, fmt.Errorf("%w: client %d: %w", ErrBadAdvert, m.ID, err)
	}
	if err := verifyCommitment(s.identity, s.p, m, adv.Chain); err != nil {
		return nil, err
	}
	raw := adv.Keys[slotMask][:]
	pk, err := parsePublic(raw)
	if err != nil {
		return nil, err
	}
	a := &advertised{msg: *m, maskKey: pk, maskRaw: raw, chain: adv.Chain}
	a.msg.Advert = bytes.Clone(m.Advert)
	a.msg.CommitmentSig = bytes.Clone(m.CommitmentSig)
	return a, nil
}

func (s *Server) addKeys(a *advertised) error {
	if err := s.step(srvKeys, "AddAdvert"); err != nil {
		return err
	}
	if s.keys[a.msg.ID] != nil {
		return fmt.Errorf("%w: client %d advertised twice", ErrMalformed, a.msg.ID)
	}
	s.keys[a.msg.ID] = a
	return nil
}

// AddAdvert verifies and records a client's advert: it must be signed,
// for these parameters and the commitment it carries, by the identity the
// roster names for the client ([ErrBadAdvert], [ErrMismatch] otherwise).
func (s *Server) AddAdvert(m *AdvertMsg) error {
	if err := s.step(srvKeys, "AddAdvert"); err != nil {
		return err
	}
	a, err := s.checkKeys(m)
	if err != nil {
		return err
	}
	return s.addKeys(a)
}

// checkAlive aborts unless every client in ids has at least t neighbors in
// alive.
func (s *Server) checkAlive(ids []int, alive func(int) bool, when string) error {
	t := s.p.cfg.Threshold
	for _, i := range ids {
		c := 0
		for _, j := range s.nb[i] {
			if alive(j) {
				c++
			}
		}
		if c < t {
			return s.abort(fmt.Errorf("%w: %s: client %d has %d live neighbors, threshold %d", ErrTooManyDropouts, when, i, c, t))
		}
	}
	return nil
}

// Enrolment closes the advertise step: the clients that advertised form
// U1, the enrolled set, and each is sent U1 with the commitments, to
// answer with its nonce. It aborts with [ErrTooManyDropouts] if t or fewer
// clients advertised.
func (s *Server) Enrolment() (map[int]*EnrolmentMsg, error) {
	if err := s.step(srvKeys, "Enrolment"); err != nil {
		return nil, err
	}
	for id := range s.keys {
		s.u1 = append(s.u1, id)
	}
	slices.Sort(s.u1)
	if len(s.u1) <= s.p.cfg.Threshold {
		return nil, s.abort(fmt.Errorf("%w: %d clients advertised keys, threshold %d", ErrTooManyDropouts, len(s.u1), s.p.cfg.Threshold))
	}
	e := make([]Enrolled, len(s.u1))
	for k, id := range s.u1 {
		e[k] = Enrolled{ID: id, Commitment: s.keys[id].msg.Commitment}
	}
	out := make(map[int]*EnrolmentMsg, len(s.u1))
	for _, id := range s.u1 {
		out[id] = &EnrolmentMsg{To: id, Enrolled: e}
	}
	s.reveals = make(map[int]RevealMsg, len(s.u1))
	s.stage = srvReveal
	return out, nil
}

// checkReveal checks a client's nonce against its commitment; it touches
// no state, so the runner calls it concurrently.
func (s *Server) checkReveal(m *RevealMsg) error {
	if err := s.validID(m.ID); err != nil {
		return err
	}
	a := s.keys[m.ID]
	if a == nil {
		return fmt.Errorf("%w: nonce from client %d, which is not enrolled", ErrMalformed, m.ID)
	}
	if commitNonce(s.p.digest, m.ID, m.Nonce) != a.msg.Commitment {
		return fmt.Errorf("%w: client %d's nonce does not open its commitment", ErrMalformed, m.ID)
	}
	return nil
}

// AddReveal records an enrolled client's graph nonce, which must open
// its commitment.
func (s *Server) AddReveal(m *RevealMsg) error {
	if err := s.step(srvReveal, "AddReveal"); err != nil {
		return err
	}
	if err := s.checkReveal(m); err != nil {
		return err
	}
	if _, ok := s.reveals[m.ID]; ok {
		return fmt.Errorf("%w: client %d revealed twice", ErrMalformed, m.ID)
	}
	s.reveals[m.ID] = *m
	return nil
}

// KeyLists closes the reveal step. Every enrolled client must have
// revealed its nonce: a missing one aborts the round ([ErrAborted]), since
// drawing the graph from the others' would let whoever withholds choose
// between graphs. The graph is drawn from the nonces; each client of U1
// gets all of them and the adverts of its neighbors in U1. It aborts with
// [ErrTooManyDropouts] if some client of U1 has fewer than t neighbors in
// U1.
func (s *Server) KeyLists() (map[int]*KeyListMsg, error) {
	if err := s.step(srvReveal, "KeyLists"); err != nil {
		return nil, err
	}
	reveals := make([]RevealMsg, len(s.u1))
	for k, id := range s.u1 {
		r, ok := s.reveals[id]
		if !ok {
			return nil, s.abort(fmt.Errorf("%w: enrolled client %d did not reveal its graph nonce", ErrAborted, id))
		}
		reveals[k] = r
	}
	s.seed = graphSeed(s.p.digest, reveals)
	g, err := s.p.graph(s.seed)
	if err != nil {
		return nil, s.abort(err)
	}
	s.nb = make([][]int, s.p.cfg.Clients+1)
	for i := 1; i <= s.p.cfg.Clients; i++ {
		s.nb[i] = g.neighbors(i)
	}
	if err := s.checkAlive(s.u1, func(j int) bool { return s.keys[j] != nil }, "after advertising keys"); err != nil {
		return nil, err
	}
	out := make(map[int]*KeyListMsg, len(s.u1))
	s.lists = make(map[int][]int, len(s.u1))
	for _, i := range s.u1 {
		kl := &KeyListMsg{To: i, Reveals: reveals}
		for _, j := range s.nb[i] {
			if k := s.keys[j]; k != nil {
				relayed := k.msg
				relayed.CommitmentSig = nil // the server's to check, not relayed
				kl.Keys = append(kl.Keys, relayed)
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

// GraphSeed returns the seed the round's graph was drawn from (after
// [Server.KeyLists]).
func (s *Server) GraphSeed() [SeedSize]byte { return s.seed }

// Neighbors returns client id's neighbors in the round's graph, sorted
// (nil before [Server.KeyLists]).
func (s *Server) Neighbors(id int) []int {
	if s.nb == nil || id < 1 || id > s.p.cfg.Clients {
		return nil
	}
	return slices.Clone(s.nb[id])
}

// AddShares records a client's encrypted shares, which must address exactly
// the neighbors in the key list it was sent, in order.
func (s *Server) AddShares(m *ShareBundleMsg) error {
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
		return fmt.Errorf("%w: client %d sent %d shares for %d neighbors", ErrMalformed, m.From, len(m.Shares), len(list))
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

// Deliveries closes the share step: the clients that sent shares form U2,
// and each gets the shares addressed to it by clients of U2. It aborts if
// some client of U2 has fewer than t neighbors in U2.
func (s *Server) Deliveries() (map[int]*ShareDeliveryMsg, error) {
	if err := s.step(srvShares, "Deliveries"); err != nil {
		return nil, err
	}
	for id := range s.u2set {
		s.u2 = append(s.u2, id)
	}
	slices.Sort(s.u2)
	if len(s.u2) == 0 {
		return nil, s.abort(fmt.Errorf("%w: no client shared keys", ErrTooManyDropouts))
	}
	if err := s.checkAlive(s.u2, func(j int) bool { return s.u2set[j] }, "after sharing keys"); err != nil {
		return nil, err
	}
	out := make(map[int]*ShareDeliveryMsg, len(s.u2))
	for _, i := range s.u2 {
		d := &ShareDeliveryMsg{To: i}
		for _, sh := range s.inbox[i] {
			if s.u2set[sh.From] {
				d.Shares = append(d.Shares, sh)
			}
		}
		slices.SortFunc(d.Shares, func(a, b EncryptedShare) int { return a.From - b.From })
		out[i] = d
	}
	s.inbox = nil
	s.sum = make([]uint64, s.p.cfg.Length)
	s.u3set = make(map[int]bool)
	s.stage = srvInputs
	return out, nil
}

// AddMaskedInput adds a client's masked vector to the running sum.
func (s *Server) AddMaskedInput(m *MaskedInputMsg) error {
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
	if len(m.Vector) != s.p.cfg.Length {
		return fmt.Errorf("%w: client %d sent %d values, length %d", ErrMalformed, m.ID, len(m.Vector), s.p.cfg.Length)
	}
	for i, v := range m.Vector {
		s.sum[i] += v
	}
	s.u3set[m.ID] = true
	return nil
}

// CountedSets closes the input step: the clients whose masked input
// arrived form U3 (counted). It aborts, revealing nothing, if some client of
// U2 has fewer than t neighbors in U3, as its secret could not be
// recovered. Otherwise each counted client is sent U3, to sign.
func (s *Server) CountedSets() (map[int]*CountedSetMsg, error) {
	if err := s.step(srvInputs, "CountedSets"); err != nil {
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
	out := make(map[int]*CountedSetMsg, len(s.u3))
	for _, i := range s.u3 {
		out[i] = &CountedSetMsg{To: i, Counted: s.u3}
	}
	s.sigs = make(map[int]CountedSigMsg)
	s.stage = srvSign
	return out, nil
}

// checkCountedSig verifies a client's signature on U3; it touches no
// state, so the runner calls it concurrently.
func (s *Server) checkCountedSig(m *CountedSigMsg) error {
	if err := s.validID(m.From); err != nil {
		return err
	}
	if !s.u3set[m.From] {
		return fmt.Errorf("%w: signature from client %d, which was not counted", ErrMalformed, m.From)
	}
	name, err := s.identity.VerifySigned(s.keys[m.From].chain, countedMessage(s.p.digest, s.seed, m.From, s.u3), m.Sig)
	if err != nil || name != s.p.Name(m.From) {
		return fmt.Errorf("%w: client %d's signature on the counted set does not verify", ErrMalformed, m.From)
	}
	return nil
}

func (s *Server) addCountedSig(m *CountedSigMsg) error {
	if err := s.step(srvSign, "AddCountedSig"); err != nil {
		return err
	}
	if _, ok := s.sigs[m.From]; ok {
		return fmt.Errorf("%w: client %d signed twice", ErrMalformed, m.From)
	}
	s.sigs[m.From] = CountedSigMsg{From: m.From, Sig: bytes.Clone(m.Sig)}
	return nil
}

// AddCountedSig verifies and records a counted client's signature on U3.
func (s *Server) AddCountedSig(m *CountedSigMsg) error {
	if err := s.step(srvSign, "AddCountedSig"); err != nil {
		return err
	}
	if err := s.checkCountedSig(m); err != nil {
		return err
	}
	return s.addCountedSig(m)
}

// UnmaskRequests closes the consistency step: the counted clients that
// signed U3 form U4. It aborts, revealing nothing, if some client of U2
// has fewer than t neighbors in U4 (too few could answer for it).
// Otherwise each client of U4 gets U3 and its neighbors' signatures on it,
// and will answer with its shares of its counted neighbors' seeds and of
// its other neighbors' mask keys.
func (s *Server) UnmaskRequests() (map[int]*UnmaskRequestMsg, error) {
	if err := s.step(srvSign, "UnmaskRequests"); err != nil {
		return nil, err
	}
	if err := s.checkAlive(s.u2, func(j int) bool { _, ok := s.sigs[j]; return ok }, "after signing the counted set"); err != nil {
		return nil, err
	}
	out := make(map[int]*UnmaskRequestMsg, len(s.sigs))
	s.requests = make(map[int]*unmaskWant, len(s.sigs))
	for _, i := range s.u3 {
		if _, ok := s.sigs[i]; !ok {
			continue
		}
		r := &UnmaskRequestMsg{To: i, Counted: s.u3}
		w := &unmaskWant{}
		for _, j := range s.nb[i] {
			switch {
			case s.u3set[j]:
				w.survivors = append(w.survivors, j)
				if sig, ok := s.sigs[j]; ok {
					r.Signatures = append(r.Signatures, sig)
				}
			case s.u2set[j]:
				w.dropped = append(w.dropped, j)
			}
		}
		out[i] = r
		s.requests[i] = w
	}
	s.answered = make(map[int]bool)
	s.shareX = make(map[int][]int)
	s.shareY = make(map[int][]shareValue)
	s.stage = srvUnmask
	return out, nil
}

// AddUnmaskResponse records a counted client's shares, which must answer its
// request exactly.
func (s *Server) AddUnmaskResponse(m *UnmaskResponseMsg) error {
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
	if !match(m.KeyShares, req.dropped) || !match(m.SeedShares, req.survivors) {
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

// Finish closes the unmask step: it reconstructs the dropped clients' mask
// keys and the counted clients' seeds, removes their masks from the sum
// and returns it. It aborts with [ErrTooManyDropouts] if some secret has
// fewer than t shares.
func (s *Server) Finish() (*Result, error) {
	if err := s.step(srvUnmask, "Finish"); err != nil {
		return nil, err
	}
	if err := s.checkShareCounts(); err != nil {
		return nil, s.abort(err)
	}
	secrets, err := s.reconstruct()
	if err != nil {
		return nil, s.abort(err)
	}
	jobs, err := s.unmaskJobs(secrets)
	if err != nil {
		return nil, s.abort(err)
	}
	applyMasks(s.sum, jobs, s.p.workers)
	return s.result(), nil
}

// checkShareCounts fails unless every secret to recover has t shares.
func (s *Server) checkShareCounts() error {
	for _, j := range s.u2 {
		if len(s.shareX[j]) < s.p.cfg.Threshold {
			return fmt.Errorf("%w: unmasking: %d shares of client %d's secret, threshold %d", ErrTooManyDropouts, len(s.shareX[j]), j, s.p.cfg.Threshold)
		}
	}
	return nil
}

// reconstruct recovers the secret of every client of U2 (its seed if
// counted, its mask key if dropped), in the order of U2.
func (s *Server) reconstruct() ([][]byte, error) {
	secrets := make([][]byte, len(s.u2))
	err := parallel.Each(context.Background(), len(s.u2), s.p.workers, func(k int) error {
		j := s.u2[k]
		sec, err := combineSecret(s.shareX[j], s.shareY[j], s.p.cfg.Threshold)
		if err != nil {
			return fmt.Errorf("client %d: %w", j, err)
		}
		secrets[k] = sec
		return nil
	})
	return secrets, err
}

// unmaskJobs returns the masks to subtract from the sum: the self mask of
// every counted client and, for each client dropped after sharing, its
// pairwise masks with its counted neighbors.
func (s *Server) unmaskJobs(secrets [][]byte) ([]maskJob, error) {
	var (
		mu   sync.Mutex
		jobs []maskJob
	)
	session := s.p.cfg.Session[:]
	err := parallel.Each(context.Background(), len(s.u2), s.p.workers, func(k int) error {
		j := s.u2[k]
		var local []maskJob
		var err error
		if s.u3set[j] {
			local, err = s.selfMaskJob(j, secrets[k], session)
		} else {
			local, err = s.pairMaskJobs(j, secrets[k], session)
		}
		if err != nil {
			return err
		}
		mu.Lock()
		jobs = append(jobs, local...)
		mu.Unlock()
		return nil
	})
	return jobs, err
}

// selfMaskJob removes counted client j's self mask.
func (s *Server) selfMaskJob(j int, seed, session []byte) ([]maskJob, error) {
	key, err := selfMaskKey(seed, session, j)
	if err != nil {
		return nil, err
	}
	job, err := newMaskJob(key, true)
	if err != nil {
		return nil, err
	}
	return []maskJob{job}, nil
}

// pairMaskJobs removes the pairwise masks that the counted neighbors of
// client j, dropped after sharing, added for j; priv is j's reconstructed
// mask key, checked against the key j advertised.
func (s *Server) pairMaskJobs(j int, priv, session []byte) ([]maskJob, error) {
	sk, err := ecdh.X25519().NewPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("%w: client %d's mask key: %v", ErrMalformed, j, err)
	}
	if !bytes.Equal(sk.PublicKey().Bytes(), s.keys[j].maskRaw) {
		return nil, fmt.Errorf("%w: shares of client %d's mask key are inconsistent", ErrMalformed, j)
	}
	var jobs []maskJob
	for _, i := range s.nb[j] {
		if !s.u3set[i] {
			continue
		}
		shared, err := sk.ECDH(s.keys[i].maskKey)
		if err != nil {
			return nil, fmt.Errorf("%w: key agreement: %v", ErrMalformed, err)
		}
		key, err := pairMaskKey(shared, session, i, j)
		if err != nil {
			return nil, err
		}
		job, err := newMaskJob(key, i < j) // undo client i's sign
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job)
	}
	return jobs, nil
}

// result hands out the unmasked sum and what the round disclosed.
func (s *Server) result() *Result {
	res := &Result{Sum: s.sum, Counted: slices.Clone(s.u3), Transcript: roundTranscript(s.p.digest, s.seed, s.u3)}
	for i := 1; i <= s.p.cfg.Clients; i++ {
		if !s.u3set[i] {
			res.Dropped = append(res.Dropped, i)
		}
	}
	res.Leakage = serverLeakage(s.p, len(res.Counted), len(res.Dropped))
	s.sum = nil
	s.stage = srvDone
	return res
}

// serverLeakage is what a finished round discloses.
func serverLeakage(p *Params, counted, dropped int) report.Leakage {
	n := p.cfg.Clients
	return report.Leakage{
		{To: "all", What: report.Parameters, Count: int64(n),
			Note: fmt.Sprintf("%d clients, vectors of %d words, %s graph of degree %d, threshold %d", n, p.cfg.Length, p.cfg.Graph, p.cfg.Degree, p.cfg.Threshold)},
		{To: "server", What: report.Output, About: "counted clients", Count: int64(p.cfg.Length),
			Note: fmt.Sprintf("the sum modulo 2^64 of the %d counted clients' vectors (and noise shares)", counted)},
		{To: "server", What: report.Participants, About: "all", Count: int64(n),
			Note: fmt.Sprintf("which clients were counted (%d) and which dropped (%d), and at which step each dropped", counted, dropped)},
		{To: "clients", What: report.Participants, About: "neighbors", Count: int64(p.cfg.Degree),
			Note: "each client learns the enrolled set and the graph, which of its neighbors advertised keys and shared them, and the counted set of the round, which it signs"},
	}
}

// verifyCommitment checks the signature on an advert's commitment with the
// certificate chain of its (verified) advert.
func verifyCommitment(id *transport.Identity, p *Params, m *AdvertMsg, chain [][]byte) error {
	name, err := id.VerifySigned(chain, commitMessage(p.digest, m.ID, m.Commitment), m.CommitmentSig)
	if err != nil || name != p.Name(m.ID) {
		return fmt.Errorf("%w: client %d's signature on its commitment does not verify", ErrBadAdvert, m.ID)
	}
	return nil
}
