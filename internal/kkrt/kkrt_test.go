package kkrt

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/internal/prg"
	"github.com/veil-go/veil/transport"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// run executes one PSI between recvItems and sendItems over a pipe.
func run(t testing.TB, recvItems, sendItems [][]byte, cfg Config) (*Result, *SendResult) {
	t.Helper()
	ctx := testCtx(t)
	a, b := transport.Pipe("receiver", "sender", transport.Options{})
	defer a.Close()
	defer b.Close()
	var st *SendResult
	errc := make(chan error, 1)
	go func() {
		var err error
		st, err = Send(ctx, b, sendItems, cfg)
		if err != nil {
			b.Close()
		}
		errc <- err
	}()
	res, err := Receive(ctx, a, recvItems, cfg)
	if err != nil {
		a.Close()
	}
	serr := <-errc
	require.NoError(t, err)
	require.NoError(t, serr)
	return res, st
}

// reference is the plaintext intersection: indices of recv items in send.
func reference(recv, send [][]byte) []int {
	in := map[string]bool{}
	for _, s := range send {
		in[string(s)] = true
	}
	out := []int{}
	for i, r := range recv {
		if in[string(r)] {
			out = append(out, i)
		}
	}
	return out
}

// sets returns a receiver set of nr and a sender set of ns items sharing
// about overlap of them, with some duplicates and varied lengths.
func sets(rng *rand.Rand, nr, ns, overlap int, dups bool) (recv, send [][]byte) {
	item := func() []byte {
		b := make([]byte, 1+rng.IntN(24))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	overlap = min(overlap, nr, ns)
	common := make([][]byte, overlap)
	for i := range common {
		common[i] = item()
	}
	recv = append(recv, common...)
	for len(recv) < nr {
		recv = append(recv, item())
	}
	send = append(send, common...)
	for len(send) < ns {
		send = append(send, item())
	}
	if dups && nr > 1 && ns > 1 {
		recv[nr-1] = recv[0]
		send[ns-1] = send[rng.IntN(ns)]
	}
	rng.Shuffle(len(recv), func(i, j int) { recv[i], recv[j] = recv[j], recv[i] })
	rng.Shuffle(len(send), func(i, j int) { send[i], send[j] = send[j], send[i] })
	return recv, send
}

func TestIntersectionMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	cases := []struct{ nr, ns, overlap int }{
		{0, 0, 0}, {0, 5, 0}, {5, 0, 0}, {1, 1, 1}, {1, 1, 0}, {2, 3, 1},
		{100, 100, 50}, {100, 1000, 100}, {1000, 100, 100}, {1000, 1000, 0},
		{3000, 2000, 1999}, {5000, 5000, 5000},
	}
	for _, tc := range cases {
		for _, dups := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d-%d-%d-dups=%v", tc.nr, tc.ns, tc.overlap, dups), func(t *testing.T) {
				recv, send := sets(rng, tc.nr, tc.ns, tc.overlap, dups)
				res, st := run(t, recv, send, Config{ChunkItems: 700, OTChunkRows: 1024})
				require.Equal(t, reference(recv, send), res.Intersection)
				require.Equal(t, st.Stats.Items, res.Stats.PeerItems)
				require.Equal(t, res.Stats.Items, st.Stats.PeerItems)
				require.Equal(t, res.Stats.BytesSent, st.Stats.BytesReceived)
				require.Equal(t, res.Stats.BytesReceived, st.Stats.BytesSent)
				// The sender's view of the matches: positions map back to
				// exactly the sender items in the receiver's set.
				got := map[int]bool{}
				for _, p := range res.SenderMatches {
					got[st.Order[p]] = true
				}
				want := map[int]bool{}
				firstSeen := map[string]bool{}
				for i, x := range send {
					if !firstSeen[string(x)] {
						firstSeen[string(x)] = true
						if slices.ContainsFunc(recv, func(y []byte) bool { return string(y) == string(x) }) {
							want[i] = true
						}
					}
				}
				require.Equal(t, want, got)
			})
		}
	}
}

func TestEdgeItems(t *testing.T) {
	// Empty items, items differing in one byte or by a suffix, prefixes.
	recv := [][]byte{{}, {0}, {0, 0}, []byte("alice"), []byte("alice "), []byte("bob"), []byte("Bob")}
	send := [][]byte{{0, 0}, []byte("alice"), []byte("bob "), []byte("Bob"), {}}
	res, _ := run(t, recv, send, Config{Workers: 1})
	require.Equal(t, reference(recv, send), res.Intersection)
	require.Equal(t, []int{0, 2, 3, 6}, res.Intersection)
}

func TestOutputIndependentOfRandomness(t *testing.T) {
	// The output does not depend on the randomness: a run under one
	// crypto/rand stream and one under another agree with the reference.
	// (This is not a determinism test: both parties draw from the one
	// global stream concurrently.)
	rng := rand.New(rand.NewPCG(1, 1))
	recv, send := sets(rng, 300, 300, 120, false)
	cryptotest.SetGlobalRandom(t, 9)
	r1, _ := run(t, recv, send, Config{})
	cryptotest.SetGlobalRandom(t, 10)
	r2, _ := run(t, recv, send, Config{})
	require.Equal(t, r1.Intersection, r2.Intersection)
	require.Equal(t, reference(recv, send), r1.Intersection)
}

func TestCuckoo(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for _, n := range []int{1, 2, 10, 127, 128, 1000, 1 << 14} {
		ds := make([]digest, n)
		for i := range ds {
			ds[i] = digest{rng.Uint64(), rng.Uint64()}
		}
		h, err := newHasher(NumBins(n), [16]byte{byte(n)}, [16]byte{})
		require.NoError(t, err)
		p, err := prg.New(prg.Seed{})
		require.NoError(t, err)
		ct, err := buildCuckoo(h, ds, 2, p)
		require.NoError(t, err)
		seen := make([]bool, n)
		s := newScratch()
		for b, u := range ct.bins {
			if u < 0 {
				continue
			}
			require.False(t, seen[u], "item %d twice", u)
			seen[u] = true
			require.Equal(t, uint32(b), h.positions(s, ds[u])[ct.fn[b]])
		}
		require.NotContains(t, seen, false)
	}
	// Too many items for the bins fails with ErrCuckoo.
	ds := make([]digest, 300)
	for i := range ds {
		ds[i] = digest{rng.Uint64(), rng.Uint64()}
	}
	h, _ := newHasher(256, [16]byte{}, [16]byte{})
	p, _ := prg.New(prg.Seed{})
	_, err := buildCuckoo(h, ds, 1, p)
	require.ErrorIs(t, err, ErrCuckoo)
}

func TestDigestShortAndLong(t *testing.T) {
	g := newDigester()
	for _, n := range []int{0, 1, 109, 110, 111, 500} {
		item := make([]byte, n)
		for i := range item {
			item[i] = byte(i)
		}
		sum := sha256.Sum256(append([]byte(itemDomain), item...))
		want := digest{binary.LittleEndian.Uint64(sum[:]), binary.LittleEndian.Uint64(sum[8:])}
		require.Equal(t, want, g.digest(item), "length %d", n)
	}
}

func TestParams(t *testing.T) {
	require.Equal(t, 128, NumBins(0))
	require.Equal(t, 256, NumBins(100))
	require.GreaterOrEqual(t, NumBins(1<<20), 127*(1<<20)/100)
	require.Zero(t, NumBins(1<<20)%128)
	require.Equal(t, 11, ValueBytes(1<<20, 1<<20)) // 40 + log2(3.5 * 2^40) = 82 bits
	// C1: many receiver items against few sender items: the receiver's own
	// collisions (2^47 pairs) dominate: 40 + 48 = 88 bits.
	require.Equal(t, 11, ValueBytes(1<<24, 1<<10))
	require.Equal(t, 5, ValueBytes(0, 0))
	require.LessOrEqual(t, ValueBytes(MaxItems, MaxItems), 16)
	for _, c := range []Config{{Workers: -1}, {ChunkItems: -1}, {ChunkItems: 1 << 21}, {MaxPeerItems: -1}, {MaxPeerItems: MaxItems + 1}, {MinValueBytes: 17}} {
		_, err := c.withDefaults()
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", c)
	}
	c, err := Config{}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, DefaultMaxPeerItems, c.MaxPeerItems)
}

// TestOwnValueCollision (C1): two of the receiver's own values colliding
// is an error, not a silently hidden item.
func TestOwnValueCollision(t *testing.T) {
	vals := []digest{{1, 2}, {3, 4}, {5, 6}}
	_, err := ownValues(vals, 5)
	require.NoError(t, err)
	vals = append(vals, digest{3, 4})
	_, err = ownValues(vals, 5)
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	keys := make([]digest, 5000)
	for i := range keys {
		keys[i] = digest{rng.Uint64(), rng.Uint64()}
	}
	keys = append(keys, keys[7], keys[4000]) // duplicates
	tb := newTable(keys)
	for i := range keys[:5000] {
		require.Equal(t, int32(i), tb.insert(int32(i)))
	}
	require.Equal(t, int32(7), tb.insert(5000))
	require.Equal(t, int32(4000), tb.insert(5001))
	for i, k := range keys[:5000] {
		require.Equal(t, int32(i), tb.lookup(k))
	}
	probe := append(append([]digest(nil), keys[:40]...), digest{1, 2}, digest{keys[9][0], 0})
	got := make([]int32, len(probe))
	tb.lookupMany(probe, got)
	for i, k := range probe {
		require.Equal(t, tb.lookup(k), got[i])
	}
	// Same fingerprint and slot, different key: not found.
	require.Equal(t, int32(-1), tb.lookup(digest{keys[3][0], keys[3][1] ^ 1}))
	require.Equal(t, int32(-1), tb.lookup(digest{1, 2}))
	u, of := dedupe([]digest{{1}, {2}, {1}, {3}, {2}}, 2)
	require.Equal(t, []digest{{1}, {2}, {3}}, u)
	require.Equal(t, []int32{0, 1, 0, 2, 1}, of)
	// Many partitions: compare with a map.
	for _, n := range []int{1 << 12, 50000} {
		ds := make([]digest, n)
		for i := range ds {
			ds[i] = digest{rng.Uint64(), rng.Uint64()}
			if i > 0 && rng.IntN(4) == 0 {
				ds[i] = ds[rng.IntN(i)]
			}
		}
		u, of := dedupe(ds, 3)
		first := map[digest]int{}
		var want []digest
		for i, d := range ds {
			if _, ok := first[d]; !ok {
				first[d] = len(want)
				want = append(want, d)
			}
			require.Equal(t, int32(first[d]), of[i])
		}
		require.Equal(t, want, u)
	}
}

func TestPeerFailures(t *testing.T) {
	ctx := testCtx(t)
	items := [][]byte{[]byte("a"), []byte("b")}

	// A receiver hello with the wrong bin count is rejected.
	a, b := transport.Pipe("receiver", "sender", transport.Options{})
	bad := ReceiverHello{N: 10, Bins: 1 << 20}
	raw := make([]byte, recvHelloSize)
	raw[0], raw[1] = tagReceiverHelo, version
	raw[2] = byte(bad.N)
	raw[10+2] = 0x10
	require.NoError(t, a.Send(ctx, raw))
	_, err := Send(ctx, b, items, Config{})
	require.ErrorIs(t, err, ErrProtocol)

	// A peer announcing more items than allowed is rejected before any
	// allocation, on both sides.
	a, b = transport.Pipe("receiver", "sender", transport.Options{})
	big, _ := (&ReceiverHello{N: 5000, Bins: NumBins(5000)}).MarshalBinary()
	require.NoError(t, a.Send(ctx, big))
	_, err = Send(ctx, b, items, Config{MaxPeerItems: 4999})
	require.ErrorIs(t, err, ErrProtocol)
	a, b = transport.Pipe("receiver", "sender", transport.Options{})
	bigS, _ := (&SenderHello{N: 5000}).MarshalBinary()
	require.NoError(t, b.Send(ctx, bigS))
	_, err = Receive(ctx, a, items, Config{MaxPeerItems: 10})
	require.ErrorIs(t, err, ErrProtocol)

	// The sender disappears after the hellos: the receiver gets a prompt
	// transport error.
	a, b = transport.Pipe("receiver", "sender", transport.Options{})
	go func() {
		_, _ = b.Recv(ctx)
		m, _ := (&SenderHello{N: 2}).MarshalBinary()
		_ = b.Send(ctx, m)
		b.Close()
	}()
	_, err = Receive(ctx, a, items, Config{})
	require.ErrorIs(t, err, transport.ErrClosed)
	require.ErrorContains(t, err, `kkrt receiver, step oprf, peer "sender": `)

	// A cancelled context ends a waiting sender.
	_, b = transport.Pipe("receiver", "sender", transport.Options{})
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = Send(cctx, b, items, Config{})
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestStreamOrderHidesSenderOrder (D1): the receiver learns at which
// positions of the sender's stream its matches sit (SenderMatches); the
// sender's shuffle must keep those from being the matched items' positions
// in the sender's input. The sender maps them back with Order.
func TestStreamOrderHidesSenderOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	recv, send := sets(rng, 200, 200, 80, false)
	res, st := run(t, recv, send, Config{})
	inRecv := map[string]bool{}
	for _, y := range recv {
		inRecv[string(y)] = true
	}
	var inputPos []int
	for i, x := range send {
		if inRecv[string(x)] {
			inputPos = append(inputPos, i)
		}
	}
	require.Len(t, res.SenderMatches, len(inputPos))
	require.NotEqual(t, inputPos, res.SenderMatches, "stream positions of the matches equal the sender's input positions")
	var back []int
	for _, p := range res.SenderMatches {
		back = append(back, st.Order[p])
	}
	slices.Sort(back)
	require.Equal(t, inputPos, back)
}

// TestCodesDefinition checks the CTR-batched code words against their
// definition AES_k(d[:15] || 4f+b), and that f shifts the code word.
func TestCodesDefinition(t *testing.T) {
	h, err := newHasher(128, [16]byte{1}, [16]byte{2})
	require.NoError(t, err)
	d := digest{0x0123456789abcdef, 0xfedcba9876543210}
	s := newScratch()
	var all [NumHashes][CodeWidth / 64]uint64
	h.codes(s, all[:], d, 0)
	for f := range NumHashes {
		var one [1][CodeWidth / 64]uint64
		h.codes(s, one[:], d, f)
		require.Equal(t, all[f], one[0])
		for b := range CodeWidth / 128 {
			in := make([]byte, 16)
			binary.LittleEndian.PutUint64(in, d[0])
			binary.LittleEndian.PutUint64(in[8:], d[1])
			in[15] = byte(4*f + b)
			out := make([]byte, 16)
			h.codeAES.Encrypt(out, in)
			require.Equal(t, binary.LittleEndian.Uint64(out), all[f][2*b])
			require.Equal(t, binary.LittleEndian.Uint64(out[8:]), all[f][2*b+1])
		}
	}
	require.NotEqual(t, all[0], all[1])
}

func TestPayloads(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []struct{ nr, ns, overlap int }{{0, 0, 0}, {3, 0, 0}, {0, 4, 0}, {1, 1, 1}, {50, 80, 30}, {2000, 3000, 1500}} {
		recv, send := sets(rng, tc.nr, tc.ns, tc.overlap, true)
		payloads := make([][]byte, len(send))
		byItem := map[string][]byte{}
		for i, x := range send {
			if p, ok := byItem[string(x)]; ok {
				payloads[i] = p // copies carry the first copy's payload
				continue
			}
			p := make([]byte, rng.IntN(300))
			for k := range p {
				p[k] = byte(rng.Uint32())
			}
			payloads[i], byItem[string(x)] = p, p
		}
		ctx := testCtx(t)
		a, b := transport.Pipe("receiver", "sender", transport.Options{})
		errc := make(chan error, 1)
		go func() {
			_, err := Send(ctx, b, send, Config{Payloads: payloads, ChunkItems: 100})
			errc <- err
		}()
		res, err := Receive(ctx, a, recv, Config{})
		require.NoError(t, err)
		require.NoError(t, <-errc)
		require.Equal(t, reference(recv, send), res.Intersection)
		require.Len(t, res.Payloads, len(res.Intersection))
		for k, i := range res.Intersection {
			require.Equal(t, string(byItem[string(recv[i])]), string(res.Payloads[k]), "item %d", i)
		}
	}
	// Wrong number of payloads, or one too large.
	_, err := Send(testCtx(t), nil, [][]byte{{1}}, Config{})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = Receive(testCtx(t), nil, nil, Config{})
	require.ErrorIs(t, err, ErrInvalidParams)
	a, _ := transport.Pipe("x", "y", transport.Options{})
	_, err = Send(testCtx(t), a, [][]byte{{1}, {2}}, Config{Payloads: [][]byte{{1}}})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = Send(testCtx(t), a, [][]byte{{1}}, Config{Payloads: [][]byte{make([]byte, MaxPayload+1)}})
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestOpenPayloadRejectsWrongKey(t *testing.T) {
	var it PayloadItem
	keys := [NumHashes][16]byte{{1}, {2}, {3}}
	require.NoError(t, sealPayload(&it, [16]byte{9}, &keys, []byte("secret")))
	for f := range NumHashes {
		pl, ok := openPayload(&it, f, keys[f])
		require.True(t, ok)
		require.Equal(t, "secret", string(pl))
	}
	_, ok := openPayload(&it, 0, keys[1])
	require.False(t, ok)
}
