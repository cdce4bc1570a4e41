package he

import (
	"fmt"
	"slices"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// Combiner adds up the decryption shares of one ciphertext as they arrive,
// so that a decryptor (the hub) keeps one running sum instead of every
// share. Add checks each share as [Params.CombineInts] does (parameters,
// party, length, key, decryption set); Ints or Floats finish once exactly
// [Params.Decryptors] shares are in. Not safe for concurrent use.
type Combiner struct {
	p    *Params
	c    *Ciphertext
	acc  []ring.Poly
	seen map[int]bool
	set  []int
}

// NewCombiner starts combining the decryption shares of c.
func (p *Params) NewCombiner(c *Ciphertext) (*Combiner, error) {
	if c == nil || c.p != p {
		return nil, fmt.Errorf("he: %w: ciphertext missing or made under other parameters", ErrMismatch)
	}
	r := p.rlwe.RingQ().AtLevel(p.level)
	acc := make([]ring.Poly, len(c.cts))
	for k, ct := range c.cts {
		acc[k] = r.NewPoly()
		acc[k].CopyLvl(p.level, ct.Value[0])
	}
	return &Combiner{p: p, c: c, acc: acc, seen: map[int]bool{}}, nil
}

// Count is the number of shares added.
func (cb *Combiner) Count() int { return len(cb.seen) }

// Add folds one decryption share into the sum.
func (cb *Combiner) Add(s *DecryptionShare) error {
	p, c := cb.p, cb.c
	if s == nil || s.p != p {
		return fmt.Errorf("he: %w: share missing or made under other parameters", ErrMismatch)
	}
	if cb.seen[s.Party] {
		return fmt.Errorf("he: %w: key holder %d twice", ErrMismatch, s.Party)
	}
	if len(cb.seen) >= p.decrypt {
		return fmt.Errorf("he: %w: more than the %d shares decryption needs", ErrMismatch, p.decrypt)
	}
	if s.n != c.n {
		return fmt.Errorf("he: %w: share of key holder %d is for %d values, ciphertext has %d", ErrMismatch, s.Party, s.n, c.n)
	}
	if s.key != c.key {
		return fmt.Errorf("he: %w: share of key holder %d is for a ciphertext under another key (a stale share)", ErrMismatch, s.Party)
	}
	if err := p.checkActive(s.Active, s.Party); err != nil {
		return err
	}
	if len(cb.seen) > 0 && !slices.Equal(cb.set, s.Active) {
		return fmt.Errorf("he: %w: shares computed for different decryption sets %v and %v", ErrMismatch, cb.set, s.Active)
	}
	r := p.rlwe.RingQ().AtLevel(p.level)
	for k := range cb.acc {
		r.Add(cb.acc[k], s.polys[k], cb.acc[k])
	}
	cb.seen[s.Party] = true
	cb.set = slices.Clone(s.Active)
	return nil
}

func (cb *Combiner) finish(ints []int64, floats []float64) error {
	if len(cb.seen) != cb.p.decrypt {
		return fmt.Errorf("he: %w: %d shares, decryption needs exactly %d", ErrNotEnoughShares, len(cb.seen), cb.p.decrypt)
	}
	return cb.p.decodeChunks(cb.c, cb.p.newCodec(), func(k int, _ *rlwe.Ciphertext) (ring.Poly, error) {
		return cb.acc[k], nil
	}, ints, floats)
}

// Ints finishes a BGV decryption.
func (cb *Combiner) Ints() ([]int64, error) {
	out := make([]int64, cb.c.n)
	if err := cb.finish(out, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// Floats finishes a CKKS decryption.
func (cb *Combiner) Floats() ([]float64, error) {
	out := make([]float64, cb.c.n)
	if err := cb.finish(nil, out); err != nil {
		return nil, err
	}
	return out, nil
}
