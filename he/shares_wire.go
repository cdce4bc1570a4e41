package he

import (
	"encoding/binary"
	"fmt"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// Decryption and re-encryption shares on the wire:
//
//	header | key fingerprint 16 | party u32 | length u32 | |active| u16 | active u32... | polys
//
// with one polynomial per chunk (decryption) or two (re-encryption), at the
// encryption level.

func (p *Params) appendShareHeader(b []byte, k msgKind, key Fingerprint, party, n int, active []int) []byte {
	b = p.putHeader(b, k, p.level)
	b = append(b, key[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(party))
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = binary.BigEndian.AppendUint16(b, uint16(len(active)))
	for _, a := range active {
		b = binary.BigEndian.AppendUint32(b, uint32(a))
	}
	return b
}

// readShareHeader parses and validates the common part; polysPerChunk is 1
// or 2. It returns the polynomial bytes.
func (p *Params) readShareHeader(data []byte, k msgKind, polysPerChunk int) (key Fingerprint, party, n int, active []int, rest []byte, err error) {
	if err = p.checkHeader(data, k, p.level); err != nil {
		return
	}
	rest = data[headerSize:]
	if len(rest) < fingerprintSize+10 {
		err = fmt.Errorf("he: %w: %v: truncated", ErrMalformed, k)
		return
	}
	copy(key[:], rest)
	rest = rest[fingerprintSize:]
	if party, err = p.readParty(rest); err != nil {
		return
	}
	n64 := binary.BigEndian.Uint32(rest[4:])
	if int64(n64) > int64(p.cfg.MaxValues) {
		err = fmt.Errorf("he: %w: %v for %d values exceeds MaxValues %d", ErrMalformed, k, n64, p.cfg.MaxValues)
		return
	}
	n = int(n64)
	na := int(binary.BigEndian.Uint16(rest[8:]))
	rest = rest[10:]
	if na > p.cfg.KeyHolders || len(rest) < 4*na {
		err = fmt.Errorf("he: %w: %v: decryption set of %d", ErrMalformed, k, na)
		return
	}
	if na > 0 {
		active = make([]int, na)
		for i := range active {
			if active[i], err = p.readParty(rest[4*i:]); err != nil {
				return
			}
		}
	}
	rest = rest[4*na:]
	if err = p.checkActive(active, party); err != nil {
		err = fmt.Errorf("he: %w: %v", ErrMalformed, err)
		return
	}
	if want := p.Chunks(n) * polysPerChunk * p.polyBytes(); len(rest) != want {
		err = fmt.Errorf("he: %w: %v of %d values has %d polynomial bytes, expected %d", ErrMalformed, k, n, len(rest), want)
	}
	return
}

// UnmarshalDecryptionShare decodes a peer's decryption share under p (see
// [DecryptionShare.UnmarshalBinary]).
func (p *Params) UnmarshalDecryptionShare(data []byte) (*DecryptionShare, error) {
	v := &DecryptionShare{p: p}
	if err := v.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return v, nil
}

// MarshalBinary encodes the share.
func (s *DecryptionShare) MarshalBinary() ([]byte, error) {
	if s == nil || s.p == nil {
		return nil, fmt.Errorf("he: %w: nil share", ErrInvalidParams)
	}
	p := s.p
	b := make([]byte, 0, headerSize+fingerprintSize+10+4*len(s.Active)+len(s.polys)*p.polyBytes())
	b = p.appendShareHeader(b, kindDecryptionShare, s.key, s.Party, s.n, s.Active)
	for _, pol := range s.polys {
		b = appendPoly(b, pol, p.level+1)
	}
	return b, nil
}

// UnmarshalBinary decodes a peer's decryption share into s, which must be
// bound to a Params ([Params.UnmarshalDecryptionShare] decodes into a fresh
// one).
func (s *DecryptionShare) UnmarshalBinary(data []byte) error {
	if s == nil || s.p == nil {
		return fmt.Errorf("he: %w: share not bound to parameters (use Params.UnmarshalDecryptionShare)", ErrInvalidParams)
	}
	p := s.p
	key, party, n, active, rest, err := p.readShareHeader(data, kindDecryptionShare, 1)
	if err != nil {
		return err
	}
	r := p.rlwe.RingQ().AtLevel(p.level)
	polys := make([]ring.Poly, p.Chunks(n))
	for i := range polys {
		polys[i] = r.NewPoly()
		if rest, err = readPoly(rest, polys[i], p.qAt()); err != nil {
			return err
		}
	}
	*s = DecryptionShare{p: p, Party: party, Active: active, n: n, key: key, polys: polys}
	return nil
}

// UnmarshalReencryptionShare decodes a peer's re-encryption share under p (see
// [ReencryptionShare.UnmarshalBinary]).
func (p *Params) UnmarshalReencryptionShare(data []byte) (*ReencryptionShare, error) {
	v := &ReencryptionShare{p: p}
	if err := v.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return v, nil
}

// MarshalBinary encodes the share.
func (s *ReencryptionShare) MarshalBinary() ([]byte, error) {
	if s == nil || s.p == nil {
		return nil, fmt.Errorf("he: %w: nil share", ErrInvalidParams)
	}
	p := s.p
	b := make([]byte, 0, headerSize+fingerprintSize+10+4*len(s.Active)+2*len(s.elems)*p.polyBytes())
	b = p.appendShareHeader(b, kindReencryptionShare, s.key, s.Party, s.n, s.Active)
	for _, e := range s.elems {
		b = appendPoly(b, e.Value[0], p.level+1)
		b = appendPoly(b, e.Value[1], p.level+1)
	}
	return b, nil
}

// UnmarshalBinary decodes a peer's re-encryption share into s, which must
// be bound to a Params ([Params.UnmarshalReencryptionShare] decodes into a
// fresh one).
func (s *ReencryptionShare) UnmarshalBinary(data []byte) error {
	if s == nil || s.p == nil {
		return fmt.Errorf("he: %w: share not bound to parameters (use Params.UnmarshalReencryptionShare)", ErrInvalidParams)
	}
	p := s.p
	key, party, n, active, rest, err := p.readShareHeader(data, kindReencryptionShare, 2)
	if err != nil {
		return err
	}
	elems := make([]mhe.PublicKeySwitchShare, p.Chunks(n))
	for i := range elems {
		elems[i] = mhe.PublicKeySwitchShare{Element: *rlwe.NewElement(p.rlwe, 1, p.level)}
		for j := 0; j < 2; j++ {
			if rest, err = readPoly(rest, elems[i].Value[j], p.qAt()); err != nil {
				return err
			}
		}
	}
	*s = ReencryptionShare{p: p, Party: party, Active: active, n: n, key: key, elems: elems}
	return nil
}
