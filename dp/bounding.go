package dp

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
)

// Neighbours is the neighbouring relation an aggregation protects.
type Neighbours int

const (
	// AddRemove (the zero value): neighbouring datasets differ by adding or
	// removing all the records of one privacy unit. The number of units is
	// private; the aggregations release it (a count) when they need it.
	AddRemove Neighbours = iota
	// ReplaceOne: neighbouring datasets have the same number of units and
	// differ in the records of one unit (the number of units is public, as
	// in a study with a published roster). A replacement is a removal and an
	// addition, so every sensitivity of an aggregation is doubled.
	ReplaceOne
)

func (n Neighbours) String() string {
	switch n {
	case AddRemove:
		return "add/remove one unit"
	case ReplaceOne:
		return "replace one unit"
	}
	return fmt.Sprintf("Neighbours(%d)", int(n))
}

// Contribution bounds what one privacy unit (a person, a device) may
// contribute to an aggregation; the sensitivities of the aggregations follow
// from it. The aggregations are differentially private for neighbouring
// datasets under Neighbours (by default, adding or removing all the records
// of one unit), provided the records obey these bounds
// ([ContributionBounder] enforces them). Zero fields mean 1.
type Contribution struct {
	// MaxPartitions is the number of partitions (histogram keys, groups) one
	// unit may contribute to (L0 bound).
	MaxPartitions int64
	// MaxPerPartition is the number of contributions one unit may make to one
	// partition (Linf bound).
	MaxPerPartition int64
	// Neighbours is the neighbouring relation: [AddRemove] (the zero
	// value) or [ReplaceOne], which doubles every sensitivity.
	Neighbours Neighbours
}

func (c Contribution) normalize() (Contribution, error) {
	if c.MaxPartitions == 0 {
		c.MaxPartitions = 1
	}
	if c.MaxPerPartition == 0 {
		c.MaxPerPartition = 1
	}
	if c.MaxPartitions < 0 || c.MaxPerPartition < 0 {
		return c, invalid("contribution bounds must be >= 0, got %+v", c)
	}
	if c.Neighbours != AddRemove && c.Neighbours != ReplaceOne {
		return c, invalid("unknown neighbouring relation %v", c.Neighbours)
	}
	if hi, lo := bits.Mul64(uint64(c.MaxPartitions), uint64(c.MaxPerPartition)); hi != 0 || lo > 1<<52 {
		return c, invalid("contribution bounds %+v too large", c)
	}
	return c, nil
}

// perUnit returns the L1 sensitivity of the counts: the most contributions
// one unit makes in all (L0 * Linf), doubled under [ReplaceOne].
func (c Contribution) perUnit() int64 {
	if c.Neighbours == ReplaceOne {
		return 2 * c.MaxPartitions * c.MaxPerPartition
	}
	return c.MaxPartitions * c.MaxPerPartition
}

// mulSens returns k*m as an int64 sensitivity, or an error if it overflows
// the range the discrete Laplace supports.
func mulSens(k, m int64) (int64, error) {
	hi, lo := bits.Mul64(uint64(k), uint64(m))
	if hi != 0 || lo > 1<<62 {
		return 0, invalid("sensitivity %d * %d overflows", k, m)
	}
	return int64(lo), nil
}

// ContributionBounder enforces a [Contribution] on raw records: for each unit it
// keeps a uniformly random set of at most MaxPartitions of its partitions and,
// in each, a uniformly random set of at most MaxPerPartition of its records.
// Safe for concurrent use.
type ContributionBounder struct {
	source
	c Contribution
}

// NewContributionBounder returns a bounder for c.
func NewContributionBounder(c Contribution) (*ContributionBounder, error) {
	c, err := c.normalize()
	if err != nil {
		return nil, err
	}
	b := &ContributionBounder{c: c}
	return withSource(b, &b.source, 0)
}

// BoundContributions returns the sorted indices of the records to keep, where
// record i belongs to units[i] and falls in partitions[i].
func BoundContributions[U, P comparable](b *ContributionBounder, units []U, partitions []P) ([]int, error) {
	if len(units) != len(partitions) {
		return nil, invalid("%d units for %d partitions", len(units), len(partitions))
	}
	type unitRecs struct {
		order []P
		recs  map[P][]int
	}
	byUnit := make(map[U]*unitRecs)
	var unitOrder []U
	for i, u := range units {
		ur := byUnit[u]
		if ur == nil {
			ur = &unitRecs{recs: make(map[P][]int)}
			byUnit[u] = ur
			unitOrder = append(unitOrder, u)
		}
		p := partitions[i]
		if _, ok := ur.recs[p]; !ok {
			ur.order = append(ur.order, p)
		}
		ur.recs[p] = append(ur.recs[p], i)
	}
	var keep []int
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range unitOrder {
		ur := byUnit[u]
		parts := ur.order
		np := sampleInPlace(b.r, len(parts), b.c.MaxPartitions, func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		for _, p := range parts[:np] {
			recs := ur.recs[p]
			nr := sampleInPlace(b.r, len(recs), b.c.MaxPerPartition, func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
			keep = append(keep, recs[:nr]...)
		}
	}
	sort.Ints(keep)
	return keep, nil
}

// sampleInPlace moves a uniformly random subset of min(n, k) of n elements to
// the front (partial Fisher-Yates) and returns its size.
func sampleInPlace(r *rng, n int, k int64, swap func(i, j int)) int {
	m := n
	if int64(m) > k {
		m = int(k)
	}
	for i := 0; i < m; i++ {
		swap(i, i+int(r.uniform(uint64(n-i))))
	}
	return m
}

// laplaceCI returns the half-width k (in integer units) such that
// [noisy - k, noisy + k] contains the exact value with probability >= conf,
// for discrete Laplace noise of scale b: P(|Z| > k) = 2 p^(k+1)/(1+p),
// p = exp(-1/b).
func laplaceCI(b, conf float64) (int64, error) {
	if !finite(conf) || conf <= 0 || conf >= 1 {
		return 0, invalid("confidence must be in (0, 1), got %v", conf)
	}
	alpha := 1 - conf
	lnp := -1 / b
	p := math.Exp(lnp)
	k := math.Ceil(math.Log(alpha*(1+p)/2)/lnp) - 1
	if k < 0 {
		k = 0
	}
	// Guard against float error: step up while the bound is not met.
	for 2*math.Exp((k+1)*lnp)/(1+p) > alpha {
		k++
	}
	if k > 1<<62 {
		return 0, invalid("confidence interval too wide")
	}
	return int64(k), nil
}
