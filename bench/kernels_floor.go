package bench

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"time"

	"filippo.io/edwards25519"
	"github.com/gtank/ristretto255"
)

// The primitive floor: what this machine does for the primitives every
// protocol is built from, next to the figures ANCHORS.md quotes for a
// 2-core VM. They calibrate the machine and serve as the baselines of the
// protocol rows.

func floorCases() []Case {
	return []Case{
		{Group: "floor", Name: "edwards25519 variable-base ScalarMult", Item: "mults", Anchor: "~75 us here",
			Expect: 3 * time.Second, Setup: opsOnly(1, func() func(context.Context) (int64, error) { return simple(newScalarMult())() })},
		{Group: "floor", Name: "hash to ristretto255 (SHA-512 + map)", Item: "hashes", Anchor: "~14-18 us here",
			Expect: 3 * time.Second, Setup: opsOnly(1, simple(hashToGroupOp))},
		{Group: "floor", Name: "X25519 via crypto/ecdh", Item: "ops", Anchor: "~55-70 us here",
			Expect: 3 * time.Second, Setup: opsOnly(1, x25519Op)},
		{Group: "floor", Name: "AES-128-CTR over 1 MiB", Item: "bytes", Anchor: "~6 GB/s here",
			Expect: 3 * time.Second, Setup: opsOnly(1<<20, aesCTROp(1<<20))},
		{Group: "floor", Name: "SHA-256 of 32 bytes", Item: "hashes", Anchor: "~96 ns here",
			Expect: 3 * time.Second, Setup: opsOnly(1, simple(sha256Op))},
		{Group: "floor", Name: "uint64 add over 1e6 elements", Item: "elements", Anchor: "~0.9-1.5 ns/element here",
			Expect: 3 * time.Second, Setup: opsOnly(1e6, uint64AddOp(1e6))},
		{Group: "floor", Name: "crypto/rand 8 bytes", Item: "reads", Anchor: "~61 ns here",
			Expect: 3 * time.Second, Setup: opsOnly(1, simple(randOp))},
	}
}

// opsOnly makes a Setup for a row with no baseline.
// newOp builds the operation at Setup time, so that listing the cases
// allocates nothing.
func opsOnly(items float64, newOp func() func(context.Context) (int64, error)) func(context.Context, int) (*Ops, error) {
	return func(context.Context, int) (*Ops, error) {
		return &Ops{Veil: newOp(), Items: items}, nil
	}
}

// simple adapts a stateless operation to opsOnly.
func simple(op func()) func() func(context.Context) (int64, error) {
	return func() func(context.Context) (int64, error) {
		return func(context.Context) (int64, error) { op(); return 0, nil }
	}
}

// newScalarMult returns one variable-base scalar multiplication, the unit
// of an ECDH PSI's cost.
func newScalarMult() func() {
	var seed [64]byte
	_, _ = rand.Read(seed[:])
	s, _ := edwards25519.NewScalar().SetUniformBytes(seed[:])
	p := new(edwards25519.Point).ScalarBaseMult(s)
	var out edwards25519.Point
	return func() { out.ScalarMult(s, p) }
}

// hashToGroup hashes b to a ristretto255 element (SHA-512 then the map).
func hashToGroup(b []byte) *ristretto255.Element {
	h := sha512.Sum512(b)
	return ristretto255.NewElement().FromUniformBytes(h[:])
}

func hashToGroupOp() { hashToGroup([]byte("customer-0001234")) }

func x25519Op() func(context.Context) (int64, error) {
	k, kerr := ecdh.X25519().GenerateKey(rand.Reader)
	return func(context.Context) (int64, error) {
		if kerr != nil {
			return 0, kerr
		}
		_, err := k.ECDH(k.PublicKey())
		return 0, err
	}
}

func aesCTROp(n int) func() func(context.Context) (int64, error) {
	return func() func(context.Context) (int64, error) { return aesCTR(n) }
}

func aesCTR(n int) func(context.Context) (int64, error) {
	key := make([]byte, 16)
	iv := make([]byte, aes.BlockSize)
	buf := make([]byte, n)
	block, _ := aes.NewCipher(key)
	return func(context.Context) (int64, error) {
		cipher.NewCTR(block, iv).XORKeyStream(buf, buf)
		return 0, nil
	}
}

func sha256Op() {
	var b [32]byte
	sha256.Sum256(b[:])
}

// uint64AddOp adds two vectors element-wise: the floor of any aggregation.
func uint64AddOp(n int) func() func(context.Context) (int64, error) {
	return func() func(context.Context) (int64, error) { return uint64Add(n) }
}

func uint64Add(n int) func(context.Context) (int64, error) {
	a, b := make([]uint64, n), make([]uint64, n)
	for i := range a {
		a[i], b[i] = uint64(i), uint64(3*i)
	}
	return func(context.Context) (int64, error) {
		plainAdd(a, b)
		return 0, nil
	}
}

func plainAdd(dst, src []uint64) {
	for i := range dst {
		dst[i] += src[i]
	}
}

func randOp() {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (Go 1.24+)
}
