package he

import (
	"fmt"
	"io"
	"math/bits"

	"github.com/tuneinsight/lattigo/v5/ring"
	"github.com/veil-go/veil/internal/prg"
)

// smudger draws smudging (noise-flooding) noise: every coefficient uniform
// in [-2^k, 2^k) with k = [Budget.SmudgingBits] = lambda + log2(bound on the
// noise it hides). By the smudging lemma the statistical distance between
// e + u and u, for |e| <= 2^(k-lambda), is at most 2^-lambda per
// coefficient. Randomness comes from internal/prg (AES-256-CTR keyed from
// crypto/rand).
type smudger struct {
	src *prg.PRG
	buf []byte
	tmp ring.Poly
}

func newSmudger(p *Params) (*smudger, error) {
	src, err := prg.NewRandom()
	if err != nil {
		return nil, fmt.Errorf("he: smudging key: %w", err)
	}
	return &smudger{src: src, buf: make([]byte, 16*p.rlwe.N()), tmp: p.rlwe.RingQ().AtLevel(p.level).NewPoly()}, nil
}

// sample fills s.tmp (coefficient domain, encryption level) with uniform
// noise in [-2^k, 2^k), k < 127.
func (s *smudger) sample(p *Params, k int) error {
	if _, err := io.ReadFull(s.src, s.buf); err != nil {
		return fmt.Errorf("he: smudging randomness: %w", err)
	}
	moduli := p.qAt()
	// masks for k+1 random bits in (hi, lo); half = 2^k.
	var mhi, mlo, hhi, hlo uint64
	if k+1 >= 64 {
		mlo, mhi = ^uint64(0), (uint64(1)<<(k+1-64))-1
	} else {
		mlo = (uint64(1) << (k + 1)) - 1
	}
	if k >= 64 {
		hhi = uint64(1) << (k - 64)
	} else {
		hlo = uint64(1) << k
	}
	for j := 0; j < p.rlwe.N(); j++ {
		b := s.buf[16*j:]
		lo := le64(b) & mlo
		hi := le64(b[8:]) & mhi
		// x = v - 2^k; neg when v < 2^k.
		var ahi, alo uint64
		var borrow uint64
		neg := hi < hhi || (hi == hhi && lo < hlo)
		if neg {
			alo, borrow = bits.Sub64(hlo, lo, 0)
			ahi, _ = bits.Sub64(hhi, hi, borrow)
		} else {
			alo, borrow = bits.Sub64(lo, hlo, 0)
			ahi, _ = bits.Sub64(hi, hhi, borrow)
		}
		for i, q := range moduli {
			r := bits.Rem64(ahi, alo, q)
			if neg && r != 0 {
				r = q - r
			}
			s.tmp.Coeffs[i][j] = r
		}
	}
	return nil
}

// addTo adds fresh smudging noise to pol (NTT domain, encryption level).
func (s *smudger) addTo(p *Params, pol ring.Poly) error {
	if p.smudge == 0 {
		return nil
	}
	if err := s.sample(p, p.smudge); err != nil {
		return err
	}
	r := p.rlwe.RingQ().AtLevel(p.level)
	r.NTT(s.tmp, s.tmp)
	r.Add(pol, s.tmp, pol)
	return nil
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
