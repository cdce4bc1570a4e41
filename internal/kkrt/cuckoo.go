package kkrt

import (
	"context"
	"fmt"

	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/internal/prg"
)

// cuckooTable places each receiver item in one of its NumHashes bins so
// that no bin holds two items (stash-less cuckoo hashing by random walk).
type cuckooTable struct {
	bins []int32 // item index in the bin, or -1
	fn   []uint8 // which hash function placed it
}

// buildCuckoo inserts the items; it fails with ErrCuckoo if an insertion
// walks more than cuckooMaxKicks steps. rnd drives the random walk (the
// walk's choices are private to the receiver but need not be secret).
func buildCuckoo(h *hasher, ds []digest, workers int, rnd *prg.PRG) (*cuckooTable, error) {
	pos := make([][NumHashes]uint32, len(ds))
	_ = parallel.For(context.Background(), len(ds), workers, 1, func(lo, hi int) error {
		s := newScratch()
		for i := lo; i < hi; i++ {
			pos[i] = h.positions(s, ds[i])
		}
		return nil
	})
	t, ok := placeCuckoo(pos, h.bins, rnd)
	if !ok {
		return nil, fmt.Errorf("%w: %d items in %d bins", ErrCuckoo, len(ds), h.bins)
	}
	return t, nil
}

// placeCuckoo places the items with the given bin positions by random
// walk; false if an insertion walks more than cuckooMaxKicks steps.
func placeCuckoo(pos [][NumHashes]uint32, bins int, rnd *prg.PRG) (*cuckooTable, bool) {
	t := &cuckooTable{bins: make([]int32, bins), fn: make([]uint8, bins)}
	for i := range t.bins {
		t.bins[i] = -1
	}
	var coins [256]byte
	nc := len(coins)
	for u := range pos {
		cur, placed := int32(u), false
		for kick := 0; kick < cuckooMaxKicks && !placed; kick++ {
			p := &pos[cur]
			for f, b := range p {
				if t.bins[b] < 0 {
					t.bins[b], t.fn[b], placed = cur, uint8(f), true
					break
				}
			}
			if placed {
				break
			}
			if nc == len(coins) {
				_, _ = rnd.Read(coins[:])
				nc = 0
			}
			f := int(coins[nc]) % NumHashes // bias 1/256, harmless for a walk
			nc++
			b := p[f]
			cur, t.bins[b], t.fn[b] = t.bins[b], cur, uint8(f)
		}
		if !placed {
			return nil, false
		}
	}
	return t, true
}
