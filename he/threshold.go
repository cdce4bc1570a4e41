package he

import (
	"encoding/binary"
	"fmt"

	"github.com/tuneinsight/lattigo/v5/mhe"
)

// ShamirShare is what key holder From deals to key holder To when a
// collective key is thresholdized (T-of-N): an evaluation of From's secret
// Shamir polynomial. It is secret: send it only over a confidential channel
// to To (the runner encrypts it end to end).
type ShamirShare struct {
	p        *Params
	From, To int
	share    mhe.ShamirSecretShare
}

// GenShamirShares deals this holder's secret-key share among all KeyHolders
// holders with threshold Threshold: one ShamirShare per holder (index j
// receives shares[j], including this holder itself).
func (k *KeyHolder) GenShamirShares() ([]*ShamirShare, error) {
	p := k.p
	if p.cfg.Threshold == 0 {
		return nil, fmt.Errorf("he: %w: an N-of-N key is not thresholdized (Config.Threshold is 0)", ErrInvalidParams)
	}
	thr := mhe.NewThresholdizer(p.rlwe)
	if k.shamir == nil {
		poly, err := thr.GenShamirPolynomial(p.cfg.Threshold, k.sk)
		if err != nil {
			return nil, fmt.Errorf("he: %w: %v", ErrInvalidParams, err)
		}
		k.shamir = &poly
	}
	out := make([]*ShamirShare, p.cfg.KeyHolders)
	for j := range out {
		s := &ShamirShare{p: p, From: k.index, To: j, share: thr.AllocateThresholdSecretShare()}
		thr.GenShamirSecretShare(shamirPoint(j), *k.shamir, &s.share)
		out[j] = s
	}
	return out, nil
}

// SetShamirShares takes the shares every holder dealt to this one (exactly
// one from each of the KeyHolders holders) and sums them into this holder's
// threshold share of the collective secret key.
func (k *KeyHolder) SetShamirShares(shares []*ShamirShare) error {
	p := k.p
	if p.cfg.Threshold == 0 {
		return fmt.Errorf("he: %w: an N-of-N key is not thresholdized", ErrInvalidParams)
	}
	if len(shares) != p.cfg.KeyHolders {
		return fmt.Errorf("he: %w: %d Shamir shares, need one from each of %d key holders", ErrNotEnoughShares, len(shares), p.cfg.KeyHolders)
	}
	thr := mhe.NewThresholdizer(p.rlwe)
	acc := thr.AllocateThresholdSecretShare()
	seen := make([]bool, p.cfg.KeyHolders)
	for _, s := range shares {
		if s == nil || s.p != p || s.To != k.index || s.From < 0 || s.From >= len(seen) || seen[s.From] {
			return fmt.Errorf("he: %w: Shamir share missing, foreign, repeated or not for key holder %d", ErrMismatch, k.index)
		}
		seen[s.From] = true
		if err := thr.AggregateShares(acc, s.share, &acc); err != nil {
			return fmt.Errorf("he: %w: %v", ErrMismatch, err)
		}
	}
	k.tsk = &acc
	return nil
}

// UnmarshalShamirShare decodes a Shamir share dealt to this holder under p (see
// [ShamirShare.UnmarshalBinary]).
func (p *Params) UnmarshalShamirShare(data []byte) (*ShamirShare, error) {
	v := &ShamirShare{p: p}
	if err := v.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return v, nil
}

// MarshalBinary encodes the share: header, from, to, QP polynomial.
func (s *ShamirShare) MarshalBinary() ([]byte, error) {
	if s == nil || s.p == nil {
		return nil, fmt.Errorf("he: %w: nil share", ErrInvalidParams)
	}
	p := s.p
	b := make([]byte, 0, headerSize+8+p.qpBytes())
	b = p.putHeader(b, kindShamirShare, p.rlwe.MaxLevel())
	b = binary.BigEndian.AppendUint32(b, uint32(s.From))
	b = binary.BigEndian.AppendUint32(b, uint32(s.To))
	return appendPolyQP(b, s.share.Poly), nil
}

// UnmarshalBinary decodes a peer's Shamir share into s, which must be bound
// to a Params ([Params.UnmarshalShamirShare] decodes into a fresh one).
func (s *ShamirShare) UnmarshalBinary(data []byte) error {
	if s == nil || s.p == nil {
		return fmt.Errorf("he: %w: share not bound to parameters (use Params.UnmarshalShamirShare)", ErrInvalidParams)
	}
	p := s.p
	if err := p.checkHeader(data, kindShamirShare, p.rlwe.MaxLevel()); err != nil {
		return err
	}
	if want := headerSize + 8 + p.qpBytes(); len(data) != want {
		return fmt.Errorf("he: %w: Shamir share is %d bytes, expected %d", ErrMalformed, len(data), want)
	}
	from, err := p.readParty(data[headerSize:])
	if err != nil {
		return err
	}
	to, err := p.readParty(data[headerSize+4:])
	if err != nil {
		return err
	}
	share := mhe.NewThresholdizer(p.rlwe).AllocateThresholdSecretShare()
	if _, err := p.readPolyQP(data[headerSize+8:], share.Poly); err != nil {
		return err
	}
	s.From, s.To, s.share = from, to, share
	return nil
}
