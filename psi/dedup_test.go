package psi

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// dedupRef is the plain map dedup the partitioned one must match.
func dedupRef(items [][]byte) receiverInput {
	seen := make(map[string]int32, len(items))
	in := receiverInput{distinct: make([]int32, len(items))}
	for i, it := range items {
		d, ok := seen[string(it)]
		if !ok {
			d = int32(len(in.items))
			seen[string(it)] = d
			in.items = append(in.items, it)
		}
		in.distinct[i] = d
	}
	return in
}

// weakHashes force collisions: all items in one bucket, or spread over
// partitions by one byte only so that distinct items collide in all of them.
var weakHashes = map[string]itemHash{
	"maphash": maphash.Bytes,
	"zero":    func(maphash.Seed, []byte) uint64 { return 0 },
	"len": func(_ maphash.Seed, b []byte) uint64 {
		return uint64(len(b))*0x9e3779b97f4a7c15 ^ uint64(len(b))
	},
	"firstbyte": func(_ maphash.Seed, b []byte) uint64 {
		if len(b) == 0 {
			return 1
		}
		return uint64(b[0]) << 56
	},
}

// requireSameDedup checks got against the reference: same distinct items
// in the same order (the caller's slices, not copies) and same mapping.
func requireSameDedup(t *testing.T, items [][]byte, got receiverInput) {
	t.Helper()
	want := dedupRef(items)
	require.Len(t, got.items, len(want.items))
	for k := range want.items {
		require.True(t, bytes.Equal(want.items[k], got.items[k]), "distinct item %d", k)
	}
	for i := range items {
		require.Equal(t, want.distinct[i], got.distinctOf(i), "input %d", i)
	}
	if len(want.items) == len(items) {
		require.Nil(t, got.distinct, "no duplicates: identity mapping")
	}
}

func TestDedupTable(t *testing.T) {
	b := func(ss ...string) [][]byte { return Items(ss) }
	cases := []struct {
		name  string
		items [][]byte
		uniq  int
	}{
		{"nil", nil, 0},
		{"one", b("a"), 1},
		{"distinct", b("a", "b", "c", "ab", ""), 5},
		{"all equal", b("x", "x", "x", "x"), 1},
		{"interleaved", b("a", "b", "a", "c", "b", "a"), 3},
		{"nil equals empty", [][]byte{nil, {}, []byte("a"), nil}, 2},
		{"prefixes", b("a", "aa", "aaa", "aa", "a", "aaaa"), 4},
		{"binary", [][]byte{{0}, {0, 0}, {0}, {255}, {0, 0}}, 3},
	}
	for _, c := range cases {
		for name, h := range weakHashes {
			for _, pb := range []int{0, 1, 3} {
				for _, w := range []int{1, 3} {
					t.Run(fmt.Sprintf("%s/%s/bits%d/w%d", c.name, name, pb, w), func(t *testing.T) {
						got := dedupBits(c.items, w, pb, h)
						require.Len(t, got.items, c.uniq)
						requireSameDedup(t, c.items, got)
					})
				}
			}
		}
	}
}

func TestDedupNoCopyWithoutDuplicates(t *testing.T) {
	items := Items([]string{"a", "b", "c"})
	in, err := dedup(items, 2)
	require.NoError(t, err)
	require.Nil(t, in.distinct)
	require.Same(t, &items[0], &in.items[0], "the caller's slice is used as is")
	require.Equal(t, []int{0, 2}, in.indicesOf([]bool{true, false, true}))
	require.Nil(t, in.indicesOf([]bool{false, false, false}))
}

// TestDedupProperty compares the partitioned dedup with the map on random
// inputs with many duplicates, for several partition counts, worker counts
// and hash functions (including ones that collide on distinct items across
// partitions).
func TestDedupProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 60 {
		n := r.IntN(3000)
		if trial%10 == 0 {
			n = r.IntN(5)
		}
		pool := 1 + r.IntN(max(n/2, 1)) // many duplicates
		if trial%3 == 0 {
			pool = n + 1 // few or none
		}
		items := make([][]byte, n)
		for i := range items {
			v := r.IntN(pool)
			items[i] = fmt.Appendf(nil, "%x-%d", v%7, v) // varied lengths
		}
		for name, h := range weakHashes {
			pb, w := r.IntN(7), 1+r.IntN(4)
			t.Run(fmt.Sprintf("%d/%s/n%d/bits%d/w%d", trial, name, n, pb, w), func(t *testing.T) {
				requireSameDedup(t, items, dedupBits(items, w, pb, h))
			})
		}
	}
}

// TestPrepareSenderDuplicatesAcrossPartitions: above 2^12 items dedup uses
// several partitions; the documented duplicate rules still hold.
func TestPrepareSenderDuplicatesAcrossPartitions(t *testing.T) {
	const n = 1 << 13
	require.Greater(t, dedupPartBits(n), 0)
	items := make([][]byte, n)
	values := make([]int64, n)
	payloads := make([][]byte, n)
	for i := range items {
		items[i] = fmt.Appendf(nil, "item-%d", i%1000)
		values[i] = int64(i)
		payloads[i] = fmt.Appendf(nil, "p-%d", i%1000)
	}
	in, err := prepareSender(Set{Items: items, Values: values}, Sum, 2, false)
	require.NoError(t, err)
	require.Len(t, in.items, 1000)
	for d := range 1000 {
		var want int64
		for i := d; i < n; i += 1000 {
			want += int64(i)
		}
		require.Equal(t, want, in.values[d])
		require.Equal(t, fmt.Sprintf("item-%d", d), string(in.items[d]))
	}
	in, err = prepareSender(Set{Items: items, Payloads: payloads}, Join, 2, false)
	require.NoError(t, err)
	for d := range 1000 {
		require.Equal(t, fmt.Sprintf("p-%d", d), string(in.payloads[d]))
	}
	payloads[n-1] = []byte("other")
	_, err = prepareSender(Set{Items: items, Payloads: payloads}, Join, 2, false)
	require.True(t, errors.Is(err, ErrDuplicate), "got %v", err)
}

// BenchmarkDedup compares the partitioned dedup with the plain map (the
// previous implementation) at 2^20 distinct items and at 2^20 items with
// every item twice.
func BenchmarkDedup(b *testing.B) {
	for _, dup := range []int{1, 2} {
		const n = 1 << 20
		items := make([][]byte, n)
		for i := range items {
			items[i] = fmt.Appendf(nil, "customer-%09d@example.com", i/dup)
		}
		b.Run(fmt.Sprintf("copies%d/map", dup), func(b *testing.B) {
			for b.Loop() {
				dedupRef(items)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
		b.Run(fmt.Sprintf("copies%d/partitioned", dup), func(b *testing.B) {
			for b.Loop() {
				if _, err := dedup(items, runtime.GOMAXPROCS(0)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
