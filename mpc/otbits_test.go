package mpc

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

// otSession is a set of OT dealers over a fresh in-memory mesh, with a
// batch shrunk so that small requests span several OT rounds.
func otSession(t *testing.T, parties, batch int) ([]*OTDealer, context.Context) {
	t.Helper()
	meshes, err := transport.NewMemMesh(parties, transport.Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(func() {
		cancel()
		for _, m := range meshes {
			_ = m.Close()
		}
	})
	ds := otDealers(t, ctx, meshes)
	for _, d := range ds {
		d.batch = batch
	}
	return ds, ctx
}

// onAll runs f on every dealer at once and returns the results, failing
// the test on any error.
func onAll[T any](t *testing.T, ds []*OTDealer, f func(d *OTDealer) (T, error)) []T {
	t.Helper()
	out := make([]T, len(ds))
	errs := make([]error, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() { out[i], errs[i] = f(d) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "party %d", i)
	}
	return out
}

// TestOTDealerDaBits checks daBits against their definition (XOR shares of
// a bit in bit 0, additive shares of the same bit) for 2 to 4 parties,
// many sizes across OT rounds, and that the bits are random: each party's
// bits alone are balanced, the shared bits are balanced, and no single
// party's share predicts them.
func TestOTDealerDaBits(t *testing.T) {
	for _, parties := range []int{2, 3, 4} {
		t.Run(fmt.Sprint(parties), func(t *testing.T) {
			ds, ctx := otSession(t, parties, 2) // 128 bits per OT round
			ones, total := 0, 0
			agree := make([]int, parties) // bits equal to party i's own share
			for _, n := range []int{1, 0, 63, 64, 65, 129, 1000} {
				bs := onAll(t, ds, func(d *OTDealer) (DaBits, error) { return d.DaBits(ctx, n) })
				for i := range parties {
					require.Len(t, bs[i].Arith, n)
					require.Len(t, bs[i].Bool, n)
				}
				for k := range n {
					var b, a uint64
					for i := range parties {
						require.LessOrEqual(t, bs[i].Bool[k], uint64(1), "bool shares beyond bit 0")
						b ^= bs[i].Bool[k]
						a += bs[i].Arith[k]
					}
					require.Equal(t, b, a, "%d parties, n=%d, bit %d", parties, n, k)
					ones += int(b)
					for i := range parties {
						if bs[i].Bool[k] == b {
							agree[i]++
						}
					}
				}
				total += n
			}
			// Binomial(1322, 1/2): outside [560, 762] with probability < 1e-7.
			require.Greater(t, ones, 560, "bits are not random")
			require.Less(t, ones, 762, "bits are not random")
			// No party's own share predicts the bit (every party's
			// randomness enters it): same bounds.
			for i, c := range agree {
				require.Greater(t, c, 560, "party %d's share predicts the bit", i)
				require.Less(t, c, 762, "party %d's share predicts the bit", i)
			}
		})
	}
}

// TestOTDealerEdaBits: the XOR shares of every edaBit combine to the same
// ring element as its additive shares, for 2 to 4 parties and sizes
// across batches; the elements are fresh and their bits balanced.
func TestOTDealerEdaBits(t *testing.T) {
	for _, parties := range []int{2, 3, 4} {
		t.Run(fmt.Sprint(parties), func(t *testing.T) {
			ds, ctx := otSession(t, parties, 3)
			seen := map[uint64]bool{}
			pop := 0
			for _, n := range []int{1, 0, 2, 3, 4, 50} {
				es := onAll(t, ds, func(d *OTDealer) (EdaBits, error) { return d.EdaBits(ctx, n) })
				for k := range n {
					var b, a uint64
					for i := range parties {
						b ^= es[i].Bool[k]
						a += es[i].Arith[k]
					}
					require.Equal(t, b, a, "%d parties, n=%d, element %d", parties, n, k)
					require.False(t, seen[a], "an element repeats")
					seen[a] = true
					pop += bits.OnesCount64(a)
				}
			}
			// 60 elements, 3840 bits: outside [1690, 2150] with probability < 1e-9.
			require.Greater(t, pop, 1690)
			require.Less(t, pop, 2150)
		})
	}
}

// TestOTDealerDivPairs checks division pairs against their definition,
// Q = floor(r/d) and M = msb(r) exactly, for 2 and 3 parties, sizes across
// batches, and divisors of every path: 1, powers of two, small and large
// odd ones (the remainder-sum path) and ones of 2^55 and more (long
// division).
func TestOTDealerDivPairs(t *testing.T) {
	divs := []uint64{1, 2, 1 << 16, 1 << 61, 3, 10, 1000003, 100000 << 4, 1<<55 - 1, 1<<55 + 7, 1<<61 + 12345}
	for _, parties := range []int{2, 3} {
		t.Run(fmt.Sprint(parties), func(t *testing.T) {
			ds, ctx := otSession(t, parties, 4)
			msb := 0
			total := 0
			for _, div := range divs {
				for _, n := range []int{1, 9} {
					if parties == 3 && n > 1 && div&(div-1) != 0 {
						n = 3 // keep the comparisons of 3 parties short
					}
					ps := onAll(t, ds, func(d *OTDealer) (DivPairs, error) { return d.DivPairs(ctx, n, div) })
					for k := range n {
						var r, q, m uint64
						for i := range parties {
							r += ps[i].R[k]
							q += ps[i].Q[k]
							m += ps[i].M[k]
						}
						require.Equal(t, r/div, q, "%d parties, d=%d, n=%d, pair %d: r=%d", parties, div, n, k, r)
						require.Equal(t, r>>63, m, "%d parties, d=%d, msb", parties, div)
						msb += int(m)
						total++
					}
				}
			}
			require.Greater(t, msb, 0, "msb never set")
			require.Less(t, msb, total, "msb always set")
		})
	}
}

// TestOTDealerDivPairsRejected: a zero divisor is a caller's error, and a
// dealer whose peer left refuses further work with ErrAborted.
func TestOTDealerDivPairsRejected(t *testing.T) {
	ds, ctx := otSession(t, 2, 4)
	_, err := ds[0].DivPairs(ctx, 1, 0)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = ds[0].DaBits(ctx, -1)
	require.ErrorIs(t, err, ErrInvalidParams)
	require.NoError(t, ds[1].mesh.Close())
	_, err = ds[0].EdaBits(ctx, 5)
	require.Error(t, err)
	require.Contains(t, err.Error(), "step ot dabits")
	_, err = ds[0].DivPairs(ctx, 1, 3)
	require.ErrorIs(t, err, ErrAborted)
}

// TestDealerFreeOperations reruns the operations' property tests with
// every correlation from OTDealers over the computation's mesh (2 and 3
// parties, and 4 where a test fixes it): Mul, Dot, And, openings and
// inputs; truncation, DivInt (powers of two and other divisors) and the
// fixed-point arithmetic built on them; LTZ, LessThan, Max, ReLU and the
// thresholds; reciprocal, square root and inverse square root. Under the
// race detector only the tests marked race run, at 2 parties (the OT
// dealer's concurrency is what it checks, and TestOTDealer* cover 2 to 4
// parties there).
func TestDealerFreeOperations(t *testing.T) {
	dealerFree = true
	t.Cleanup(func() { dealerFree = false })
	for _, tc := range []struct {
		name string
		run  func(*testing.T)
		race bool
	}{
		{"MulDotOpen", TestMulDotOpenProperty, false},
		{"InputAndAnd", TestInputAndAnd, true},
		{"Chunked", TestChunkedMessages, false},
		{"PublicValues", TestPublicValues, false},
		{"TruncError", TestTruncError, false},
		{"DivInt", TestDivInt, false}, // TestOTDealerDivPairs runs under race
		{"FixedArithmetic", TestFixedArithmeticProperty, true},
		{"ReciprocalRsqrtSqrt", TestReciprocalRsqrtSqrt, false},
		{"ReciprocalErrorIsRelative", TestReciprocalErrorIsRelative, false},
		{"Compare", TestCompareProperty, true},
		{"CompareErrorRate", TestCompareErrorRate, false},
		{"ThresholdFixed", TestThresholdFixed, false},
	} {
		if raceEnabled && !tc.race {
			continue
		}
		t.Run(tc.name, tc.run)
	}
}

// FuzzOTDealerPeer feeds arbitrary bytes to an OT dealer as its peer's
// message in the daBit fold: as the OT sender (the data stands for the
// receiver's extension message) or as the receiver (for the sender's
// corrections). The dealer must return a result or an error wrapping
// ErrMalformed, never panic or hang.
func FuzzOTDealerPeer(f *testing.F) {
	f.Add(uint8(0), []byte{})
	f.Add(uint8(0), make([]byte, 100))
	f.Add(uint8(1), make([]byte, 9))
	f.Add(uint8(1), append([]byte{0, 0, 0, 100}, make([]byte, 800)...))
	f.Fuzz(func(t *testing.T, op uint8, data []byte) {
		meshes, err := transport.NewMemMesh(2, transport.Options{})
		require.NoError(t, err)
		defer func() {
			for _, m := range meshes {
				_ = m.Close()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ds := otDealers(t, ctx, meshes)
		victim := int(op % 2)
		peer, err := meshes[1-victim].Conn(victim)
		require.NoError(t, err)
		if victim == 1 { // the receiver speaks first: swallow its extension message
			go func() {
				if _, err := peer.Recv(ctx); err == nil {
					_ = peer.Send(ctx, data)
				}
			}()
		} else {
			require.NoError(t, peer.Send(ctx, data))
		}
		_, err = ds[victim].DaBits(ctx, 100)
		if err != nil {
			require.False(t, errors.Is(err, context.DeadlineExceeded), "hung: %v", err)
			require.ErrorIs(t, err, ErrMalformed)
		}
	})
}
