// Command veil inspects Veil's ledgers and receipts.
//
//	veil ledger verify [-json] [-tls-cert F -tls-key F -tls-ca F] FILE
//	veil ledger history [-json] FILE
//	veil ledger budget [-json] -dataset NAME -epsilon E [-delta D] FILE
//	veil receipt verify [-json] -tls-cert F -tls-key F -tls-ca F FILE
//
// "ledger verify" checks a ledger's hash chain and prints its head and the
// remaining budget of every dataset; with an identity (-tls-*) it also
// verifies the signatures of every receipt in it against that identity's
// CA. "ledger history" lists the entries. "ledger budget" sets a dataset's
// total budget (creating the ledger if there is none; what was spent still
// counts) and prints every dataset's. "receipt verify" checks a signed
// receipt file (the bytes of [ledger.SignedReceipt.MarshalBinary]). The
// exit status is 0 when everything verifies, 1 when something does not, 2
// on a usage error. With -json the output is one JSON object.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/transport"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage:
  veil ledger verify [-json] [-tls-cert F -tls-key F -tls-ca F] FILE
  veil ledger history [-json] FILE
  veil ledger budget [-json] -dataset NAME -epsilon E [-delta D] FILE
  veil receipt verify [-json] -tls-cert F -tls-key F -tls-ca F FILE
`

var errUsage = errors.New("usage")

type options struct {
	json                   bool
	tlsCert, tlsKey, tlsCA string
	file                   string
	dataset                string  // ledger budget
	epsilon, delta         float64 // ledger budget
}

func parse(name string, args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.BoolVar(&o.json, "json", false, "print one JSON object")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "PEM `file` of this party's certificate (to verify signatures)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM `file` of its key")
	fs.StringVar(&o.tlsCA, "tls-ca", "", "PEM `file` of the CA the signers' certificates chain to")
	if name == "ledger budget" {
		fs.StringVar(&o.dataset, "dataset", "", "the dataset's `name`")
		fs.Float64Var(&o.epsilon, "epsilon", -1, "its total epsilon budget")
		fs.Float64Var(&o.delta, "delta", 0, "its total delta budget")
	}
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, usage)
		return nil, errUsage
	}
	o.file = fs.Arg(0)
	if name == "ledger budget" && (o.dataset == "" || o.epsilon < 0) {
		fmt.Fprintln(stderr, "ledger budget needs -dataset and -epsilon (>= 0)")
		return nil, errUsage
	}
	n := 0
	for _, s := range []string{o.tlsCert, o.tlsKey, o.tlsCA} {
		if s != "" {
			n++
		}
	}
	if n != 0 && n != 3 {
		fmt.Fprintln(stderr, "-tls-cert, -tls-key and -tls-ca: give all three or none")
		return nil, errUsage
	}
	return o, nil
}

func (o *options) identity() (*transport.Identity, error) {
	if o.tlsCert == "" {
		return nil, nil
	}
	return transport.LoadIdentity(o.tlsCert, o.tlsKey, o.tlsCA)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd := args[0] + " " + args[1]
	o, err := parse(cmd, args[2:], stderr)
	if err != nil {
		return 2
	}
	var out any
	switch cmd {
	case "ledger verify":
		out, err = ledgerVerify(o)
	case "ledger history":
		out, err = ledgerHistory(o)
	case "ledger budget":
		out, err = ledgerBudget(o)
	case "receipt verify":
		if o.tlsCert == "" {
			fmt.Fprintln(stderr, "receipt verify needs -tls-cert, -tls-key and -tls-ca")
			return 2
		}
		out, err = receiptVerify(o)
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
	if o.json {
		res := map[string]any{"ok": err == nil, "file": o.file}
		if err != nil {
			res["error"] = err.Error()
		} else {
			res["result"] = out
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else if err != nil {
		fmt.Fprintf(stderr, "veil %s: %v\n", cmd, err)
	} else {
		printText(stdout, out)
	}
	if err != nil {
		return 1
	}
	return 0
}

// ledgerBudget sets one dataset's budget and returns every dataset's.
func ledgerBudget(o *options) ([]budgetOut, error) {
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DSN: o.file})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	if err := l.SetBudget(ctx, o.dataset, o.epsilon, o.delta); err != nil {
		return nil, err
	}
	return budgets(ctx, l)
}

// budgets is every dataset's budget in l.
func budgets(ctx context.Context, l *ledger.Ledger) ([]budgetOut, error) {
	bs, err := l.Budgets(ctx)
	if err != nil {
		return nil, err
	}
	out := []budgetOut{}
	for _, b := range bs {
		out = append(out, budgetOut(b))
	}
	return out, nil
}

func openExisting(path string) (*ledger.Ledger, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err // never create a ledger where one was expected
	}
	return ledger.Open(context.Background(), ledger.Config{DSN: path})
}

// The JSON shapes of the output.
type (
	verifyOut struct {
		Head             headOut     `json:"head"`
		Entries          int         `json:"entries"`
		Receipts         int         `json:"receipts"`
		ReceiptsVerified bool        `json:"receipts_verified"`
		Budgets          []budgetOut `json:"budgets"`
	}
	headOut struct {
		Seq  int64  `json:"seq"`
		Hash string `json:"hash"`
	}
	budgetOut struct {
		Dataset          string  `json:"dataset"`
		Epsilon          float64 `json:"epsilon"`
		Delta            float64 `json:"delta"`
		SpentEpsilon     float64 `json:"spent_epsilon"`
		SpentDelta       float64 `json:"spent_delta"`
		RemainingEpsilon float64 `json:"remaining_epsilon"`
		RemainingDelta   float64 `json:"remaining_delta"`
		Spends           int     `json:"spends"`
	}
	entryOut struct {
		Seq     int64       `json:"seq"`
		Kind    string      `json:"kind"`
		At      time.Time   `json:"at"`
		Dataset string      `json:"dataset,omitempty"`
		Epsilon float64     `json:"epsilon,omitempty"`
		Delta   float64     `json:"delta,omitempty"`
		Receipt *receiptOut `json:"receipt,omitempty"`
		Hash    string      `json:"hash"`
	}
	receiptOut struct {
		Protocol      string          `json:"protocol"`
		Version       uint32          `json:"version"`
		SecurityModel string          `json:"security_model"`
		Parties       []string        `json:"parties"`
		Start         time.Time       `json:"start"`
		End           time.Time       `json:"end"`
		Spends        []ledger.Spend  `json:"spends,omitempty"`
		Leakage       []string        `json:"leakage,omitempty"`
		Transcript    string          `json:"transcript"`
		Verified      bool            `json:"verified"`
		Signatures    int             `json:"signatures"`
		Digest        string          `json:"digest"`
		Stats         []partyStatsOut `json:"stats"`
	}
	partyStatsOut struct {
		Party         string `json:"party"`
		BytesSent     int64  `json:"bytes_sent"`
		BytesReceived int64  `json:"bytes_received"`
		DurationNS    int64  `json:"duration_ns"`
	}
)

func ledgerVerify(o *options) (*verifyOut, error) {
	id, err := o.identity()
	if err != nil {
		return nil, err
	}
	l, err := openExisting(o.file)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	ctx := context.Background()
	head, err := l.Verify(ctx)
	if err != nil {
		return nil, err
	}
	es, err := l.Entries(ctx)
	if err != nil {
		return nil, err
	}
	out := &verifyOut{Head: headOut{head.Seq, hex.EncodeToString(head.Hash[:])}, Entries: len(es), ReceiptsVerified: id != nil}
	for _, e := range es {
		if e.Kind != ledger.KindReceipt {
			continue
		}
		out.Receipts++
		if id != nil {
			var s ledger.SignedReceipt
			if err := s.UnmarshalBinary(e.Body); err != nil {
				return nil, fmt.Errorf("entry %d: %w", e.Seq, err)
			}
			if err := s.Verify(id); err != nil {
				return nil, fmt.Errorf("entry %d: %w", e.Seq, err)
			}
		}
	}
	if out.Budgets, err = budgets(ctx, l); err != nil {
		return nil, err
	}
	return out, nil
}

func ledgerHistory(o *options) ([]entryOut, error) {
	l, err := openExisting(o.file)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	es, err := l.Entries(context.Background())
	if err != nil {
		return nil, err
	}
	out := []entryOut{}
	for _, e := range es {
		eo := entryOut{Seq: e.Seq, Kind: e.Kind, At: e.At, Dataset: e.Dataset, Epsilon: e.Epsilon, Delta: e.Delta, Hash: hex.EncodeToString(e.Hash[:])}
		if e.Kind == ledger.KindReceipt {
			var s ledger.SignedReceipt
			if err := s.UnmarshalBinary(e.Body); err != nil {
				return nil, fmt.Errorf("entry %d: %w", e.Seq, err)
			}
			eo.Receipt = describe(&s, false)
		}
		out = append(out, eo)
	}
	return out, nil
}

func receiptVerify(o *options) (*receiptOut, error) {
	id, err := o.identity()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(o.file)
	if err != nil {
		return nil, err
	}
	var s ledger.SignedReceipt
	if err := s.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	if err := s.Verify(id); err != nil {
		return nil, err
	}
	return describe(&s, true), nil
}

func describe(s *ledger.SignedReceipt, verified bool) *receiptOut {
	r := &s.Receipt
	d, _ := r.Digest()
	out := &receiptOut{
		Protocol: r.Protocol, Version: r.Version, SecurityModel: r.SecurityModel,
		Start: r.Start, End: r.End, Spends: r.Spends, Transcript: hex.EncodeToString(r.Transcript[:]),
		Verified: verified, Digest: hex.EncodeToString(d[:]),
	}
	for _, sig := range s.Signatures {
		if len(sig.Sig) > 0 {
			out.Signatures++
		}
	}
	for _, p := range r.Parties {
		out.Parties = append(out.Parties, fmt.Sprintf("%s (%s, %x)", p.Name, p.Role, p.Fingerprint[:8]))
		out.Stats = append(out.Stats, partyStatsOut{p.Name, p.Stats.BytesSent, p.Stats.BytesReceived, int64(p.Stats.Duration)})
	}
	for _, l := range r.Leakage {
		out.Leakage = append(out.Leakage, l.String())
	}
	return out
}

func printText(w io.Writer, out any) {
	switch v := out.(type) {
	case *verifyOut:
		fmt.Fprintf(w, "ledger verifies: %d entries, head %d %s\n", v.Entries, v.Head.Seq, v.Head.Hash)
		if v.ReceiptsVerified {
			fmt.Fprintf(w, "%d receipts, every signature verified\n", v.Receipts)
		} else {
			fmt.Fprintf(w, "%d receipts (signatures not checked: give -tls-cert, -tls-key, -tls-ca)\n", v.Receipts)
		}
		printText(w, v.Budgets)
	case []budgetOut:
		for _, b := range v {
			fmt.Fprintf(w, "dataset %q: remaining epsilon %g of %g, delta %g of %g (%d spends)\n",
				b.Dataset, b.RemainingEpsilon, b.Epsilon, b.RemainingDelta, b.Delta, b.Spends)
		}
	case []entryOut:
		for _, e := range v {
			switch e.Kind {
			case ledger.KindReceipt:
				fmt.Fprintf(w, "%4d %s receipt  %s v%d, parties %v, %s\n", e.Seq, e.At.Format(time.RFC3339), e.Receipt.Protocol, e.Receipt.Version, e.Receipt.Parties, e.Receipt.End.Sub(e.Receipt.Start))
			default:
				fmt.Fprintf(w, "%4d %s %-7s %q epsilon %g delta %g\n", e.Seq, e.At.Format(time.RFC3339), e.Kind, e.Dataset, e.Epsilon, e.Delta)
			}
		}
	case *receiptOut:
		fmt.Fprintf(w, "receipt verifies: %s v%d, %d signatures, digest %s\n", v.Protocol, v.Version, v.Signatures, v.Digest)
		for _, p := range v.Parties {
			fmt.Fprintf(w, "  party %s\n", p)
		}
		for _, l := range v.Leakage {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}
