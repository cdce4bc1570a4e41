package psi

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"math/bits"
	"sync/atomic"

	"github.com/veil-go/veil/internal/parallel"
)

// Duplicate removal. Items are hashed to 64 bits with hash/maphash under a
// fresh random seed per call (the hashes never leave the process), split
// into partitions by the hash's top bits with a stable counting sort, and
// each partition is deduplicated with an open-addressing table of input
// indices on Config.Workers goroutines. Equal hashes are confirmed by
// comparing the bytes, so a collision never merges two distinct items. No
// item is copied or converted to a string.

// dedupPartLog is the log2 of the target number of items per partition
// (a partition's table then fits in L2).
const dedupPartLog = 12

// dedupMaxPartBits bounds the number of partitions to 2^dedupMaxPartBits.
const dedupMaxPartBits = 10

// dedup removes duplicates, keeping the first appearance's position, on at
// most workers goroutines. Without duplicates the result shares items (no
// copy) and has a nil distinct (the identity).
func dedup(items [][]byte, workers int) (receiverInput, error) {
	if len(items) > MaxItems {
		return receiverInput{}, fmt.Errorf("psi: %w: %d items, above %d", ErrInvalidParams, len(items), MaxItems)
	}
	return dedupBits(items, workers, dedupPartBits(len(items)), maphash.Bytes), nil
}

// itemHash hashes an item under a seed; maphash.Bytes, or a weak hash in
// tests that force collisions.
type itemHash func(maphash.Seed, []byte) uint64

// dedupPartBits is the number of partition bits for n items.
func dedupPartBits(n int) int {
	return min(max(bits.Len(uint(n))-dedupPartLog, 0), dedupMaxPartBits)
}

// dedupBits is dedup with 2^partBits partitions and hash function hash.
func dedupBits(items [][]byte, workers, partBits int, hash itemHash) receiverInput {
	n := len(items)
	if n < 2 {
		return receiverInput{items: items}
	}
	first, dups := firstCopies(items, max(workers, 1), partBits, hash)
	if dups == 0 {
		return receiverInput{items: items}
	}
	// first[f] has already become f's distinct index when f < i.
	distinct := first
	uniq := make([][]byte, 0, n-dups)
	for i, f := range first {
		if int(f) == i {
			distinct[i] = int32(len(uniq))
			uniq = append(uniq, items[i])
		} else {
			distinct[i] = distinct[f]
		}
	}
	return receiverInput{items: uniq, distinct: distinct}
}

// firstCopies returns first[i], the index of the first item equal to
// items[i], and the number of i with first[i] != i.
func firstCopies(items [][]byte, workers, partBits int, hash itemHash) ([]int32, int) {
	st := newDedupState(items, workers, partBits, hash)
	st.hashItems()
	st.partition()
	return st.first, st.findFirst()
}

// dedupState is one duplicate removal, phase by phase: hashItems,
// partition, findFirst. Workers own contiguous chunks of the input in the
// first two phases and whole partitions in the last.
type dedupState struct {
	items    [][]byte
	workers  int
	partBits int
	hash     itemHash
	chunk    int      // inputs per worker in hashItems and partition
	hs       []uint64 // hs[i]: hash of items[i]
	order    []int32  // input indices sorted by partition, ascending within one; nil with one partition
	start    []int    // partition p is order[start[p]:start[p+1]]
	first    []int32
}

func newDedupState(items [][]byte, workers, partBits int, hash itemHash) *dedupState {
	n := len(items)
	workers = min(workers, max(n>>dedupPartLog, 1))
	return &dedupState{items: items, workers: workers, partBits: partBits, hash: hash,
		chunk: (n + workers - 1) / workers, hs: make([]uint64, n), first: make([]int32, n)}
}

// each runs fn(0..tasks-1) on tasks goroutines (one runs inline).
func each(tasks int, fn func(w int)) {
	_ = parallel.Each(context.Background(), tasks, tasks, func(w int) error {
		fn(w)
		return nil
	})
}

// span is worker w's chunk of the input.
func (st *dedupState) span(w int) (int, int) {
	return min(w*st.chunk, len(st.items)), min((w+1)*st.chunk, len(st.items))
}

// hashItems hashes every item under a fresh seed.
func (st *dedupState) hashItems() {
	seed := maphash.MakeSeed()
	each(st.workers, func(w int) {
		lo, hi := st.span(w)
		for i := lo; i < hi; i++ {
			st.hs[i] = st.hash(seed, st.items[i])
		}
	})
}

// partition sorts the indices by the top partBits of their hash (a stable
// counting sort: within a partition the indices ascend).
func (st *dedupState) partition() {
	n, parts := len(st.items), 1<<st.partBits
	st.start = make([]int, parts+1)
	if st.partBits == 0 {
		st.start[1] = n
		return
	}
	shift := uint(64 - st.partBits)
	counts := make([][]int, st.workers)
	each(st.workers, func(w int) {
		c := make([]int, parts)
		lo, hi := st.span(w)
		for i := lo; i < hi; i++ {
			c[st.hs[i]>>shift]++
		}
		counts[w] = c
	})
	// counts[w][p] becomes where worker w writes its next index of
	// partition p.
	off := 0
	for p := range parts {
		st.start[p] = off
		for w := range st.workers {
			c := counts[w][p]
			counts[w][p] = off
			off += c
		}
	}
	st.start[parts] = off
	st.order = make([]int32, n)
	each(st.workers, func(w int) {
		next := counts[w]
		lo, hi := st.span(w)
		for i := lo; i < hi; i++ {
			p := st.hs[i] >> shift
			st.order[next[p]] = int32(i)
			next[p]++
		}
	})
}

// findFirst fills first partition by partition, each worker taking the next
// partition and reusing its open-addressing table; it returns the number of
// duplicates.
func (st *dedupState) findFirst() int {
	parts := 1 << st.partBits
	var dups, nextPart atomic.Int64
	each(min(st.workers, parts), func(int) {
		var table []int32
		found := 0
		for {
			p := int(nextPart.Add(1) - 1)
			if p >= parts {
				break
			}
			found += st.firstInPartition(p, &table)
		}
		dups.Add(int64(found))
	})
	return int(dups.Load())
}

// firstInPartition fills first for partition p with *table as scratch and
// returns its number of duplicates.
func (st *dedupState) firstInPartition(p int, table *[]int32) int {
	a, b := st.start[p], st.start[p+1]
	size := 1 << bits.Len(uint(2*(b-a))) // load below 1/2
	if cap(*table) < size {
		*table = make([]int32, size)
	}
	t := (*table)[:size]
	for k := range t {
		t[k] = -1
	}
	mask := uint64(size - 1)
	found := 0
	for k := a; k < b; k++ {
		i := int32(k)
		if st.order != nil {
			i = st.order[k]
		}
		h := st.hs[i]
		for s := h & mask; ; s = (s + 1) & mask {
			j := t[s]
			if j < 0 {
				t[s], st.first[i] = i, i
				break
			}
			if st.hs[j] == h && bytes.Equal(st.items[j], st.items[i]) {
				st.first[i] = j
				found++
				break
			}
		}
	}
	return found
}

// distinctOf returns the index in items of input i.
func (in *receiverInput) distinctOf(i int) int32 {
	if in.distinct == nil {
		return int32(i)
	}
	return in.distinct[i]
}

// indicesOf lists the inputs whose distinct item is marked.
func (in *receiverInput) indicesOf(matched []bool) []int {
	if in.distinct == nil {
		c := 0
		for _, m := range matched {
			if m {
				c++
			}
		}
		if c == 0 {
			return nil
		}
		idx := make([]int, 0, c)
		for i, m := range matched {
			if m {
				idx = append(idx, i)
			}
		}
		return idx
	}
	var idx []int
	for i, d := range in.distinct {
		if matched[d] {
			idx = append(idx, i)
		}
	}
	return idx
}
