package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/veil-go/veil/examples/internal/roles"
	"github.com/veil-go/veil/he"
	"github.com/veil-go/veil/internal/csvio"
	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// One process per party (-role). The aggregator runs with -role hub
// -listen ADDR and is mesh index 0 of a star; hospital k runs with -role
// party -index k -connect ADDR and is spoke k+1. Every process is given the
// same -parties, -threshold, -epsilon, -bounds and -column; the round is the
// in-process one (he.RunHub, he.RunSpoke over transport.DialMesh).

// hubName is the aggregator's certificate name; hospital k's is
// hospitalName(k).
const hubName = "aggregator"

func hospitalName(k int) string { return fmt.Sprintf("hospital-%d", k) }

// starNames are the certificate names by mesh index.
func starNames(n int) []string {
	names := []string{hubName}
	for k := range n {
		names = append(names, hospitalName(k))
	}
	return names
}

// checkRole validates the flags that go with -role (or their absence).
func (c *config) checkRole(set map[string]bool) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
	}
	if c.timeout <= 0 {
		return bad("-timeout: %v is not positive", c.timeout)
	}
	roleOnly := []string{"index", "listen", "connect", "tls-cert", "tls-key", "tls-ca", "demo-certs", "ledger", "policy", "dataset", "opening"}
	switch c.role {
	case "":
		for _, f := range roleOnly {
			if set[f] {
				return bad("-%s needs -role hub or party", f)
			}
		}
		return nil
	case "hub":
		switch {
		case c.listen == "" || c.connect != "":
			return bad("-role hub: give -listen (the hospitals connect to it), not -connect")
		case set["index"] || set["policy"] || set["dataset"] || set["input"] || set["opening"]:
			return bad("-role hub: the aggregator holds no data; -index, -input, -policy, -dataset and -opening are for -role party")
		}
	case "party":
		switch {
		case c.connect == "" || c.listen != "":
			return bad("-role party: give -connect (the hub's address), not -listen")
		case c.index < 0:
			return bad("-role party needs -index, this hospital's number")
		case set["dataset"] && c.dataset == "":
			return bad("-dataset: empty name")
		case c.opening != "" && c.ledger == "":
			return bad("-opening commits to the input in the receipt: it needs -ledger")
		}
	default:
		return bad("-role: %q is not hub or party", c.role)
	}
	switch {
	case set["drop"]:
		return bad("-drop simulates dropouts in one process; with -role, stop a process instead")
	case c.tls.Partial():
		return bad("-tls-cert, -tls-key and -tls-ca: give all three, or none for the demo CA")
	}
	return nil
}

// process is one party's network state in a -role run.
type process struct {
	self  int // mesh index: 0 the hub, k+1 hospital k
	id    *transport.Identity
	ln    *transport.Listener // the hub's
	mesh  transport.Mesh      // the raw star, for the receipt's last steps
	trs   []*ledger.Transcript
	setup time.Duration
	stats report.Stats      // this party's traffic in the round, and its duration
	spoke *he.SpokeResult   // a hospital's result
	input ledger.Commitment // with -opening: the commitment to its column
	open  ledger.Opening
	rows  int
	start time.Time
}

// runRole runs one party as its own process.
func runRole(ctx context.Context, cfg *config, stdout, stderr io.Writer) error {
	n := cfg.parties
	p := &process{}
	if cfg.role == "party" {
		p.self = cfg.index + 1
	}
	name := starNames(n)[p.self]
	// What this process holds: a hospital its own data at its index, the
	// hub nothing.
	ps := make([]party, n)
	for k := range ps {
		ps[k] = party{name: fmt.Sprintf("hospital %d", k), source: "another process"}
	}
	dataset := ""
	var err error
	if cfg.role == "party" {
		var own party
		own, err = ownData(cfg)
		if err != nil {
			return err
		}
		ps[cfg.index] = own
		dataset = datasetName(cfg)
		if cfg.opening != "" {
			if p.input, p.open, err = ledger.Commit(inputEncoding(cfg.column, own.values)); err != nil {
				return err
			}
			p.rows = len(own.values)
		}
		if err := checkPolicy(cfg, dataset); err != nil { // before any connection
			return err
		}
	}
	if p.id, err = roleIdentity(ctx, cfg, name, stderr); err != nil {
		return err
	}
	if p.id.Name() != name {
		return fmt.Errorf("-tls-cert names %q, this party must be %q", p.id.Name(), name)
	}
	var l *ledger.Ledger
	if cfg.ledger != "" { // before any message: a ledger that does not open stops the run
		if l, err = ledger.Open(ctx, ledger.Config{DSN: cfg.ledger}); err != nil {
			return err
		}
		defer l.Close()
		if cfg.role == "party" && cfg.epsilon > 0 {
			// The spend is on disk before the first message, so before any
			// noisy total leaves this process; a run that fails after it
			// over-counts, never under.
			if err := spend(ctx, cfg, l, dataset); err != nil {
				return err
			}
		}
	}
	if p.ln, err = listenHub(cfg, p.id, stderr); err != nil {
		return err
	}
	if p.ln != nil {
		defer p.ln.Close() // dial closes it once the star is up
	}
	cfg.proc = p
	p.start = time.Now()
	res, err := compute(ctx, cfg, ps)
	if p.mesh != nil {
		defer p.mesh.Close()
	}
	if err != nil {
		return err
	}
	res.Seconds = time.Since(p.start).Seconds()
	p.describe(cfg, res)
	if l != nil {
		if res.Receipt, err = p.receipt(ctx, cfg, l, res, dataset); err != nil {
			return err
		}
	}
	if cfg.json {
		return json.NewEncoder(stdout).Encode(res.jsonOutput())
	}
	writeRoleReport(stdout, cfg, ps, res)
	return nil
}

// ownData is a hospital's own column: its -input file, or its part of the
// synthetic data (the same as in the in-process demo for the same -seed).
func ownData(cfg *config) (party, error) {
	k := cfg.index
	if len(cfg.inputs) == 0 {
		ps, err := synthetic(cfg.parties, cfg.rows, cfg.seed)
		if err != nil {
			return party{}, err
		}
		return ps[k], nil
	}
	t, err := csvio.ReadFile(cfg.inputs[0])
	if err != nil {
		return party{}, err
	}
	v, err := t.Decimals(cfg.column)
	if err != nil {
		return party{}, err
	}
	return party{name: fmt.Sprintf("hospital %d", k), source: cfg.inputs[0], values: v}, nil
}

func datasetName(cfg *config) string {
	file := ""
	if len(cfg.inputs) == 1 {
		file = cfg.inputs[0]
	}
	return roles.Dataset(cfg.dataset, file, fmt.Sprintf("synthetic-%d", cfg.index))
}

// request is the run as the hospital's policy sees it, for one
// counterparty: joint sums of the column over he.
func request(cfg *config, dataset, counterparty string) ledger.Request {
	return ledger.Request{Dataset: dataset, Columns: []string{cfg.column}, Counterparty: counterparty,
		Protocol: "he", Mode: "sum", Epsilon: cfg.epsilon}
}

// checkPolicy refuses, before any connection, a run that the hospital's
// -policy does not allow with every other party (each learns the totals).
func checkPolicy(cfg *config, dataset string) error {
	var qs []ledger.Request
	for _, peer := range starNames(cfg.parties) {
		if peer != hospitalName(cfg.index) {
			qs = append(qs, request(cfg, dataset, peer))
		}
	}
	return roles.CheckPolicy(cfg.policy, qs...)
}

// spend spends -epsilon from the dataset's durable budget in the ledger:
// through the policy (which also checks its window) when there is one,
// else through the ledger's dp.Budget.
func spend(ctx context.Context, cfg *config, l *ledger.Ledger, dataset string) error {
	if cfg.policy != "" {
		pol, err := ledger.LoadPolicy(cfg.policy)
		if err != nil {
			return err
		}
		_, err = pol.Spend(ctx, l, request(cfg, dataset, hubName), cfg.delta)
		return err
	}
	return l.Budget(dataset).Spend(cfg.epsilon, cfg.delta)
}

// roleIdentity is this party's TLS identity: from -tls-* when given, else
// from the demo CA in -demo-certs, which the hub creates (if it is not there
// yet) and the hospitals wait for.
func roleIdentity(ctx context.Context, cfg *config, name string, stderr io.Writer) (*transport.Identity, error) {
	var names []string
	if cfg.role == "hub" {
		names = starNames(cfg.parties)
	}
	return cfg.tls.Identity(ctx, name, names, "jointstats", stderr)
}

// listenHub opens the hub's listener (so that it can say where it listens).
func listenHub(cfg *config, id *transport.Identity, stderr io.Writer) (*transport.Listener, error) {
	if cfg.role != "hub" {
		return nil, nil
	}
	ln, err := transport.Listen(cfg.listen, id, transport.Options{})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "jointstats: aggregator listening on %s for %d hospitals\n", ln.Addr(), cfg.parties)
	return ln, nil
}

// dial connects the star: the hub accepts every hospital, a hospital dials
// the hub. Each link's messages are hashed for the receipt when -ledger is
// given.
func (p *process) dial(ctx context.Context, cfg *config) (transport.Mesh, error) {
	n := cfg.parties
	addrs := make([]string, n+1)
	addrs[0] = cfg.connect
	if p.ln != nil {
		addrs[0] = p.ln.Addr().String()
		defer p.ln.Close()
	}
	t := time.Now()
	m, err := transport.DialMesh(ctx, transport.MeshConfig{Self: p.self, Addrs: addrs, Names: starNames(n),
		Identity: p.id, Listener: p.ln, Star: true})
	if err != nil {
		return nil, err
	}
	p.setup = time.Since(t)
	p.mesh = m
	if cfg.ledger == "" {
		return m, nil
	}
	conns := make([]transport.Conn, n+1)
	p.trs = make([]*ledger.Transcript, n+1)
	for j := range conns {
		if c, err := m.Conn(j); err == nil {
			p.trs[j] = new(ledger.Transcript)
			conns[j] = p.trs[j].Conn(p.id.Name(), c)
		}
	}
	return transport.NewMesh(p.self, conns)
}

// runStar runs the round: in this process (no -role), or this party's part
// of it over the network. A hospital's result is returned as a RoundResult
// with what it learned (the sums and the counted hospitals).
func runStar(ctx context.Context, cfg *config, n int, params *he.Params, round he.Round, inputs map[int]he.SpokeInput, sends int) (*he.RoundResult, time.Duration, error) {
	p := cfg.proc
	if p == nil {
		return runRound(ctx, n, params, round, inputs, cfg.drop, sends)
	}
	round.Names = starNames(n)
	m, err := p.dial(ctx, cfg)
	if err != nil {
		return nil, 0, fmt.Errorf("connecting the star: %w", err)
	}
	if p.self == he.HubIndex {
		rr, err := he.RunHub(ctx, m, params, round)
		if rr != nil {
			p.stats = rr.Stats
		}
		return rr, p.setup, err
	}
	in := inputs[p.self]
	in.Identity = p.id
	sr, err := he.RunSpoke(ctx, m, params, round, in)
	if err != nil {
		return nil, 0, err
	}
	p.spoke, p.stats = sr, sr.Stats
	return &he.RoundResult{Ints: sr.Ints, Counted: sr.Counted, Stats: sr.Stats}, p.setup, nil
}

// describe replaces what only the hub knows in the report (phases,
// decryptors, traffic of every hospital) with what a hospital knows.
func (p *process) describe(cfg *config, res *result) {
	n := cfg.parties
	if p.self == he.HubIndex {
		if len(res.phases) > 0 {
			res.phases[0] = fmt.Sprintf("mutual TLS 1.3 between the aggregator and %d hospitals, one process each (%.3f s)", n, p.setup.Seconds())
		}
		return
	}
	res.BytesPerParty = float64(p.stats.BytesSent)
	res.decryptor = nil
	res.phases = []string{
		fmt.Sprintf("mutual TLS 1.3 to the aggregator (%.3f s)", p.setup.Seconds()),
		"collective key generation with the other hospitals, through the aggregator",
		"this hospital encrypted its totals and sent the ciphertext",
		fmt.Sprintf("the aggregator added the ciphertexts of hospitals %v and had them decrypted; it sent back the totals", hospitals(p.spoke.Counted)),
	}
}

// writeRoleReport is the report of one party's process: what it holds and
// what everyone learned.
func writeRoleReport(w io.Writer, cfg *config, ps []party, res *result) {
	var b strings.Builder
	p := cfg.proc
	who := "the aggregator (holds no key share and no data)"
	if p.self != he.HubIndex {
		own := ps[cfg.index]
		who = fmt.Sprintf("hospital %d (%s), %d rows from %s", cfg.index, hospitalName(cfg.index), len(own.values), own.source)
	}
	fmt.Fprintf(&b, "Veil jointstats, one process per party: this process is %s,\n", who)
	fmt.Fprintf(&b, "one of %d hospitals and an aggregator computing joint statistics of column %q.\n\n", cfg.parties, cfg.column)
	writeOutcome(&b, cfg, cfg.parties, res)
	if res.Receipt != "" {
		fmt.Fprintf(&b, "  receipt   %s, signed by all %d parties, appended to %s\n", res.Receipt, cfg.parties+1, cfg.ledger)
	}
	fmt.Fprintf(&b, "\nCost: %.2f s in all; this party sent %s and received %s.\n", res.Seconds,
		csvio.FormatBytes(float64(p.stats.BytesSent)), csvio.FormatBytes(float64(p.stats.BytesReceived)))
	io.WriteString(w, b.String())
}

// receipt agrees on the run's receipt with every party, checks every
// signature and appends it to the ledger; it returns its digest in hex.
func (p *process) receipt(ctx context.Context, cfg *config, l *ledger.Ledger, res *result, dataset string) (string, error) {
	transcript, spends, err := p.agree(ctx, cfg, dataset)
	if err != nil {
		return "", err
	}
	counted := res.counted
	role := "aggregator"
	if p.self != he.HubIndex {
		role = fmt.Sprintf("hospital %d", cfg.index)
	}
	rc := &ledger.Receipt{
		Protocol: "he/bgv jointstats",
		Version:  1,
		Params: fmt.Appendf(nil, "column=%s parties=%d threshold=%d epsilon=%v bounds=%s,%s he=%s",
			cfg.column, cfg.parties, cfg.threshold, cfg.epsilon, csvio.FormatDecimal(cfg.lo), csvio.FormatDecimal(cfg.hi), res.params),
		SecurityModel: "semi-honest aggregator and hospitals (package he); the totals go to every party",
		Transcript:    transcript,
		Leakage:       publicLeakage(cfg, counted),
		Spends:        spends,
		Start:         p.start, // Finish takes the hub's start and end
		End:           time.Now(),
	}
	s, err := ledger.Finish(ctx, p.id, p.mesh, rc, ledger.Party{Role: role, Input: p.input, Stats: p.stats})
	if err != nil {
		return "", err
	}
	digest, err := roles.Record(ctx, l, p.id, s)
	if err != nil {
		return "", err
	}
	if cfg.opening != "" {
		if err := p.writeOpening(cfg, dataset, digest); err != nil {
			return "", err
		}
	}
	return digest, nil
}

// inputEncoding is what a hospital commits to: its column's values, in
// cents, in the file's order, each as 8 bytes big-endian, after a label
// and the column's name.
func inputEncoding(column string, values []int64) []byte {
	b := make([]byte, 0, 32+len(column)+8*len(values))
	b = append(b, "veil/jointstats column v1\x00"...)
	b = append(b, column...)
	b = append(b, 0)
	for _, v := range values {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return b
}

// opening is the file a hospital keeps to show later what it contributed
// to a run: the commitment in the receipt and the salt that opens it over
// inputEncoding of the column.
type opening struct {
	Receipt    string `json:"receipt"`
	Dataset    string `json:"dataset"`
	Column     string `json:"column"`
	Rows       int    `json:"rows"`
	Commitment string `json:"commitment"`
	Salt       string `json:"salt"`
	Encoding   string `json:"encoding"`
}

func (p *process) writeOpening(cfg *config, dataset, digest string) error {
	b, err := json.MarshalIndent(opening{Receipt: digest, Dataset: dataset, Column: cfg.column, Rows: p.rows,
		Commitment: hex.EncodeToString(p.input[:]), Salt: hex.EncodeToString(p.open.Salt[:]),
		Encoding: `SHA-256("veil/ledger input commitment v1\x00" || salt || "veil/jointstats column v1\x00" || column || "\x00" || each value in cents as int64 big-endian, in file order)`}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(cfg.opening, append(b, '\n'), 0o600)
}

// publicLeakage is what every party of the run states alike, for the
// receipt: the parameters, the totals to everyone, the hospitals counted.
func publicLeakage(cfg *config, counted []int) report.Leakage {
	out := "the joint count, sum and sum of squares of column " + fmt.Sprintf("%q", cfg.column)
	if cfg.epsilon > 0 {
		mech := he.Skellam
		if cfg.noise == "gaussian" {
			mech = he.DistributedGaussian
		}
		out += fmt.Sprintf(", with every hospital's share of %v noise ((epsilon %v, delta %v)-DP, calibrated for %d honest hospitals)", mech, cfg.epsilon, cfg.delta, cfg.minHonest)
	}
	return report.Leakage{
		{To: "all", What: report.Parameters, Note: fmt.Sprintf("%d hospitals, threshold %d, bounds %s,%s",
			cfg.parties, cfg.threshold, csvio.FormatDecimal(cfg.lo), csvio.FormatDecimal(cfg.hi))},
		{To: "all", What: report.Output, Note: out},
		{To: "all", What: report.Participants, About: "hospitals", Count: int64(len(counted)), Note: fmt.Sprintf("counted %v", counted)},
	}
}

// The receipt's first step, before ledger.Finish: in a star each hospital
// sees only its own link, so the hub collects every hospital's link
// transcript hash (checking each against its own record of that link) and
// dataset name and sends the list to all. The receipt's transcript is the
// hash of that list, and its spends name every hospital's dataset.
const (
	linkMsgTag  = 0x4a // 'J': a hospital's dataset and link transcript hash, to the hub
	linksMsgTag = 0x4b // 'K': every hospital's, from the hub
	maxDataset  = 256
	starLabel   = "veil/jointstats star transcript v1\x00"
)

// link is one hospital's entry in the list.
type link struct {
	dataset    string
	transcript [ledger.DigestSize]byte
}

func encodeLinks(tag byte, ls []link) []byte {
	b := []byte{tag}
	b = binary.BigEndian.AppendUint32(b, uint32(len(ls)))
	for _, l := range ls {
		b = binary.BigEndian.AppendUint16(b, uint16(len(l.dataset)))
		b = append(b, l.dataset...)
		b = append(b, l.transcript[:]...)
	}
	return b
}

// decodeLinks decodes a message of want entries with the given tag.
func decodeLinks(b []byte, tag byte, want int) ([]link, error) {
	bad := func(format string, args ...any) ([]link, error) {
		return nil, fmt.Errorf("%w: link list: "+format, append([]any{ledger.ErrMalformed}, args...)...)
	}
	if len(b) < 5 || b[0] != tag {
		return bad("no tag %#x and count", tag)
	}
	if k := binary.BigEndian.Uint32(b[1:]); int64(k) != int64(want) {
		return bad("%d entries, want %d", k, want)
	}
	b = b[5:]
	ls := make([]link, want)
	for i := range ls {
		if len(b) < 2 {
			return bad("entry %d truncated", i)
		}
		k := int(binary.BigEndian.Uint16(b))
		if k == 0 || k > maxDataset || len(b) < 2+k+ledger.DigestSize {
			return bad("entry %d: dataset name of %d bytes (1 to %d) or truncated", i, k, maxDataset)
		}
		ls[i].dataset = string(b[2 : 2+k])
		copy(ls[i].transcript[:], b[2+k:])
		b = b[2+k+ledger.DigestSize:]
	}
	if len(b) != 0 {
		return bad("%d trailing bytes", len(b))
	}
	return ls, nil
}

// agree runs the list step and returns the receipt's transcript hash and
// spends.
func (p *process) agree(ctx context.Context, cfg *config, dataset string) ([ledger.DigestSize]byte, []ledger.Spend, error) {
	n := cfg.parties
	var zero [ledger.DigestSize]byte
	fail := func(peer string, err error) ([ledger.DigestSize]byte, []ledger.Spend, error) {
		return zero, nil, fmt.Errorf("receipt %s, step links, peer %q: %w", p.id.Name(), peer, err)
	}
	var ls []link
	if p.self != he.HubIndex {
		hub, err := p.mesh.Conn(he.HubIndex)
		if err != nil {
			return fail(hubName, err)
		}
		mine := link{dataset: dataset, transcript: p.trs[he.HubIndex].Sum()}
		if err := hub.Send(ctx, encodeLinks(linkMsgTag, []link{mine})); err != nil {
			return fail(hub.Peer(), err)
		}
		b, err := hub.Recv(ctx)
		if err != nil {
			return fail(hub.Peer(), fmt.Errorf("%w (does every party give -ledger?)", err))
		}
		if ls, err = decodeLinks(b, linksMsgTag, n); err != nil {
			return fail(hub.Peer(), err)
		}
		if ls[cfg.index] != mine {
			return fail(hub.Peer(), fmt.Errorf("%w: the hub lists another dataset or transcript for this hospital", ledger.ErrMismatch))
		}
	} else {
		ls = make([]link, n)
		for k := range ls {
			c, err := p.mesh.Conn(k + 1)
			if err != nil {
				return fail(hospitalName(k), err)
			}
			b, err := c.Recv(ctx)
			if err != nil {
				return fail(c.Peer(), fmt.Errorf("%w (does every party give -ledger?)", err))
			}
			got, err := decodeLinks(b, linkMsgTag, 1)
			if err != nil {
				return fail(c.Peer(), err)
			}
			if got[0].transcript != p.trs[k+1].Sum() {
				return fail(c.Peer(), fmt.Errorf("%w: the hospital's transcript of its link differs from the hub's", ledger.ErrMismatch))
			}
			ls[k] = got[0]
		}
		msg := encodeLinks(linksMsgTag, ls)
		for k := range ls {
			c, _ := p.mesh.Conn(k + 1)
			if err := c.Send(ctx, msg); err != nil {
				return fail(c.Peer(), err)
			}
		}
	}
	h := sha256.New()
	h.Write([]byte(starLabel))
	var spends []ledger.Spend
	for k, l := range ls {
		h.Write(l.transcript[:])
		if cfg.epsilon > 0 {
			spends = append(spends, ledger.Spend{Dataset: l.dataset, Owner: hospitalName(k), Epsilon: cfg.epsilon})
		}
	}
	var sum [ledger.DigestSize]byte
	h.Sum(sum[:0])
	return sum, spends, nil
}
