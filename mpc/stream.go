package mpc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"sync"

	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/internal/prg"
)

// dealerChunk is the number of elements of one stream chunk: the unit in
// which every party draws a correlation's words and in which the dealer
// computes (and, over the network, sends) the last party's corrections, so
// that the dealer's memory per request is bounded by a few chunks whatever
// the request's length or the number of parties.
const dealerChunk = 1 << 16

// streamLabel separates the dealer's streams from any other use of a seed.
const streamLabel = "veil/mpc dealer stream v1"

// request is one correlation request: its kind (a req constant), length,
// divisor (DivPairs only, else 0) and position in the party's sequence of
// requests. Every word of the answer is drawn from streams keyed by all
// four, so two different requests, or the same request at two positions,
// use unrelated randomness.
type request struct {
	op  uint64
	n   int
	div uint64
	pos uint64
}

// comps is the number of components of one element (a, b, c: 3).
func (q request) comps() int {
	if q.op == reqEdaBits || q.op == reqDaBits {
		return 2
	}
	return 3
}

// drawn is the number of leading components the last party draws from
// its own streams; the dealer computes the others (its corrections).
func (q request) drawn() int {
	if q.op == reqTriples || q.op == reqANDTriples {
		return 2
	}
	return 1
}

// xorComp reports whether component c is XOR-shared (else additive).
func (q request) xorComp(c int) bool {
	switch q.op {
	case reqANDTriples:
		return true
	case reqEdaBits:
		return c == 1
	case reqDaBits:
		return c == 0
	}
	return false
}

// chunks is the number of stream chunks of the request.
func (q request) chunks() int { return (q.n + dealerChunk - 1) / dealerChunk }

// streamSeed derives the seed of component comp, chunk ch of q from a
// party's seed: HMAC-SHA256(seed, label || op || n || div || pos || comp || ch).
func (q request) streamSeed(seed *prg.Seed, comp, ch int) prg.Seed {
	mac := hmac.New(sha256.New, seed[:])
	b := make([]byte, 0, len(streamLabel)+6*8)
	b = append(b, streamLabel...)
	for _, w := range []uint64{q.op, uint64(q.n), q.div, q.pos, uint64(comp), uint64(ch)} {
		b = binary.BigEndian.AppendUint64(b, w)
	}
	mac.Write(b)
	var s prg.Seed
	copy(s[:], mac.Sum(nil))
	return s
}

// fillChunk fills dst with the words of component comp, chunk ch, drawn
// from the party whose seed is given.
func (q request) fillChunk(seed *prg.Seed, comp, ch int, dst []uint64) {
	g, err := prg.New(q.streamSeed(seed, comp, ch))
	if err != nil { // unreachable: AES-256 accepts every 32-byte key
		panic("mpc: " + err.Error())
	}
	g.FillUint64(dst)
	if q.op == reqDaBits && comp == 0 {
		for i := range dst {
			dst[i] &= 1
		}
	}
}

// fill fills dst (all q.n elements) with component comp.
func (q request) fill(seed *prg.Seed, comp int, dst []uint64) {
	for ch := range q.chunks() {
		lo := ch * dealerChunk
		q.fillChunk(seed, comp, ch, dst[lo:min(lo+dealerChunk, q.n)])
	}
}

// scratchPool holds the dealer's per-chunk working buffers (4 chunks).
var scratchPool = sync.Pool{New: func() any { b := make([]uint64, 4*dealerChunk); return &b }}

// lastTuples computes the last party's tuples for chunks [chLo, chHi) of
// q into out (one slice per component, starting at chunk chLo's first
// element), up to d.workers chunks at a time.
func (d *TrustedDealer) lastTuples(q request, chLo, chHi int, out [][]uint64) {
	base := chLo * dealerChunk
	_ = parallel.Each(context.Background(), chHi-chLo, d.workers, func(i int) error {
		ch := chLo + i
		lo, hi := ch*dealerChunk, min((ch+1)*dealerChunk, q.n)
		part := make([][]uint64, len(out))
		for c := range out {
			part[c] = out[c][lo-base : hi-base]
		}
		buf := scratchPool.Get().(*[]uint64)
		d.lastChunk(q, ch, part, *buf)
		scratchPool.Put(buf)
		return nil
	})
}

// lastChunk computes chunk ch of the last party's tuple for q into out:
// its own components from its streams, the others so that the parties'
// shares, each drawn from its own streams for q, form valid tuples.
func (d *TrustedDealer) lastChunk(q request, ch int, out [][]uint64, buf []uint64) {
	m, last, nc, dr := len(out[0]), d.n-1, q.comps(), q.drawn()
	var acc [3][]uint64
	for c := range nc {
		acc[c] = buf[c*dealerChunk : c*dealerChunk+m]
	}
	tmp := buf[3*dealerChunk : 3*dealerChunk+m]
	for c := range dr {
		q.fillChunk(&d.seeds[last], c, ch, out[c])
		copy(acc[c], out[c])
	}
	for c := dr; c < nc; c++ {
		clear(acc[c])
	}
	for p := range last {
		for c := range nc {
			q.fillChunk(&d.seeds[p], c, ch, tmp)
			a := acc[c]
			if q.xorComp(c) {
				for k := range a {
					a[k] ^= tmp[k]
				}
			} else {
				for k := range a {
					a[k] += tmp[k]
				}
			}
		}
	}
	switch q.op {
	case reqTriples:
		for k := range m {
			out[2][k] = acc[0][k]*acc[1][k] - acc[2][k]
		}
	case reqANDTriples:
		for k := range m {
			out[2][k] = (acc[0][k] & acc[1][k]) ^ acc[2][k]
		}
	case reqDivPairs:
		shift := uint(bits.TrailingZeros64(q.div))
		pow2 := q.div&(q.div-1) == 0
		for k := range m {
			r := acc[0][k]
			var quo uint64
			if pow2 {
				quo = r >> shift
			} else {
				quo = r / q.div
			}
			out[1][k] = quo - acc[1][k]
			out[2][k] = r>>63 - acc[2][k]
		}
	case reqEdaBits:
		for k := range m {
			out[1][k] = acc[0][k] ^ acc[1][k]
		}
	case reqDaBits:
		for k := range m {
			out[1][k] = acc[0][k] - acc[1][k]
		}
	}
}
