package sealed

import (
	"encoding/binary"
	"fmt"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/transport"
)

// MaxAdvertSize bounds an encoded advert.
const MaxAdvertSize = 4 + 1 + MaxKeys*KeySize + 1 + transport.MaxChainSize + 8*2 + 2 + MaxSignatureSize

// maxChainCerts bounds the certificates in an advert's chain.
const maxChainCerts = 8

// MarshalBinary encodes the advert: index (4 bytes), key count (1) and
// keys, certificate count (1) and each certificate (2-byte length, DER),
// signature (2-byte length, bytes).
func (a *Advert) MarshalBinary() ([]byte, error) {
	if len(a.Keys) == 0 || len(a.Keys) > MaxKeys || len(a.Chain) == 0 || len(a.Chain) > maxChainCerts || len(a.Sig) > MaxSignatureSize || a.Index < 0 || int64(a.Index) > 1<<31 {
		return nil, fmt.Errorf("sealed: %w: advert shape", errs.ErrInvalidParams)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(a.Index))
	b = append(b, byte(len(a.Keys)))
	for _, k := range a.Keys {
		b = append(b, k[:]...)
	}
	b = append(b, byte(len(a.Chain)))
	for _, der := range a.Chain {
		if len(der) > transport.MaxChainSize {
			return nil, fmt.Errorf("sealed: %w: certificate of %d bytes", errs.ErrInvalidParams, len(der))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(der)))
		b = append(b, der...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(a.Sig)))
	return append(b, a.Sig...), nil
}

// UnmarshalBinary decodes an advert made by MarshalBinary; it checks sizes
// only: [Verify] checks the content.
func (a *Advert) UnmarshalBinary(b []byte) error {
	bad := func(what string) error { return fmt.Errorf("sealed: %w: advert: %s", errs.ErrMalformed, what) }
	if len(b) > MaxAdvertSize {
		return bad(fmt.Sprintf("%d bytes exceed %d", len(b), MaxAdvertSize))
	}
	if len(b) < 5 {
		return bad("short")
	}
	idx := binary.BigEndian.Uint32(b)
	if idx > 1<<31 {
		return bad("index")
	}
	nk := int(b[4])
	b = b[5:]
	if nk == 0 || nk > MaxKeys || len(b) < nk*KeySize+1 {
		return bad("keys")
	}
	out := Advert{Index: int(idx), Keys: make([][KeySize]byte, nk)}
	for i := range nk {
		out.Keys[i] = [KeySize]byte(b[i*KeySize:])
	}
	b = b[nk*KeySize:]
	nc := int(b[0])
	b = b[1:]
	if nc == 0 || nc > maxChainCerts {
		return bad("certificate count")
	}
	total := 0
	for range nc {
		if len(b) < 2 {
			return bad("short certificate")
		}
		n := int(binary.BigEndian.Uint16(b))
		total += n
		if len(b) < 2+n || total > transport.MaxChainSize {
			return bad("certificate length")
		}
		out.Chain = append(out.Chain, append([]byte(nil), b[2:2+n]...))
		b = b[2+n:]
	}
	if len(b) < 2 {
		return bad("short signature")
	}
	n := int(binary.BigEndian.Uint16(b))
	if n > MaxSignatureSize || len(b) != 2+n {
		return bad("signature length")
	}
	out.Sig = append([]byte(nil), b[2:]...)
	*a = out
	return nil
}
