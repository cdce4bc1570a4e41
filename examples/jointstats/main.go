// Command jointstats shows how several hospitals compute the count, sum,
// mean and variance of one column of their records without pooling them.
//
// Each input CSV file is one party. Every party encrypts its local count,
// sum and sum of squares under a joint threshold key (package he, BGV); an
// aggregator that holds no key adds the ciphertexts up, and any -threshold
// of the key holders decrypt the totals together, so no party and not the
// aggregator ever sees another party's rows or subtotals. Parties listed in
// -drop go offline after sending their ciphertexts; their data still
// counts. With -epsilon > 0 every party adds its share of distributed
// differential-privacy noise (package dp's Skellam, or with -noise gaussian
// the distributed discrete Gaussian, through he.Noise) to its own totals
// inside the round, before encrypting, calibrated so that the shares of
// -min-honest honest parties meet (-epsilon, -delta) for count, sum and sum
// of squares together, with values clamped to the public -bounds; -epsilon
// 0 releases exact values (summed in he.MomentsEncoding's wide limbs, exact
// for up to 2^32 rows of any value per party).
//
// Security model: semi-honest parties and aggregator (as in package he);
// the round runs with he.Round.SemiHonestContributions, skipping he's
// proofs that each ciphertext is well formed (without them a party that
// crafted one could learn the round's key from the released totals). The
// proofs would move this demo from IntLogN13 to IntLogN14 and add about
// 14 MB and a second of work per hospital, for parties that all run this
// program anyway. The joint totals are revealed to everyone, nothing else.
// Decimals with up to two fraction digits are summed exactly (as integers
// in cents).
//
// With no -input the program makes synthetic data from -seed, so
//
//	go run ./examples/jointstats
//
// runs the whole demo. -seed fixes the synthetic data only: the DP noise
// comes from crypto/rand, so with -epsilon > 0 no two runs release the same
// figures. All parties run in this one process and talk over
// mutual TLS 1.3 on 127.0.0.1. Usage:
//
//	jointstats [-input a.csv,b.csv,...] [-column value] [-parties 3] [-rows 10000]
//	           [-threshold T] [-drop i,j] [-epsilon 1] [-delta 1e-6] [-noise skellam|gaussian]
//	           [-min-honest H] [-seed 1] [-bounds lo,hi] [-json]
//
// To run each party as its own process, start the aggregator with -role hub
// -listen ADDR and each hospital with -role party -index K -connect ADDR
// (and its own -input file, or its part of the synthetic data), every one
// with the same -parties, -threshold, -epsilon, -delta, -noise, -min-honest,
// -bounds and -column. TLS certificates come from -tls-cert, -tls-key and
// -tls-ca (common names aggregator and hospital-K), or from a throwaway
// demo CA that the hub writes to -demo-certs. With -ledger FILE every party ends the run by
// agreeing on one receipt (package ledger) that all sign, and appends it to
// its own ledger; a hospital first spends -epsilon from its dataset's
// budget there (set with go run ./cmd/veil ledger budget), and a run the
// budget does not cover is refused before it connects. With -policy FILE
// (and -dataset NAME) a hospital refuses, before it connects, a run its
// usage policy does not allow. With -opening FILE a hospital's receipt
// carries a commitment to its column (a salted hash), and FILE the salt
// that opens it, for the hospital to keep.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/veil-go/veil/examples/internal/roles"
	"github.com/veil-go/veil/internal/csvio"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is the parsed command line.
type config struct {
	inputs    []string
	column    string
	parties   int
	rows      int
	threshold int
	drop      []int
	epsilon   float64
	delta     float64
	noise     string // "skellam" or "gaussian"
	minHonest int
	seed      int64
	lo, hi    int64 // public bounds on one value, scaled by csvio.Scale
	json      bool

	// One process per party (-role): see roles.go.
	role    string // "", "hub" or "party"
	index   int    // with -role party: this hospital's number, 0..parties-1
	listen  string
	connect string
	tls     roles.TLS
	ledger  string
	policy  string
	dataset string
	opening string
	timeout time.Duration
	proc    *process // the role's network state, set by runRole
}

// errUsage marks a command-line error (exit status 1 with the message).
var errUsage = errors.New("usage")

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("jointstats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	input := fs.String("input", "", "comma-separated CSV `files`, one per party (default: synthetic data)")
	column := fs.String("column", "value", "name of the numeric `column` (integers or decimals with up to 2 fraction digits)")
	parties := fs.Int("parties", 3, "number of parties when generating synthetic data")
	rows := fs.Int("rows", 10000, "rows per party when generating synthetic data")
	threshold := fs.Int("threshold", 0, "any `T` parties can decrypt the totals together (default: all parties)")
	drop := fs.String("drop", "", "comma-separated 0-based `parties` that go offline after sending their ciphertexts")
	epsilon := fs.Float64("epsilon", 1, "total differential-privacy budget for the released figures; 0 releases exact values")
	delta := fs.Float64("delta", 1e-6, "with -epsilon > 0: the delta of the (epsilon, delta) guarantee of the distributed noise, in (0, 1)")
	noise := fs.String("noise", "skellam", "with -epsilon > 0: the distributed noise each hospital adds a share of, `skellam` or gaussian (distributed discrete Gaussian)")
	minHonest := fs.Int("min-honest", 0, "with -epsilon > 0: the `number` of honest hospitals whose noise shares alone carry the guarantee (default: all parties); fewer counted hospitals and the totals are not decrypted")
	seed := fs.Int64("seed", 1, "seed of the synthetic data")
	bounds := fs.String("bounds", "0,300", "public `lo,hi` bounds of one value, for the DP noise scale (values are clamped to them when -epsilon > 0)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the report")
	role := fs.String("role", "", "run only one party as its own process: `hub` (the aggregator, with -listen) or party (a hospital, with -index and -connect)")
	index := fs.Int("index", -1, "with -role party: this hospital's `number`, 0 to -parties minus 1")
	listen := fs.String("listen", "", "with -role hub: accept the hospitals on this `address` (host:port)")
	connect := fs.String("connect", "", "with -role party: the hub's `address` (host:port)")
	tlsCert := fs.String("tls-cert", "", "with -role: this party's certificate PEM `file` (CN aggregator or hospital-N)")
	tlsKey := fs.String("tls-key", "", "with -role: this party's private key PEM `file`")
	tlsCA := fs.String("tls-ca", "", "with -role: PEM `file` of the CA every certificate chains to")
	demoCerts := fs.String("demo-certs", "veil-demo-certs", "with -role and no -tls-*: `folder` where the hub writes a throwaway demo CA and every party's certificate")
	ledgerFile := fs.String("ledger", "", "with -role: agree on a receipt of the run with every party, all signing it, and append it to this ledger `file`; a hospital spends -epsilon from its dataset's budget there before it sends anything (every party must give -ledger)")
	policy := fs.String("policy", "", "with -role party: this hospital's usage policy `file` (JSON, see package ledger); a run it does not allow is refused before connecting")
	dataset := fs.String("dataset", "", "with -role party: this hospital's dataset `name` in its ledger and policy (default: its file's name without extension, or synthetic-N)")
	opening := fs.String("opening", "", "with -role party and -ledger: commit to this hospital's column in the receipt (a salted hash), and write the salt that opens it to this `file`, to keep")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	c := &config{column: *column, parties: *parties, rows: *rows, threshold: *threshold,
		epsilon: *epsilon, delta: *delta, noise: *noise, minHonest: *minHonest, seed: *seed, json: *asJSON,
		role: *role, index: *index, listen: *listen, connect: *connect,
		tls: roles.TLS{Cert: *tlsCert, Key: *tlsKey, CA: *tlsCA, DemoCerts: *demoCerts}, ledger: *ledgerFile, policy: *policy, dataset: *dataset, opening: *opening, timeout: *timeout}
	if err := c.checkRole(set); err != nil {
		return nil, err
	}
	if *input != "" {
		for _, f := range strings.Split(*input, ",") {
			if f = strings.TrimSpace(f); f == "" {
				return nil, fmt.Errorf("%w: -input %q has an empty file name", errUsage, *input)
			}
			c.inputs = append(c.inputs, f)
		}
		if set["rows"] {
			return nil, fmt.Errorf("%w: -rows applies to synthetic data only, not with -input", errUsage)
		}
	}
	if c.role == "party" {
		if len(c.inputs) > 1 {
			return nil, fmt.Errorf("%w: -role party: -input names %d files; give only this hospital's", errUsage, len(c.inputs))
		}
	} else if len(c.inputs) > 0 {
		if set["parties"] && c.parties != len(c.inputs) {
			return nil, fmt.Errorf("%w: -parties %d but -input names %d files (each file is one party)", errUsage, c.parties, len(c.inputs))
		}
		c.parties = len(c.inputs)
	}
	if c.role == "" && len(c.inputs) == 1 {
		return nil, fmt.Errorf("%w: -input names one file; each file is one party and joint statistics need at least 2", errUsage)
	}
	if c.parties < 2 || c.parties > maxParties {
		return nil, fmt.Errorf("%w: -parties %d: need 2 to %d parties", errUsage, c.parties, maxParties)
	}
	if c.rows < 1 || c.rows > maxRows {
		return nil, fmt.Errorf("%w: -rows %d: need 1 to %d", errUsage, c.rows, maxRows)
	}
	if !set["threshold"] {
		c.threshold = c.parties
	}
	if c.threshold < 2 || c.threshold > c.parties {
		return nil, fmt.Errorf("%w: -threshold %d: need 2 to %d (the number of parties); one party alone must not be able to decrypt", errUsage, c.threshold, c.parties)
	}
	var err error
	if c.drop, err = csvio.ParseIndices(*drop, "party", c.parties); err != nil {
		return nil, fmt.Errorf("%w: -drop: %v", errUsage, err)
	}
	if online := c.parties - len(c.drop); online < c.threshold {
		return nil, fmt.Errorf("%w: -drop leaves %d parties online, fewer than -threshold %d: the totals could not be decrypted", errUsage, online, c.threshold)
	}
	if math.IsNaN(c.epsilon) || math.IsInf(c.epsilon, 0) || c.epsilon < 0 {
		return nil, fmt.Errorf("%w: -epsilon %v: need a finite value >= 0", errUsage, c.epsilon)
	}
	if !(c.delta > 0 && c.delta < 1) {
		return nil, fmt.Errorf("%w: -delta %v: need a value in (0, 1)", errUsage, c.delta)
	}
	if c.noise != "skellam" && c.noise != "gaussian" {
		return nil, fmt.Errorf("%w: -noise %q: need skellam or gaussian", errUsage, c.noise)
	}
	if !set["min-honest"] {
		c.minHonest = c.parties
	}
	if c.minHonest < 1 || c.minHonest > c.parties {
		return nil, fmt.Errorf("%w: -min-honest %d: need 1 to %d (the number of parties)", errUsage, c.minHonest, c.parties)
	}
	if c.lo, c.hi, err = parseBounds(*bounds); err != nil {
		return nil, fmt.Errorf("%w: -bounds %q: %v", errUsage, *bounds, err)
	}
	if c.role == "party" && c.index >= c.parties {
		return nil, fmt.Errorf("%w: -index %d: need 0 to %d (-parties %d)", errUsage, c.index, c.parties-1, c.parties)
	}
	return c, nil
}

const (
	maxParties = 64
	maxRows    = 10_000_000
)

// run is the whole program; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "jointstats: %s\n", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		}
		return 1 // flag errors are printed by the flag package
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	if cfg.role != "" {
		if err := runRole(ctx, cfg, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "jointstats: %v\n", err)
			return 1
		}
		return 0
	}
	parties, err := loadParties(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "jointstats: %v\n", err)
		return 1
	}
	start := time.Now()
	res, err := compute(ctx, cfg, parties)
	if err != nil {
		fmt.Fprintf(stderr, "jointstats: %v\n", err)
		return 1
	}
	res.Seconds = time.Since(start).Seconds()
	if cfg.json {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(res.jsonOutput()); err != nil {
			fmt.Fprintf(stderr, "jointstats: %v\n", err)
			return 1
		}
		return 0
	}
	writeReport(stdout, cfg, parties, res)
	return 0
}

// parseBounds parses "lo,hi" (decimals with up to 2 fraction digits) into
// scaled values with lo < hi.
func parseBounds(s string) (lo, hi int64, err error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, errors.New("want lo,hi")
	}
	if lo, err = csvio.ParseDecimal(a); err != nil {
		return 0, 0, err
	}
	if hi, err = csvio.ParseDecimal(b); err != nil {
		return 0, 0, err
	}
	if lo >= hi {
		return 0, 0, errors.New("lo must be below hi")
	}
	// The square of a bound, in cents squared, must fit in an int64.
	const limit = 1e7 * csvio.Scale
	if lo < -limit || hi > limit {
		return 0, 0, fmt.Errorf("bounds beyond ±%d are not supported", int64(limit/csvio.Scale))
	}
	return lo, hi, nil
}
