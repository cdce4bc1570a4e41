package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/veil-go/veil/internal/progress"
	"github.com/veil-go/veil/mpc"
	"github.com/veil-go/veil/psi"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// Stats are the seven figures the computation reveals.
type Stats struct {
	N         int     `json:"n"`
	MeanX     float64 `json:"mean_x"`
	MeanY     float64 `json:"mean_y"`
	Cov       float64 `json:"cov"` // population covariance (divides by n)
	Corr      float64 `json:"corr"`
	Slope     float64 `json:"slope"` // least squares y = slope*x + intercept
	Intercept float64 `json:"intercept"`
}

type result struct {
	Stats
	aligned    int            // size of the intersection
	psiScheme  string         // how alignment was done
	mpcScheme  string         // how statistics were computed
	psiBytes   int64          // bytes sent by both parties in PSI
	mpcBytes   int64          // bytes sent by both parties in MPC
	mpcLeakage report.Leakage // what the MPC phase disclosed
	psiSeconds float64        // time of the PSI phase
	mpcSeconds float64        // time of the MPC phase
	notes      []string       // caveats for the report
	seconds    float64
	prep       preprocessing // where the correlated randomness came from
	role       string        // "a" or "b" when one party runs as its own process
	transport  string        // how the parties talked
	receipt    string        // the receipt's digest (hex), with -ledger
}

// preprocessing says where the MPC phase's correlated randomness (Beaver
// triples, division pairs, the bits behind comparison) comes from.
type preprocessing string

const (
	// prepOT: the two parties make it themselves by oblivious transfer
	// (mpc.OTDealer); no third party.
	prepOT preprocessing = "ot"
	// prepDealer: a trusted dealer in this process (mpc.TrustedDealer).
	prepDealer preprocessing = "dealer"
)

// how says how the correlations were made, and model what that assumes.
func (p preprocessing) how() string {
	if p == prepDealer {
		return "from a trusted dealer in this process (mpc.TrustedDealer)"
	}
	return "by the two parties themselves with oblivious transfer (mpc.OTDealer: Beaver triples by Gilboa multiplication over IKNP OT; random bits, edaBits and exact division pairs from each party's own random bits), no dealer"
}

// short is how in a few words.
func (p preprocessing) short() string {
	if p == prepDealer {
		return "by a trusted dealer in this process"
	}
	return "by the parties by oblivious transfer, no dealer"
}

func (p preprocessing) model() string {
	if p == prepDealer {
		return "a trusted third party: the dealer knows every share it hands out, so it could unmask every value; it must not collude with either party"
	}
	return "no third party; semi-honest parties (each follows the protocol and may try to learn more from what it sees: it learns nothing beyond the results), dishonest majority (one party alone is protected even if the other is corrupt but follows the protocol); not secure against a party that deviates"
}

// compute aligns and correlates; prog (nil for quiet) reports the phases.
func compute(ctx context.Context, proto psi.Protocol, prep preprocessing, bank, shop *holder, prog *progress.Meter) (*result, error) {
	res := &result{prep: prep, transport: "mutual TLS 1.3 on 127.0.0.1 (throwaway CA), both parties in this process"}
	// Both parties in this process, over mutual TLS 1.3 on 127.0.0.1:
	// party 0 is the bank, party 1 the shop.
	meshes, err := transport.NewTLSLoopbackMesh(ctx, 2, transport.Options{})
	if err != nil {
		return nil, fmt.Errorf("setting up TLS on loopback: %w", err)
	}
	defer func() {
		for _, m := range meshes {
			m.Close()
		}
	}()
	start := time.Now()
	prog.Phase("aligning %d and %d customers by private set intersection", len(bank.ids), len(shop.ids))
	shared, err := align(ctx, proto, meshes, bank, shop, res, prog)
	if err != nil {
		return nil, fmt.Errorf("aligning customers by PSI: %w", err)
	}
	res.psiSeconds = time.Since(start).Seconds()
	res.aligned = len(shared)
	if len(shared) < 2 {
		return nil, fmt.Errorf("the files share %d customer IDs; correlation needs at least 2", len(shared))
	}
	start = time.Now()
	prog.Phase("%d shared customers aligned in %.1f s; computing the statistics on shares", len(shared), res.psiSeconds)
	if err := correlate(ctx, meshes, pick(bank, shared), pick(shop, shared), res); err != nil {
		return nil, fmt.Errorf("computing on shares: %w", err)
	}
	res.mpcSeconds = time.Since(start).Seconds()
	return res, nil
}

// pick returns h's values for ids, in that order.
func pick(h *holder, ids []string) []float64 {
	at := make(map[string]int, len(h.ids))
	for i, id := range h.ids {
		at[id] = i
	}
	out := make([]float64, len(ids))
	for i, id := range ids {
		out[i] = h.values[at[id]]
	}
	return out
}

// align runs PSI with the bank as receiver and the shop as sender,
// revealing the intersection to both. Each party then sorts the shared IDs
// it learned, so that row k of both aligned columns is the same customer.
// The bank's list is returned; the shop's must be the same, and is checked.
func align(ctx context.Context, proto psi.Protocol, meshes []transport.Mesh, bank, shop *holder, res *result, prog *progress.Meter) ([]string, error) {
	opts := psi.Config{Protocol: proto, Mode: psi.Intersection, RevealToBoth: true}
	bankOpts := opts
	bankOpts.Progress = prog.Items("aligning (bank)")
	var bankRes, shopRes *psi.Result
	err := both(func() error {
		c, err := meshes[0].Conn(1)
		if err != nil {
			return err
		}
		bankRes, err = psi.RunReceiver(ctx, c, psi.Set{Items: psi.Items(bank.ids)}, bankOpts)
		return err
	}, func() error {
		c, err := meshes[1].Conn(0)
		if err != nil {
			return err
		}
		shopRes, err = psi.RunSender(ctx, c, psi.Set{Items: psi.Items(shop.ids)}, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	bankIDs := sortedAt(bank.ids, bankRes.Indices)
	shopIDs := sortedAt(shop.ids, shopRes.Indices)
	if !slices.Equal(bankIDs, shopIDs) {
		return nil, fmt.Errorf("the two parties learned different intersections (%d and %d IDs)", len(bankIDs), len(shopIDs))
	}
	res.psiBytes = bankRes.Stats.BytesSent + shopRes.Stats.BytesSent
	res.psiScheme = psiScheme(proto, len(bankIDs))
	return bankIDs, nil
}

// psiScheme says how the alignment was done.
func psiScheme(proto psi.Protocol, shared int) string {
	scheme := "ECDH private set intersection over ristretto255"
	if proto == psi.KKRT {
		scheme = "OT-based private set intersection (KKRT16)"
	}
	return fmt.Sprintf("%s (package psi), shared IDs revealed to both: %d", scheme, shared)
}

// sortedAt returns ids[i] for i in idx, sorted.
func sortedAt(ids []string, idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = ids[i]
	}
	sort.Strings(out)
	return out
}

// correlate runs correlateParty (linreg.go) as both parties, each with
// correlateAs: the bank inputs x, the shop y; products, the division and
// the square root are computed on shares and only the seven figures are
// opened. Correlated randomness comes from res.prep.
func correlate(ctx context.Context, meshes []transport.Mesh, x, y []float64, res *result) error {
	var dealer *mpc.TrustedDealer
	if res.prep == prepDealer {
		var err error
		if dealer, err = mpc.NewTrustedDealer(2, mpc.DealerConfig{}); err != nil {
			return err
		}
	}
	var out [2]*linReg
	cols := [2][]float64{x, y}
	run := func(i int) func() error {
		return func() error {
			var d mpc.Dealer
			if dealer != nil {
				var err error
				if d, err = dealer.Party(i); err != nil {
					return err
				}
			}
			var err error
			out[i], err = correlateAs(ctx, meshes[i], d, cols[i])
			return err
		}
	}
	if err := both(run(0), run(1)); err != nil {
		return err
	}
	r := out[0]
	if out[1].N != r.N || out[1].Corr != r.Corr || out[1].Slope != r.Slope {
		return errors.New("the two parties opened different results")
	}
	setMPC(res, r, out[0].Stats.Add(out[1].Stats.Stats))
	return nil
}

// setMPC records the MPC phase's result r (any party's) and the traffic
// st of both parties (or of the one running here: it is symmetric).
func setMPC(res *result, r *linReg, st transport.Stats) {
	res.Stats = Stats{N: r.N, MeanX: r.MeanX, MeanY: r.MeanY, Cov: r.Cov, Corr: r.Corr, Slope: r.Slope, Intercept: r.Intercept}
	res.mpcBytes = st.BytesSent
	res.mpcLeakage = r.Leakage
	res.mpcScheme = fmt.Sprintf("additive secret sharing over Z_2^64 with Beaver triples (package mpc), %d messages; "+
		"correlated randomness made %s", st.MessagesSent, res.prep.short())
}

// correlateAs runs the MPC phase as mesh's party: correlated randomness
// from dealer, or when dealer is nil made with the other party over mesh
// by oblivious transfer (mpc.OTDealer, whose setup is counted in the
// returned Stats).
func correlateAs(ctx context.Context, mesh transport.Mesh, dealer mpc.Dealer, column []float64) (*linReg, error) {
	before, start := mesh.Stats(), time.Now()
	if dealer == nil {
		d, err := mpc.NewOTDealer(ctx, mesh, mpc.OTDealerConfig{})
		if err != nil {
			return nil, fmt.Errorf("dealer-free preprocessing: %w", err)
		}
		dealer = d
	}
	var out *linReg
	_, err := mpc.RunParty(ctx, mesh, dealer, mpc.Config{}, func(ctx context.Context, p *mpc.Party) error {
		var err error
		out, err = correlateParty(ctx, p, column)
		return err
	})
	if err != nil {
		return nil, err
	}
	after := mesh.Stats()
	out.Stats = report.Stats{Stats: transport.Stats{
		BytesSent: after.BytesSent - before.BytesSent, BytesReceived: after.BytesReceived - before.BytesReceived,
		MessagesSent: after.MessagesSent - before.MessagesSent, MessagesReceived: after.MessagesReceived - before.MessagesReceived,
	}, Duration: time.Since(start)}
	return out, nil
}

// both runs the two parties' functions at once and returns the first
// error; when one party fails, the other fails promptly too because the
// packages close the connection on error or the context ends.
func both(a, b func() error) error {
	var wg sync.WaitGroup
	var errA, errB error
	wg.Go(func() { errA = a() })
	wg.Go(func() { errB = b() })
	wg.Wait()
	if errA != nil {
		return fmt.Errorf("bank: %w", errA)
	}
	if errB != nil {
		return fmt.Errorf("shop: %w", errB)
	}
	return nil
}

// plainStats is the clear computation, for tests and the placeholder.
func plainStats(x, y []float64) Stats {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxx, syy, sxy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += dx * dx
		syy += dy * dy
		sxy += dx * dy
	}
	s := Stats{N: len(x), MeanX: mx, MeanY: my, Cov: sxy / n}
	s.Corr = sxy / math.Sqrt(sxx*syy)
	s.Slope = sxy / sxx
	s.Intercept = my - s.Slope*mx
	return s
}
