package h2c

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gtank/ristretto255"
	"github.com/stretchr/testify/require"
)

func loadVectors(t *testing.T, rel string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", rel))
	require.NoError(t, err, "the RFC vectors live in testdata/ beside this file; a missing file is a failure")
	require.NoError(t, json.Unmarshal(raw, v))
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestExpandMessageXMDVectors(t *testing.T) {
	var f struct {
		Vectors []struct {
			DST          string `json:"DST"`
			Msg          string `json:"msg"`
			LenInBytes   int    `json:"len_in_bytes"`
			UniformBytes string `json:"uniform_bytes"`
		} `json:"vectors"`
	}
	loadVectors(t, "hash_to_curve/expand_message_xmd_sha512.json", &f)
	require.NotEmpty(t, f.Vectors)
	for i, v := range f.Vectors {
		got, err := ExpandMessageXMD(sha512.New, []byte(v.Msg), []byte(v.DST), v.LenInBytes)
		require.NoError(t, err, "vector %d", i)
		require.Equal(t, v.UniformBytes, hex.EncodeToString(got), "vector %d (msg %q, len %d)", i, v.Msg, v.LenInBytes)
	}
}

func TestFromUniformBytesVectors(t *testing.T) {
	var f struct {
		Vectors []struct {
			Input  string `json:"input"`
			Output string `json:"output"`
		} `json:"vectors"`
	}
	loadVectors(t, "ristretto255/rfc9496_from_uniform_bytes.json", &f)
	require.NotEmpty(t, f.Vectors)
	for i, v := range f.Vectors {
		e := ristretto255.NewElement().FromUniformBytes(unhex(t, v.Input))
		require.Equal(t, v.Output, hex.EncodeToString(e.Encode(nil)), "vector %d", i)
	}
}

func TestGeneratorMultiplesVectors(t *testing.T) {
	var f struct {
		Vectors []struct {
			Multiple int    `json:"multiple"`
			Encoding string `json:"encoding"`
		} `json:"vectors"`
	}
	loadVectors(t, "ristretto255/rfc9496_generator_multiples.json", &f)
	require.Len(t, f.Vectors, 16)
	acc := ristretto255.NewIdentityElement()
	g := ristretto255.NewGeneratorElement()
	for i, v := range f.Vectors {
		require.Equal(t, i, v.Multiple)
		require.Equal(t, v.Encoding, hex.EncodeToString(acc.Encode(nil)), "B*%d", i)
		// Decoding and re-encoding is the identity on valid encodings.
		d, err := ristretto255.NewElement().SetCanonicalBytes(unhex(t, v.Encoding))
		require.NoError(t, err)
		require.Equal(t, 1, d.Equal(acc))
		acc = ristretto255.NewElement().Add(acc, g)
	}
}

func TestInvalidEncodingsRejected(t *testing.T) {
	var f struct {
		Vectors []struct {
			Encoding string `json:"encoding"`
			Reason   string `json:"reason"`
		} `json:"vectors"`
	}
	loadVectors(t, "ristretto255/rfc9496_invalid_encodings.json", &f)
	require.Len(t, f.Vectors, 29)
	for i, v := range f.Vectors {
		_, err := ristretto255.NewElement().SetCanonicalBytes(unhex(t, v.Encoding))
		require.Error(t, err, "vector %d (%s) must be rejected", i, v.Reason)
	}
}

// TestOPRFVectors checks RFC 9497's ristretto255-SHA512 OPRF vectors, whose
// HashToGroup is HashToRistretto255 with the suite's DST: BlindedElement =
// Blind*H(Input), EvaluationElement = skSm*BlindedElement and
// Output = Finalize(Input, Blind, EvaluationElement).
func TestOPRFVectors(t *testing.T) {
	var f struct {
		HashToGroupDST string `json:"HashToGroup_DST_hex"`
		Vectors        []struct {
			SkSm              string `json:"skSm"`
			Input             string `json:"Input"`
			Blind             string `json:"Blind"`
			BlindedElement    string `json:"BlindedElement"`
			EvaluationElement string `json:"EvaluationElement"`
			Output            string `json:"Output"`
		} `json:"vectors"`
	}
	loadVectors(t, "oprf/rfc9497_ristretto255_sha512_oprf.json", &f)
	require.NotEmpty(t, f.Vectors)
	dst := unhex(t, f.HashToGroupDST)
	for i, v := range f.Vectors {
		input := unhex(t, v.Input)
		p, err := HashToRistretto255(input, dst)
		require.NoError(t, err)
		blind, err := ristretto255.NewScalar().SetCanonicalBytes(unhex(t, v.Blind))
		require.NoError(t, err)
		sk, err := ristretto255.NewScalar().SetCanonicalBytes(unhex(t, v.SkSm))
		require.NoError(t, err)
		blinded := ristretto255.NewElement().ScalarMult(blind, p)
		require.Equal(t, v.BlindedElement, hex.EncodeToString(blinded.Encode(nil)), "vector %d", i)
		eval := ristretto255.NewElement().ScalarMult(sk, blinded)
		require.Equal(t, v.EvaluationElement, hex.EncodeToString(eval.Encode(nil)), "vector %d", i)

		// Finalize: unblind the evaluation the peer returned, then hash.
		evalIn, err := ristretto255.NewElement().SetCanonicalBytes(unhex(t, v.EvaluationElement))
		require.NoError(t, err)
		unblinded := ristretto255.NewElement().ScalarMult(ristretto255.NewScalar().Invert(blind), evalIn)
		h := sha512.New()
		h.Write([]byte{byte(len(input) >> 8), byte(len(input))})
		h.Write(input)
		h.Write([]byte{0, 32})
		h.Write(unblinded.Encode(nil))
		h.Write([]byte("Finalize"))
		require.Equal(t, v.Output, hex.EncodeToString(h.Sum(nil)), "vector %d", i)
	}
}

func TestExpandMessageXMDParams(t *testing.T) {
	_, err := ExpandMessageXMD(sha512.New, []byte("m"), nil, 32)
	require.ErrorIs(t, err, ErrInvalidParams)
	for _, n := range []int{0, -1, 255*64 + 1, 70000} {
		_, err = ExpandMessageXMD(sha512.New, []byte("m"), []byte("D"), n)
		require.ErrorIs(t, err, ErrInvalidParams, "len %d", n)
	}
	// Longest allowed output, and a multi-block one, have the asked length
	// and a prefix that does not depend on the length (it does: l_i_b_str is
	// hashed in, so two lengths give unrelated outputs).
	a, err := ExpandMessageXMD(sha512.New, []byte("m"), []byte("D"), 255*64)
	require.NoError(t, err)
	require.Len(t, a, 255*64)
	b, err := ExpandMessageXMD(sha512.New, []byte("m"), []byte("D"), 200)
	require.NoError(t, err)
	require.Len(t, b, 200)
	require.NotEqual(t, a[:200], b)
}

func TestOversizeDST(t *testing.T) {
	long := make([]byte, 300)
	for i := range long {
		long[i] = byte(i)
	}
	h := sha512.New()
	h.Write([]byte(oversizePrefix))
	h.Write(long)
	short := h.Sum(nil)
	a, err := ExpandMessageXMD(sha512.New, []byte("msg"), long, 64)
	require.NoError(t, err)
	b, err := ExpandMessageXMD(sha512.New, []byte("msg"), short, 64)
	require.NoError(t, err)
	require.Equal(t, a, b)
}

func BenchmarkHashToRistretto255(b *testing.B) {
	dst := []byte("VEIL-V01-CS01-with-ristretto255_XMD:SHA-512_R255MAP_RO_")
	msg := []byte("alice@example.com")
	for b.Loop() {
		if _, err := HashToRistretto255(msg, dst); err != nil {
			b.Fatal(err)
		}
	}
}
