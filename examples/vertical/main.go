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
//	         [-protocol kkrt|ecdh] [-rows 2000] [-seed 1] [-timeout 10m]
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
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if (c.a == "") != (c.b == "") {
		return nil, fmt.Errorf("%w: give both -a and -b (or neither, for synthetic data)", errUsage)
	}
	if c.a != "" && set["rows"] {
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
	return c, nil
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

	bank, shop, err := loadParties(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "vertical: %v\n", err)
		return 1
	}
	start := time.Now()
	res, err := compute(ctx, cfg.protocol, bank, shop, progress.New(stderr, "vertical", cfg.json))
	if err != nil {
		fmt.Fprintf(stderr, "vertical: %v\n", err)
		return 1
	}
	res.seconds = time.Since(start).Seconds()
	if cfg.json {
		if err := json.NewEncoder(stdout).Encode(res.Stats); err != nil {
			fmt.Fprintf(stderr, "vertical: %v\n", err)
			return 1
		}
		return 0
	}
	writeReport(stdout, cfg, bank, shop, res)
	return 0
}
