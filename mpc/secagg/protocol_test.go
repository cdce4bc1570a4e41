package secagg

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundNoDropouts(t *testing.T) {
	for _, g := range []Graph{CompleteGraph, SparseGraph} {
		for _, n := range []int{2, 3, 5, 17} {
			for _, dim := range []int{0, 1, 7, 8193} {
				t.Run(fmt.Sprintf("%v/n=%d/dim=%d", g, n, dim), func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(n), uint64(dim)))
					p := newParams(t, Config{Clients: n, Length: dim, Graph: g, Degree: 4, Threshold: minThreshold(n, g, 4)})
					in := randomInputs(r, n, dim, 1<<40)
					res, err := simulate(t, p, in, nil)
					require.NoError(t, err)
					counted := expectedCounted(n, nil)
					assert.Equal(t, counted, res.Counted)
					assert.Equal(t, plainSum(in, counted, dim), res.Sum)
				})
			}
		}
	}
}

func TestRoundWithDropouts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 40 {
		g := CompleteGraph
		if trial%2 == 1 {
			g = SparseGraph
		}
		n := 3 + r.IntN(30)
		dim := r.IntN(40)
		// The lowest threshold allowed, so that the drops below are always
		// survivable: with d drops, every client keeps at least k-d
		// neighbours.
		p := newParams(t, Config{Clients: n, Length: dim, Graph: g, Degree: 6, Threshold: minThreshold(n, g, 6)})
		maxDrops := p.Degree() - p.Threshold()
		drops := r.IntN(maxDrops + 1)
		drop := randomDrops(r, n, drops)
		in := randomInputs(r, n, dim, 0)
		t.Run(fmt.Sprintf("%d/%v/n=%d/k=%d/dim=%d/drop=%v", trial, g, n, p.Degree(), dim, drop), func(t *testing.T) {
			res, err := simulate(t, p, in, drop)
			require.NoError(t, err)
			counted := expectedCounted(n, drop)
			assert.Equal(t, counted, res.Counted)
			assert.Equal(t, plainSum(in, counted, dim), res.Sum)
		})
	}
}

// A client that drops before its masked input is not counted, even if it
// shared its keys; one that drops after it is.
func TestDroppedInputNotCounted(t *testing.T) {
	p := newParams(t, Config{Clients: 7, Length: 3}) // t = 4: two dropouts survivable
	in := [][]uint64{{1, 0, 0}, {10, 0, 0}, {100, 0, 0}, {1000, 0, 0}, {10000, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	res, err := simulate(t, p, in, map[int]int{2: dropBeforeInput, 4: dropBeforeUnmask})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 3, 4, 5, 6, 7}, res.Counted)
	assert.Equal(t, []int{2}, res.Dropped)
	assert.Equal(t, []uint64{11101, 1, 1}, res.Sum)
}

func TestTooManyDropoutsAbort(t *testing.T) {
	for stage := dropBeforeKeys; stage <= dropBeforeUnmask; stage++ {
		t.Run(fmt.Sprint(stage), func(t *testing.T) {
			p := newParams(t, Config{Clients: 6, Length: 4, Threshold: 3})
			// 5 others, t = 3: three drops leave two neighbours, below t.
			drop := map[int]int{1: stage, 2: stage, 3: stage}
			in := randomInputs(rand.New(rand.NewPCG(3, 4)), 6, 4, 100)
			res, err := simulate(t, p, in, drop)
			require.ErrorIs(t, err, ErrTooManyDropouts)
			assert.Nil(t, res)
		})
	}
}

func TestOneClientLeftAborts(t *testing.T) {
	p := newParams(t, Config{Clients: 2, Length: 1, Threshold: 1})
	_, err := simulate(t, p, [][]uint64{{5}, {7}}, map[int]int{1: dropBeforeInput})
	require.ErrorIs(t, err, ErrTooManyDropouts)
}

// The chunked, parallel mask kernel equals one sequential AES-CTR stream.
func TestApplyMasksMatchesSequentialStream(t *testing.T) {
	key := []byte("0123456789abcdef")
	for _, dim := range []int{1, 2, maskChunk - 1, maskChunk, 2*maskChunk + 3} {
		for _, w := range []int{1, 3} {
			add, err := newMaskJob(key, false)
			require.NoError(t, err)
			dst := make([]uint64, dim)
			applyMasks(dst, []maskJob{add}, w)
			stream := make([]byte, 8*dim)
			expandInto(stream, make([]byte, 8*dim), add.block, 0)
			for i := range dst {
				require.Equal(t, binary.LittleEndian.Uint64(stream[8*i:]), dst[i], "dim %d word %d", dim, i)
			}
			sub, err := newMaskJob(key, true)
			require.NoError(t, err)
			applyMasks(dst, []maskJob{sub}, w)
			assert.Equal(t, make([]uint64, dim), dst)
		}
	}
}

// Noise shares are added inside the masking: the sum carries exactly the
// counted clients' shares, and a dropped client's share is not in it.
func TestNoiseHook(t *testing.T) {
	noise := func(dim int) ([]int64, error) {
		z := make([]int64, dim)
		for i := range z {
			z[i] = int64(-7 * (i + 1))
		}
		return z, nil
	}
	p := newParams(t, Config{Clients: 5, Length: 3, Noise: noise})
	in := randomInputs(rand.New(rand.NewPCG(8, 8)), 5, 3, 1000)
	res, err := simulate(t, p, in, map[int]int{3: dropBeforeInput})
	require.NoError(t, err)
	want := plainSum(in, res.Counted, 3)
	for i := range want {
		want[i] += uint64(int64(-7*(i+1)) * int64(len(res.Counted)))
	}
	assert.Equal(t, want, res.Sum)
	// A noise function that returns the wrong length is an error.
	bad := newParams(t, Config{Clients: 5, Length: 3, Noise: func(int) ([]int64, error) { return []int64{1}, nil }})
	_, err = simulate(t, bad, in, nil)
	assert.ErrorIs(t, err, ErrInvalidParams)
}
