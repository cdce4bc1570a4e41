package psi

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
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
		return receiverInput{}, fmt.Errorf("%w: %d items, above %d", ErrInvalidParams, len(items), MaxItems)
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
	n := len(items)
	workers = min(workers, max(n>>dedupPartLog, 1))
	seed := maphash.MakeSeed()
	hs := make([]uint64, n)
	chunk := (n + workers - 1) / workers
	forEach(workers, func(w int) {
		for i := w * chunk; i < min((w+1)*chunk, n); i++ {
			hs[i] = hash(seed, items[i])
		}
	})

	// Stable counting sort of the indices by the top partBits of the hash:
	// within a partition the indices ascend.
	parts := 1 << partBits
	shift := uint(64 - partBits) // a shift by 64 gives 0: one partition
	var order []int32
	start := make([]int, parts+1)
	if partBits == 0 {
		start[1] = n
	} else {
		counts := make([][]int, workers)
		forEach(workers, func(w int) {
			c := make([]int, parts)
			for i := w * chunk; i < min((w+1)*chunk, n); i++ {
				c[hs[i]>>shift]++
			}
			counts[w] = c
		})
		// next[w][p]: where worker w writes its next index of partition p.
		off := 0
		for p := range parts {
			start[p] = off
			for w := range workers {
				c := counts[w][p]
				counts[w][p] = off
				off += c
			}
		}
		start[parts] = off
		order = make([]int32, n)
		forEach(workers, func(w int) {
			next := counts[w]
			for i := w * chunk; i < min((w+1)*chunk, n); i++ {
				p := hs[i] >> shift
				order[next[p]] = int32(i)
				next[p]++
			}
		})
	}

	first := make([]int32, n)
	var dups atomic.Int64
	var nextPart atomic.Int64
	forEach(min(workers, parts), func(int) {
		var table []int32
		found := 0
		for {
			p := int(nextPart.Add(1) - 1)
			if p >= parts {
				break
			}
			a, b := start[p], start[p+1]
			size := 1 << bits.Len(uint(2*(b-a))) // load below 1/2
			if cap(table) < size {
				table = make([]int32, size)
			}
			table = table[:size]
			for k := range table {
				table[k] = -1
			}
			mask := uint64(size - 1)
			for k := a; k < b; k++ {
				i := int32(k)
				if order != nil {
					i = order[k]
				}
				h := hs[i]
				for s := h & mask; ; s = (s + 1) & mask {
					j := table[s]
					if j < 0 {
						table[s], first[i] = i, i
						break
					}
					if hs[j] == h && bytes.Equal(items[j], items[i]) {
						first[i] = j
						found++
						break
					}
				}
			}
		}
		dups.Add(int64(found))
	})
	return first, int(dups.Load())
}

// forEach runs fn(0..tasks-1) on tasks goroutines (one: inline) and waits
// for them; callers bound tasks by Config.Workers.
func forEach(tasks int, fn func(w int)) {
	if tasks <= 1 {
		fn(0)
		return
	}
	var wg sync.WaitGroup
	for w := range tasks {
		wg.Go(func() { fn(w) })
	}
	wg.Wait()
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
