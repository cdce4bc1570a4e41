package he

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/veil-go/veil/internal/sealed"
	"github.com/veil-go/veil/transport"
)

// The runner's messages. Each is one transport message: a type byte, then
// the fields below in order, integers big-endian; a field marked "rest"
// takes the remaining bytes. The he objects inside (keys, shares,
// ciphertexts) keep their own binary forms, which their decoders check
// against the Params.
//
//	crs         hub -> holder   CRS (32 bytes)
//	keygen      holder -> hub   advert length (4), signed advert, public-key share (rest)
//	adverts     hub -> holder   count (2), count x (length (4), advert)
//	deals       both ways       count (2), count x (length (4), sealed box); from the hub, one box set
//	publickey   hub -> spoke    public key (rest)
//	ciphertext  client -> hub   ciphertext (rest)
//	proof       client -> hub   proof of well-formedness of the ciphertext (rest)
//	contribution hub -> holder  client (4), masks length (4), masks, proof (rest)
//	decrypt     hub -> holder   attempt (4), set size (2), set x index (4), masks (rest;
//	                            empty on the verified path: the holder sums the contributions)
//	share       holder -> hub   attempt (4), decryption share (rest)
//	result      hub -> spoke    counted (4), counted x index (4), values (4), values x 8
//	abort       both ways       reason (rest, at most maxReason bytes)
type msgType byte

const (
	typeCRS msgType = iota + 1
	typeKeyGen
	typeAdverts
	typeDeals
	typePublicKey
	typeCiphertext
	typeDecrypt
	typeShare
	typeResult
	typeAbort
	typeProof
	typeContribution
)

func (t msgType) String() string {
	names := [...]string{"", "crs", "keygen", "adverts", "deals", "publickey", "ciphertext", "decrypt", "share", "result", "abort", "proof", "contribution"}
	if int(t) < len(names) && t > 0 {
		return names[t]
	}
	return fmt.Sprintf("type %d", byte(t))
}

// maxReason bounds the reason carried by an abort message.
const maxReason = 1024

// message is one of the runner's messages.
type message interface {
	typ() msgType
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

type crsMsg struct{ CRS CRS }

type keyGenMsg struct {
	Advert []byte // encoded sealed.Advert; empty for an N-of-N key
	Share  []byte // encoded PublicKeyShare
}

type advertsMsg struct{ Adverts [][]byte }

// dealsMsg carries sealed Shamir shares: from holder i, Boxes[j] is for
// holder j (slot i empty); relayed by the hub, only Boxes[i] is set, the
// deal from holder i.
type dealsMsg struct{ Boxes [][]byte }

type publicKeyMsg struct{ Key []byte }

type ciphertextMsg struct{ Ciphertext []byte }

type proofMsg struct{ Proof []byte }

// contributionMsg is a verified contribution the hub forwards to a key
// holder, which verifies it again before any decryption share is made.
type contributionMsg struct {
	Client int
	Masks  []byte
	Proof  []byte
}

type decryptMsg struct {
	Attempt uint32
	Active  []int // key-holder indices; nil for an N-of-N key
	Masks   []byte
}

type shareMsg struct {
	Attempt uint32
	Share   []byte
}

type resultMsg struct {
	Counted []int    // mesh indices of the counted clients
	Values  []uint64 // int64 (BGV) or float64 bits (CKKS)
}

type abortMsg struct{ Reason string }

func (*crsMsg) typ() msgType        { return typeCRS }
func (*keyGenMsg) typ() msgType     { return typeKeyGen }
func (*advertsMsg) typ() msgType    { return typeAdverts }
func (*dealsMsg) typ() msgType      { return typeDeals }
func (*publicKeyMsg) typ() msgType  { return typePublicKey }
func (*ciphertextMsg) typ() msgType { return typeCiphertext }
func (*decryptMsg) typ() msgType    { return typeDecrypt }
func (*shareMsg) typ() msgType      { return typeShare }
func (*resultMsg) typ() msgType     { return typeResult }
func (*abortMsg) typ() msgType      { return typeAbort }
func (*proofMsg) typ() msgType      { return typeProof }
func (*contributionMsg) typ() msgType {
	return typeContribution
}

// reader reads big-endian fields and fails once, with ErrMalformed.
type reader struct {
	t   msgType
	b   []byte
	err error
}

func newReader(t msgType, data []byte) *reader {
	r := &reader{t: t}
	if len(data) < 1 || msgType(data[0]) != t {
		r.err = fmt.Errorf("%w: not a %v message", ErrMalformed, t)
		return r
	}
	r.b = data[1:]
	return r
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %v message: %s", ErrMalformed, r.t, what)
	}
	r.b = nil
}

func (r *reader) u16() int {
	if r.err != nil || len(r.b) < 2 {
		r.fail("short")
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return int(v)
}

func (r *reader) u32() uint32 {
	if r.err != nil || len(r.b) < 4 {
		r.fail("short")
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

// index reads a 4-byte index below 2^31.
func (r *reader) index() int {
	v := r.u32()
	if v > math.MaxInt32 {
		r.fail("index out of range")
		return 0
	}
	return int(v)
}

// bytes reads a 4-byte length and that many bytes (at most max).
func (r *reader) bytes(max int) []byte {
	n := r.u32()
	if r.err != nil {
		return nil
	}
	if int64(n) > int64(max) || int64(n) > int64(len(r.b)) {
		r.fail(fmt.Sprintf("field of %d bytes", n))
		return nil
	}
	out := append([]byte{}, r.b[:n]...)
	r.b = r.b[n:]
	return out
}

// list reads a 2-byte count and count length-prefixed fields; the count is
// checked against what is left before anything is allocated.
func (r *reader) list(max int) [][]byte {
	n := r.u16()
	if r.err != nil {
		return nil
	}
	if 4*n > len(r.b) {
		r.fail(fmt.Sprintf("%d fields in %d bytes", n, len(r.b)))
		return nil
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = r.bytes(max)
	}
	return out
}

func (r *reader) rest() []byte {
	if r.err != nil {
		return nil
	}
	out := append([]byte{}, r.b...)
	r.b = nil
	return out
}

func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail(fmt.Sprintf("%d trailing bytes", len(r.b)))
	}
	return r.err
}

func appendBytes(b, field []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(field)))
	return append(b, field...)
}

func appendList(b []byte, fields [][]byte) ([]byte, error) {
	if len(fields) > math.MaxUint16 {
		return nil, fmt.Errorf("he: %w: %d fields in one message", ErrInvalidParams, len(fields))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(fields)))
	for _, f := range fields {
		b = appendBytes(b, f)
	}
	return b, nil
}

// maxBox bounds a sealed Shamir share: one QP polynomial of the largest
// ring (2^16 coefficients, 8 moduli) plus header and seal.
const maxBox = 1<<16*8*12 + 64 + sealed.Overhead

func (m *crsMsg) MarshalBinary() ([]byte, error) {
	return append([]byte{byte(typeCRS)}, m.CRS[:]...), nil
}

func (m *crsMsg) UnmarshalBinary(data []byte) error {
	r := newReader(typeCRS, data)
	if r.err == nil && len(r.b) != len(m.CRS) {
		r.fail(fmt.Sprintf("CRS of %d bytes", len(r.b)))
	}
	if r.err == nil {
		copy(m.CRS[:], r.b)
		r.b = nil
	}
	return r.done()
}

func (m *keyGenMsg) MarshalBinary() ([]byte, error) {
	b := appendBytes([]byte{byte(typeKeyGen)}, m.Advert)
	return append(b, m.Share...), nil
}

func (m *keyGenMsg) UnmarshalBinary(data []byte) error {
	r := newReader(typeKeyGen, data)
	adv := r.bytes(sealed.MaxAdvertSize)
	share := r.rest()
	if err := r.done(); err != nil {
		return err
	}
	m.Advert, m.Share = adv, share
	return nil
}

func (m *advertsMsg) MarshalBinary() ([]byte, error) {
	return appendList([]byte{byte(typeAdverts)}, m.Adverts)
}

func (m *advertsMsg) UnmarshalBinary(data []byte) error {
	r := newReader(typeAdverts, data)
	l := r.list(sealed.MaxAdvertSize)
	if err := r.done(); err != nil {
		return err
	}
	m.Adverts = l
	return nil
}

func (m *dealsMsg) MarshalBinary() ([]byte, error) {
	return appendList([]byte{byte(typeDeals)}, m.Boxes)
}

func (m *dealsMsg) UnmarshalBinary(data []byte) error {
	r := newReader(typeDeals, data)
	l := r.list(maxBox)
	if err := r.done(); err != nil {
		return err
	}
	m.Boxes = l
	return nil
}

func (m *publicKeyMsg) MarshalBinary() ([]byte, error) {
	return append([]byte{byte(typePublicKey)}, m.Key...), nil
}

func (m *publicKeyMsg) UnmarshalBinary(data []byte) error {
	r := newReader(typePublicKey, data)
	k := r.rest()
	if err := r.done(); err != nil {
		return err
	}
	m.Key = k
	return nil
}

func (m *ciphertextMsg) MarshalBinary() ([]byte, error) {
	return append([]byte{byte(typeCiphertext)}, m.Ciphertext...), nil
}

func (m *ciphertextMsg) UnmarshalBinary(data []byte) error {
	r := newReader(typeCiphertext, data)
	c := r.rest()
	if err := r.done(); err != nil {
		return err
	}
	m.Ciphertext = c
	return nil
}

func (m *proofMsg) MarshalBinary() ([]byte, error) {
	return append([]byte{byte(typeProof)}, m.Proof...), nil
}

func (m *proofMsg) UnmarshalBinary(data []byte) error {
	r := newReader(typeProof, data)
	pr := r.rest()
	if err := r.done(); err != nil {
		return err
	}
	m.Proof = pr
	return nil
}

func (m *contributionMsg) MarshalBinary() ([]byte, error) {
	if m.Client < 0 || m.Client > math.MaxInt32 {
		return nil, fmt.Errorf("he: %w: client %d", ErrInvalidParams, m.Client)
	}
	b := binary.BigEndian.AppendUint32([]byte{byte(typeContribution)}, uint32(m.Client))
	b = appendBytes(b, m.Masks)
	return append(b, m.Proof...), nil
}

func (m *contributionMsg) UnmarshalBinary(data []byte) error {
	r := newReader(typeContribution, data)
	client := r.index()
	masks := r.bytes(math.MaxInt32)
	pr := r.rest()
	if err := r.done(); err != nil {
		return err
	}
	m.Client, m.Masks, m.Proof = client, masks, pr
	return nil
}

func (m *decryptMsg) MarshalBinary() ([]byte, error) {
	if len(m.Active) > math.MaxUint16 {
		return nil, fmt.Errorf("he: %w: decryption set of %d", ErrInvalidParams, len(m.Active))
	}
	b := binary.BigEndian.AppendUint32([]byte{byte(typeDecrypt)}, m.Attempt)
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Active)))
	for _, a := range m.Active {
		if a < 0 || a > math.MaxInt32 {
			return nil, fmt.Errorf("he: %w: key holder %d", ErrInvalidParams, a)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(a))
	}
	return append(b, m.Masks...), nil
}

func (m *decryptMsg) UnmarshalBinary(data []byte) error {
	r := newReader(typeDecrypt, data)
	attempt := r.u32()
	n := r.u16()
	if r.err == nil && 4*n > len(r.b) {
		r.fail(fmt.Sprintf("decryption set of %d", n))
	}
	var active []int
	if r.err == nil && n > 0 {
		active = make([]int, n)
		for i := range active {
			active[i] = r.index()
		}
	}
	masks := r.rest()
	if err := r.done(); err != nil {
		return err
	}
	m.Attempt, m.Active, m.Masks = attempt, active, masks
	return nil
}

func (m *shareMsg) MarshalBinary() ([]byte, error) {
	b := binary.BigEndian.AppendUint32([]byte{byte(typeShare)}, m.Attempt)
	return append(b, m.Share...), nil
}

func (m *shareMsg) UnmarshalBinary(data []byte) error {
	r := newReader(typeShare, data)
	attempt := r.u32()
	s := r.rest()
	if err := r.done(); err != nil {
		return err
	}
	m.Attempt, m.Share = attempt, s
	return nil
}

func (m *resultMsg) MarshalBinary() ([]byte, error) {
	b := binary.BigEndian.AppendUint32([]byte{byte(typeResult)}, uint32(len(m.Counted)))
	for _, j := range m.Counted {
		if j < 0 || j > math.MaxInt32 {
			return nil, fmt.Errorf("he: %w: client %d", ErrInvalidParams, j)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(j))
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Values)))
	for _, v := range m.Values {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return b, nil
}

func (m *resultMsg) UnmarshalBinary(data []byte) error {
	r := newReader(typeResult, data)
	nc := r.u32()
	if r.err == nil && int64(nc)*4 > int64(len(r.b)) {
		r.fail(fmt.Sprintf("%d counted clients", nc))
	}
	var counted []int
	if r.err == nil {
		counted = make([]int, nc)
		for i := range counted {
			counted[i] = r.index()
		}
	}
	nv := r.u32()
	if r.err == nil && int64(nv)*8 != int64(len(r.b)) {
		r.fail(fmt.Sprintf("%d values in %d bytes", nv, len(r.b)))
	}
	var values []uint64
	if r.err == nil {
		values = make([]uint64, nv)
		for i := range values {
			values[i] = binary.BigEndian.Uint64(r.b[8*i:])
		}
		r.b = nil
	}
	if err := r.done(); err != nil {
		return err
	}
	m.Counted, m.Values = counted, values
	return nil
}

func (m *abortMsg) MarshalBinary() ([]byte, error) {
	reason := m.Reason
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	return append([]byte{byte(typeAbort)}, reason...), nil
}

func (m *abortMsg) UnmarshalBinary(data []byte) error {
	r := newReader(typeAbort, data)
	if r.err == nil && len(r.b) > maxReason {
		r.fail(fmt.Sprintf("reason of %d bytes", len(r.b)))
	}
	reason := r.rest()
	if err := r.done(); err != nil {
		return err
	}
	m.Reason = string(reason)
	return nil
}

// decodeMessage decodes any runner message.
func decodeMessage(data []byte) (message, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty message", ErrMalformed)
	}
	var m message
	switch msgType(data[0]) {
	case typeCRS:
		m = new(crsMsg)
	case typeKeyGen:
		m = new(keyGenMsg)
	case typeAdverts:
		m = new(advertsMsg)
	case typeDeals:
		m = new(dealsMsg)
	case typePublicKey:
		m = new(publicKeyMsg)
	case typeCiphertext:
		m = new(ciphertextMsg)
	case typeDecrypt:
		m = new(decryptMsg)
	case typeShare:
		m = new(shareMsg)
	case typeResult:
		m = new(resultMsg)
	case typeAbort:
		m = new(abortMsg)
	case typeProof:
		m = new(proofMsg)
	case typeContribution:
		m = new(contributionMsg)
	default:
		return nil, fmt.Errorf("%w: unknown message type %d", ErrMalformed, data[0])
	}
	if err := m.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return m, nil
}

func send(ctx context.Context, c transport.Conn, m message) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	return c.Send(ctx, b)
}

// recv receives the next message from c; an abort becomes an error wrapping
// ErrAborted with the peer's reason.
func recv(ctx context.Context, c transport.Conn) (message, error) {
	b, err := c.Recv(ctx)
	if err != nil {
		return nil, err
	}
	m, err := decodeMessage(b)
	if err != nil {
		return nil, err
	}
	if a, ok := m.(*abortMsg); ok {
		return nil, fmt.Errorf("%w by the peer: %s", ErrAborted, a.Reason)
	}
	return m, nil
}

// expect receives the next message from c and requires it to be an M.
func expect[M message](ctx context.Context, c transport.Conn) (M, error) {
	var want M
	m, err := recv(ctx, c)
	if err != nil {
		return want, err
	}
	got, ok := m.(M)
	if !ok {
		return want, fmt.Errorf("%w: expected a %v message, got a %v", ErrMalformed, want.typ(), m.typ())
	}
	return got, nil
}
