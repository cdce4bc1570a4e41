package kkrt

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"

	"github.com/veil-go/veil/internal/ot"
	"github.com/veil-go/veil/internal/parallel"
	"github.com/veil-go/veil/internal/prg"
)

// Join payloads. The sender draws a fresh 16-byte key K per item, seals the
// item's payload with AES-128-GCM under K (zero nonce: K seals one message)
// and sends K masked by each of the item's NumHashes OPRF keys (the last
// 16 bytes of the full OPRF output). A receiver holding the item learns the
// OPRF key of the matching function, unmasks K and opens the payload; for
// any other item it sees K under a one-time pad. As in psi's ECDH join, the
// receiver sees every payload's length.

var zeroNonce [12]byte

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// sealPayload fills it.Masked and it.Sealed for payload under a fresh key
// k, given the item's NumHashes OPRF keys.
func sealPayload(it *PayloadItem, k [16]byte, oprfKeys *[NumHashes][16]byte, payload []byte) error {
	g, err := newGCM(k[:])
	if err != nil {
		return err
	}
	for f := range it.Masked {
		for i := range k {
			it.Masked[f][i] = k[i] ^ oprfKeys[f][i]
		}
	}
	it.Sealed = g.Seal(it.Sealed[:0], zeroNonce[:], payload, nil)
	return nil
}

// openPayload unmasks the payload key with the OPRF key of function f and
// opens the payload; ok is false if it does not authenticate.
func openPayload(it *PayloadItem, f int, oprfKey [16]byte) ([]byte, bool) {
	var k [16]byte
	for i := range k {
		k[i] = it.Masked[f][i] ^ oprfKey[i]
	}
	g, err := newGCM(k[:])
	if err != nil {
		return nil, false
	}
	pl, err := g.Open(nil, zeroNonce[:], it.Sealed, nil)
	if err != nil {
		return nil, false
	}
	if pl == nil {
		pl = []byte{}
	}
	return pl, true
}

// payloadChunkBytes is the target size of one payload values message.
const payloadChunkBytes = 1 << 20

// sendPayloads streams the sender's values with payloads: for each item
// (in the shuffled order) its NumHashes values and its sealed payload.
// Chunks are cut by size; each is built by one worker with its own PRG.
func (st *senderState) sendPayloads(ctx context.Context) error {
	payloads, order, uniq, vlen := st.cfg.Payloads, st.order, st.uniq, st.vlen
	n := len(uniq)
	bounds := []int{0}
	size := 0
	for i := range n {
		sz := payloadItemSize(vlen, len(payloads[order[i]])+sealOverhead)
		// A chunk holds at least MinChunkItems items (the receiver refuses
		// fewer but for the last): at most 16 maximal payloads, 1 MiB.
		if start := bounds[len(bounds)-1]; i-start >= MinChunkItems && (size+sz > payloadChunkBytes || i-start >= st.cfg.ChunkItems) {
			bounds = append(bounds, i)
			size = 0
		}
		size += sz
	}
	if n > 0 {
		bounds = append(bounds, n)
	}
	nChunks := len(bounds) - 1
	workers := min(st.cfg.Workers, max(nChunks, 1))
	msgs := make([][]byte, workers)
	win := st.window()
	for c0 := 0; c0 < nChunks; c0 += workers {
		cnt := min(workers, nChunks-c0)
		prgs := make([]*prg.PRG, cnt)
		for w := range prgs {
			var err error
			if prgs[w], err = st.rnd.Child(); err != nil {
				return err
			}
		}
		err := parallel.Each(ctx, cnt, cnt, func(w int) error {
			lo, hi := bounds[c0+w], bounds[c0+w+1]
			var err error
			msgs[w], err = buildPayloadChunk(msgs[w][:0], st.h, st.q, st.delta, uniq[lo:hi], order[lo:hi], payloads, vlen, prgs[w])
			return err
		})
		if err != nil {
			return err
		}
		for w := range cnt {
			if err := win.send(ctx, msgs[w], bounds[c0+w+1]-bounds[c0+w]); err != nil {
				return err
			}
		}
	}
	return win.drain(ctx)
}

// buildPayloadChunk appends to b the PayloadValues message for the items
// uniq (input indices order) with their payloads.
func buildPayloadChunk(b []byte, h *hasher, q ot.Matrix, delta []uint64, uniq []digest, order []int,
	payloads [][]byte, vlen int, rnd *prg.PRG) ([]byte, error) {
	b = append(b, tagPayloads, byte(vlen))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(uniq)))
	s := newScratch()
	var c [NumHashes][CodeWidth / 64]uint64
	var row [CodeWidth / 64]uint64
	var oprfKeys [NumHashes][16]byte
	it := PayloadItem{Tags: make([]byte, NumHashes*vlen)}
	for i, d := range uniq {
		p := h.positions(s, d)
		h.codes(s, c[:], d, 0)
		for f, bin := range p {
			qr := q.Row(int(bin))
			for w := range row {
				row[w] = qr[w] ^ (c[f][w] & delta[w])
			}
			sum := oprf(int(bin), row[:])
			copy(it.Tags[f*vlen:], sum[:vlen])
			copy(oprfKeys[f][:], sum[16:])
		}
		var k [16]byte
		_, _ = rnd.Read(k[:])
		if err := sealPayload(&it, k, &oprfKeys, payloads[order[i]]); err != nil {
			return nil, fmt.Errorf("kkrt: sealing payload: %w", err)
		}
		b = appendPayloadItem(b, &it)
	}
	return b, nil
}
