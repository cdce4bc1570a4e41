package psi

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/veil-go/veil/he"
)

// message kinds: the first byte of every message.
const (
	kindHello byte = iota + 1
	kindPoints
	kindTags
	kindJoin
	kindSumItems
	kindAck
	kindMatches
	kindSumRequest
	kindSumShare
	kindOutcome
	kindLatticeKey
	kindLatticeChunk
	kindLatticeSample
	kindLatticeAnswer
)

// protocolVersion is carried in helloMsg; peers with another version are
// refused with ErrMismatch.
const protocolVersion = 1

// pointLen is the length of an encoded ristretto255 element.
const pointLen = 32

// sealOverhead is what AES-GCM adds to a join payload.
const sealOverhead = 16

// partyRole says which side a helloMsg comes from.
type partyRole uint8

const (
	// roleSender holds the payloads or values; it learns nothing unless
	// RevealToBoth.
	roleSender partyRole = 1
	// roleReceiver learns the output.
	roleReceiver partyRole = 2
)

// String is the role's name in errors and leakage reports.
func (r partyRole) String() string {
	switch r {
	case roleSender:
		return "sender"
	case roleReceiver:
		return "receiver"
	}
	return fmt.Sprintf("role %d", uint8(r))
}

// helloMsg is the first message of each party: what it runs and how many
// distinct items it holds (which the peer learns).
type helloMsg struct {
	Version      uint8
	role         partyRole
	Protocol     Protocol
	Mode         Mode
	RevealToBoth bool
	TagLen       int
	Count        uint64
	MinSum       uint32 // Config.MinSumCardinality
	LatticeSum   bool   // Config.LatticeSum
}

const helloLen = 1 + 1 + 1 + 1 + 1 + 1 + 1 + 8 + 4

// MarshalBinary encodes h.
func (h *helloMsg) MarshalBinary() ([]byte, error) {
	if h.Protocol < 0 || h.Protocol > 255 || h.Mode < 0 || h.Mode > 255 || h.TagLen < 0 || h.TagLen > 255 {
		return nil, fmt.Errorf("%w: hello field out of range", ErrInvalidParams)
	}
	b := make([]byte, helloLen)
	b[0] = kindHello
	b[1] = h.Version
	b[2] = byte(h.role)
	b[3] = byte(h.Protocol)
	b[4] = byte(h.Mode)
	if h.RevealToBoth {
		b[5] |= 1
	}
	if h.LatticeSum {
		b[5] |= 2
	}
	b[6] = byte(h.TagLen)
	binary.BigEndian.PutUint64(b[7:], h.Count)
	binary.BigEndian.PutUint32(b[15:], h.MinSum)
	return b, nil
}

// UnmarshalBinary decodes a helloMsg, rejecting a wrong size, kind, role or
// flag, and a count above MaxItems.
func (h *helloMsg) UnmarshalBinary(b []byte) error {
	if err := checkKind(b, kindHello, "hello"); err != nil {
		return err
	}
	if len(b) != helloLen {
		return fmt.Errorf("%w: hello is %d bytes, want %d", ErrMalformed, len(b), helloLen)
	}
	if b[2] != byte(roleSender) && b[2] != byte(roleReceiver) {
		return fmt.Errorf("%w: hello: unknown role %d", ErrMalformed, b[2])
	}
	if b[5] > 3 {
		return fmt.Errorf("%w: hello: bad flags %d", ErrMalformed, b[5])
	}
	count := binary.BigEndian.Uint64(b[7:])
	if count > MaxItems {
		return fmt.Errorf("%w: hello: %d items, above %d", ErrMalformed, count, MaxItems)
	}
	*h = helloMsg{Version: b[1], role: partyRole(b[2]), Protocol: Protocol(b[3]), Mode: Mode(b[4]),
		RevealToBoth: b[5]&1 == 1, TagLen: int(b[6]), Count: count, MinSum: binary.BigEndian.Uint32(b[15:]),
		LatticeSum: b[5]&2 == 2}
	return nil
}

// pointBatch carries encoded ristretto255 elements: the receiver's blinded
// items, the sender's evaluations of them, or the sender's own blinded items.
// Points is the concatenation of 32-byte encodings; whether each is a valid
// encoding is checked when it is used.
type pointBatch struct {
	Points []byte
}

// Len is the number of points.
func (p *pointBatch) Len() int { return len(p.Points) / pointLen }

// MarshalBinary encodes p.
func (p *pointBatch) MarshalBinary() ([]byte, error) {
	if len(p.Points)%pointLen != 0 || len(p.Points)/pointLen > MaxBatchSize {
		return nil, fmt.Errorf("%w: point batch of %d bytes", ErrInvalidParams, len(p.Points))
	}
	b := make([]byte, 5, 5+len(p.Points))
	b[0] = kindPoints
	binary.BigEndian.PutUint32(b[1:], uint32(len(p.Points)/pointLen))
	return append(b, p.Points...), nil
}

// UnmarshalBinary decodes a pointBatch, checking its size against its count.
func (p *pointBatch) UnmarshalBinary(b []byte) error {
	n, rest, err := batchHeader(b, kindPoints, "point batch")
	if err != nil {
		return err
	}
	if len(rest) != n*pointLen {
		return fmt.Errorf("%w: point batch: %d bytes for %d points", ErrMalformed, len(rest), n)
	}
	p.Points = rest
	return nil
}

// tagBatch carries truncated hashes of doubly blinded items, TagLen bytes
// each.
type tagBatch struct {
	TagLen int
	Tags   []byte
}

// Len is the number of tags.
func (t *tagBatch) Len() int { return len(t.Tags) / t.TagLen }

// MarshalBinary encodes t.
func (t *tagBatch) MarshalBinary() ([]byte, error) {
	if t.TagLen < MinTagLen || t.TagLen > MaxTagLen || len(t.Tags)%t.TagLen != 0 || len(t.Tags)/t.TagLen > MaxBatchSize {
		return nil, fmt.Errorf("%w: tag batch of %d bytes, tag length %d", ErrInvalidParams, len(t.Tags), t.TagLen)
	}
	b := make([]byte, 6, 6+len(t.Tags))
	b[0] = kindTags
	binary.BigEndian.PutUint32(b[1:], uint32(len(t.Tags)/t.TagLen))
	b[5] = byte(t.TagLen)
	return append(b, t.Tags...), nil
}

// UnmarshalBinary decodes a tagBatch.
func (t *tagBatch) UnmarshalBinary(b []byte) error {
	n, rest, err := batchHeader(b, kindTags, "tag batch")
	if err != nil {
		return err
	}
	if len(rest) < 1 {
		return fmt.Errorf("%w: tag batch: truncated", ErrMalformed)
	}
	tl := int(rest[0])
	if tl < MinTagLen || tl > MaxTagLen {
		return fmt.Errorf("%w: tag batch: tag length %d", ErrMalformed, tl)
	}
	rest = rest[1:]
	if len(rest) != n*tl {
		return fmt.Errorf("%w: tag batch: %d bytes for %d tags of %d", ErrMalformed, len(rest), n, tl)
	}
	t.TagLen, t.Tags = tl, rest
	return nil
}

// joinBatch carries, per sender item, its tag and its payload sealed under a
// key derived from the item's PRF value.
type joinBatch struct {
	TagLen int
	Tags   []byte
	Sealed [][]byte
}

// MarshalBinary encodes j.
func (j *joinBatch) MarshalBinary() ([]byte, error) {
	if j.TagLen < MinTagLen || j.TagLen > MaxTagLen || len(j.Tags) != len(j.Sealed)*j.TagLen || len(j.Sealed) > MaxBatchSize {
		return nil, fmt.Errorf("%w: join batch of %d tag bytes, %d payloads", ErrInvalidParams, len(j.Tags), len(j.Sealed))
	}
	size := 6 + len(j.Tags)
	for _, s := range j.Sealed {
		if len(s) < sealOverhead || len(s) > MaxPayload+sealOverhead {
			return nil, fmt.Errorf("%w: sealed payload of %d bytes", ErrInvalidParams, len(s))
		}
		size += 4 + len(s)
	}
	b := make([]byte, 6, size)
	b[0] = kindJoin
	binary.BigEndian.PutUint32(b[1:], uint32(len(j.Sealed)))
	b[5] = byte(j.TagLen)
	for i, s := range j.Sealed {
		b = append(b, j.Tags[i*j.TagLen:(i+1)*j.TagLen]...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

// UnmarshalBinary decodes a joinBatch, checking every length.
func (j *joinBatch) UnmarshalBinary(b []byte) error {
	n, rest, err := batchHeader(b, kindJoin, "join batch")
	if err != nil {
		return err
	}
	if len(rest) < 1 {
		return fmt.Errorf("%w: join batch: truncated", ErrMalformed)
	}
	tl := int(rest[0])
	if tl < MinTagLen || tl > MaxTagLen {
		return fmt.Errorf("%w: join batch: tag length %d", ErrMalformed, tl)
	}
	rest = rest[1:]
	if len(rest) < n*(tl+4+sealOverhead) {
		return fmt.Errorf("%w: join batch: %d bytes for %d items", ErrMalformed, len(rest), n)
	}
	tags := make([]byte, 0, n*tl)
	sealed := make([][]byte, n)
	for i := range n {
		if len(rest) < tl+4 {
			return fmt.Errorf("%w: join batch: item %d truncated", ErrMalformed, i)
		}
		tags = append(tags, rest[:tl]...)
		l := binary.BigEndian.Uint32(rest[tl:])
		rest = rest[tl+4:]
		if l < sealOverhead || l > MaxPayload+sealOverhead || uint64(len(rest)) < uint64(l) {
			return fmt.Errorf("%w: join batch: item %d: sealed length %d", ErrMalformed, i, l)
		}
		sealed[i] = rest[:l:l]
		rest = rest[l:]
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: join batch: %d trailing bytes", ErrMalformed, len(rest))
	}
	j.TagLen, j.Tags, j.Sealed = tl, tags, sealed
	return nil
}

// sumItemBatch carries, per sender item, its blinded point and an
// exponential-ElGamal encryption (C1, C2) of its value under the sender's
// key: 96 bytes per item.
type sumItemBatch struct {
	Points []byte // 32 bytes per item
	Cipher []byte // 64 bytes per item: C1 || C2
}

// Len is the number of items.
func (s *sumItemBatch) Len() int { return len(s.Points) / pointLen }

// MarshalBinary encodes s.
func (s *sumItemBatch) MarshalBinary() ([]byte, error) {
	n := len(s.Points) / pointLen
	if len(s.Points)%pointLen != 0 || len(s.Cipher) != 2*pointLen*n || n > MaxBatchSize {
		return nil, fmt.Errorf("%w: sum batch of %d+%d bytes", ErrInvalidParams, len(s.Points), len(s.Cipher))
	}
	b := make([]byte, 5, 5+3*pointLen*n)
	b[0] = kindSumItems
	binary.BigEndian.PutUint32(b[1:], uint32(n))
	b = append(b, s.Points...)
	return append(b, s.Cipher...), nil
}

// UnmarshalBinary decodes a sumItemBatch.
func (s *sumItemBatch) UnmarshalBinary(b []byte) error {
	n, rest, err := batchHeader(b, kindSumItems, "sum batch")
	if err != nil {
		return err
	}
	if len(rest) != 3*pointLen*n {
		return fmt.Errorf("%w: sum batch: %d bytes for %d items", ErrMalformed, len(rest), n)
	}
	s.Points, s.Cipher = rest[:pointLen*n], rest[pointLen*n:]
	return nil
}

// ackMsg acknowledges a batch: Count is the number of items it held.
type ackMsg struct {
	Count uint32
}

// MarshalBinary encodes a.
func (a *ackMsg) MarshalBinary() ([]byte, error) {
	b := []byte{kindAck, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], a.Count)
	return b, nil
}

// UnmarshalBinary decodes an ackMsg.
func (a *ackMsg) UnmarshalBinary(b []byte) error {
	if err := checkKind(b, kindAck, "ack"); err != nil {
		return err
	}
	if len(b) != 5 {
		return fmt.Errorf("%w: ack is %d bytes, want 5", ErrMalformed, len(b))
	}
	a.Count = binary.BigEndian.Uint32(b[1:])
	return nil
}

// matchesMsg tells the sender (RevealToBoth, Intersection and Join mode) which
// of the items it streamed matched: bit i (LSB first) of Bitmap is item i of
// the stream.
type matchesMsg struct {
	N      uint32
	Bitmap []byte
}

// MarshalBinary encodes m.
func (m *matchesMsg) MarshalBinary() ([]byte, error) {
	if len(m.Bitmap) != (int(m.N)+7)/8 {
		return nil, fmt.Errorf("%w: bitmap of %d bytes for %d bits", ErrInvalidParams, len(m.Bitmap), m.N)
	}
	b := make([]byte, 5, 5+len(m.Bitmap))
	b[0] = kindMatches
	binary.BigEndian.PutUint32(b[1:], m.N)
	return append(b, m.Bitmap...), nil
}

// UnmarshalBinary decodes matchesMsg, rejecting set bits past N.
func (m *matchesMsg) UnmarshalBinary(b []byte) error {
	if err := checkKind(b, kindMatches, "matches"); err != nil {
		return err
	}
	if len(b) < 5 {
		return fmt.Errorf("%w: matches: truncated", ErrMalformed)
	}
	n := binary.BigEndian.Uint32(b[1:])
	bm := b[5:]
	if uint64(len(bm)) != (uint64(n)+7)/8 {
		return fmt.Errorf("%w: matches: %d bytes for %d bits", ErrMalformed, len(bm), n)
	}
	if r := n % 8; r != 0 && bm[len(bm)-1]>>r != 0 {
		return fmt.Errorf("%w: matches: bits set past the end", ErrMalformed)
	}
	m.N, m.Bitmap = n, bm
	return nil
}

// Count is the number of set bits.
func (m *matchesMsg) Count() int {
	c := 0
	for _, x := range m.Bitmap {
		c += bits.OnesCount8(x)
	}
	return c
}

// sumRequest is the receiver's rerandomised C1 of the summed ciphertext,
// which the sender raises to its secret key.
type sumRequest struct {
	C1 [pointLen]byte
}

// MarshalBinary encodes r.
func (r *sumRequest) MarshalBinary() ([]byte, error) {
	return append([]byte{kindSumRequest}, r.C1[:]...), nil
}

// UnmarshalBinary decodes a sumRequest.
func (r *sumRequest) UnmarshalBinary(b []byte) error {
	if err := checkKind(b, kindSumRequest, "sum request"); err != nil {
		return err
	}
	if len(b) != 1+pointLen {
		return fmt.Errorf("%w: sum request is %d bytes", ErrMalformed, len(b))
	}
	copy(r.C1[:], b[1:])
	return nil
}

// sumShare is the sender's answer: D = s*C1 and its public key Q = s*G.
type sumShare struct {
	D, Q [pointLen]byte
}

// MarshalBinary encodes s.
func (s *sumShare) MarshalBinary() ([]byte, error) {
	b := append([]byte{kindSumShare}, s.D[:]...)
	return append(b, s.Q[:]...), nil
}

// UnmarshalBinary decodes a sumShare.
func (s *sumShare) UnmarshalBinary(b []byte) error {
	if err := checkKind(b, kindSumShare, "sum share"); err != nil {
		return err
	}
	if len(b) != 1+2*pointLen {
		return fmt.Errorf("%w: sum share is %d bytes", ErrMalformed, len(b))
	}
	copy(s.D[:], b[1:])
	copy(s.Q[:], b[1+pointLen:])
	return nil
}

// latticeBlob is a Sum message of the lattice path (Config.LatticeSum)
// that carries one encoding of package he of a fixed size: the sender's
// public key, one chunk of encrypted values, or the receiver's sample.
type latticeBlob struct {
	kind byte
	Data []byte
}

func latticeSize(kind byte) (int, string) {
	switch kind {
	case kindLatticeKey:
		return he.SubsetSumPublicKeySize(), "lattice key"
	case kindLatticeChunk:
		return he.SubsetSumChunkSize(), "lattice chunk"
	}
	return he.SubsetSumSampleSize(), "lattice sample"
}

// MarshalBinary encodes l.
func (l *latticeBlob) MarshalBinary() ([]byte, error) {
	if n, what := latticeSize(l.kind); len(l.Data) != n {
		return nil, fmt.Errorf("%w: %s of %d bytes, want %d", ErrInvalidParams, what, len(l.Data), n)
	}
	return append([]byte{l.kind}, l.Data...), nil
}

// UnmarshalBinary decodes a latticeBlob of l's kind (its contents are
// checked by package he); Data aliases b.
func (l *latticeBlob) UnmarshalBinary(b []byte) error {
	n, what := latticeSize(l.kind)
	if err := checkKind(b, l.kind, what); err != nil {
		return err
	}
	if len(b) != 1+n {
		return fmt.Errorf("%w: %s is %d bytes, want %d", ErrMalformed, what, len(b), 1+n)
	}
	l.Data = b[1:]
	return nil
}

// latticeAnswer is the sender's decryption of the receiver's sample: the
// sum plus the receiver's mask (plus SumNoise), modulo 2^64.
type latticeAnswer struct {
	M uint64
}

// MarshalBinary encodes a.
func (a *latticeAnswer) MarshalBinary() ([]byte, error) {
	return binary.BigEndian.AppendUint64([]byte{kindLatticeAnswer}, a.M), nil
}

// UnmarshalBinary decodes a latticeAnswer.
func (a *latticeAnswer) UnmarshalBinary(b []byte) error {
	if err := checkKind(b, kindLatticeAnswer, "lattice answer"); err != nil {
		return err
	}
	if len(b) != 9 {
		return fmt.Errorf("%w: lattice answer is %d bytes", ErrMalformed, len(b))
	}
	a.M = binary.BigEndian.Uint64(b[1:])
	return nil
}

// outcomeMsg tells the sender (RevealToBoth, Cardinality and Sum mode) what the
// receiver learned.
type outcomeMsg struct {
	Cardinality uint64
	Sum         int64
}

// MarshalBinary encodes o.
func (o *outcomeMsg) MarshalBinary() ([]byte, error) {
	b := make([]byte, 17)
	b[0] = kindOutcome
	binary.BigEndian.PutUint64(b[1:], o.Cardinality)
	binary.BigEndian.PutUint64(b[9:], uint64(o.Sum))
	return b, nil
}

// UnmarshalBinary decodes an outcomeMsg.
func (o *outcomeMsg) UnmarshalBinary(b []byte) error {
	if err := checkKind(b, kindOutcome, "outcome"); err != nil {
		return err
	}
	if len(b) != 17 {
		return fmt.Errorf("%w: outcome is %d bytes", ErrMalformed, len(b))
	}
	o.Cardinality = binary.BigEndian.Uint64(b[1:])
	o.Sum = int64(binary.BigEndian.Uint64(b[9:]))
	return nil
}

func checkKind(b []byte, kind byte, what string) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty message, want %s", ErrMalformed, what)
	}
	if b[0] != kind {
		return fmt.Errorf("%w: message kind %d, want %s", ErrMalformed, b[0], what)
	}
	return nil
}

// batchHeader checks the kind and reads the item count (1..MaxBatchSize).
func batchHeader(b []byte, kind byte, what string) (int, []byte, error) {
	if err := checkKind(b, kind, what); err != nil {
		return 0, nil, err
	}
	if len(b) < 5 {
		return 0, nil, fmt.Errorf("%w: %s: truncated header", ErrMalformed, what)
	}
	n := binary.BigEndian.Uint32(b[1:])
	if n == 0 || n > MaxBatchSize {
		return 0, nil, fmt.Errorf("%w: %s: %d items (want 1..%d)", ErrMalformed, what, n, MaxBatchSize)
	}
	return int(n), b[5:], nil
}
