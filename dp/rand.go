package dp

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"sync"

	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/internal/prg"
)

// rngBufWords is how many 64-bit words of keystream an rng buffers at a time
// (8 KiB).
const rngBufWords = 1024

// rng is a buffered stream of uniform words from an internal/prg generator
// (AES-256-CTR) keyed from crypto/rand. Each sampler owns one, so the hot
// path takes no global lock and makes no system call.
type rng struct {
	src   *prg.PRG
	buf   []uint64
	pos   int
	bits  uint64 // cached random bits for bit()
	nbits uint
}

// newRNG returns an rng keyed from crypto/rand.
func newRNG() (*rng, error) {
	src, err := prg.NewRandom()
	if err != nil {
		return nil, fmt.Errorf("dp: %w", err)
	}
	return wrapPRG(src), nil
}

// newRNGSeed returns the rng of seed (a seed drawn from another rng).
func newRNGSeed(seed prg.Seed) *rng {
	src, err := prg.New(seed)
	if err != nil {
		panic(err) // unreachable: a 32-byte AES key is always valid
	}
	return wrapPRG(src)
}

func wrapPRG(src *prg.PRG) *rng {
	return &rng{src: src, buf: make([]uint64, rngBufWords), pos: rngBufWords}
}

// uint64 returns 64 uniform bits.
func (p *rng) uint64() uint64 {
	i := p.pos
	if i >= len(p.buf) {
		p.refill()
		i = 0
	}
	p.pos = i + 1
	return p.buf[i]
}

// refill draws the next rngBufWords words.
//
//go:noinline
func (p *rng) refill() {
	p.src.FillUint64(p.buf)
	p.pos = 0
}

// seed returns a fresh seed drawn from the stream.
func (p *rng) seed() prg.Seed {
	var s prg.Seed
	for j := 0; j < len(s); j += 8 {
		binary.LittleEndian.PutUint64(s[j:], p.uint64())
	}
	return s
}

// bit returns one uniform bit.
func (p *rng) bit() bool {
	if p.nbits == 0 {
		p.bits = p.uint64()
		p.nbits = 64
	}
	b := p.bits & 1
	p.bits >>= 1
	p.nbits--
	return b == 1
}

// uniform returns a uniform integer in [0, n), n > 0, exactly (Lemire's
// multiply-and-reject method).
func (p *rng) uniform(n uint64) uint64 {
	// p.uint64(), by hand: uniform is the hot path of every exact sampler.
	i := p.pos
	if i >= len(p.buf) {
		p.refill()
		i = 0
	}
	p.pos = i + 1
	hi, lo := bits.Mul64(p.buf[i], n)
	if lo < n {
		return p.uniformReject(n, hi, lo)
	}
	return hi
}

// uniformReject is the rare end of uniform, out of line so that uniform
// inlines: it rejects the draw (hi, lo) if lo < 2^64 mod n, and draws again.
//
//go:noinline
func (p *rng) uniformReject(n, hi, lo uint64) uint64 {
	thresh := -n % n
	for lo < thresh {
		hi, lo = bits.Mul64(p.uint64(), n)
	}
	return hi
}

// source is embedded in every sampler: its own rng behind its own mutex
// (cheap when uncontended), so that samplers are safe for concurrent use
// without any lock shared between samplers.
type source struct {
	mu      sync.Mutex
	r       *rng
	workers int // for vectors longer than one chunk; 0 means GOMAXPROCS
}

// withSource keys src, the source embedded in v, from crypto/rand, with the
// given Workers setting.
func withSource[T any](v *T, src *source, workers int) (*T, error) {
	if err := checkWorkers(workers); err != nil {
		return nil, err
	}
	r, err := newRNG()
	if err != nil {
		return nil, err
	}
	src.r = r
	src.workers = workers
	return v, nil
}

// vec returns dim draws (nil for dim <= 0) under the sampler's lock.
func (s *source) vec(dim int, draw func(*rng) int64) []int64 {
	if dim <= 0 {
		return nil
	}
	out := make([]int64, dim)
	s.fill(out, func(_ int64, z int64) int64 { return z }, draw)
	return out
}

// addTo adds one draw to each element of v in place, saturating at the int64
// range, under the sampler's lock.
func (s *source) addTo(v []int64, draw func(*rng) int64) {
	s.fill(v, satAdd, draw)
}

// parallelChunk is the number of coordinates drawn from one derived stream.
const parallelChunk = 4096

// fill sets v[i] = combine(v[i], draw) for every i. Vectors longer than one
// chunk are cut into chunks of parallelChunk coordinates, each drawn from its
// own stream keyed by a seed drawn from the sampler's stream in chunk order,
// so the result does not depend on the number of workers; the chunks are
// spread over s.workers goroutines by internal/parallel.
func (s *source) fill(v []int64, combine func(x, z int64) int64, draw func(*rng) int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(v) <= parallelChunk {
		for i := range v {
			v[i] = combine(v[i], draw(s.r))
		}
		return
	}
	nChunks := (len(v) + parallelChunk - 1) / parallelChunk
	seeds := make([]prg.Seed, nChunks)
	for c := range seeds {
		seeds[c] = s.r.seed()
	}
	// The work never fails and the context never ends: no error to handle.
	_ = parallel.Each(context.Background(), nChunks, s.workers, func(c int) error {
		r := newRNGSeed(seeds[c])
		lo, hi := c*parallelChunk, min((c+1)*parallelChunk, len(v))
		for i := lo; i < hi; i++ {
			v[i] = combine(v[i], draw(r))
		}
		return nil
	})
}
