package secagg

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/veil-go/veil/internal/sealed"
)

// Message tags: the first byte of every encoded message.
const (
	tagAdvert byte = 1 + iota
	tagKeyList
	tagShareBundle
	tagShareDelivery
	tagMaskedInput
	tagUnmaskRequest
	tagUnmaskResponse
	tagAbort
	tagCountedSet
	tagCountedSig
	tagAnnounce
	tagEnrolment
	tagReveal
)

// ciphertextSize is the size of an encrypted pair of shares: the mask-key
// share and the seed share, sealed (nonce and tag added).
const ciphertextSize = 2*ShareSize + sealed.Overhead

// maxReason bounds the reason text of an [AbortMsg].
const maxReason = 1024

// message is what every protocol message implements.
type message interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// AnnounceMsg opens a round, server to client: the shared parameters
// ([Params.MarshalBinary]), session included. A client in another process
// rebuilds the round's [Params] from it ([Expectation.Accept]); every
// signature of the round covers their [Params.Digest], so clients that
// were announced different parameters cannot complete a round together.
type AnnounceMsg struct {
	Params []byte
}

// AdvertMsg is the advertise step, client to server: the client's two
// X25519 public keys (one for the encrypted channel to its neighbors, one
// for pairwise-mask agreement) and its commitment to a fresh graph nonce,
// signed with the client's identity key over the [Params.Digest] (Params),
// the commitment and its id. The server relays it to the client's
// neighbors in a [KeyListMsg].
type AdvertMsg struct {
	ID     int
	Params [DigestSize]byte
	// Commitment is SHA-256 of the client's graph nonce (with the digest
	// and its id), revealed in the reveal step; CommitmentSig is the
	// client's identity signature on it (with the digest and its id),
	// which the server checks and does not relay.
	Commitment    [NonceSize]byte
	CommitmentSig []byte
	// Advert is the signed advert: keys, certificate chain and signature,
	// opaque to the server (at most MaxAdvertSize bytes).
	Advert []byte
}

// MaxAdvertSize bounds [AdvertMsg.Advert]: room for the keys, a
// certificate chain of 16 KiB and the signature.
const MaxAdvertSize = 17560

// The bound is internal/sealed's; the two constants must agree.
var _ [MaxAdvertSize - sealed.MaxAdvertSize]struct{}
var _ [sealed.MaxAdvertSize - MaxAdvertSize]struct{}

// Enrolled is one enrolled client: its id and its commitment to its graph
// nonce.
type Enrolled struct {
	ID         int
	Commitment [NonceSize]byte
}

// EnrolmentMsg closes the advertise step, server to client To: the
// enrolled set, every client whose advert the server accepted, with their
// commitments, sorted by id. The client answers with its nonce
// ([Client.Reveal]); the graph is drawn from the nonces of exactly this
// set.
type EnrolmentMsg struct {
	To       int
	Enrolled []Enrolled
}

// RevealMsg is the reveal step, client to server and relayed by it to
// every enrolled client in a [KeyListMsg]: the graph nonce client ID
// committed to.
type RevealMsg struct {
	ID    int
	Nonce [NonceSize]byte
}

// KeyListMsg closes the reveal step, server to client To: the nonces of
// every enrolled client (sorted by id), from which To draws the graph,
// and the adverts of To's neighbors in that graph, sorted by id.
type KeyListMsg struct {
	To      int
	Reveals []RevealMsg
	Keys    []AdvertMsg
}

// EncryptedShare carries client From's shares of its mask key and
// self-mask seed for client To, sealed for To.
type EncryptedShare struct {
	From, To   int
	Ciphertext []byte
}

// ShareBundleMsg is the second step, client to server: one
// [EncryptedShare] per neighbor in the client's key list.
type ShareBundleMsg struct {
	From   int
	Shares []EncryptedShare
}

// ShareDeliveryMsg is the server's answer to the second step, to client
// To: the shares addressed to To by the neighbors that sent their bundles.
// The senders are exactly the neighbors To masks with.
type ShareDeliveryMsg struct {
	To     int
	Shares []EncryptedShare
}

// MaskedInputMsg is the third step, client to server: the masked vector.
type MaskedInputMsg struct {
	ID     int
	Vector []uint64
}

// CountedSetMsg opens the consistency step, server to client To: the set
// U3 of all clients whose masked input the server counted, sorted. Each
// counted client signs it ([Client.SignCounted]).
type CountedSetMsg struct {
	To      int
	Counted []int
}

// CountedSigMsg is a client's answer to a [CountedSetMsg], client to
// server: its identity's signature on the counted set, the parameters'
// digest and its id.
type CountedSigMsg struct {
	From int
	Sig  []byte
}

// MaxSignatureSize bounds a signature in a [CountedSigMsg] (an RSA-4096
// signature is 512 bytes).
const MaxSignatureSize = 1024

// UnmaskRequestMsg is the server's request of the unmask step, to client
// To: the counted set of the [CountedSetMsg] again, with the signatures on
// it of To's counted neighbors. To answers only if t of them verify; it
// then sends the share of the self-mask seed of each counted neighbor and
// of the mask key of each neighbor that shared keys but was not counted.
type UnmaskRequestMsg struct {
	To         int
	Counted    []int
	Signatures []CountedSigMsg
}

// SecretShare is one Shamir share of client Owner's secret.
type SecretShare struct {
	Owner int
	Value [ShareSize]byte
}

// UnmaskResponseMsg is the last step, client to server: the shares the
// signed counted set implies, sorted by owner.
type UnmaskResponseMsg struct {
	From       int
	KeyShares  []SecretShare
	SeedShares []SecretShare
}

// AbortMsg is sent by the server to a client it excludes or when the round
// aborts, and by a client that gives up.
type AbortMsg struct {
	Reason string
}

// encoder appends big-endian fields.
type encoder struct{ b []byte }

func (e *encoder) u8(v byte)      { e.b = append(e.b, v) }
func (e *encoder) u32(v int)      { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) }
func (e *encoder) bytes(v []byte) { e.b = append(e.b, v...) }

// decoder reads big-endian fields, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func newDecoder(b []byte, tag byte, what string) *decoder {
	d := &decoder{b: b}
	if len(b) == 0 || b[0] != tag {
		d.err = fmt.Errorf("%w: not a %s message", ErrMalformed, what)
		return d
	}
	d.b = b[1:]
	return d
}

func (d *decoder) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, a...)...)
	}
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.fail("truncated")
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u8() byte {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

// id reads a client id (1..MaxClients) or, with zeroOK, also 0.
func (d *decoder) id() int {
	v := d.take(4)
	if v == nil {
		return 0
	}
	x := binary.BigEndian.Uint32(v)
	if x == 0 || x > MaxClients {
		d.fail("client id %d out of range", x)
		return 0
	}
	return int(x)
}

// count reads a list length whose elements take at least elem bytes each.
func (d *decoder) count(limit, elem int) int {
	v := d.take(4)
	if v == nil {
		return 0
	}
	x := binary.BigEndian.Uint32(v)
	if uint64(x) > uint64(limit) || uint64(x)*uint64(elem) > uint64(len(d.b)) {
		d.fail("list of %d elements does not fit", x)
		return 0
	}
	return int(x)
}

func (d *decoder) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	return d.err
}

// maxAnnounce bounds an [AnnounceMsg]: the fixed fields and a roster of
// MaxClients+1 names.
const maxAnnounce = 128 + (MaxClients+1)*(1+maxName)

// MarshalBinary encodes the message.
func (m *AnnounceMsg) MarshalBinary() ([]byte, error) {
	if len(m.Params) > maxAnnounce {
		return nil, fmt.Errorf("secagg: %w: parameters of %d bytes", ErrInvalidParams, len(m.Params))
	}
	e := &encoder{b: make([]byte, 0, 5+len(m.Params))}
	e.u8(tagAnnounce)
	e.u32(len(m.Params))
	e.bytes(m.Params)
	return e.b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input (the
// parameters themselves are checked by [Params.UnmarshalBinary]).
func (m *AnnounceMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagAnnounce, "AnnounceMsg")
	n := d.count(maxAnnounce, 1)
	m.Params = bytes.Clone(d.take(n))
	return d.end()
}

// advertiseMin is the smallest encoding of an AdvertMsg's body.
const advertiseMin = 4 + DigestSize + NonceSize + 4 + 4

func (m *AdvertMsg) encode(e *encoder) error {
	if len(m.Advert) > MaxAdvertSize {
		return fmt.Errorf("secagg: %w: advert of %d bytes exceeds %d", ErrInvalidParams, len(m.Advert), MaxAdvertSize)
	}
	if len(m.CommitmentSig) > MaxSignatureSize {
		return fmt.Errorf("secagg: %w: signature of %d bytes exceeds %d", ErrInvalidParams, len(m.CommitmentSig), MaxSignatureSize)
	}
	e.u32(m.ID)
	e.bytes(m.Params[:])
	e.bytes(m.Commitment[:])
	e.u32(len(m.CommitmentSig))
	e.bytes(m.CommitmentSig)
	e.u32(len(m.Advert))
	e.bytes(m.Advert)
	return nil
}

func (m *AdvertMsg) decode(d *decoder) {
	m.ID = d.id()
	copy(m.Params[:], d.take(DigestSize))
	copy(m.Commitment[:], d.take(NonceSize))
	n := d.count(MaxSignatureSize, 1)
	m.CommitmentSig = bytes.Clone(d.take(n))
	n = d.count(MaxAdvertSize, 1)
	m.Advert = bytes.Clone(d.take(n))
}

// MarshalBinary encodes the message.
func (m *AdvertMsg) MarshalBinary() ([]byte, error) {
	e := &encoder{b: make([]byte, 0, 1+advertiseMin+len(m.Advert))}
	e.u8(tagAdvert)
	if err := m.encode(e); err != nil {
		return nil, err
	}
	return e.b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input.
func (m *AdvertMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagAdvert, "AdvertMsg")
	m.decode(d)
	return d.end()
}

// MarshalBinary encodes the message.
func (m *EnrolmentMsg) MarshalBinary() ([]byte, error) {
	e := &encoder{b: make([]byte, 0, 9+(4+NonceSize)*len(m.Enrolled))}
	e.u8(tagEnrolment)
	e.u32(m.To)
	e.u32(len(m.Enrolled))
	for _, x := range m.Enrolled {
		e.u32(x.ID)
		e.bytes(x.Commitment[:])
	}
	return e.b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input.
func (m *EnrolmentMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagEnrolment, "EnrolmentMsg")
	m.To = d.id()
	n := d.count(MaxClients, 4+NonceSize)
	m.Enrolled = make([]Enrolled, n)
	for i := range m.Enrolled {
		m.Enrolled[i].ID = d.id()
		copy(m.Enrolled[i].Commitment[:], d.take(NonceSize))
	}
	return d.end()
}

func (m *RevealMsg) encode(e *encoder) {
	e.u32(m.ID)
	e.bytes(m.Nonce[:])
}

func (m *RevealMsg) decode(d *decoder) {
	m.ID = d.id()
	copy(m.Nonce[:], d.take(NonceSize))
}

// MarshalBinary encodes the message.
func (m *RevealMsg) MarshalBinary() ([]byte, error) {
	e := &encoder{b: make([]byte, 0, 5+NonceSize)}
	e.u8(tagReveal)
	m.encode(e)
	return e.b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input.
func (m *RevealMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagReveal, "RevealMsg")
	m.decode(d)
	return d.end()
}

// MarshalBinary encodes the message.
func (m *KeyListMsg) MarshalBinary() ([]byte, error) {
	size := 13 + (4+NonceSize)*len(m.Reveals)
	for i := range m.Keys {
		size += advertiseMin + len(m.Keys[i].Advert)
	}
	e := &encoder{b: make([]byte, 0, size)}
	e.u8(tagKeyList)
	e.u32(m.To)
	e.u32(len(m.Reveals))
	for i := range m.Reveals {
		m.Reveals[i].encode(e)
	}
	e.u32(len(m.Keys))
	for i := range m.Keys {
		if err := m.Keys[i].encode(e); err != nil {
			return nil, err
		}
	}
	return e.b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input.
func (m *KeyListMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagKeyList, "KeyListMsg")
	m.To = d.id()
	n := d.count(MaxClients, 4+NonceSize)
	m.Reveals = make([]RevealMsg, n)
	for i := range m.Reveals {
		m.Reveals[i].decode(d)
	}
	n = d.count(MaxClients, advertiseMin)
	m.Keys = make([]AdvertMsg, n)
	for i := range m.Keys {
		m.Keys[i].decode(d)
	}
	return d.end()
}

func encodeShares(e *encoder, s []EncryptedShare) error {
	e.u32(len(s))
	for _, x := range s {
		if len(x.Ciphertext) != ciphertextSize {
			return fmt.Errorf("secagg: %w: ciphertext of %d bytes", ErrInvalidParams, len(x.Ciphertext))
		}
		e.u32(x.From)
		e.u32(x.To)
		e.bytes(x.Ciphertext)
	}
	return nil
}

func decodeShares(d *decoder) []EncryptedShare {
	n := d.count(MaxClients, 8+ciphertextSize)
	s := make([]EncryptedShare, n)
	for i := range s {
		s[i].From = d.id()
		s[i].To = d.id()
		s[i].Ciphertext = append([]byte(nil), d.take(ciphertextSize)...)
	}
	return s
}

// MarshalBinary encodes the message.
func (m *ShareBundleMsg) MarshalBinary() ([]byte, error) {
	e := &encoder{b: make([]byte, 0, 9+(8+ciphertextSize)*len(m.Shares))}
	e.u8(tagShareBundle)
	e.u32(m.From)
	if err := encodeShares(e, m.Shares); err != nil {
		return nil, err
	}
	return e.b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input.
func (m *ShareBundleMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagShareBundle, "ShareBundleMsg")
	m.From = d.id()
	m.Shares = decodeShares(d)
	return d.end()
}

// MarshalBinary encodes the message.
func (m *ShareDeliveryMsg) MarshalBinary() ([]byte, error) {
	e := &encoder{b: make([]byte, 0, 9+(8+ciphertextSize)*len(m.Shares))}
	e.u8(tagShareDelivery)
	e.u32(m.To)
	if err := encodeShares(e, m.Shares); err != nil {
		return nil, err
	}
	return e.b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input.
func (m *ShareDeliveryMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagShareDelivery, "ShareDeliveryMsg")
	m.To = d.id()
	m.Shares = decodeShares(d)
	return d.end()
}

// MarshalBinary encodes the message.
func (m *MaskedInputMsg) MarshalBinary() ([]byte, error) {
	if len(m.Vector) > MaxLength {
		return nil, fmt.Errorf("secagg: %w: vector of %d words", ErrInvalidParams, len(m.Vector))
	}
	b := make([]byte, 9+8*len(m.Vector))
	b[0] = tagMaskedInput
	binary.BigEndian.PutUint32(b[1:], uint32(m.ID))
	binary.BigEndian.PutUint32(b[5:], uint32(len(m.Vector)))
	for i, v := range m.Vector {
		binary.LittleEndian.PutUint64(b[9+8*i:], v)
	}
	return b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input.
func (m *MaskedInputMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagMaskedInput, "MaskedInputMsg")
	m.ID = d.id()
	n := d.count(MaxLength, 8)
	raw := d.take(8 * n)
	if err := d.end(); err != nil {
		return err
	}
	m.Vector = make([]uint64, n)
	for i := range m.Vector {
		m.Vector[i] = binary.LittleEndian.Uint64(raw[8*i:])
	}
	return nil
}

func encodeIDs(e *encoder, ids []int) {
	e.u32(len(ids))
	for _, id := range ids {
		e.u32(id)
	}
}

func decodeIDs(d *decoder) []int {
	n := d.count(MaxClients, 4)
	ids := make([]int, n)
	for i := range ids {
		ids[i] = d.id()
	}
	return ids
}

// MarshalBinary encodes the message.
func (m *CountedSetMsg) MarshalBinary() ([]byte, error) {
	e := &encoder{b: make([]byte, 0, 9+4*len(m.Counted))}
	e.u8(tagCountedSet)
	e.u32(m.To)
	encodeIDs(e, m.Counted)
	return e.b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input.
func (m *CountedSetMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagCountedSet, "CountedSetMsg")
	m.To = d.id()
	m.Counted = decodeIDs(d)
	return d.end()
}

func (m *CountedSigMsg) encode(e *encoder) error {
	if len(m.Sig) > MaxSignatureSize {
		return fmt.Errorf("secagg: %w: signature of %d bytes exceeds %d", ErrInvalidParams, len(m.Sig), MaxSignatureSize)
	}
	e.u32(m.From)
	e.u32(len(m.Sig))
	e.bytes(m.Sig)
	return nil
}

func (m *CountedSigMsg) decode(d *decoder) {
	m.From = d.id()
	n := d.count(MaxSignatureSize, 1)
	m.Sig = bytes.Clone(d.take(n))
}

// MarshalBinary encodes the message.
func (m *CountedSigMsg) MarshalBinary() ([]byte, error) {
	e := &encoder{b: make([]byte, 0, 9+len(m.Sig))}
	e.u8(tagCountedSig)
	if err := m.encode(e); err != nil {
		return nil, err
	}
	return e.b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input.
func (m *CountedSigMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagCountedSig, "CountedSigMsg")
	m.decode(d)
	return d.end()
}

// MarshalBinary encodes the message.
func (m *UnmaskRequestMsg) MarshalBinary() ([]byte, error) {
	size := 13 + 4*len(m.Counted)
	for i := range m.Signatures {
		size += 8 + len(m.Signatures[i].Sig)
	}
	e := &encoder{b: make([]byte, 0, size)}
	e.u8(tagUnmaskRequest)
	e.u32(m.To)
	encodeIDs(e, m.Counted)
	e.u32(len(m.Signatures))
	for i := range m.Signatures {
		if err := m.Signatures[i].encode(e); err != nil {
			return nil, err
		}
	}
	return e.b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input.
func (m *UnmaskRequestMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagUnmaskRequest, "UnmaskRequestMsg")
	m.To = d.id()
	m.Counted = decodeIDs(d)
	n := d.count(MaxClients, 8)
	m.Signatures = make([]CountedSigMsg, n)
	for i := range m.Signatures {
		m.Signatures[i].decode(d)
	}
	return d.end()
}

func encodeSecretShares(e *encoder, s []SecretShare) {
	e.u32(len(s))
	for _, x := range s {
		e.u32(x.Owner)
		e.bytes(x.Value[:])
	}
}

func decodeSecretShares(d *decoder) []SecretShare {
	n := d.count(MaxClients, 4+ShareSize)
	s := make([]SecretShare, n)
	for i := range s {
		s[i].Owner = d.id()
		copy(s[i].Value[:], d.take(ShareSize))
	}
	return s
}

// MarshalBinary encodes the message.
func (m *UnmaskResponseMsg) MarshalBinary() ([]byte, error) {
	e := &encoder{b: make([]byte, 0, 13+(4+ShareSize)*(len(m.KeyShares)+len(m.SeedShares)))}
	e.u8(tagUnmaskResponse)
	e.u32(m.From)
	encodeSecretShares(e, m.KeyShares)
	encodeSecretShares(e, m.SeedShares)
	return e.b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input.
func (m *UnmaskResponseMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagUnmaskResponse, "UnmaskResponseMsg")
	m.From = d.id()
	m.KeyShares = decodeSecretShares(d)
	m.SeedShares = decodeSecretShares(d)
	return d.end()
}

// MarshalBinary encodes the message.
func (m *AbortMsg) MarshalBinary() ([]byte, error) {
	r := m.Reason
	if len(r) > maxReason {
		r = r[:maxReason]
	}
	e := &encoder{}
	e.u8(tagAbort)
	e.u32(len(r))
	e.bytes([]byte(r))
	return e.b, nil
}

// UnmarshalBinary decodes the message, rejecting malformed input.
func (m *AbortMsg) UnmarshalBinary(b []byte) error {
	d := newDecoder(b, tagAbort, "AbortMsg")
	n := d.count(maxReason, 1)
	m.Reason = string(d.take(n))
	return d.end()
}
