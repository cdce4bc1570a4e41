package ledger

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zeebo/blake3"

	"github.com/veil-go/veil/transport"
	"github.com/veil-go/veil/transport/transporttest"
)

func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestTranscriptBothSidesEqual(t *testing.T) {
	ctx := bounded(t)
	a, b := transport.Pipe("alice", "bob", transport.Options{})
	var ta, tb Transcript
	ca, cb := ta.Conn("alice", a), tb.Conn("bob", b) // each end's own name
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 5 {
			require.NoError(t, ca.Send(ctx, []byte{byte(i), 'a'}))
		}
	})
	wg.Go(func() {
		for i := range 3 {
			require.NoError(t, cb.Send(ctx, []byte{byte(i), 'b'}))
		}
	})
	wg.Wait()
	for range 5 {
		_, err := cb.Recv(ctx)
		require.NoError(t, err)
	}
	for range 3 {
		_, err := ca.Recv(ctx)
		require.NoError(t, err)
	}
	require.Equal(t, ta.Sum(), tb.Sum(), "both ends compute the same transcript hash")

	// One byte different on one link: another hash.
	var tc Transcript
	for i := range 5 {
		m := []byte{byte(i), 'a'}
		if i == 4 {
			m[1] = 'x'
		}
		tc.Record("alice", "bob", m)
	}
	for i := range 3 {
		tc.Record("bob", "alice", []byte{byte(i), 'b'})
	}
	require.NotEqual(t, ta.Sum(), tc.Sum())
	// Message boundaries count: "ab" is not "a","b".
	var t1, t2 Transcript
	t1.Record("x", "y", []byte("ab"))
	t2.Record("x", "y", []byte("a"))
	t2.Record("x", "y", []byte("b"))
	require.NotEqual(t, t1.Sum(), t2.Sum())
}

// exchangeAll runs Exchange for every party of a mesh; wrap may replace a
// party's mesh.
func exchangeAll(t *testing.T, n int, wrap func(i int, m transport.Mesh) transport.Mesh, mutate func(i int, r *Receipt)) ([]*SignedReceipt, []error) {
	return exchangeOn(t, n, transport.NewMemMesh, wrap, mutate)
}

func exchangeOn(t *testing.T, n int, topology func(int, transport.Options) ([]transport.Mesh, error), wrap func(i int, m transport.Mesh) transport.Mesh, mutate func(i int, r *Receipt)) ([]*SignedReceipt, []error) {
	ctx := bounded(t)
	ps := identities(t, n)
	meshes, err := topology(n, transport.Options{})
	require.NoError(t, err)
	out := make([]*SignedReceipt, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m := meshes[i]
			if wrap != nil {
				m = wrap(i, m)
			}
			defer m.Close()
			r := sampleReceipt(t, ps)
			// every party computes the same receipt: same commitments
			for k := range r.Parties {
				r.Parties[k].Input = Commitment{byte(k)}
			}
			if mutate != nil {
				mutate(i, r)
			}
			out[i], errs[i] = Exchange(ctx, ps[i], m, r)
		})
	}
	wg.Wait()
	return out, errs
}

func TestExchange(t *testing.T) {
	for _, n := range []int{2, 3, 4} {
		topology := transport.NewMemMesh
		if n == 4 {
			topology = transport.NewMemStar // spokes reach only the hub
		}
		out, errs := exchangeOn(t, n, topology, nil, nil)
		for i := range n {
			require.NoError(t, errs[i])
			require.NoError(t, out[i].Verify(identities(t, n)[0]))
			b0, err := out[0].MarshalBinary()
			require.NoError(t, err)
			bi, err := out[i].Receipt.MarshalBinary()
			require.NoError(t, err)
			r0, err := out[0].Receipt.MarshalBinary()
			require.NoError(t, err)
			require.Equal(t, r0, bi, "party %d ends with the same receipt", i)
			require.NotEmpty(t, b0)
		}
	}
}

func TestExchangeConn(t *testing.T) {
	ctx := bounded(t)
	ps := identities(t, 2)
	a, b := transport.Pipe(ps[0].Name(), ps[1].Name(), transport.Options{})
	r := sampleReceipt(t, ps)
	var sb *SignedReceipt
	var errB error
	var wg sync.WaitGroup
	wg.Go(func() { sb, errB = ExchangeConn(ctx, ps[1], b, r) })
	sa, err := ExchangeConn(ctx, ps[0], a, r)
	wg.Wait()
	require.NoError(t, err)
	require.NoError(t, errB)
	require.NoError(t, sa.Verify(ps[0]))
	require.NoError(t, sb.Verify(ps[1]))
}

func TestExchangeFaults(t *testing.T) {
	wrapPeer := func(victim int, f func(c transport.Conn) transport.Conn) func(i int, m transport.Mesh) transport.Mesh {
		return func(i int, m transport.Mesh) transport.Mesh {
			if i != victim {
				return m
			}
			return transporttest.WrapMesh(m, func(_ int, c transport.Conn) transport.Conn { return f(c) })
		}
	}
	t.Run("peer crashes before signing", func(t *testing.T) {
		_, errs := exchangeAll(t, 2, wrapPeer(1, func(c transport.Conn) transport.Conn { return transporttest.CloseAfter(c, 0) }), nil)
		require.Error(t, errs[0])
		require.Contains(t, errs[0].Error(), `ledger party-0, step signatures, peer "party-1"`)
	})
	t.Run("flipped bit in the signature", func(t *testing.T) {
		_, errs := exchangeAll(t, 2, wrapPeer(1, func(c transport.Conn) transport.Conn { return transporttest.FlipBit(c, 0, -3) }), nil)
		require.ErrorIs(t, errs[0], ErrBadSignature)
		require.ErrorIs(t, errs[1], ErrAborted, "party 0 tells party 1")
	})
	t.Run("flipped bit in the digest", func(t *testing.T) {
		_, errs := exchangeAll(t, 2, wrapPeer(1, func(c transport.Conn) transport.Conn { return transporttest.FlipBit(c, 0, 6) }), nil)
		require.ErrorIs(t, errs[0], ErrMismatch)
	})
	t.Run("truncated", func(t *testing.T) {
		_, errs := exchangeAll(t, 2, wrapPeer(1, func(c transport.Conn) transport.Conn { return transporttest.Truncate(c, 0, 20) }), nil)
		require.ErrorIs(t, errs[0], ErrMalformed)
	})
	t.Run("peer signs another receipt", func(t *testing.T) {
		_, errs := exchangeAll(t, 2, nil, func(i int, r *Receipt) {
			if i == 1 {
				r.Parties[1].Stats.BytesSent = 1 // claims a different cost
			}
		})
		require.ErrorIs(t, errs[0], ErrMismatch)
		require.Contains(t, errs[0].Error(), "different receipt")
		require.ErrorIs(t, errs[1], ErrAborted)
	})
	t.Run("peer goes silent", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		ps := identities(t, 2)
		a, _ := transport.Pipe(ps[0].Name(), ps[1].Name(), transport.Options{})
		_, err := ExchangeConn(ctx, ps[0], a, sampleReceipt(t, ps))
		require.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	})
}

// TestExchangeHubCannotForge: party 0 relays the signatures; one it drops
// or changes is caught by every other party.
func TestExchangeHubCannotForge(t *testing.T) {
	hubSends := func(f func(msg []byte) []byte) func(i int, m transport.Mesh) transport.Mesh {
		return func(i int, m transport.Mesh) transport.Mesh {
			if i != 0 {
				return m
			}
			return transporttest.WrapMesh(m, func(_ int, c transport.Conn) transport.Conn { return transporttest.Corrupt(c, 0, f) })
		}
	}
	t.Run("changed signature", func(t *testing.T) {
		_, errs := exchangeOn(t, 3, transport.NewMemStar, hubSends(func(msg []byte) []byte {
			msg[len(msg)-3] ^= 1 // in party 2's signature
			return msg
		}), nil)
		require.NoError(t, errs[0])
		require.ErrorIs(t, errs[1], ErrBadSignature)
		require.Contains(t, errs[1].Error(), `party 2 "party-2"`)
	})
	t.Run("dropped signature", func(t *testing.T) {
		_, errs := exchangeOn(t, 3, transport.NewMemStar, hubSends(func(msg []byte) []byte {
			// The last signature is party 2's: replace it with an empty one.
			var sigs []Signature
			d := &dec{b: msg[1+DigestSize:], what: "test"}
			for range 3 {
				sigs = append(sigs, decodeSig(d))
			}
			var e enc
			e.u8(bundleMsgTag)
			e.fixed(msg[1 : 1+DigestSize])
			encodeSig(&e, sigs[0])
			encodeSig(&e, sigs[1])
			encodeSig(&e, Signature{})
			return e.b
		}), nil)
		require.ErrorIs(t, errs[1], ErrMissingSignature)
		require.NoError(t, errs[2], "party 2 has its own signature")
	})
	t.Run("a spoke crashes", func(t *testing.T) {
		_, errs := exchangeOn(t, 3, transport.NewMemStar, func(i int, m transport.Mesh) transport.Mesh {
			if i != 2 {
				return m
			}
			return transporttest.WrapMesh(m, func(_ int, c transport.Conn) transport.Conn { return transporttest.CloseAfter(c, 0) })
		}, nil)
		require.Error(t, errs[0])
		require.Contains(t, errs[0].Error(), `peer "party-2"`)
		require.ErrorIs(t, errs[1], ErrAborted)
	})
}

// refTranscript is the transcript hash as the Transcript doc defines it,
// computed directly.
type refTranscript map[linkKey]*struct {
	h hash.Hash
	n uint64
}

func (r refTranscript) record(from, to string, b []byte) {
	k := linkKey{from, to}
	if r[k] == nil {
		r[k] = &struct {
			h hash.Hash
			n uint64
		}{h: blake3.New()}
		r[k].h.Write([]byte(linkLabel))
	}
	r[k].h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
	r[k].h.Write(b)
	r[k].n++
}

func (r refTranscript) sum() [DigestSize]byte {
	keys := slices.SortedFunc(maps.Keys(r), func(a, b linkKey) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	var e enc
	e.fixed([]byte(transcriptLabel))
	e.u32(uint32(len(keys)))
	for _, k := range keys {
		e.str(k.from)
		e.str(k.to)
		e.u64(r[k].n)
		e.fixed(r[k].h.Sum(nil))
	}
	return blake3.Sum256(e.b)
}

// TestTranscriptConcurrent: messages of every size, recorded from several
// goroutines on their own links and on a shared one, give the hash the
// format defines, and the caller may reuse its buffer as soon as Record
// returns.
func TestTranscriptConcurrent(t *testing.T) {
	var tr Transcript
	ref := refTranscript{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			from := fmt.Sprintf("p%d", g)
			buf := make([]byte, 2<<20+1)
			sizes := []int{5, 16 << 10, 300 << 10, 0, 1<<20 + 1, 100, 1023, 1024, 1025, 2<<20 + 1}
			for i := range 2 * len(sizes) {
				n := sizes[i%len(sizes)]
				m := buf[:n]
				for j := range min(n, 251) {
					m[j] = byte(i + j + g)
				}
				for k := 251; k < n; k *= 2 { // fast, for the race detector
					copy(m[k:], m[:k])
				}
				mu.Lock() // the reference order per link is the order of Record
				ref.record(from, "hub", m)
				mu.Unlock()
				tr.Record(from, "hub", m)
				clear(m) // reused at once
			}
		})
	}
	// Two goroutines on one link, with the same message: in either order
	// the link's hash is that of 2 x 20 such messages.
	same := make([]byte, 100<<10)
	for i := range same {
		same[i] = byte(i % 253)
	}
	for range 2 {
		wg.Go(func() {
			for range 20 {
				tr.Record("same", "hub", same)
			}
		})
	}
	wg.Wait()
	for range 40 {
		ref.record("same", "hub", same)
	}
	require.Equal(t, ref.sum(), tr.Sum())
	tr.Record("p0", "hub", make([]byte, 1<<20))
	require.NotEqual(t, ref.sum(), tr.Sum(), "a later message changes it")
}

// TestTranscriptKnownAnswer pins the transcript hash of a few messages, so
// that a change of the format (hash, labels, encoding) cannot pass
// unnoticed: a changed format needs new labels and a new value here. It
// also checks that every byte of a message counts: the last byte of a
// message of 5,000 bytes, and the first of one of 2 MiB, changed one at a
// time, each change the hash.
func TestTranscriptKnownAnswer(t *testing.T) {
	sum := func(edit func(big, mid []byte)) [DigestSize]byte {
		big, mid := make([]byte, 2<<20), make([]byte, 5000)
		for i := range big {
			big[i] = byte(i * 7)
		}
		for i := range mid {
			mid[i] = byte(i)
		}
		edit(big, mid)
		var tr Transcript
		tr.Record("party-a", "party-b", []byte("hello"))
		tr.Record("party-b", "party-a", mid)
		tr.Record("party-a", "party-b", big)
		tr.Record("party-a", "party-b", nil)
		return tr.Sum()
	}
	want := sum(func(_, _ []byte) {})
	require.Equal(t, "b363c49b7e8c9e2bdc446cff4755b32c2b49f9b7c676355b9244514398d9dee7", fmt.Sprintf("%x", want))
	require.NotEqual(t, want, sum(func(_, mid []byte) { mid[len(mid)-1] ^= 1 }), "the last byte of a message")
	require.NotEqual(t, want, sum(func(big, _ []byte) { big[0] ^= 1 }), "the first byte of a message")
	require.NotEqual(t, want, sum(func(big, _ []byte) { big[len(big)/2+3] ^= 0x80 }), "a byte inside a message")
}
