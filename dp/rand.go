package dp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// prgBufSize is how many bytes of AES-CTR keystream a sampler buffers at a time.
const prgBufSize = 8192

// prg is a buffered AES-256-CTR keystream, keyed from crypto/rand (or, in tests,
// from a seed). Each sampler owns one, so the hot path takes no global lock.
type prg struct {
	stream cipher.Stream
	buf    []byte
	pos    int
	bits   uint64 // cached random bits for bit()
	nbits  uint
}

func newPRG(seed []byte) (*prg, error) {
	var key [32]byte
	if seed == nil {
		if _, err := rand.Read(key[:]); err != nil {
			return nil, fmt.Errorf("dp: reading crypto/rand: %w", err)
		}
	} else {
		h := sha256.New()
		h.Write([]byte("veil/dp test-only seed v1\x00"))
		h.Write(seed)
		h.Sum(key[:0])
	}
	return newPRGKey(key)
}

// newPRGKey returns the AES-256-CTR stream of key.
func newPRGKey(key [32]byte) (*prg, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("dp: %w", err)
	}
	var iv [aes.BlockSize]byte
	return &prg{stream: cipher.NewCTR(block, iv[:]), buf: make([]byte, prgBufSize), pos: prgBufSize}, nil
}

func (p *prg) refill() {
	clear(p.buf)
	p.stream.XORKeyStream(p.buf, p.buf)
	p.pos = 0
}

// uint64 returns 64 uniform bits.
func (p *prg) uint64() uint64 {
	if p.pos > len(p.buf)-8 {
		p.refill()
	}
	v := binary.LittleEndian.Uint64(p.buf[p.pos:])
	p.pos += 8
	return v
}

// bit returns one uniform bit.
func (p *prg) bit() bool {
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
func (p *prg) uniform(n uint64) uint64 {
	hi, lo := bits.Mul64(p.uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(p.uint64(), n)
		}
	}
	return hi
}

// source is embedded in every sampler: its own PRG behind its own mutex (cheap
// when uncontended), so that samplers are safe for concurrent use without any
// lock shared between samplers.
type source struct {
	mu      sync.Mutex
	r       *prg
	workers int
}

func (s *source) init() error {
	r, err := newPRG(nil)
	if err != nil {
		return err
	}
	s.r = r
	return nil
}

// withSource initialises src, the source embedded in v, from crypto/rand.
func withSource[T any](v *T, src *source) (*T, error) {
	if err := src.init(); err != nil {
		return nil, err
	}
	return v, nil
}

// vec returns dim draws (nil for dim <= 0) under the sampler's lock.
func (s *source) vec(dim int, draw func(*prg) int64) []int64 {
	if dim <= 0 {
		return nil
	}
	out := make([]int64, dim)
	s.fill(out, func(_ int64, z int64) int64 { return z }, draw)
	return out
}

// addTo adds one draw to each element of v in place, saturating at the int64
// range, under the sampler's lock.
func (s *source) addTo(v []int64, draw func(*prg) int64) {
	s.fill(v, satAdd, draw)
}

// parallelChunk is the number of coordinates drawn from one derived stream.
const parallelChunk = 4096

// fill sets v[i] = combine(v[i], draw) for every i. Vectors longer than one
// chunk are cut into chunks of parallelChunk coordinates, each drawn from its
// own AES-CTR stream keyed from the sampler's stream (in chunk order, so the
// result does not depend on the number of workers), by a bounded pool of
// Workers() goroutines that all end before fill returns.
func (s *source) fill(v []int64, combine func(x, z int64) int64, draw func(*prg) int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(v) <= parallelChunk {
		for i := range v {
			v[i] = combine(v[i], draw(s.r))
		}
		return
	}
	nChunks := (len(v) + parallelChunk - 1) / parallelChunk
	keys := make([][32]byte, nChunks)
	for c := range keys {
		for j := 0; j < 32; j += 8 {
			binary.LittleEndian.PutUint64(keys[c][j:], s.r.uint64())
		}
	}
	workers := s.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, nChunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= nChunks {
					return
				}
				r, _ := newPRGKey(keys[c]) // cannot fail: 32-byte key
				lo, hi := c*parallelChunk, min((c+1)*parallelChunk, len(v))
				for i := lo; i < hi; i++ {
					v[i] = combine(v[i], draw(r))
				}
			}
		}()
	}
	wg.Wait()
}

// SetWorkers sets how many goroutines draw long noise vectors (Noise,
// AddNoise of more than 4096 coordinates); n <= 0 means
// runtime.GOMAXPROCS(0), the default.
func (s *source) SetWorkers(n int) {
	s.mu.Lock()
	s.workers = n
	s.mu.Unlock()
}

// SetTestSeed replaces the sampler's random source by an AES-CTR stream keyed
// deterministically from seed, so that a test can reproduce its samples.
//
// FOR TESTS ONLY: anyone who knows the seed can predict the noise, which
// voids every privacy guarantee. Never call it in production code.
func (s *source) SetTestSeed(seed []byte) {
	if seed == nil {
		seed = []byte{}
	}
	r, _ := newPRG(seed) // cannot fail with a seed
	s.mu.Lock()
	s.r = r
	s.mu.Unlock()
}
