package ledger

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math"
	"time"

	"github.com/veil-go/veil/report"
	"github.com/veil-go/veil/transport"
)

// Limits of the receipt encoding. A decoder refuses anything larger.
const (
	// MaxReceiptSize bounds an encoded receipt or signed receipt.
	MaxReceiptSize = 1 << 20
	// MaxParties bounds the parties of a receipt.
	MaxParties = 4096
	// DigestSize is the length of a fingerprint, commitment, transcript
	// hash or receipt digest (SHA-256; the [Transcript] hash is BLAKE3-256).
	DigestSize = sha256.Size

	maxString  = 64 << 10
	maxList    = 1 << 16
	maxChain   = 8
	maxSigSize = 1 << 12
)

const (
	receiptMagic = "VEIL-RECEIPT-1\x00"
	signedMagic  = "VEIL-SIGNED-RECEIPT-1\x00"
	signLabel    = "veil/ledger receipt signature v1\x00"
)

// Fingerprint is the SHA-256 of a party's leaf certificate (DER).
type Fingerprint [DigestSize]byte

// FingerprintOf returns the fingerprint of id's certificate.
func FingerprintOf(id *transport.Identity) Fingerprint {
	return sha256.Sum256(id.Certificate().Raw)
}

// Party is one party of a run as its receipt records it.
type Party struct {
	// Name is the common name of the party's certificate.
	Name string
	// Role is the party's role in the protocol ("sender", "hub", "party 2").
	Role string
	// Fingerprint identifies the party's certificate.
	Fingerprint Fingerprint
	// Input is the party's commitment to its input ([Commit]); the zero
	// value when it contributed none.
	Input Commitment
	// Stats is what the party's part of the run cost, for settlement.
	Stats report.Stats
}

// Spend is privacy budget a run spent from one dataset.
type Spend struct {
	// Dataset names the dataset, as its owner's ledger knows it.
	Dataset string
	// Owner is the name of the party that owns the dataset.
	Owner string
	// Epsilon and Delta are the run's (epsilon, delta) on that dataset.
	Epsilon, Delta float64
}

// Receipt is the record of one protocol run that every party of the run
// signs. Its encoding ([Receipt.MarshalBinary]) is canonical: the same
// receipt always gives the same bytes, and [Receipt.UnmarshalBinary]
// accepts only bytes that re-encode to themselves.
type Receipt struct {
	// Protocol names the protocol and mode ("psi/ecdh cardinality").
	Protocol string
	// Version is the protocol's parameter or wire version.
	Version uint32
	// Params is the protocol's canonical encoding of the run's public
	// parameters (as both sides checked them in the run's first step).
	Params []byte
	// SecurityModel states the model the run was made under
	// ("semi-honest, two parties").
	SecurityModel string
	// Parties lists the parties in the order of the run's mesh indices.
	Parties []Party
	// Transcript is the hash of the messages exchanged ([Transcript]). The
	// receipt does not name the hash function: the parties compare their
	// transcript hashes when they sign, and no one recomputes one later.
	// A [Transcript] hash is BLAKE3-256 with the "v2" labels; receipts made
	// with an earlier version hold SHA-256 transcript hashes.
	Transcript [DigestSize]byte
	// Leakage is what each party learned, from the run's result, as every
	// party can state it: see [PublicLeakage].
	Leakage report.Leakage
	// Spends is the privacy budget spent, per dataset.
	Spends []Spend
	// Start and End bound the run (nanoseconds, UTC).
	Start, End time.Time
}

// PublicLeakage returns l with the counts that only the learning party
// knows set to 0: the size of an output, a membership, a cardinality or of
// payloads (an intersection's size is the receiver's, not the sender's).
// What remains (who learns what kind of thing about whom, input sizes,
// parameters, participants) is what every party of a run states alike,
// so that each builds the same receipt, and what the others may read in
// it. Input sizes stay: each party learns the others' in the run.
func PublicLeakage(l report.Leakage) report.Leakage {
	if l == nil {
		return nil
	}
	out := make(report.Leakage, len(l))
	for i, d := range l {
		switch d.What {
		case report.Output, report.Membership, report.Cardinality, report.Payloads:
			d.Count = 0
		}
		out[i] = d
	}
	return out
}

// Validate reports whether r can be encoded: it has parties with names,
// distinct fingerprints, finite non-negative spends and Start <= End.
func (r *Receipt) Validate() error {
	if r.Protocol == "" {
		return invalid("receipt has no protocol")
	}
	if len(r.Parties) == 0 || len(r.Parties) > MaxParties {
		return invalid("receipt has %d parties, want 1..%d", len(r.Parties), MaxParties)
	}
	seen := make(map[Fingerprint]int, len(r.Parties))
	for i, p := range r.Parties {
		if p.Name == "" {
			return invalid("party %d has no name", i)
		}
		if j, dup := seen[p.Fingerprint]; dup {
			return invalid("parties %d and %d have the same certificate", j, i)
		}
		seen[p.Fingerprint] = i
	}
	if len(r.Leakage) > maxList || len(r.Spends) > maxList {
		return invalid("receipt lists more than %d disclosures or spends", maxList)
	}
	for _, s := range r.Spends {
		if s.Dataset == "" {
			return invalid("spend without a dataset")
		}
		if err := checkAmount(s.Epsilon); err != nil {
			return invalid("spend on %q: epsilon %v", s.Dataset, err)
		}
		if err := checkAmount(s.Delta); err != nil || s.Delta >= 1 {
			return invalid("spend on %q: delta %v must be in [0, 1)", s.Dataset, s.Delta)
		}
	}
	for _, t := range []time.Time{r.Start, r.End} {
		if t.Before(minTime) || t.After(maxTime) {
			return invalid("receipt time %v outside %v..%v", t, minTime, maxTime)
		}
	}
	if r.End.Before(r.Start) {
		return invalid("receipt ends (%v) before it starts (%v)", r.End, r.Start)
	}
	return nil
}

// MarshalBinary returns the canonical encoding of r.
func (r *Receipt) MarshalBinary() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var e enc
	r.encode(&e)
	if len(e.b) > MaxReceiptSize {
		return nil, invalid("receipt of %d bytes exceeds %d", len(e.b), MaxReceiptSize)
	}
	return e.b, nil
}

func (r *Receipt) encode(e *enc) {
	e.fixed([]byte(receiptMagic))
	e.str(r.Protocol)
	e.u32(r.Version)
	e.bytes(r.Params)
	e.str(r.SecurityModel)
	e.u32(uint32(len(r.Parties)))
	for _, p := range r.Parties {
		encodeParty(e, p)
	}
	e.digest(r.Transcript)
	e.u32(uint32(len(r.Leakage)))
	for _, d := range r.Leakage {
		e.str(d.To)
		e.str(d.What)
		e.str(d.About)
		e.i64(d.Count)
		e.str(d.Note)
	}
	e.u32(uint32(len(r.Spends)))
	for _, s := range r.Spends {
		e.str(s.Dataset)
		e.str(s.Owner)
		e.f64(s.Epsilon)
		e.f64(s.Delta)
	}
	e.i64(r.Start.UnixNano())
	e.i64(r.End.UnixNano())
}

const minPartySize = 4 + 4 + 2*DigestSize + 5*8

func encodeParty(e *enc, p Party) {
	e.str(p.Name)
	e.str(p.Role)
	e.digest(p.Fingerprint)
	e.digest(p.Input)
	e.i64(p.Stats.BytesSent)
	e.i64(p.Stats.BytesReceived)
	e.i64(p.Stats.MessagesSent)
	e.i64(p.Stats.MessagesReceived)
	e.i64(int64(p.Stats.Duration))
}

func decodeParty(d *dec) Party {
	var p Party
	p.Name = d.str("party name")
	p.Role = d.str("party role")
	p.Fingerprint = d.digest("party fingerprint")
	p.Input = d.digest("party input commitment")
	p.Stats.BytesSent = d.i64("bytes sent")
	p.Stats.BytesReceived = d.i64("bytes received")
	p.Stats.MessagesSent = d.i64("messages sent")
	p.Stats.MessagesReceived = d.i64("messages received")
	p.Stats.Duration = time.Duration(d.i64("duration"))
	return p
}

// UnmarshalBinary decodes a receipt. It accepts only a canonical encoding;
// an error wraps [ErrMalformed] and names the field and byte offset.
func (r *Receipt) UnmarshalBinary(b []byte) error {
	if len(b) > MaxReceiptSize {
		return fmt.Errorf("ledger: %w: receipt of %d bytes exceeds %d", ErrMalformed, len(b), MaxReceiptSize)
	}
	d := &dec{b: b, what: "receipt"}
	var out Receipt
	out.decode(d)
	d.end()
	if d.err != nil {
		return d.err
	}
	if err := out.Validate(); err != nil {
		return fmt.Errorf("ledger: %w: receipt: %w", ErrMalformed, err)
	}
	*r = out
	return nil
}

func (r *Receipt) decode(d *dec) {
	if m := d.take(len(receiptMagic), "magic"); d.err == nil && string(m) != receiptMagic {
		d.off -= len(receiptMagic)
		d.fail("not a receipt (magic %q)", m)
	}
	r.Protocol = d.str("protocol")
	r.Version = d.u32("version")
	r.Params = d.bytes("params", MaxReceiptSize)
	r.SecurityModel = d.str("security model")
	n := d.count("parties", MaxParties, minPartySize)
	r.Parties = make([]Party, n)
	for i := range r.Parties {
		r.Parties[i] = decodeParty(d)
	}
	r.Transcript = d.digest("transcript")
	if n := d.count("leakage", maxList, 4*4+8); n > 0 {
		r.Leakage = make(report.Leakage, n)
		for i := range r.Leakage {
			l := &r.Leakage[i]
			l.To = d.str("disclosure to")
			l.What = d.str("disclosure what")
			l.About = d.str("disclosure about")
			l.Count = d.i64("disclosure count")
			l.Note = d.str("disclosure note")
		}
	}
	if n := d.count("spends", maxList, 2*4+2*8); n > 0 {
		r.Spends = make([]Spend, n)
		for i := range r.Spends {
			s := &r.Spends[i]
			s.Dataset = d.str("spend dataset")
			s.Owner = d.str("spend owner")
			s.Epsilon = d.f64("spend epsilon")
			s.Delta = d.f64("spend delta")
		}
	}
	r.Start = time.Unix(0, d.i64("start")).UTC()
	r.End = time.Unix(0, d.i64("end")).UTC()
}

// Digest returns the SHA-256 of the receipt's canonical encoding: what
// every party signs.
func (r *Receipt) Digest() ([DigestSize]byte, error) {
	b, err := r.MarshalBinary()
	if err != nil {
		return [DigestSize]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// IndexOf returns the index of the party with fingerprint fp, or -1.
func (r *Receipt) IndexOf(fp Fingerprint) int {
	for i, p := range r.Parties {
		if p.Fingerprint == fp {
			return i
		}
	}
	return -1
}

// Signature is one party's signature on a receipt: its certificate chain
// (DER, leaf first, as [transport.Identity.Chain] returns it) and its
// signature on the receipt's digest.
type Signature struct {
	Chain [][]byte
	Sig   []byte
}

func (s Signature) missing() bool { return len(s.Chain) == 0 && len(s.Sig) == 0 }

// SignedReceipt is a receipt with one signature per party, in the order
// of Receipt.Parties; a zero Signature marks one not (yet) given.
type SignedReceipt struct {
	Receipt    Receipt
	Signatures []Signature
}

// The times a receipt can carry: what int64 nanoseconds since 1970 hold.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

func signedMessage(digest [DigestSize]byte) []byte {
	return append([]byte(signLabel), digest[:]...)
}

// Sign returns id's signature on r. id must be one of r's parties.
func Sign(id *transport.Identity, r *Receipt) (Signature, error) {
	digest, err := r.Digest()
	if err != nil {
		return Signature{}, err
	}
	if r.IndexOf(FingerprintOf(id)) < 0 {
		return Signature{}, invalid("%q is not a party of the receipt", id.Name())
	}
	sig, err := id.Sign(signedMessage(digest))
	if err != nil {
		return Signature{}, err
	}
	return Signature{Chain: id.Chain(), Sig: sig}, nil
}

// Verify checks that every party of the receipt signed it: each signature
// is present, its certificate chains to verifier's CA, is the certificate
// the receipt names for that party (fingerprint and name), and signs the
// receipt's digest. The error names the first party whose check fails
// and what failed; it wraps [ErrMissingSignature], [ErrPeerIdentity],
// [ErrMismatch] or [ErrBadSignature].
func (s *SignedReceipt) Verify(verifier *transport.Identity) error {
	digest, err := s.Receipt.Digest()
	if err != nil {
		return fmt.Errorf("ledger: verify receipt: %w", err)
	}
	if len(s.Signatures) != len(s.Receipt.Parties) {
		return fmt.Errorf("ledger: verify receipt: %w: %d signatures for %d parties",
			ErrMissingSignature, len(s.Signatures), len(s.Receipt.Parties))
	}
	for i := range s.Receipt.Parties {
		if err := verifyParty(verifier, &s.Receipt, i, digest, s.Signatures[i]); err != nil {
			return fmt.Errorf("ledger: verify receipt: %w", err)
		}
	}
	return nil
}

// verifyParty checks party i's signature on digest.
func verifyParty(verifier *transport.Identity, r *Receipt, i int, digest [DigestSize]byte, sig Signature) error {
	p := r.Parties[i]
	if sig.missing() {
		return fmt.Errorf("party %d %q: %w", i, p.Name, ErrMissingSignature)
	}
	if len(sig.Chain) == 0 || sha256.Sum256(sig.Chain[0]) != p.Fingerprint {
		return fmt.Errorf("party %d %q: %w: the signing certificate is not the one the receipt names", i, p.Name, ErrMismatch)
	}
	name, err := verifier.VerifySigned(sig.Chain, signedMessage(digest), sig.Sig)
	if err != nil {
		return fmt.Errorf("party %d %q: %w", i, p.Name, err)
	}
	if subtle.ConstantTimeCompare([]byte(name), []byte(p.Name)) != 1 {
		return fmt.Errorf("party %d %q: %w: certificate names %q", i, p.Name, ErrMismatch, name)
	}
	return nil
}

// MarshalBinary returns the canonical encoding of the signed receipt.
func (s *SignedReceipt) MarshalBinary() ([]byte, error) {
	if err := s.Receipt.Validate(); err != nil {
		return nil, err
	}
	if len(s.Signatures) != len(s.Receipt.Parties) {
		return nil, invalid("%d signatures for %d parties", len(s.Signatures), len(s.Receipt.Parties))
	}
	var e enc
	e.fixed([]byte(signedMagic))
	var r enc
	s.Receipt.encode(&r)
	e.bytes(r.b)
	for _, sig := range s.Signatures {
		if len(sig.Chain) > maxChain || len(sig.Sig) > maxSigSize {
			return nil, invalid("signature with %d certificates or %d bytes exceeds the limits", len(sig.Chain), len(sig.Sig))
		}
		encodeSig(&e, sig)
	}
	if len(e.b) > MaxReceiptSize {
		return nil, invalid("signed receipt of %d bytes exceeds %d", len(e.b), MaxReceiptSize)
	}
	return e.b, nil
}

func encodeSig(e *enc, sig Signature) {
	e.u32(uint32(len(sig.Chain)))
	for _, c := range sig.Chain {
		e.bytes(c)
	}
	e.bytes(sig.Sig)
}

func decodeSig(d *dec) Signature {
	var sig Signature
	if n := d.count("certificates", maxChain, 4); n > 0 {
		sig.Chain = make([][]byte, n)
		for j := range sig.Chain {
			sig.Chain[j] = d.bytes("certificate", transport.MaxChainSize)
			if d.err == nil && len(sig.Chain[j]) == 0 {
				d.fail("empty certificate")
			}
		}
	}
	sig.Sig = d.bytes("signature", maxSigSize)
	return sig
}

// UnmarshalBinary decodes a signed receipt (canonical encoding only); an
// error wraps [ErrMalformed]. It does not verify the signatures: call
// [SignedReceipt.Verify].
func (s *SignedReceipt) UnmarshalBinary(b []byte) error {
	if len(b) > MaxReceiptSize {
		return fmt.Errorf("ledger: %w: signed receipt of %d bytes exceeds %d", ErrMalformed, len(b), MaxReceiptSize)
	}
	d := &dec{b: b, what: "signed receipt"}
	if m := d.take(len(signedMagic), "magic"); d.err == nil && !bytes.Equal(m, []byte(signedMagic)) {
		d.off = 0
		d.fail("not a signed receipt (magic %q)", m)
	}
	rb := d.bytes("receipt", MaxReceiptSize)
	if d.err != nil {
		return d.err
	}
	var out SignedReceipt
	if err := out.Receipt.UnmarshalBinary(rb); err != nil {
		return err
	}
	out.Signatures = make([]Signature, len(out.Receipt.Parties))
	for i := range out.Signatures {
		out.Signatures[i] = decodeSig(d)
	}
	d.end()
	if d.err != nil {
		return d.err
	}
	*s = out
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("ledger: %w: "+format, append([]any{ErrInvalidParams}, args...)...)
}
