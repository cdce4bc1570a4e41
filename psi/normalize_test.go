package psi

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalizeString(t *testing.T) {
	for in, want := range map[string]string{
		"  Ada   Lovelace ": "Ada Lovelace",
		"\tx\u00a0y\n":      "x y",
		"":                  "",
		"ID-42":             "ID-42",
		"Case Kept":         "Case Kept",
	} {
		require.Equal(t, want, NormalizeString(in), "%q", in)
	}
}

func TestNormalizeEmail(t *testing.T) {
	ok := map[string]string{
		" Alice@Example.COM ":     "alice@example.com",
		"bob.smith+tag@mail.org.": "bob.smith+tag@mail.org",
		"ÉLODIE@exemple.fr":       "élodie@exemple.fr",
		"x@y":                     "x@y",
	}
	for in, want := range ok {
		got, err := NormalizeEmail(in)
		require.NoError(t, err, "%q", in)
		require.Equal(t, want, got)
	}
	for _, in := range []string{"", "plain", "@example.com", "a@", "a@b@c", "a b@c.d", "a@."} {
		_, err := NormalizeEmail(in)
		require.ErrorIs(t, err, ErrInvalidItem, "%q", in)
	}
}

func TestNormalizePhone(t *testing.T) {
	cases := []struct{ in, cc, want string }{
		{"+44 20 7946 0018", "", "+442079460018"},
		{"0044 (20) 7946-0018", "", "+442079460018"},
		{"020 7946 0018", "44", "+442079460018"},
		{"(415) 555-0132", "1", "+14155550132"},
		{"415.555.0132", "+1", "+14155550132"},
	}
	for _, c := range cases {
		got, err := NormalizePhone(c.in, c.cc)
		require.NoError(t, err, "%q", c.in)
		require.Equal(t, c.want, got, "%q", c.in)
	}
	for _, c := range []struct{ in, cc string }{
		{"020 7946 0018", ""},        // no country code
		{"+44 20 7946 0018 x12", ""}, // extension
		{"+1 555", ""},               // too short
		{"+1234567890123456", ""},    // too long
		{"12+34567890", "1"},         // inner plus
		{"", "1"},
		{"+0123456789", ""}, // country code cannot start with 0
	} {
		_, err := NormalizePhone(c.in, c.cc)
		require.ErrorIs(t, err, ErrInvalidItem, "%q", c.in)
	}
	_, err := NormalizePhone("4155550132", "x1")
	require.ErrorIs(t, err, ErrInvalidParams)
}

func TestParseNames(t *testing.T) {
	for _, m := range []Mode{Intersection, Cardinality, Join, Sum} {
		got, err := ParseMode(m.String())
		require.NoError(t, err)
		require.Equal(t, m, got)
	}
	for _, p := range []Protocol{ECDH, KKRT} {
		got, err := ParseProtocol(p.String())
		require.NoError(t, err)
		require.Equal(t, p, got)
	}
	_, err := ParseMode("union")
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = ParseProtocol("rr22")
	require.ErrorIs(t, err, ErrInvalidParams)
	require.Equal(t, "Mode(9)", Mode(9).String())
	require.Equal(t, "Protocol(9)", Protocol(9).String())
}
