// Command fedavg shows federated averaging with secure aggregation: many
// clients send their model updates (vectors of integers) so that the server
// learns only their sum, even though some clients go offline mid-round.
//
// Every client masks its vector with pairwise masks agreed with its
// neighbours and a self mask, and secret-shares the keys of those masks
// among its neighbours (package mpc/secagg: Bonawitz et al. CCS'17 with the
// SecAgg+ sparse graph of Bell et al. CCS'20). The server adds the masked
// vectors; the masks cancel or are removed with the surviving clients' help,
// and the server learns the sum of the counted clients' vectors and nothing
// else about any one of them, even if it lies about who dropped out and
// colludes with up to the assumed fraction of clients (the clients are
// trusted to send honest updates: one can poison the sum). With -epsilon > 0
// each client also adds its share of distributed differential-privacy noise
// (package dp) before masking.
//
// With no -input the program makes synthetic updates from -seed, so
//
//	go run ./examples/fedavg
//
// runs the whole demo. All parties run in this one process and talk over
// mutual TLS 1.3 on 127.0.0.1 (server = party 0, client i = party i+1).
// Usage:
//
//	fedavg [-input updates.csv] [-clients 100] [-dim 1000]
//	       [-drop-before-input i,j] [-drop-after-input k,l] [-epsilon 0] [-seed 1] [-json]
//
// Each data row of -input (after the header) is one client's vector; client
// indices are 0-based row numbers. -drop-before-input clients vanish before
// sending their masked vector (not counted); -drop-after-input clients
// vanish after it (counted).
//
// To run each party as its own process, give -role server (with -listen,
// -clients and -dim) or -role client (with -connect and -index i, the
// client's 0-based row of -input or of the synthetic data of -seed,
// -clients and -dim):
//
//	fedavg -role server -listen 127.0.0.1:7000 -clients 4 -dim 10
//	fedavg -role client -index 0 -connect 127.0.0.1:7000 -clients 4 -dim 10
//
// The server is party-0 and client i is party-<i+1>; TLS certificates come
// from -tls-cert, -tls-key and -tls-ca, or from a throwaway demo CA that
// the server writes to -demo-certs. The server announces the round's
// parameters; a client checks them against its own expectations (its
// vector length, the default privacy target and corruption rate; with
// -epsilon exactly -clients clients) before it sends anything. With
// -ledger FILE every party ends the run by agreeing on a receipt of the
// round, signed by all parties (package ledger), and appends it to its own
// ledger; with -policy FILE (and -dataset NAME) a client refuses, before it
// connects, a run its usage policy does not allow.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/veil-go/veil/examples/internal/roles"
	"github.com/veil-go/veil/internal/csvio"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// options is the parsed command line.
type options struct {
	input       string
	clients     int
	dim         int
	dropBefore  []int
	dropAfter   []int
	epsilon     float64
	seed        int64
	json        bool
	setClients  bool
	setDim      bool
	updates     [][]int64 // one row per client
	columns     []string  // the -input file's header
	fromFile    bool
	description string

	role, listen, connect   string
	index                   int
	tls                     roles.TLS
	ledger, policy, dataset string
	timeout                 time.Duration
}

// errUsage marks a command-line error.
var errUsage = errors.New("usage")

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("fedavg", flag.ContinueOnError)
	fs.SetOutput(stderr)
	input := fs.String("input", "", "CSV `file` with a header row; each data row is one client's vector of integers (default: synthetic data)")
	clients := fs.Int("clients", 100, "number of clients for synthetic data")
	dim := fs.Int("dim", 1000, "vector length for synthetic data")
	before := fs.String("drop-before-input", "", "comma-separated 0-based `clients` that go offline before sending their masked vector (not counted)")
	after := fs.String("drop-after-input", "", "comma-separated 0-based `clients` that go offline after sending their masked vector (counted)")
	epsilon := fs.Float64("epsilon", 0, "differential-privacy budget of the released sum (distributed noise); 0 releases the exact sum")
	seed := fs.Int64("seed", 1, "seed of the synthetic data")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the report")
	o := &options{}
	fs.StringVar(&o.role, "role", "", "run only this party, as its own process: `server` or client (with -listen or -connect)")
	fs.IntVar(&o.index, "index", -1, "with -role client: this client's 0-based `row` of the updates")
	fs.StringVar(&o.listen, "listen", "", "with -role server: accept the clients on this `address` (host:port)")
	fs.StringVar(&o.connect, "connect", "", "with -role client: the server's `address` (host:port)")
	fs.StringVar(&o.tls.Cert, "tls-cert", "", "with -role: this party's certificate PEM `file` (CN party-0 for the server, party-<i+1> for client i)")
	fs.StringVar(&o.tls.Key, "tls-key", "", "with -role: this party's private key PEM `file`")
	fs.StringVar(&o.tls.CA, "tls-ca", "", "with -role: PEM `file` of the CA every certificate chains to")
	fs.StringVar(&o.tls.DemoCerts, "demo-certs", "veil-demo-certs", "with -role and no -tls-*: `folder` where the server writes a throwaway demo CA and every party's certificate")
	fs.StringVar(&o.ledger, "ledger", "", "with -role: agree on a receipt of the round with every party, all signing it, and append it to this ledger `file` (created if absent; see go run ./cmd/veil)")
	fs.StringVar(&o.policy, "policy", "", "with -role client: this client's usage policy `file` (JSON, see package ledger); a run it does not allow is refused before connecting")
	fs.StringVar(&o.dataset, "dataset", "", "with -policy: this client's dataset `name` in the policy (default: the -input file's name without extension, or synthetic)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "with -role: give up after this long")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	o.input, o.clients, o.dim, o.epsilon, o.seed, o.json = *input, *clients, *dim, *epsilon, *seed, *asJSON
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "clients":
			o.setClients = true
		case "dim":
			o.setDim = true
		}
	})
	if err := checkRoleFlags(o, *before != "" || *after != ""); err != nil {
		return nil, err
	}
	if !(o.epsilon >= 0) || o.epsilon > 1e6 {
		return nil, fmt.Errorf("%w: -epsilon %v must be a number >= 0", errUsage, o.epsilon)
	}
	var err error
	if o.dropBefore, err = csvio.ParseIndices(*before, "client", 0); err != nil {
		return nil, fmt.Errorf("%w: -drop-before-input: %v", errUsage, err)
	}
	if o.dropAfter, err = csvio.ParseIndices(*after, "client", 0); err != nil {
		return nil, fmt.Errorf("%w: -drop-after-input: %v", errUsage, err)
	}
	return o, nil
}

// checkRoleFlags checks the one-process-per-party flags.
func checkRoleFlags(o *options, drops bool) error {
	if o.role == "" {
		if o.listen != "" || o.connect != "" || o.tls.Cert != "" || o.tls.Key != "" || o.tls.CA != "" || o.ledger != "" || o.policy != "" || o.index >= 0 {
			return fmt.Errorf("%w: -listen, -connect, -index, -tls-*, -ledger and -policy need -role server or client", errUsage)
		}
		return nil
	}
	switch {
	case o.role != "server" && o.role != "client":
		return fmt.Errorf("%w: -role %q is not server or client", errUsage, o.role)
	case drops:
		return fmt.Errorf("%w: -drop-before-input and -drop-after-input are for the one-process demo; with -role a client drops out by stopping", errUsage)
	case o.tls.Partial():
		return fmt.Errorf("%w: -tls-cert, -tls-key and -tls-ca: give all three, or none for the demo CA", errUsage)
	case o.timeout <= 0:
		return fmt.Errorf("%w: -timeout %v is not positive", errUsage, o.timeout)
	case o.role == "server" && (o.listen == "" || o.connect != ""):
		return fmt.Errorf("%w: -role server needs -listen (and no -connect)", errUsage)
	case o.role == "server" && (o.input != "" || o.index >= 0 || o.policy != "" || o.epsilon != 0):
		return fmt.Errorf("%w: -role server holds no data: -input, -index, -policy and -epsilon are the clients'", errUsage)
	case o.role == "client" && (o.connect == "" || o.listen != ""):
		return fmt.Errorf("%w: -role client needs -connect (and no -listen)", errUsage)
	case o.role == "client" && o.index < 0:
		return fmt.Errorf("%w: -role client needs -index (its 0-based row)", errUsage)
	}
	return nil
}

// loadUpdates fills o.updates from the CSV file or synthetic data and
// checks the flags against them.
func loadUpdates(o *options) error {
	if o.input != "" {
		t, err := csvio.ReadFile(o.input)
		if err != nil {
			return err
		}
		if len(t.Rows) == 0 {
			return &csvio.Error{File: o.input, Line: 1, Msg: "no data rows (one row per client is needed)", Err: csvio.ErrFormat}
		}
		o.updates = make([][]int64, len(t.Rows))
		for i, row := range t.Rows {
			o.updates[i] = make([]int64, len(row))
			for j, s := range row {
				v, err := csvio.ParseInt(s)
				if err != nil {
					var cause error = csvio.ErrNotNumber
					if errors.Is(err, csvio.ErrOutOfRange) {
						cause = csvio.ErrOutOfRange
					}
					msg := fmt.Sprintf("%q is not an integer", s)
					if cause == csvio.ErrOutOfRange {
						msg = fmt.Sprintf("%q does not fit in 64 bits", s)
					}
					return &csvio.Error{File: o.input, Line: t.Line(i), Column: t.Header[j], Msg: msg, Err: cause}
				}
				o.updates[i][j] = v
			}
		}
		if o.setClients && o.clients != len(t.Rows) {
			return fmt.Errorf("%w: -clients %d but %s has %d data rows", errUsage, o.clients, o.input, len(t.Rows))
		}
		if o.setDim && o.dim != len(t.Header) {
			return fmt.Errorf("%w: -dim %d but %s has %d columns", errUsage, o.dim, o.input, len(t.Header))
		}
		o.clients, o.dim, o.fromFile, o.columns = len(t.Rows), len(t.Header), true, t.Header
		o.description = fmt.Sprintf("%s (%d clients x %d values)", o.input, o.clients, o.dim)
	} else {
		if o.clients < 2 || o.clients > 10000 {
			return fmt.Errorf("%w: -clients %d, need 2..10000", errUsage, o.clients)
		}
		if o.dim < 1 || o.dim > 10_000_000 {
			return fmt.Errorf("%w: -dim %d, need 1..10000000", errUsage, o.dim)
		}
		r, err := csvio.NewSynthetic("fedavg", o.seed) // demo data only, never secret
		if err != nil {
			return err
		}
		o.updates = make([][]int64, o.clients)
		for i := range o.updates {
			o.updates[i] = make([]int64, o.dim)
			for k := range o.updates[i] {
				o.updates[i][k] = int64(r.Uint64()%2001) - 1000 // bias below 2^-53
			}
		}
		o.description = fmt.Sprintf("synthetic updates from -seed %d (%d clients x %d values in [-1000, 1000])", o.seed, o.clients, o.dim)
	}
	if o.clients < 2 {
		return &csvio.Error{File: o.input, Line: 2, Msg: "only 1 data row; secure aggregation needs at least 2 clients (rows)", Err: csvio.ErrFormat}
	}
	for _, l := range [][]int{o.dropBefore, o.dropAfter} {
		for _, i := range l {
			if i >= o.clients {
				return fmt.Errorf("%w: client %d does not exist (clients are 0..%d)", errUsage, i, o.clients-1)
			}
		}
	}
	for _, i := range o.dropBefore {
		if slices.Contains(o.dropAfter, i) {
			return fmt.Errorf("%w: client %d is in both -drop-before-input and -drop-after-input", errUsage, i)
		}
	}
	if o.role == "client" && o.index >= o.clients {
		return fmt.Errorf("%w: -index %d, clients are 0..%d", errUsage, o.index, o.clients-1)
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errUsage) {
			fmt.Fprintln(stderr, "fedavg:", strings.TrimPrefix(err.Error(), "usage: "))
		}
		return 1
	}
	if err := loadUpdates(o); err != nil {
		fmt.Fprintln(stderr, "fedavg:", strings.TrimPrefix(err.Error(), "usage: "))
		return 1
	}
	if o.role != "" {
		if err := runRole(ctx, o, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "fedavg:", err)
			return 1
		}
		return 0
	}
	res, err := aggregate(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "fedavg:", err)
		return 1
	}
	if o.json {
		err = writeJSON(stdout, res)
	} else {
		err = writeReport(stdout, o, res)
	}
	if err != nil {
		fmt.Fprintln(stderr, "fedavg:", err)
		return 1
	}
	return 0
}
