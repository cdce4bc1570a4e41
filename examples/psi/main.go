// Command psi shows two parties, A and B, intersecting their customer lists
// with private set intersection (package psi): neither shows the other its
// list.
//
// A is the receiver: it learns what -mode says and nothing else. B is the
// sender: it holds the -value column and learns only how many distinct IDs A
// has. The modes:
//
//   - intersection: A learns the IDs both hold (written to -out, header id,
//     sorted);
//   - cardinality: A learns how many IDs both hold, not which;
//   - join: A learns the shared IDs and B's -value for each (written to
//     -out, header id plus the value column, sorted by id);
//   - sum: A learns how many IDs both hold and the sum of B's integer
//     -value over them, nothing per ID; with -min-sum k the sum is withheld
//     when fewer than k IDs are shared (the sum of one ID is its value);
//     -lattice-sum lifts the range of values and sum from 2^40 to 2^62
//     (money columns in cents). With both parties in this process the
//     lattice path is picked by itself when B's |values| add up beyond
//     2^40; run as -role b, B refuses such values without -lattice-sum
//     (A cannot see them, and both must run the same path).
//
// With no -a and -b it makes synthetic lists from -seed, so
//
//	go run ./examples/psi
//
// runs the demo. Both parties run in this one process and talk over mutual
// TLS 1.3 on 127.0.0.1. Usage:
//
//	psi -a a.csv -b b.csv [-key id] [-mode intersection|cardinality|join|sum]
//	    [-value amount] [-protocol ecdh|kkrt] [-min-sum k] [-lattice-sum] [-out result.csv] [-json]
//	psi -role a|b -a|-b FILE -listen|-connect ADDR [-tls-cert/-tls-key/-tls-ca]
//	    [-ledger FILE [-opening FILE]] [-policy FILE [-dataset NAME]] ...
//
// To run each party as its own process, give -role and -listen or -connect
// (see -help); TLS certificates come from -tls-cert, -tls-key and -tls-ca, or
// from a throwaway demo CA that the listening side writes to -demo-certs.
// With -ledger FILE each party also ends the run by agreeing with the other
// on a receipt (package ledger), both signing it, and appends it to its own
// ledger; go run ./cmd/veil ledger verify FILE checks one.
// With -opening FILE as well, the party's input enters the receipt as a
// commitment (a salted hash of its IDs, and for B of its -value column as
// the mode uses it), and FILE gets the salt that opens it: the party keeps
// it to show later what it contributed, while the receipt tells no one
// else anything about the input.
// With -policy FILE (and -dataset NAME) a party refuses, before it
// connects, a run its usage policy does not allow.
//
// IDs are compared after trimming white space and collapsing inner runs of
// white space (psi.NormalizeString); nothing else, so "Bob" and "bob" differ.
//
// A run that takes more than a few seconds (ECDH at 2^20 rows takes
// minutes) shows its progress on stderr when stderr is a terminal; it stays
// quiet with -json or when stderr is piped.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/veil-go/veil/examples/internal/roles"
	"github.com/veil-go/veil/psi"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	a, b     string
	key      string
	value    string
	mode     psi.Mode
	protocol psi.Protocol
	out      string
	json     bool
	seed     int64
	rows     int
	timeout  time.Duration
	role     string
	listen   string
	connect  string
	tls      roles.TLS
	minSum   int
	lattice  bool
	// autoLattice: the lattice path was picked from B's data (both
	// parties in this process), not by -lattice-sum.
	autoLattice bool
	ledger      string
	opening     string
	policy      string
	dataset     string
}

var errUsage = errors.New("usage")

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("psi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	var mode, protocol string
	fs.StringVar(&c.a, "a", "", "party A's CSV `file` (the receiver; needs the -key column)")
	fs.StringVar(&c.b, "b", "", "party B's CSV `file` (the sender; needs -key, and -value for join and sum)")
	fs.StringVar(&c.key, "key", "id", "name of the ID `column` in both files")
	fs.StringVar(&mode, "mode", "intersection", "what A learns: intersection, cardinality, join or sum")
	fs.StringVar(&c.value, "value", "amount", "B's `column` joined (join) or summed as integers (sum)")
	fs.StringVar(&protocol, "protocol", "ecdh", "PSI protocol: ecdh or kkrt")
	fs.IntVar(&c.minSum, "min-sum", 0, "with -mode sum: withhold the sum when fewer than this many IDs are shared (both parties must agree)")
	fs.BoolVar(&c.lattice, "lattice-sum", false, "with -mode sum: compute the sum under a lattice key, for sums up to 2^62 (values up to 2^62, their magnitudes adding up to at most 2^62; both parties must agree)")
	fs.StringVar(&c.out, "out", "", "write the shared IDs (intersection) or IDs and values (join) to this CSV `file`")
	fs.BoolVar(&c.json, "json", false, "print one JSON object instead of the report")
	fs.Int64Var(&c.seed, "seed", 1, "seed of the synthetic lists made when no -a and -b are given")
	fs.IntVar(&c.rows, "rows", 1000, "rows per synthetic list")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Minute, "give up after this long")
	fs.StringVar(&c.role, "role", "", "run only party `a` or b, as its own process (with -listen or -connect)")
	roles.PairFlags(fs, &c.listen, &c.connect, &c.tls, &c.ledger, &c.policy)
	fs.StringVar(&c.opening, "opening", "", "with -role and -ledger: commit to this party's input in the receipt (a salted hash), and write the salt that opens it to this `file`, to keep")
	fs.StringVar(&c.dataset, "dataset", "", "with -policy: this party's dataset `name` in the policy (default: its file's name without extension)")
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	if c.mode, err = psi.ParseMode(mode); err != nil {
		return nil, fmt.Errorf("-mode: %q is not intersection, cardinality, join or sum", mode)
	}
	if c.protocol, err = psi.ParseProtocol(protocol); err != nil {
		return nil, fmt.Errorf("-protocol: %q is not ecdh or kkrt", protocol)
	}
	usesValue := c.mode == psi.Join || c.mode == psi.Sum
	switch {
	case c.key == "":
		return nil, errors.New("-key: empty column name")
	case set["value"] && !usesValue:
		return nil, fmt.Errorf("-value is used only by -mode join and sum, not %s", c.mode)
	case usesValue && c.value == "":
		return nil, fmt.Errorf("-value: -mode %s needs B's value column", c.mode)
	case c.lattice && c.mode != psi.Sum:
		return nil, fmt.Errorf("-lattice-sum is for -mode sum, not %s", c.mode)
	case c.out != "" && usesValue && c.mode == psi.Sum, c.out != "" && c.mode == psi.Cardinality:
		return nil, fmt.Errorf("-out: -mode %s writes nothing per ID", c.mode)
	case c.rows < 0:
		return nil, fmt.Errorf("-rows: %d is negative", c.rows)
	case c.timeout <= 0:
		return nil, fmt.Errorf("-timeout: %v is not positive", c.timeout)
	}
	if c.role == "" {
		switch {
		case (c.a == "") != (c.b == ""):
			return nil, errors.New("-a and -b: give both files, or neither for synthetic data")
		case c.listen != "" || c.connect != "" || c.tls.Cert != "" || c.tls.Key != "" || c.tls.CA != "" || c.ledger != "" || c.policy != "" || c.opening != "":
			return nil, errors.New("-listen, -connect, -tls-*, -ledger and -policy need -role a or b (so does -opening)")
		case (set["seed"] || set["rows"]) && c.a != "":
			return nil, errors.New("-seed and -rows are for synthetic data, without -a and -b")
		}
		return c, nil
	}
	switch {
	case c.role != "a" && c.role != "b":
		return nil, fmt.Errorf("-role: %q is not a or b", c.role)
	case (c.listen == "") == (c.connect == ""):
		return nil, errors.New("-role: give exactly one of -listen and -connect")
	case c.role == "a" && c.b != "", c.role == "b" && c.a != "":
		return nil, fmt.Errorf("-role %s: give only this party's file (-%s)", c.role, c.role)
	case c.tls.Partial():
		return nil, errors.New("-tls-cert, -tls-key and -tls-ca: give all three, or none for the demo CA")
	case c.role == "b" && c.mode == psi.Intersection && c.out != "", c.role == "b" && c.mode == psi.Join && c.out != "":
		return nil, errors.New("-out: party B learns nothing per ID; give -out to party A")
	case c.opening != "" && c.ledger == "":
		return nil, errors.New("-opening commits to the input in the receipt: it needs -ledger")
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, errUsage) {
		return 2
	}
	if err == nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		ctx, cancel := context.WithTimeout(ctx, c.timeout)
		defer cancel()
		if c.role != "" {
			err = runRole(ctx, c, stdout, stderr)
		} else {
			err = runBoth(ctx, c, stdout, stderr)
		}
	}
	if err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "psi") {
			msg = "psi: " + msg
		}
		fmt.Fprintln(stderr, msg)
		return 1
	}
	return 0
}

// load reads the parties' files, or makes synthetic ones.
func load(c *config) (a, b *party, err error) {
	valueCol := ""
	if c.mode == psi.Join || c.mode == psi.Sum {
		valueCol = c.value
	}
	if c.a == "" && c.b == "" {
		a, b = synthetic(c.seed, c.rows)
		if valueCol == "" {
			b.values = nil
		}
		return a, b, nil
	}
	if c.a != "" {
		if a, err = readParty(c.a, c.key, ""); err != nil {
			return nil, nil, err
		}
	}
	if c.b != "" {
		if b, err = readParty(c.b, c.key, valueCol); err != nil {
			return nil, nil, err
		}
	}
	return a, b, nil
}

// senderSet builds B's input for the mode. In sum mode it also picks the
// path (see sumPath).
func senderSet(c *config, b *party) (psi.Set, error) {
	set := psi.Set{Items: psi.Items(b.ids)}
	var err error
	switch c.mode {
	case psi.Join:
		set.Payloads, err = b.payloads(c.value)
	case psi.Sum:
		// Parse in the lattice range when this process may still pick the
		// lattice path (both parties here), else in ElGamal's.
		if set.Values, err = b.ints(c.value, c.lattice || c.role == ""); err == nil {
			err = sumPath(c, b, set.Values)
		}
	}
	return set, err
}

// sumPath picks the sum path by B's data: the sum of B's |values| bounds
// every sum A can get, so when it exceeds what the ElGamal path decodes
// (psi.DefaultMaxSum, 2^40, A's default bound) the run needs -lattice-sum.
// With both parties in this process the choice is made here, for both. As
// B's own process (-role b) it cannot be: A does not see B's data, and
// both must run the same path (the first message checks it), so B refuses
// before connecting and says to give both -lattice-sum. The alternative, a
// run whose sum fails to decode at A after the stream, would show B that
// the shared IDs' sum exceeds 2^40.
func sumPath(c *config, b *party, values []int64) error {
	if c.lattice {
		return nil
	}
	var abs uint64
	for _, v := range values {
		if v < 0 {
			abs += uint64(-v)
		} else {
			abs += uint64(v)
		}
		if abs > psi.DefaultMaxSum {
			break
		}
	}
	switch {
	case abs <= psi.DefaultMaxSum:
		return nil
	case c.role == "":
		c.lattice, c.autoLattice = true, true
		return nil
	}
	return fmt.Errorf("%s: the magnitudes of B's %q add up beyond 2^40, more than a sum without -lattice-sum decodes: run both parties with -lattice-sum", b.name, c.value)
}

// outcome is what the run produced, for the report.
type outcome struct {
	a, b      *party
	recv      *psi.Result // A's result (nil when running as B)
	send      *psi.Result // B's result (nil when running as A)
	shared    []string    // shared IDs, sorted (intersection, join)
	values    []string    // B's value of each shared ID (join)
	seconds   float64
	bytes     int64
	transport string
	receipt   string // the receipt's digest (hex), with -ledger
}

// opts is the psi configuration of a run; progress, if not nil, receives
// this party's progress.
func opts(c *config, progress func(done, total int)) psi.Config {
	return psi.Config{Protocol: c.protocol, Mode: c.mode, MinSumCardinality: c.minSum, LatticeSum: c.lattice, Progress: progress}
}

// runBoth runs A and B in this process over loopback.
func runBoth(ctx context.Context, c *config, stdout, stderr io.Writer) error {
	a, b, err := load(c)
	if err != nil {
		return err
	}
	set, err := senderSet(c, b)
	if err != nil {
		return err
	}
	ca, cb, closeAll, desc, err := loopback(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	start := time.Now()
	o := &outcome{a: a, b: b, transport: desc}
	done := make(chan error, 1)
	go func() {
		var err error
		o.send, err = psi.RunSender(ctx, cb, set, opts(c, nil))
		if err != nil {
			cb.Close()
		}
		done <- err
	}()
	o.recv, err = psi.RunReceiver(ctx, ca, psi.Set{Items: psi.Items(a.ids)}, opts(c, progressFor(c, stderr, "A")))
	if err != nil {
		ca.Close()
	}
	if errB := <-done; err == nil && errB != nil {
		err = errB
	}
	if err != nil {
		return err
	}
	o.seconds = time.Since(start).Seconds()
	o.bytes = o.recv.Stats.BytesSent + o.recv.Stats.BytesReceived
	return finish(c, o, stdout)
}

// finish writes -out and the report.
func finish(c *config, o *outcome, stdout io.Writer) error {
	if o.recv != nil {
		o.shared, o.values = sharedRows(o.a, o.recv)
		if c.out != "" {
			if err := writeOut(c, o); err != nil {
				return err
			}
		}
	}
	if c.json {
		return writeJSON(stdout, c, o)
	}
	writeReport(stdout, c, o)
	return nil
}
