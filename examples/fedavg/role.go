package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/veil-go/veil/examples/internal/roles"
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/mpc/secagg"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// One process per party (-role server|client). The server is party 0 and
// client -index i is party i+1, with the certificate common names of
// transport.PartyName (party-0, party-1, ...). The server announces the
// round's parameters; each client joins on that announcement, checked
// against what it expects (its vector length, at least the default
// privacy target and corruption rate, and with -epsilon exactly -clients
// clients, for which its noise is calibrated).

// securityModel is what the receipt states.
const securityModel = "secagg: server malicious for privacy (signed keys, consistency step, committed graph nonces), colluding with up to the assumed fraction of clients; clients honest for correctness"

// runRole runs this party as its own process.
func runRole(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if o.role == "client" {
		if err := checkPolicy(o); err != nil { // before any connection
			return err
		}
	}
	id, err := roleIdentity(ctx, o, stderr)
	if err != nil {
		return err
	}
	want := o.selfName()
	if id.Name() != want {
		return fmt.Errorf("-tls-cert names %q, this party must be %q", id.Name(), want)
	}
	var led *ledger.Ledger
	if o.ledger != "" { // before any message: a ledger that does not open stops the run
		if led, err = ledger.Open(ctx, ledger.Config{DSN: o.ledger}); err != nil {
			return err
		}
		defer led.Close()
	}
	var out *outcome
	if o.role == "server" {
		out, err = serveRound(ctx, o, id, led, stderr)
	} else {
		out, err = joinRound(ctx, o, id, led)
	}
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(stdout, out)
	}
	return writeRoleReport(stdout, o, out)
}

// selfName is this party's certificate name.
func (o *options) selfName() string {
	if o.role == "server" {
		return transport.PartyName(0)
	}
	return transport.PartyName(o.index + 1)
}

// serveRound runs the server: it accepts every client, runs the round and,
// with -ledger, agrees on the receipt with all of them.
func serveRound(ctx context.Context, o *options, id *transport.Identity, led *ledger.Ledger, stderr io.Writer) (*outcome, error) {
	start := time.Now()
	p, err := secagg.NewParams(secagg.Config{Clients: o.clients, Length: o.dim, Graph: secagg.SparseGraph, RoundTimeout: o.timeout})
	if err != nil {
		return nil, err
	}
	l, err := transport.Listen(o.listen, id, transport.Options{})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	fmt.Fprintf(stderr, "fedavg: server listening on %s for %d clients\n", l.Addr(), o.clients)
	addrs := make([]string, o.clients+1)
	addrs[0] = l.Addr().String()
	mesh, err := transport.DialMesh(ctx, transport.MeshConfig{Self: 0, Addrs: addrs, Identity: id, Star: true, Listener: l})
	if err != nil {
		return nil, err
	}
	defer mesh.Close()
	res, err := secagg.RunServer(ctx, mesh, p, id)
	if err != nil {
		if errors.Is(err, secagg.ErrTooManyDropouts) {
			return nil, fmt.Errorf("round aborted, no sum revealed: %w", err)
		}
		return nil, err
	}
	out := &outcome{
		clients:        o.clients,
		sum:            secagg.ToInt64s(res.Sum),
		bytesPerClient: float64(res.Stats.BytesSent+res.Stats.BytesReceived) / float64(o.clients),
		graph:          p.Graph().String(),
		degree:         p.Degree(),
		t:              p.Threshold(),
		noise:          "as each client chose (-epsilon on the clients)",
	}
	for _, c := range res.Counted {
		out.counted = append(out.counted, c-1)
	}
	if out.counted == nil {
		out.counted = []int{}
	}
	if led != nil {
		if out.receipt, err = agreeReceipt(ctx, led, id, mesh, p, res.Transcript, res.Leakage, ledger.Party{Role: "server", Stats: res.Stats}, start); err != nil {
			return nil, err
		}
	}
	out.seconds = time.Since(start).Seconds()
	return out, nil
}

// joinRound runs client -index: it connects to the server, joins the round
// it announces and, with -ledger, agrees on the receipt.
func joinRound(ctx context.Context, o *options, id *transport.Identity, led *ledger.Ledger) (*outcome, error) {
	start := time.Now()
	update := o.updates[o.index]
	want := secagg.Expectation{Length: len(update), RoundTimeout: o.timeout}
	if o.epsilon > 0 {
		plan, err := planNoise(o)
		if err != nil {
			return nil, err
		}
		if want.Noise, err = plan.clientNoise(o.clients); err != nil {
			return nil, err
		}
		want.MinClients, want.MaxClients = o.clients, o.clients
		update = clip(update)
	}
	conn, err := roles.Dial(ctx, o.connect, id, transport.PartyName(0))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	self := o.index + 1
	links := make([]transport.Conn, self+1)
	links[0] = conn
	mesh, err := transport.NewMesh(self, links)
	if err != nil {
		return nil, err
	}
	res, err := secagg.JoinRound(ctx, mesh, want, id, secagg.FromInt64s(update))
	if err != nil {
		return nil, err
	}
	p := res.Params
	out := &outcome{
		clients:        p.Clients(),
		sum:            []int64{}, // a client learns no sum
		bytesPerClient: float64(res.Stats.BytesSent + res.Stats.BytesReceived),
		graph:          p.Graph().String(),
		degree:         p.Degree(),
		t:              p.Threshold(),
	}
	for _, c := range res.Counted {
		out.counted = append(out.counted, c-1)
	}
	if led != nil {
		links = make([]transport.Conn, p.Clients()+1) // the receipt names every party
		links[0] = conn
		full, err := transport.NewMesh(self, links)
		if err != nil {
			return nil, err
		}
		if out.receipt, err = agreeReceipt(ctx, led, id, full, p, res.Transcript, res.RoundLeakage, ledger.Party{Role: fmt.Sprintf("client %d", self), Stats: res.Stats}, start); err != nil {
			return nil, err
		}
	}
	out.seconds = time.Since(start).Seconds()
	return out, nil
}

// agreeReceipt builds the round's receipt, which every party states alike
// (the parameters, the transcript of the round's public record, what the
// round disclosed), agrees on it and signs it with every other party
// through the server, checks the signatures and appends it to led. It
// returns the receipt's digest in hex.
func agreeReceipt(ctx context.Context, led *ledger.Ledger, id *transport.Identity, mesh transport.Mesh, p *secagg.Params, transcript [secagg.DigestSize]byte, leak report.Leakage, mine ledger.Party, start time.Time) (string, error) {
	params, err := p.MarshalBinary()
	if err != nil {
		return "", err
	}
	rc := &ledger.Receipt{
		Protocol:      "secagg/" + p.Graph().String() + " sum",
		Version:       uint32(params[0]),
		Params:        params,
		SecurityModel: securityModel,
		Transcript:    transcript,
		Leakage:       ledger.PublicLeakage(leak),
		Start:         start, // Finish takes the server's (party 0's)
		End:           time.Now(),
	}
	s, err := ledger.Finish(ctx, id, mesh, rc, mine)
	if err != nil {
		return "", err
	}
	return roles.Record(ctx, led, id, s)
}

// roleIdentity returns this party's TLS identity: from -tls-* when given,
// else from the demo CA in -demo-certs, which the server writes (for
// itself and -clients clients) if it is not there yet and the clients wait
// for.
func roleIdentity(ctx context.Context, o *options, stderr io.Writer) (*transport.Identity, error) {
	var names []string
	if o.role == "server" {
		for i := range o.clients + 1 {
			names = append(names, transport.PartyName(i))
		}
	}
	return o.tls.Identity(ctx, o.selfName(), names, "fedavg", stderr)
}

// checkPolicy refuses, before any connection, a run this client's -policy
// does not allow: its dataset (-dataset, default the -input file's name
// without extension, or "synthetic") summed with the server.
func checkPolicy(o *options) error {
	return roles.CheckPolicy(o.policy, ledger.Request{Dataset: roles.Dataset(o.dataset, o.input, "synthetic"), Columns: o.columns,
		Counterparty: transport.PartyName(0), Protocol: "secagg", Mode: "sum", Epsilon: o.epsilon})
}

// writeRoleReport is the readable report of one party's run.
func writeRoleReport(w io.Writer, o *options, r *outcome) error {
	b := &strings.Builder{}
	if o.role == "server" {
		fmt.Fprintf(b, "Secure aggregation of %d client updates (fedavg server)\n", r.clients)
		fmt.Fprintf(b, "  protocol:    Bonawitz et al. double masking, %s graph (each client has %d neighbours; any %d of them recover its masks)\n", r.graph, r.degree, r.t)
		fmt.Fprintf(b, "  counted:     %d of %d clients (%s)\n", len(r.counted), r.clients, list(r.counted))
		fmt.Fprintf(b, "  sum:         %v\n", head(r.sum))
		fmt.Fprintf(b, "  revealed:    the sum of the counted clients' vectors (with their noise, if they added any); no client's vector\n")
	} else {
		fmt.Fprintf(b, "fedavg client %d of %d: update sent masked; counted: %v\n", o.index, r.clients, len(r.counted) > 0)
		fmt.Fprintf(b, "  revealed:    to the server, only the sum of the counted clients' vectors; to this client, who took part\n")
	}
	if r.receipt != "" {
		fmt.Fprintf(b, "  receipt:     %s (signed by every party, appended to %s)\n", r.receipt, o.ledger)
	}
	fmt.Fprintf(b, "  cost:        %.2f s, %.1f KB on the wire\n", r.seconds, r.bytesPerClient/1000)
	_, err := io.WriteString(w, b.String())
	return err
}

// head is the first values of a sum, for the report.
func head(sum []int64) string {
	const show = 8
	if len(sum) <= show {
		return fmt.Sprint(sum)
	}
	return fmt.Sprintf("%v ... (%d values; -json prints all)", sum[:show], len(sum))
}
