package he

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// HubIndex is the mesh index of the hub (the aggregator) in a round's
// star, as [transport.NewMemStar] and star meshes of [transport.DialMesh]
// number it.
const HubIndex = 0

// envelopeSlack bounds the runner's envelope around a ciphertext.
const envelopeSlack = 64

// sealLabel names the runner's sealed channels (see internal/sealed).
const sealLabel = "veil/he/v1 deal"

// Round describes one aggregation round over a star: mesh index
// [HubIndex] is the hub (the aggregator), the spokes are clients, key
// holders or both. Every party of the round is given the same Round.
type Round struct {
	// Holders are the mesh indices of the key holders, in key-holder order:
	// Holders[i] holds share i. Its length is Config.KeyHolders (at least
	// 2); nil means spokes 1 to KeyHolders.
	Holders []int
	// Clients are the mesh indices whose vectors are summed (a key holder may
	// also be a client); nil means every spoke of the star.
	Clients []int
	// Length is the number of values in each client's vector; 0 takes it
	// from the inputs (a client, from its own; the hub, from the first
	// ciphertext that arrives: later ones of another length are left out).
	Length int
	// Names are the certificate common names of the parties of the star,
	// by mesh index (the names of their [transport.Identity]); nil means
	// [transport.PartyName]. A T-of-N key holder checks that the key adverts
	// the hub relays are signed by these names.
	Names []string
	// CollectWindow is how long the hub waits for ciphertexts once the key is
	// published; clients that have not sent by then are left out (and
	// reported). 0 waits for every client (until ctx ends).
	CollectWindow time.Duration
	// ShareWindow is how long the hub waits for the shares of one decryption
	// attempt; a key holder that misses it is dropped and (T-of-N) another
	// set is tried. 0 means 30 s, plus (verified path, first attempt) 2 s
	// per counted client for the holder to verify the contributions still
	// queued when the request comes; a ShareWindow that is set must allow
	// for that itself.
	ShareWindow time.Duration
	// SemiHonestContributions accepts the semi-honest model for clients
	// and skips the proofs. By default (false) every client proves that its
	// ciphertext is a well-formed encryption under the round's key
	// ([Encryptor.EncryptIntsProven]), and the hub and every key holder
	// verify each proof ([Params.VerifyProof]) before any decryption share
	// is made: a crafted ciphertext (c1 = t^-1 for BGV, a scaled probe for
	// CKKS), which would make the decryption of the sum reveal the round's
	// secret key, is rejected. The default path needs Params built with
	// [Config].VerifiedContributions (the smudging is sized for what the
	// proofs bound); without it RunHub and RunSpoke refuse the round with
	// [ErrUnverified]. Set SemiHonestContributions only when every client
	// is trusted to encrypt what the protocol says: it saves the proofs
	// (about 5x the ciphertext's bytes; for 2^16 values at LogN 14 about
	// 0.25 s to prove and 0.1 s per verifier on 2 cores, and a round about
	// 20x the CPU of the semi-honest one; see bench/RESULTS.md).
	SemiHonestContributions bool
	// MaxMessageSize is the largest message the round's transport carries
	// (its [transport.Options].MaxMessageSize); 0 means
	// [transport.DefaultMaxMessageSize]. A round whose ciphertexts (of
	// Length values, or MaxValues when Length is 0) would not fit is
	// refused up front with [ErrInvalidParams].
	MaxMessageSize int
	// Noise, if set, makes the round a differentially private sum: every
	// client adds its share of distributed noise (package dp) to its vector
	// before encrypting, the hub decrypts only a sum of at least
	// MinHonest clients, and each party spends the guarantee from the
	// Noise's budget once. Build the Params from [Noise.Config]; see [Noise]
	// for who adds what and what dropouts do.
	Noise *Noise

	noiseSpent bool // RunInProcess spent the Noise's budget for every party
}

// RoundResult is what the hub learns and measures.
type RoundResult struct {
	Ints   []int64   // BGV sums
	Floats []float64 // CKKS sums
	// Counted are the clients whose vectors are in the sums; Missing the
	// clients that sent nothing usable in the window; Rejected (verified
	// path) the clients whose proof of well-formedness did not verify: their
	// ciphertexts are left out of the sums and never decrypted.
	Counted, Missing, Rejected []int
	// Decryptors are the key holders (mesh indices) whose shares were
	// combined; Dropped those that failed to answer.
	Decryptors, Dropped []int
	// Time per phase, as seen by the hub.
	KeyGen, Collect, Aggregate, Decrypt time.Duration
	// Stats is the hub's traffic (all links) and the round's duration.
	Stats report.Stats
	// PerSpoke[j] is the traffic on the hub's link to spoke j:
	// BytesReceived is what spoke j sent.
	PerSpoke map[int]transport.Stats
	// Leakage states what the hub, the key holders and the clients learned
	// in this round.
	Leakage report.Leakage
	// SpokeErrors ([RunInProcess] only) holds the error each failing spoke
	// returned.
	SpokeErrors map[int]error
}

// SpokeInput is a spoke's contribution to a round.
type SpokeInput struct {
	Ints   []int64   // BGV
	Floats []float64 // CKKS
	// Identity is the spoke's identity (its transport certificate and the
	// CAs it trusts). A key holder of a T-of-N key needs it: it signs the
	// keys its Shamir deals are sealed under, and checks the other
	// holders' signatures, so that the relaying hub cannot read the deals.
	Identity *transport.Identity
}

// SpokeResult is what a spoke learns: the sums the hub sent back.
type SpokeResult struct {
	Ints   []int64
	Floats []float64
	// Counted are the clients (mesh indices) whose vectors are in the sums.
	Counted []int
	// Stats is the spoke's traffic and the round's duration as it saw it.
	Stats report.Stats
	// Leakage states what this spoke learned.
	Leakage report.Leakage
}

// resolve fills the round's defaults for a star of size parties and
// validates it against p.
func (r Round) resolve(p *Params, size int) (Round, error) {
	if !r.SemiHonestContributions && !p.cfg.VerifiedContributions {
		return r, fmt.Errorf("he: %w: the round verifies the clients' proofs of well-formedness, and needs Params made with Config.VerifiedContributions (the smudging sized for what the proofs bound); or set Round.SemiHonestContributions to accept the semi-honest model", ErrUnverified)
	}
	if p.cfg.KeyHolders < 2 {
		return r, fmt.Errorf("he: %w: a round needs a collective key (KeyHolders >= 2, have %d)", ErrInvalidParams, p.cfg.KeyHolders)
	}
	if r.Holders == nil {
		if size <= p.cfg.KeyHolders {
			return r, fmt.Errorf("he: %w: a star of %d parties has no room for %d key holders", ErrInvalidParams, size, p.cfg.KeyHolders)
		}
		for j := 1; j <= p.cfg.KeyHolders; j++ {
			r.Holders = append(r.Holders, j)
		}
	}
	if r.Clients == nil {
		for j := 1; j < size; j++ {
			r.Clients = append(r.Clients, j)
		}
	}
	if len(r.Holders) != p.cfg.KeyHolders {
		return r, fmt.Errorf("he: %w: round has %d holders, Config.KeyHolders is %d", ErrInvalidParams, len(r.Holders), p.cfg.KeyHolders)
	}
	if r.Length < 0 || r.Length > p.cfg.MaxValues || len(r.Clients) == 0 || int64(len(r.Clients)) > p.cfg.MaxWeight {
		return r, fmt.Errorf("he: %w: %d clients (MaxWeight %d) of length %d (MaxValues %d)", ErrInvalidParams, len(r.Clients), p.cfg.MaxWeight, r.Length, p.cfg.MaxValues)
	}
	if r.MaxMessageSize == 0 {
		r.MaxMessageSize = transport.DefaultMaxMessageSize
	}
	n := r.Length
	if n == 0 {
		n = p.cfg.MaxValues
	}
	// The ciphertext is the largest message of a round (a share or the
	// masks are half of it, the result 8 bytes a value).
	if need := p.CiphertextBytes(n) + envelopeSlack; r.MaxMessageSize < 0 || need > r.MaxMessageSize {
		return r, fmt.Errorf("he: %w: a ciphertext of %d values takes %d bytes, over the transport's message limit of %d; set Round.Length, lower Config.MaxValues or raise MaxMessageSize", ErrInvalidParams, n, need, r.MaxMessageSize)
	}
	// A forwarded contribution is the masks (half a ciphertext) and the proof.
	if need := p.CiphertextBytes(n)/2 + p.ProofBytes(n) + envelopeSlack; r.verified() && need > r.MaxMessageSize {
		return r, fmt.Errorf("he: %w: a contribution of %d values with its proof takes %d bytes, over the transport's message limit of %d; set Round.Length, lower Config.MaxValues or raise MaxMessageSize", ErrInvalidParams, n, need, r.MaxMessageSize)
	}
	for _, set := range [][]int{r.Holders, r.Clients} {
		seen := map[int]bool{}
		for _, j := range set {
			if j == HubIndex || j < 0 || j >= size || seen[j] {
				return r, fmt.Errorf("he: %w: spoke %d out of range or repeated", ErrInvalidParams, j)
			}
			seen[j] = true
		}
	}
	if r.Names == nil {
		r.Names = make([]string, size)
		for j := range r.Names {
			r.Names[j] = transport.PartyName(j)
		}
	} else if len(r.Names) != size {
		return r, fmt.Errorf("he: %w: %d names for a star of %d parties", ErrInvalidParams, len(r.Names), size)
	}
	if r.Noise != nil {
		if err := r.Noise.check(p, r); err != nil {
			return r, err
		}
		r.Length = r.Noise.dim
	}
	r.Holders, r.Clients, r.Names = slices.Clone(r.Holders), slices.Clone(r.Clients), slices.Clone(r.Names)
	return r, nil
}

// spendNoise spends the round's noise budget for this party, unless
// RunInProcess did for all.
func (r Round) spendNoise() error {
	if r.Noise == nil || r.noiseSpent {
		return nil
	}
	return r.Noise.spend()
}

// verified reports whether the round runs the verified path (proofs).
func (r Round) verified() bool { return !r.SemiHonestContributions }

// proofContext is the context a client's proof is bound to: the round is
// named by its key (fresh from the round's CRS, in every proof's hash),
// the client by its mesh index.
func (r Round) proofContext(client int) ProofContext {
	return ProofContext{Session: []byte("veil/he/v1 round"), Client: client}
}

// shareWindow is the share window of a decryption attempt: ShareWindow if
// set, else 30 s, plus, on the verified path's first attempt, 2 s per
// counted client, whose forwarded contributions the holders may still be
// verifying.
func (r Round) shareWindow(attempt uint32, counted int) time.Duration {
	if r.ShareWindow > 0 {
		return r.ShareWindow
	}
	w := 30 * time.Second
	if r.verified() && attempt == 0 {
		w += time.Duration(counted) * 2 * time.Second
	}
	return w
}

// spokes are the mesh indices of every spoke with a role, sorted.
func (r Round) spokes() []int {
	s := slices.Clone(r.Holders)
	for _, c := range r.Clients {
		if !slices.Contains(s, c) {
			s = append(s, c)
		}
	}
	slices.Sort(s)
	return s
}

// stepErr is err as a step error of role, without the "he: " of an inner
// constructor or decoder error (the step error names the package once).
func stepErr(role, step, peer string, err error) error {
	if err == nil {
		return nil
	}
	var se *errs.StepError
	if errors.As(err, &se) {
		return err
	}
	return errs.Step("he", role, step, peer, unprefixed{err})
}

type unprefixed struct{ err error }

func (u unprefixed) Error() string { return strings.TrimPrefix(u.err.Error(), "he: ") }
func (u unprefixed) Unwrap() error { return u.err }

// fanOut runs f(i) for every i in [0, n) at once (each typically waits on
// one peer) and returns when all are done.
func fanOut(n int, f func(i int)) {
	_ = parallel.Each(context.Background(), n, n, func(i int) error { f(i); return nil })
}

// abortAll tells the parties on conns that this one failed, without
// waiting more than a second for any of them.
func abortAll(ctx context.Context, conns []transport.Conn, err error) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	m := &abortMsg{Reason: err.Error()}
	fanOut(len(conns), func(i int) { _ = send(actx, conns[i], m) })
}

// RunInProcess runs a whole round in this process over a star (star[0] the
// hub, every other entry a spoke): it starts one goroutine per spoke in
// r.Holders or r.Clients with inputs[j] as spoke j's input, runs the hub,
// waits for every spoke and returns the hub's result. A spoke's own error is
// not fatal to the round (it counts as a dropout); the hub's error is
// returned. When the key is T-of-N and no key holder's input has an
// Identity, RunInProcess issues throwaway ones from a fresh
// [transport.CA], named as r.Names says.
//
// To make a spoke fail (crash, fall silent), wrap its mesh before passing
// it in, with the wrappers of package transport/transporttest.
func RunInProcess(ctx context.Context, star []transport.Mesh, p *Params, r Round, inputs map[int]SpokeInput) (*RoundResult, error) {
	if len(star) < 2 {
		return nil, fmt.Errorf("he: %w: a star needs a hub and a spoke", ErrInvalidParams)
	}
	r, err := r.resolve(p, len(star))
	if err != nil {
		return nil, err
	}
	if r.Noise != nil {
		if err := r.Noise.spend(); err != nil {
			return nil, err
		}
		r.noiseSpent = true
	}
	inputs = maps.Clone(inputs)
	if inputs == nil {
		inputs = map[int]SpokeInput{}
	}
	if p.cfg.Threshold > 0 && !slices.ContainsFunc(r.Holders, func(j int) bool { return inputs[j].Identity != nil }) {
		ca, err := transport.NewCA("veil he round")
		if err != nil {
			return nil, err
		}
		for _, j := range r.Holders {
			in := inputs[j]
			if in.Identity, err = ca.Issue(r.Names[j]); err != nil {
				return nil, err
			}
			inputs[j] = in
		}
	}
	spokes := r.spokes()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(spokes))
	var wg sync.WaitGroup
	for i, j := range spokes {
		wg.Go(func() { _, errs[i] = RunSpoke(sctx, star[j], p, r, inputs[j]) })
	}
	res, err := RunHub(ctx, star[HubIndex], p, r)
	// On success every spoke still connected has its result queued; on
	// failure the hub has told them. Give those slow to read it a moment,
	// not forever.
	grace := 10 * time.Second
	if err != nil {
		grace = 2 * time.Second
	}
	t := time.AfterFunc(grace, cancel)
	defer t.Stop()
	wg.Wait()
	if res != nil {
		for i, e := range errs {
			if e != nil {
				if res.SpokeErrors == nil {
					res.SpokeErrors = map[int]error{}
				}
				res.SpokeErrors[spokes[i]] = e
			}
		}
	}
	return res, err
}
