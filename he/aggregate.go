package he

import (
	"fmt"
	"math"
	"math/bits"
)

// Aggregator sums many ciphertexts of the same length in place, as fast as
// memory allows: coefficients are added without modular reduction and
// reduced only when another addition could overflow 64 bits (every ~15
// additions with 60-bit primes). Not safe for concurrent use.
type Aggregator struct {
	p       *Params
	acc     *Ciphertext
	pending int // lazy additions since the last reduction
	maxLazy int
	count   int
}

// NewAggregator returns an aggregator for vectors of n values.
func (p *Params) NewAggregator(n int) (*Aggregator, error) {
	if n < 0 || n > p.cfg.MaxValues {
		return nil, fmt.Errorf("he: %w: length %d outside [0, MaxValues %d]", ErrInvalidParams, n, p.cfg.MaxValues)
	}
	var qmax uint64
	for _, q := range p.qAt() {
		qmax = max(qmax, q)
	}
	// after k lazy additions a coefficient is below (k+1) qmax.
	maxLazy := int(math.MaxUint64/qmax) - 1
	if bits.Len64(qmax) > 62 {
		maxLazy = 0
	}
	return &Aggregator{p: p, acc: p.newCiphertext(n), maxLazy: maxLazy}, nil
}

// Count is the number of ciphertexts added so far.
func (a *Aggregator) Count() int { return a.count }

func (a *Aggregator) reduce() {
	if a.pending == 0 {
		return
	}
	r := a.p.rlwe.RingQ().AtLevel(a.p.level)
	for _, ct := range a.acc.cts {
		r.Reduce(ct.Value[0], ct.Value[0])
		r.Reduce(ct.Value[1], ct.Value[1])
	}
	a.pending = 0
}

// Add folds c into the sum.
func (a *Aggregator) Add(c *Ciphertext) error {
	p := a.p
	if err := p.compatible(a.acc, c); err != nil {
		return err
	}
	nw, err := p.addWeight(a.acc.weight, c.weight, 1)
	if err != nil {
		return err
	}
	if a.pending >= a.maxLazy {
		a.reduce()
	}
	if a.acc.key == (Fingerprint{}) {
		a.acc.key = c.key
	}
	r := p.rlwe.RingQ().AtLevel(p.level)
	for i, ct := range a.acc.cts {
		src := c.cts[i]
		if a.maxLazy == 0 {
			r.Add(ct.Value[0], src.Value[0], ct.Value[0])
			r.Add(ct.Value[1], src.Value[1], ct.Value[1])
			continue
		}
		r.AddLazy(ct.Value[0], src.Value[0], ct.Value[0])
		r.AddLazy(ct.Value[1], src.Value[1], ct.Value[1])
	}
	if a.maxLazy > 0 {
		a.pending++
	}
	a.acc.weight = nw
	a.count++
	return nil
}

// AddWeighted folds w*c into the sum (w a public integer).
func (a *Aggregator) AddWeighted(c *Ciphertext, w int64) error {
	a.reduce()
	if err := a.p.AddWeighted(a.acc, c, w); err != nil {
		return err
	}
	a.count++
	return nil
}

// Result returns the sum so far (a copy; the aggregator can go on).
func (a *Aggregator) Result() *Ciphertext {
	a.reduce()
	return a.acc.CopyNew()
}
