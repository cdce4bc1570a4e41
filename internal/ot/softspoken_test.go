package ot

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/transport"
)

// softPair sets up a SoftSpoken session over an in-memory pipe (real base
// OTs).
func softPair(t testing.TB, cfg SoftSpokenConfig) (*SoftSpokenSender, *SoftSpokenReceiver) {
	ctx := testCtx(t)
	a, b := transport.Pipe("sender", "receiver", transport.Options{})
	t.Cleanup(func() { a.Close(); b.Close() })
	var s *SoftSpokenSender
	var r *SoftSpokenReceiver
	es, er := both(func() (err error) {
		s, err = NewSoftSpokenSender(ctx, a, cfg)
		return err
	}, func() (err error) {
		r, err = NewSoftSpokenReceiver(ctx, b, cfg)
		return err
	})
	require.NoError(t, es)
	require.NoError(t, er)
	return s, r
}

// fakeBase returns the results of 128 simulated base OTs: the sender's
// pairs, and the receiver's keys for the given choices.
func fakeBase(rng *rand.Rand, choices []bool) ([][2]Block, []Block) {
	pairs := make([][2]Block, softWidth)
	keys := make([]Block, softWidth)
	for i := range pairs {
		for b := range 2 {
			for k := range pairs[i][b] {
				pairs[i][b][k] = byte(rng.Uint32())
			}
		}
		c := 0
		if choices[i] {
			c = 1
		}
		keys[i] = pairs[i][c]
	}
	return pairs, keys
}

// softPairFromBase sets up a session from simulated base OTs with the
// sender's choice bits (Delta is their complement), recording what the
// sender receives.
func softPairFromBase(t testing.TB, cfg SoftSpokenConfig, rng *rand.Rand, choices []bool) (*SoftSpokenSender, *SoftSpokenReceiver, *recordingConn) {
	ctx := testCtx(t)
	a, b := transport.Pipe("sender", "receiver", transport.Options{})
	t.Cleanup(func() { a.Close(); b.Close() })
	pairs, keys := fakeBase(rng, choices)
	rec := &recordingConn{Conn: a}
	var s *SoftSpokenSender
	var r *SoftSpokenReceiver
	es, er := both(func() (err error) {
		s, err = NewSoftSpokenSenderFromBase(ctx, rec, choices, keys, cfg)
		return err
	}, func() (err error) {
		r, err = NewSoftSpokenReceiverFromBase(ctx, b, pairs, cfg)
		return err
	})
	require.NoError(t, es)
	require.NoError(t, er)
	return s, r, rec
}

func randBools(rng *rand.Rand, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = rng.IntN(2) == 1
	}
	return out
}

// TestSoftSpokenCorrelation checks q_j = t_j ^ c_j*Delta, the correlation
// IKNP gives, for every k and many sizes (several chunks, worker rounds and
// calls on one session).
func TestSoftSpokenCorrelation(t *testing.T) {
	ctx := testCtx(t)
	rng := rand.New(rand.NewPCG(21, 22))
	for k := 1; k <= MaxSoftSpokenK; k++ {
		s, r := softPair(t, SoftSpokenConfig{K: k, ChunkRows: 256, Workers: 3})
		for _, m := range []int{1, 127, 128, 129, 1000, 1300} {
			choices := randBools(rng, m)
			q := make([]uint64, 2*m)
			tr := make([]uint64, 2*m)
			es, er := both(func() error {
				return s.extend(ctx, m, func(first int, x Matrix) error {
					copy(q[2*first:], x.Data[:2*x.Rows])
					return nil
				})
			}, func() error {
				return r.extend(ctx, m, packBools(choices), func(first int, x Matrix) error {
					copy(tr[2*first:], x.Data[:2*x.Rows])
					return nil
				})
			})
			require.NoError(t, es)
			require.NoError(t, er)
			for j := range m {
				want0, want1 := tr[2*j], tr[2*j+1]
				if choices[j] {
					want0 ^= s.dw[0]
					want1 ^= s.dw[1]
				}
				require.Equal(t, [2]uint64{want0, want1}, [2]uint64{q[2*j], q[2*j+1]}, "k %d m %d row %d", k, m, j)
			}
			// t is not q: the rows with choice 1 differ by Delta (nonzero
			// but with probability 2^-128).
			if m > 1 {
				require.NotEqual(t, q, tr)
			}
		}
	}
}

// TestSoftVOLE checks the binary-counter sums against the definition.
func TestSoftVOLE(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const rows = 256
	for d := 1; d <= MaxSoftSpokenK; d++ {
		for _, holey := range []bool{false, true} {
			g := make([]cipher.Block, 1<<d)
			for x := range g {
				if holey && x == 0 {
					continue
				}
				var key [16]byte
				for i := range key {
					key[i] = byte(rng.Uint32())
				}
				g[x], _ = aes.NewCipher(key[:])
			}
			v := make([][]byte, d)
			stack := make([][]byte, d)
			for i := range v {
				v[i] = make([]byte, rows/8)
				stack[i] = make([]byte, rows/8)
			}
			u := make([]byte, rows/8)
			// Garbage in the outputs and scratch must not matter.
			for i := range v {
				v[i][0], stack[i][1] = 0xA5, 0x5A
			}
			softVOLE(g, 384, v, u, stack, make([]byte, rows/8), make([]byte, rows/8))
			wantV := make([][]byte, d)
			for i := range wantV {
				wantV[i] = make([]byte, rows/8)
			}
			wantU := make([]byte, rows/8)
			r := make([]byte, rows/8)
			for x := range g {
				if g[x] == nil {
					continue
				}
				expand(g[x], 384, r, nil)
				for i := range r {
					wantU[i] ^= r[i]
					for b := range d {
						if x>>b&1 == 1 {
							wantV[b][i] ^= r[i]
						}
					}
				}
			}
			require.Equal(t, wantV, v, "d %d", d)
			require.Equal(t, wantU, u, "d %d", d)
		}
	}
}

func TestSoftSpokenRandomChosenCorrelated(t *testing.T) {
	ctx := testCtx(t)
	rng := rand.New(rand.NewPCG(25, 26))
	for _, k := range []int{2, 5, 8} {
		s, r := softPair(t, SoftSpokenConfig{K: k, ChunkRows: 512, Workers: 2})
		for _, m := range []int{0, 1, 300, 2000} {
			choices := randBools(rng, m)
			randomOT(t, ctx, s, r, choices)
			chosenOT(t, ctx, rng, s, r, choices)
			correlatedOT(t, ctx, rng, s, r, m, fmt.Sprintf("k %d", k))
		}
	}
	// Both types satisfy the shared interfaces; a caller written against
	// them runs on either.
	var snd OneOfTwoSender
	var rcv OneOfTwoReceiver
	snd, rcv = softPair(t, SoftSpokenConfig{})
	_, err := rcv.CorrelatedOT64(ctx, make([]uint64, 1), 65)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = snd.RandomOT(ctx, -1)
	require.ErrorIs(t, err, ErrInvalidParams)
}

// TestSoftSpokenHashBreaksCorrelation: the random OT messages must not keep
// the linear correlation of the rows. Without the hash, x_j0 ^ x_j1 would
// be Delta for every j, so a receiver would get every unchosen message
// from one of them; with the hash the differences are distinct.
func TestSoftSpokenHashBreaksCorrelation(t *testing.T) {
	ctx := testCtx(t)
	const m = 1000
	s, r := softPair(t, SoftSpokenConfig{K: 4})
	choices := randBools(rand.New(rand.NewPCG(27, 28)), m)
	pairs, _ := randomOT(t, ctx, s, r, choices)
	diffs := make(map[Block]bool, m)
	for j := range pairs {
		diffs[pairs[j][0].Xor(pairs[j][1])] = true
	}
	require.Len(t, diffs, m, "the pairs share an XOR difference: the rows were not hashed")
}

// TestSoftSpokenUnchosenIndependentOfView runs twice with the same base-OT
// pairs and the same receiver randomness but different Delta (the
// sender's base-OT choices, which the receiver never sees): every message
// the receiver sends and every output it gets are identical, the sender's
// chosen messages are identical, and its unchosen messages all change. So
// the unchosen messages are not a function of the receiver's view.
func TestSoftSpokenUnchosenIndependentOfView(t *testing.T) {
	const m = 700
	choices := randBools(rand.New(rand.NewPCG(29, 30)), m)
	run := func(seed uint64) ([][2]Block, []Block, [][]byte) {
		ctx := testCtx(t)
		cryptotest.SetGlobalRandom(t, 7) // the receiver's GGM roots
		sc := randBools(rand.New(rand.NewPCG(seed, 31)), softWidth)
		// The same base pairs in both runs: only the sender's choices differ.
		s, r, rec := softPairFromBase(t, SoftSpokenConfig{K: 3, ChunkRows: 256}, rand.New(rand.NewPCG(32, 33)), sc)
		pairs, got := randomOT(t, ctx, s, r, choices)
		return pairs, got, rec.got
	}
	p1, got1, sent1 := run(1)
	p2, got2, sent2 := run(2)
	require.Equal(t, sent1, sent2, "the receiver's messages depend on Delta")
	require.Equal(t, got1, got2)
	for j := range m {
		c := 0
		if choices[j] {
			c = 1
		}
		require.Equal(t, p1[j][c], p2[j][c])
		require.NotEqual(t, p1[j][1-c], p2[j][1-c], "OT %d: the unchosen message does not depend on Delta", j)
	}
}

// TestSoftSpokenPuncturedHiding plays a curious sender: from its view (its
// base-OT keys and choices, the setup message, the extension messages) it
// tries to rebuild, for every block, the leaf it must not know by reading
// each side of each GGM level either as sent or unmasked with its own key
// (all four ways), and then unmasks the receiver's choices from the
// corrections c ^ u. With the levels masked by both keys of each base OT
// every guess is a coin flip; were the mask removed from one side or both,
// or both sides masked by one key, the choices of some block would come
// out exactly.
func TestSoftSpokenPuncturedHiding(t *testing.T) {
	ctx := testCtx(t)
	const m = 1024
	rng := rand.New(rand.NewPCG(34, 35))
	sc := randBools(rng, softWidth)
	_, keys := fakeBase(rand.New(rand.NewPCG(36, 37)), sc)
	for _, k := range []int{2, 8} {
		s, r, rec := softPairFromBase(t, SoftSpokenConfig{K: k}, rand.New(rand.NewPCG(36, 37)), sc)
		choices := make([]bool, m)
		for j := range choices {
			choices[j] = j%5 == 0
		}
		es, er := both(func() error { _, err := s.RandomOT(ctx, m); return err },
			func() error { _, err := r.RandomOT(ctx, choices); return err })
		require.NoError(t, es)
		require.NoError(t, er)
		require.Len(t, rec.got, 2) // setup, one chunk
		var setup SoftSetup
		require.NoError(t, setup.UnmarshalBinary(rec.got[0]))
		var chunk SoftChunk
		require.NoError(t, chunk.UnmarshalBinary(rec.got[1]))
		for i := range s.offs {
			for unmask := range 4 {
				guess := curiousChoices(t, s, i, &setup, &chunk, sc, keys, unmask&1 == 1, unmask&2 == 2)
				agree := 0
				for j := range m {
					if guess[j] == choices[j] {
						agree++
					}
				}
				// Each guess is a uniform pad away from the truth: 1024
				// coin flips stay within (400, 624) except with
				// probability below 2^-30 per block.
				require.Less(t, agree, 624, "k %d block %d: the sender recovers the receiver's choices", k, i)
				require.Greater(t, agree, 400, "k %d block %d", k, i)
			}
		}
	}
}

// curiousChoices rebuilds block i's whole GGM tree from the sender's view,
// taking the side of each level off alpha's path and the path's side each
// as sent or XORed with the sender's own key (offKey, pathKey), and
// returns c' = correction ^ u'.
func curiousChoices(t *testing.T, s *SoftSpokenSender, i int, setup *SoftSetup, c *SoftChunk, choices []bool, keys []Block, offKey, pathKey bool) []bool {
	o, d := s.offs[i], s.sizes[i]
	level := make([]Block, 1)
	path := 0
	for e := range d {
		tb := d - 1 - e
		b := 0
		if choices[o+tb] {
			b = 1
		}
		next := make([]Block, 2*len(level))
		sums := [2]Block{setup.Levels[o+tb][b], setup.Levels[o+tb][1-b]}
		if offKey {
			sums[0] = sums[0].Xor(keys[o+tb])
		}
		if pathKey {
			sums[1] = sums[1].Xor(keys[o+tb])
		}
		for p, seed := range level {
			if p == path {
				continue
			}
			next[2*p], next[2*p+1] = ggmChildren(seed)
			sums[0] = sums[0].Xor(next[2*p+b])
			sums[1] = sums[1].Xor(next[2*p+1-b])
		}
		next[2*path+b] = sums[0]
		next[2*path+1-b] = sums[1] // the guess of the node the sender must not know
		path = 2*path + (1 - b)
		level = next
	}
	g, err := newPRGs(level)
	require.NoError(t, err)
	rb := c.Rows / 8
	v := make([][]byte, d)
	stack := make([][]byte, d)
	for l := range v {
		v[l], stack[l] = make([]byte, rb), make([]byte, rb)
	}
	u := make([]byte, rb)
	softVOLE(g, c.Offset, v, u, stack, make([]byte, rb), make([]byte, rb))
	corr := c.U[i*rb : (i+1)*rb]
	out := make([]bool, c.Rows)
	for j := range out {
		out[j] = (corr[j/8]^u[j/8])>>(j%8)&1 == 1
	}
	return out
}

// TestSoftSpokenPuncturedTree checks the sender's reconstruction: it holds
// exactly the receiver's leaves except leaf alpha, at the positions
// relabelled by alpha.
func TestSoftSpokenPuncturedTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(38, 39))
	sc := randBools(rng, softWidth)
	s, r, _ := softPairFromBase(t, SoftSpokenConfig{K: 5}, rng, sc)
	var src, a, b [16]byte
	src[3] = 9
	for i := range s.g {
		alpha := 0
		for tb := range s.sizes[i] {
			if s.delta[s.offs[i]+tb] {
				alpha |= 1 << tb
			}
		}
		require.Nil(t, s.g[i][0])
		for y := 1; y < len(s.g[i]); y++ {
			s.g[i][y].Encrypt(a[:], src[:])
			r.g[i][y^alpha].Encrypt(b[:], src[:])
			require.Equal(t, b, a, "block %d leaf %d", i, y^alpha)
		}
	}
	require.Equal(t, 26, len(s.g)) // 25 blocks of 5 bits and one of 3
	require.Len(t, s.g[25], 8)
}

func TestSoftSpokenParams(t *testing.T) {
	ctx := testCtx(t)
	a, b := transport.Pipe("sender", "receiver", transport.Options{})
	defer a.Close()
	defer b.Close()
	for _, cfg := range []SoftSpokenConfig{{K: -1}, {K: 9}, {Workers: -1}, {ChunkRows: 100}, {ChunkRows: -128}, {ChunkRows: maxChunkRows + 128}} {
		_, err := NewSoftSpokenSender(ctx, a, cfg)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", cfg)
		_, err = NewSoftSpokenReceiver(ctx, b, cfg)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", cfg)
	}
	_, err := NewSoftSpokenReceiverFromBase(ctx, b, make([][2]Block, 127), SoftSpokenConfig{})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewSoftSpokenSenderFromBase(ctx, a, make([]bool, 128), make([]Block, 64), SoftSpokenConfig{})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewSoftSpokenReceiverFromBase(ctx, nil, make([][2]Block, 128), SoftSpokenConfig{})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = (&SoftSetup{K: 0}).MarshalBinary()
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = (&SoftChunk{K: 2, Rows: 128, U: make([]byte, 10)}).MarshalBinary()
	require.ErrorIs(t, err, ErrInvalidParams)
}

// TestSoftSpokenBadPeer feeds the sender malformed and out-of-protocol
// messages from a fake receiver: each is an error, none a hang or panic.
func TestSoftSpokenBadPeer(t *testing.T) {
	ctx := testCtx(t)
	rng := rand.New(rand.NewPCG(40, 41))
	sc := randBools(rng, softWidth)
	_, keys := fakeBase(rng, sc)
	goodSetup, err := (&SoftSetup{K: 4}).MarshalBinary()
	require.NoError(t, err)
	setupCases := []struct {
		name string
		msg  []byte
		want error
	}{
		{"truncated", goodSetup[:len(goodSetup)-1], ErrMalformed},
		{"oversized", append(append([]byte(nil), goodSetup...), 0), ErrMalformed},
		{"wrong tag", append([]byte{tagSoftChunk}, goodSetup[1:]...), ErrMalformed},
		{"k zero", append([]byte{tagSoftSetup, 0}, goodSetup[2:]...), ErrMalformed},
		{"k mismatch", append([]byte{tagSoftSetup, 3}, goodSetup[2:]...), ErrProtocol},
		{"empty", nil, ErrMalformed},
	}
	for _, tc := range setupCases {
		a, b := transport.Pipe("sender", "receiver", transport.Options{})
		go func() { _ = b.Send(ctx, tc.msg) }()
		_, err := NewSoftSpokenSenderFromBase(ctx, a, sc, keys, SoftSpokenConfig{K: 4})
		require.ErrorIs(t, err, tc.want, tc.name)
		a.Close()
		b.Close()
	}

	newSender := func() (*SoftSpokenSender, transport.Conn) {
		a, b := transport.Pipe("sender", "receiver", transport.Options{})
		t.Cleanup(func() { a.Close(); b.Close() })
		go func() { _ = b.Send(ctx, goodSetup) }()
		s, err := NewSoftSpokenSenderFromBase(ctx, a, sc, keys, SoftSpokenConfig{K: 4, ChunkRows: 256})
		require.NoError(t, err)
		return s, b
	}
	chunk := func(k int, off uint64, rows int) []byte {
		b, err := (&SoftChunk{K: k, Offset: off, Rows: rows, U: make([]byte, softNumBlocks(k)*rows/8)}).MarshalBinary()
		require.NoError(t, err)
		return b
	}
	good := chunk(4, 0, 256)
	chunkCases := []struct {
		name string
		msgs [][]byte
		want error
	}{
		{"truncated", [][]byte{good[:len(good)-1]}, ErrMalformed},
		{"oversized", [][]byte{append(append([]byte(nil), good...), 1)}, ErrMalformed},
		{"header only", [][]byte{good[:softChunkHdr]}, ErrMalformed},
		{"wrong k", [][]byte{chunk(2, 0, 256)}, ErrProtocol},
		{"wrong offset", [][]byte{chunk(4, 256, 256)}, ErrProtocol},
		{"replayed chunk", [][]byte{good, good}, ErrProtocol},
		{"too many rows", [][]byte{chunk(4, 0, 512)}, ErrProtocol},
		{"too few rows", [][]byte{chunk(4, 0, 128)}, ErrProtocol},
		{"wrong tag", [][]byte{append([]byte{tagExt}, good[1:]...)}, ErrMalformed},
	}
	for _, tc := range chunkCases {
		s, peer := newSender()
		go func() {
			for _, m := range tc.msgs {
				_ = peer.Send(ctx, m)
			}
		}()
		_, err := s.RandomOT(ctx, 512)
		require.ErrorIs(t, err, tc.want, tc.name)
	}

	// The peer hangs up mid-extension: a prompt transport error.
	s, peer := newSender()
	go func() { _ = peer.Send(ctx, good); peer.Close() }()
	_, err = s.CorrelatedOT64(ctx, make([]uint64, 1024))
	require.True(t, errors.Is(err, transport.ErrClosed), "%v", err)

	// A cancelled context ends a waiting sender.
	s, _ = newSender()
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = s.RandomOT(cctx, 128)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestSoftSpokenBadSenderMessages: the receiver's chosen-OT and
// correlated-OT messages from a fake sender with wrong counts are errors.
func TestSoftSpokenBadSenderMessages(t *testing.T) {
	ctx := testCtx(t)
	rng := rand.New(rand.NewPCG(42, 43))
	pairs, _ := fakeBase(rng, make([]bool, softWidth))
	newReceiver := func() (*SoftSpokenReceiver, transport.Conn) {
		a, b := transport.Pipe("sender", "receiver", transport.Options{})
		t.Cleanup(func() { a.Close(); b.Close() })
		go func() { _, _ = a.Recv(ctx) }() // the setup
		r, err := NewSoftSpokenReceiverFromBase(ctx, b, pairs, SoftSpokenConfig{K: 2})
		require.NoError(t, err)
		return r, a
	}
	r, peer := newReceiver()
	go func() {
		_, _ = peer.Recv(ctx)
		b, _ := (&Corrections{Tau: make([]uint64, 99)}).MarshalBinary()
		_ = peer.Send(ctx, b)
	}()
	_, err := r.CorrelatedOT64(ctx, make([]uint64, 2), 100)
	require.ErrorIs(t, err, ErrProtocol)

	r, peer = newReceiver()
	go func() {
		_, _ = peer.Recv(ctx)
		b, _ := (&ChosenMessages{Y: make([][2]Block, 3)}).MarshalBinary()
		_ = peer.Send(ctx, b[:len(b)-1])
	}()
	_, err = r.ChosenOT(ctx, make([]bool, 3))
	require.ErrorIs(t, err, ErrMalformed)
}

// TestSoftSpokenBytesPerOT checks the communication: 128/k bits per OT
// (rounded up to whole blocks) plus a 16-byte header per chunk.
func TestSoftSpokenBytesPerOT(t *testing.T) {
	ctx := testCtx(t)
	const m = 1 << 14
	for _, k := range []int{2, 3, 8} {
		s, r := softPair(t, SoftSpokenConfig{K: k})
		before := r.conn.Stats()
		es, er := both(func() error { _, err := s.RandomOT(ctx, m); return err },
			func() error { _, err := r.RandomOT(ctx, make([]bool, m)); return err })
		require.NoError(t, es)
		require.NoError(t, er)
		sent := r.conn.Stats().BytesSent - before.BytesSent
		body := int64(softNumBlocks(k) * m / 8)
		require.GreaterOrEqual(t, sent, body)
		require.Less(t, sent, body+256, "k %d", k)
	}
	require.Equal(t, 1, bits.OnesCount(uint(defaultSoftChunk)))
}
