package mpc

import (
	"context"
	"fmt"
	"math/bits"

	"github.com/veil-go/veil/internal/errs"
	"github.com/veil-go/veil/internal/parallel"
)

// This file holds the OT dealer's correlations beyond triples: daBits for
// N parties, and edaBits and division pairs built from them.

// DaBits returns this party's shares of n random bits, XOR-shared (bit 0
// of Bool) and additively shared over Z_2^64 (Arith), for any number of
// parties. Each party i draws its XOR share x_i; the additive sharing of
// the bit x_0 XOR ... XOR x_(N-1) is built by folding one party in at a
// time: party 0 starts with y = x_0, and for k = 1..N-1
//
//	y <- y + x_k - 2*y*x_k
//
// where the product of the shared y by party k's own bit x_k is one
// correlated OT per bit with each party j < k that holds a share of y
// (party j the sender with correlation y_j, party k the receiver choosing
// with x_k). That is N(N-1)/2 correlated OTs per bit and N-1 rounds.
func (d *OTDealer) DaBits(ctx context.Context, n int) (DaBits, error) {
	if err := d.ready(ctx, n); err != nil {
		return DaBits{}, err
	}
	arith, words, err := d.daBits(ctx, n)
	if err != nil {
		return DaBits{}, err
	}
	out := DaBits{Arith: arith, Bool: make([]uint64, n)}
	for i := range n {
		out.Bool[i] = words[i/64] >> (i % 64) & 1
	}
	return out, nil
}

// ready checks that the dealer is usable and the request in range.
func (d *OTDealer) ready(ctx context.Context, n int) error {
	if d.err != nil {
		return fmt.Errorf("mpc: %w: the OT dealer failed earlier: %w", ErrAborted, d.err)
	}
	return checkRequest(ctx, n)
}

// daBits makes n daBits: the additive shares, and the XOR shares packed 64
// to a word (bit i%64 of word i/64).
func (d *OTDealer) daBits(ctx context.Context, n int) (arith, words []uint64, err error) {
	words = d.rng.Uint64s((n + 63) / 64)
	arith = make([]uint64, n)
	if d.self == 0 {
		for i := range n {
			arith[i] = words[i/64] >> (i % 64) & 1
		}
	}
	step := 64 * d.batch // bits per round of OT extension
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		y := arith[lo:hi]
		for k := 1; k < d.n; k++ {
			switch {
			case d.self < k:
				// Share of y*x_k: minus the OT's random word x; y - 2*(-x).
				pr := &d.peers[k]
				x, err := pr.snd.CorrelatedOT64(ctx, y)
				if err != nil {
					d.err = errs.Step("mpc", roleName(d.self), "ot dabits", pr.name, err)
					return nil, nil, d.err
				}
				for i, v := range x {
					y[i] += 2 * v
				}
			case d.self == k:
				// This party's y is still 0: y <- x_k - 2*(sum of what it receives).
				got := make([][]uint64, k)
				err := parallel.Each(ctx, k, k, func(j int) error {
					pr := &d.peers[j]
					var err error
					if got[j], err = pr.rcv.CorrelatedOT64(ctx, words[lo/64:], hi-lo); err != nil {
						return errs.Step("mpc", roleName(d.self), "ot dabits", pr.name, err)
					}
					return nil
				})
				if err != nil {
					d.err = err
					return nil, nil, err
				}
				for i := range y {
					b := words[(lo+i)/64] >> ((lo + i) % 64) & 1
					var s uint64
					for _, g := range got {
						s += g[i]
					}
					y[i] = b - 2*s
				}
			}
		}
	}
	return arith, words, nil
}

// EdaBits returns this party's shares of n random ring elements r, both
// additively (Arith) and as XOR shares of their 64 bits (Bool): r's bits
// are 64 daBits ([OTDealer.DaBits]), so Bool is this party's 64 XOR
// shares packed into a word and Arith is the sum of the bits' additive
// shares weighted by 2^k. Cost: 64 daBits per edaBit.
func (d *OTDealer) EdaBits(ctx context.Context, n int) (EdaBits, error) {
	if err := d.ready(ctx, n); err != nil {
		return EdaBits{}, err
	}
	out := EdaBits{Arith: make([]uint64, n), Bool: make([]uint64, n)}
	err := d.bitsOf(ctx, n, func(lo int, arith, words []uint64) error {
		copy(out.Bool[lo:], words)
		for i := range words {
			out.Arith[lo+i] = weigh(arith[64*i : 64*i+64])
		}
		return nil
	})
	return out, err
}

// bitsOf makes the 64 daBits of each of n random ring elements, a batch of
// elements at a time (so that memory stays a few buffers per batch
// whatever n), and hands use each batch's first element index, the bits'
// additive shares (64 per element, least significant first) and the
// packed XOR shares (one word per element). It stops at use's first error.
func (d *OTDealer) bitsOf(ctx context.Context, n int, use func(lo int, arith, words []uint64) error) error {
	for lo := 0; lo < n; lo += d.batch {
		hi := min(lo+d.batch, n)
		arith, words, err := d.daBits(ctx, 64*(hi-lo))
		if err != nil {
			return err
		}
		if err := use(lo, arith, words); err != nil {
			return err
		}
	}
	return nil
}

// weigh returns sum_k 2^k*a[k] (the additive share of the element whose
// bits' shares are a).
func weigh(a []uint64) uint64 {
	var s uint64
	for k, v := range a[:64] {
		s += v << k
	}
	return s
}

// divDirectMax bounds the divisors whose remainder fix-up uses the sum of
// the bits' remainders (see [OTDealer.DivPairs]); larger ones use long
// division. Below it, 64*d < 2^61, so the shared sum never nears 2^63.
const divDirectMax = 1 << 55

// DivPairs returns this party's additive shares of n tuples
// (r, floor(r/d), msb(r)) for r uniform in Z_2^64 and a public d >= 1,
// exactly as [TrustedDealer] makes them: r is the sum of 64 daBits b_k
// weighted by 2^k, and msb(r) is b_63.
//
// For d a power of two 2^s, floor(r/d) is the sum of b_k*2^(k-s) over
// k >= s: local, 64 daBits per pair.
//
// For other d (an exact division by a public integer, [Party.DivInt] and
// [FixedParty.DivPublic] with an integral divisor), 2^k = d*q_k + s_k gives
// r = d*Q0 + S with Q0 = sum b_k*q_k and S = sum b_k*s_k < 64d, so
// floor(r/d) = Q0 + floor(S/d), and the quotient digit floor(S/d) < 64 is
// found bit by bit with up to 6 secure comparisons ([Party.LTZ], on the
// OT dealer's own edaBits, AND triples and daBits) of S against multiples
// of d; a d >= 2^55 uses long division on r's top bits instead (at most
// 10 comparisons). Those comparisons make a pair for such d cost some
// 6*(64+1+11*128) correlated OTs per peer more than a power of two, and
// up to 60 more rounds: fine for the few exact divisions a program
// makes (a mean, a covariance), slow for long vectors.
func (d *OTDealer) DivPairs(ctx context.Context, n int, div uint64) (DivPairs, error) {
	if err := d.ready(ctx, n); err != nil {
		return DivPairs{}, err
	}
	if div == 0 {
		return DivPairs{}, fmt.Errorf("mpc: %w: division by zero", ErrInvalidParams)
	}
	out := DivPairs{R: make([]uint64, n), Q: make([]uint64, n), M: make([]uint64, n)}
	pow2 := div&(div-1) == 0
	shift := uint(bits.TrailingZeros64(div))
	var qk, sk [64]uint64
	for k := range 64 {
		qk[k], sk[k] = bits.Div64(0, 1<<k, div)
	}
	long := !pow2 && div >= divDirectMax
	var maxS uint64
	for _, v := range sk {
		maxS += v
	}
	err := d.bitsOf(ctx, n, func(lo int, arith, words []uint64) error {
		hi := lo + len(words)
		var S []uint64 // the shared remainder sums
		if !pow2 && !long {
			S = make([]uint64, hi-lo)
		}
		for i := range hi - lo {
			a := arith[64*i : 64*i+64]
			e := lo + i
			out.R[e] = weigh(a)
			out.M[e] = a[63]
			var q, s uint64
			switch {
			case pow2:
				for k := shift; k < 64; k++ {
					q += a[k] << (k - shift)
				}
			case !long:
				for k, v := range a {
					q += v * qk[k]
					s += v * sk[k]
				}
				S[i] = s
			}
			out.Q[e] = q
		}
		if pow2 {
			return nil
		}
		p, err := d.innerParty()
		if err != nil {
			return err
		}
		if long {
			return d.longDivide(ctx, p, arith, div, out.Q[lo:hi])
		}
		return d.remainderQuotient(ctx, p, S, div, maxS, out.Q[lo:hi])
	})
	if err != nil {
		d.err = err
		return DivPairs{}, err
	}
	return out, nil
}

// innerParty returns the party through which the dealer computes on its
// own correlations (the comparisons of division pairs): a [Party] over the
// dealer's mesh drawing from the dealer, with a step counter of its own.
func (d *OTDealer) innerParty() (*Party, error) {
	if d.inner == nil {
		p, err := NewParty(d.mesh, d, Config{Workers: d.workers, MaxLength: maxDealerRequest / 2})
		if err != nil {
			return nil, err
		}
		d.inner = p
	}
	return d.inner, nil
}

// remainderQuotient adds floor(S/div) to q for shared S <= maxS (maxS <
// 64*div < 2^61), one quotient bit at a time from the top: with
// t = 2^j*div, the bit is [S >= t], and S loses bit*t.
func (d *OTDealer) remainderQuotient(ctx context.Context, p *Party, S []uint64, div, maxS uint64, q []uint64) error {
	for j := bits.Len64(maxS/div) - 1; j >= 0; j-- {
		t := div << j
		ge, err := p.GreaterEqualPublic(ctx, S, t)
		if err != nil {
			return err
		}
		for i, g := range ge {
			S[i] -= g * t
			q[i] += g << j
		}
	}
	return nil
}

// longDivide sets q to floor(r/div) for the r whose bits' additive shares
// are bitsR (64 per element, least significant first), div >= 2^55: the
// schoolbook division from the top bit, R <- 2R + b_k and, once R may
// reach div, a comparison [R >= div] that is bit k of the quotient and
// subtracts div from R. R stays below 2*div < 2^63.
func (d *OTDealer) longDivide(ctx context.Context, p *Party, bitsR []uint64, div uint64, q []uint64) error {
	n := len(q)
	clear(q)
	R := make(Share, n)
	var bound uint64 // the largest value R can hold
	for k := 63; k >= 0; k-- {
		for i := range R {
			R[i] = 2*R[i] + bitsR[64*i+k]
		}
		bound = 2*bound + 1
		if bound < div {
			continue
		}
		ge, err := p.GreaterEqualPublic(ctx, R, div)
		if err != nil {
			return err
		}
		for i, g := range ge {
			R[i] -= g * div
			q[i] += g << k
		}
		bound = div - 1
	}
	return nil
}
