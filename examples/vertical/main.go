// Command vertical shows a bank and a shop that hold different columns
// about partly the same customers correlating income (at the bank) with
// spending (at the shop) without showing each other their columns.
//
// First private set intersection (package psi, OT-based KKRT by default,
// ECDH with -protocol ecdh) aligns the customers both hold: both parties
// learn which IDs they share and how many IDs the other holds, nothing
// about the other IDs. Then secret-sharing MPC (package mpc) computes, over the
// aligned rows, the count, both means, the covariance, Pearson's
// correlation and the least-squares line of y on x; products across the
// two parties, the division and the square root happen on shares, and only
// these seven figures are opened.
//
// With no -a and -b it makes synthetic data from -seed, so
//
//	go run ./examples/vertical
//
// runs the demo. Both parties run in this one process and talk over mutual
// TLS 1.3 on 127.0.0.1. When stderr is a terminal and -json is not given,
// the phases and the alignment's progress are shown there. Usage:
//
//	vertical -a bank.csv -b shop.csv [-key id] [-x income] [-y spend] [-json]
//	         [-protocol kkrt|ecdh] [-preprocessing ot|dealer] [-rows 2000]
//	         [-seed 1] [-timeout 10m]
//
// The MPC phase's correlated randomness (Beaver triples, division pairs,
// the random bits behind comparison) is made by the two parties
// themselves with oblivious transfer by default (-preprocessing ot: no
// third party; semi-honest parties, dishonest majority), or comes from a
// trusted dealer in this process (-preprocessing dealer: a trusted third
// party that must not collude with either). The report says which.
//
// To run each party as its own process, give -role a (the bank, with -a)
// or -role b (the shop, with -b) and -listen or -connect, as
// examples/psi does: TLS certificates from -tls-cert, -tls-key and
// -tls-ca, or a throwaway demo CA that the listening side writes to
// -demo-certs. Without a file a party uses its half of the synthetic data
// of -seed and -rows. With -ledger FILE both parties agree on a receipt of
// the run, both sign it, and each appends it to its ledger; with -policy
// FILE (and -dataset NAME) a party refuses, before it connects, a run its
// usage policy does not allow (protocol psi, mode intersection, on the ID
// column, and protocol mpc, mode correlation, on the ID and value
// columns). With -role the preprocessing is ot: there is no dealer
// process.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/veil-go/veil/examples/internal/roles"
	"github.com/veil-go/veil/internal/progress"
	"github.com/veil-go/veil/psi"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	a, b     string
	key      string
	x, y     string
	seed     int64
	rows     int
	json     bool
	timeout  time.Duration
	protocol psi.Protocol
	prep     preprocessing

	role, listen, connect   string
	tls                     roles.TLS
	ledger, policy, dataset string
}

var errUsage = errors.New("usage")

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("vertical", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	fs.StringVar(&c.a, "a", "", "the bank's CSV `file` (ID column and -x column)")
	fs.StringVar(&c.b, "b", "", "the shop's CSV `file` (ID column and -y column)")
	fs.StringVar(&c.key, "key", "id", "name of the ID `column` in both files")
	fs.StringVar(&c.x, "x", "income", "the bank's numeric `column`")
	fs.StringVar(&c.y, "y", "spend", "the shop's numeric `column`")
	fs.Int64Var(&c.seed, "seed", 1, "seed of the synthetic data (without -a and -b)")
	fs.IntVar(&c.rows, "rows", 2000, "customers per party in the synthetic data")
	fs.BoolVar(&c.json, "json", false, "print one JSON object instead of the report")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Minute, "give up after this long")
	proto := fs.String("protocol", "kkrt", "PSI protocol for the alignment: kkrt (OT-based, fast) or ecdh")
	prep := fs.String("preprocessing", "ot", "where the MPC phase's correlated randomness comes from: ot (made by the parties by oblivious transfer, no third party) or dealer (a trusted dealer in this process)")
	fs.StringVar(&c.role, "role", "", "run only party `a` (the bank) or b (the shop), as its own process (with -listen or -connect)")
	roles.PairFlags(fs, &c.listen, &c.connect, &c.tls, &c.ledger, &c.policy)
	fs.StringVar(&c.dataset, "dataset", "", "with -policy: this party's dataset `name` in the policy (default: its file's name without extension, or \"synthetic\")")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := c.checkRole(); err != nil {
		return nil, err
	}
	if c.a != "" && set["rows"] || c.b != "" && set["rows"] {
		return nil, fmt.Errorf("%w: -rows applies to synthetic data only, not with -a and -b", errUsage)
	}
	if c.rows < 2 || c.rows > 10_000_000 {
		return nil, fmt.Errorf("%w: -rows %d: need 2 to 10000000", errUsage, c.rows)
	}
	for name, v := range map[string]string{"key": c.key, "x": c.x, "y": c.y} {
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("%w: -%s is empty", errUsage, name)
		}
	}
	var err error
	if c.protocol, err = psi.ParseProtocol(*proto); err != nil {
		return nil, fmt.Errorf("%w: -protocol %q: want kkrt or ecdh", errUsage, *proto)
	}
	if c.timeout <= 0 {
		return nil, fmt.Errorf("%w: -timeout must be positive", errUsage)
	}
	switch c.prep = preprocessing(*prep); c.prep {
	case prepOT, prepDealer:
	default:
		return nil, fmt.Errorf("%w: -preprocessing %q: want ot or dealer", errUsage, *prep)
	}
	if c.role != "" && c.prep != prepOT {
		return nil, fmt.Errorf("%w: -role needs -preprocessing ot: with one process per party there is no dealer process", errUsage)
	}
	return c, nil
}

// checkRole checks the flags of one party per process (-role) against
// those of both parties in this process.
func (c *config) checkRole() error {
	if c.role == "" {
		switch {
		case (c.a == "") != (c.b == ""):
			return fmt.Errorf("%w: give both -a and -b (or neither, for synthetic data)", errUsage)
		case c.listen != "" || c.connect != "" || c.tls.Cert != "" || c.tls.Key != "" || c.tls.CA != "" || c.ledger != "" || c.policy != "" || c.dataset != "":
			return fmt.Errorf("%w: -listen, -connect, -tls-*, -ledger, -policy and -dataset need -role a or b", errUsage)
		}
		return nil
	}
	switch {
	case c.role != "a" && c.role != "b":
		return fmt.Errorf("%w: -role %q: want a (the bank) or b (the shop)", errUsage, c.role)
	case (c.listen == "") == (c.connect == ""):
		return fmt.Errorf("%w: -role: give exactly one of -listen and -connect", errUsage)
	case c.role == "a" && c.b != "", c.role == "b" && c.a != "":
		return fmt.Errorf("%w: -role %s: give only this party's file (-%s)", errUsage, c.role, c.role)
	case c.tls.Partial():
		return fmt.Errorf("%w: -tls-cert, -tls-key and -tls-ca: give all three, or none for the demo CA", errUsage)
	case c.dataset != "" && c.policy == "":
		return fmt.Errorf("%w: -dataset names this party's dataset in -policy; give -policy too", errUsage)
	}
	return nil
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "vertical: %s\n", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		}
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	if cfg.role != "" {
		err = runRole(ctx, cfg, stdout, stderr)
	} else {
		err = runBoth(ctx, cfg, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vertical: %v\n", err)
		return 1
	}
	return 0
}

// runBoth runs the bank and the shop in this process.
func runBoth(ctx context.Context, cfg *config, stdout, stderr io.Writer) error {
	bank, shop, err := loadParties(cfg)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := compute(ctx, cfg.protocol, cfg.prep, bank, shop, progress.New(stderr, "vertical", cfg.json))
	if err != nil {
		return err
	}
	res.seconds = time.Since(start).Seconds()
	return output(stdout, cfg, bank, shop, res)
}

// jsonReport is what -json prints: the seven figures, how the correlated
// randomness was made and what that assumes, and with -role the party and
// its receipt.
type jsonReport struct {
	Stats
	Preprocessing      preprocessing `json:"preprocessing"`
	PreprocessingModel string        `json:"preprocessing_model"`
	Role               string        `json:"role,omitempty"`
	Receipt            string        `json:"receipt,omitempty"`
	Seconds            float64       `json:"seconds"`
}

func output(stdout io.Writer, cfg *config, bank, shop *holder, res *result) error {
	if cfg.json {
		return json.NewEncoder(stdout).Encode(jsonReport{Stats: res.Stats, Preprocessing: res.prep,
			PreprocessingModel: res.prep.model(), Role: res.role, Receipt: res.receipt, Seconds: res.seconds})
	}
	writeReport(stdout, cfg, bank, shop, res)
	return nil
}
