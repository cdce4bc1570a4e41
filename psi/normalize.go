package psi

import (
	"fmt"
	"strings"
	"unicode"
)

// Normalisation helpers. PSI compares items byte for byte, so two parties
// must normalise their IDs the same way before a run; these helpers state
// one such way for common IDs. They are deliberately conservative: they never
// apply provider-specific rules that could merge two distinct IDs.

// NormalizeString trims leading and trailing Unicode white space and
// replaces every inner run of white space with one ASCII space. Case and
// everything else are kept: "  Ada   Lovelace " -> "Ada Lovelace".
func NormalizeString(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// NormalizeEmail trims white space and lowercases the whole address (local
// part included: almost every provider treats it case-insensitively), and
// drops a trailing dot of the domain. It returns an error wrapping
// ErrInvalidItem unless there is exactly one '@' with a non-empty local part
// and a domain, and no inner white space. It does NOT remove dots or
// "+tags" from the local part (a Gmail-only convention).
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(s, "@")
	domain = strings.TrimSuffix(domain, ".")
	switch {
	case !ok || strings.Contains(domain, "@"):
		return "", fmt.Errorf("psi: %w: email %q needs exactly one '@'", ErrInvalidItem, s)
	case local == "" || domain == "":
		return "", fmt.Errorf("psi: %w: email %q has an empty local part or domain", ErrInvalidItem, s)
	case strings.IndexFunc(s, unicode.IsSpace) >= 0:
		return "", fmt.Errorf("psi: %w: email %q contains white space", ErrInvalidItem, s)
	}
	return local + "@" + domain, nil
}

// NormalizePhone returns a phone number in E.164 form, "+" and 8 to 15
// digits. Spaces, dots, hyphens, slashes and parentheses are dropped. A
// number starting with "+" or "00" is international. Otherwise
// defaultCountry (the calling code, such as "1" or "44") is prefixed after
// one national trunk "0" is dropped: NormalizePhone("020 7946 0018", "44") =
// "+442079460018". Without a default country such a number is an error, as
// is any other character (letters, extensions), all wrapping [ErrInvalidItem].
func NormalizePhone(s, defaultCountry string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '/' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("psi: %w: phone %q: unexpected %q", ErrInvalidItem, s, r)
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(d, "+"):
		d = d[1:]
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	default:
		if defaultCountry == "" {
			return "", fmt.Errorf("psi: %w: phone %q has no country code and no default was given", ErrInvalidItem, s)
		}
		cc := strings.TrimPrefix(defaultCountry, "+")
		if cc == "" || len(cc) > 3 || strings.Trim(cc, "0123456789") != "" || cc[0] == '0' {
			return "", fmt.Errorf("%w: default country code %q", ErrInvalidParams, defaultCountry)
		}
		d = cc + strings.TrimPrefix(d, "0")
	}
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", fmt.Errorf("psi: %w: phone %q: %d digits after normalisation (want 8..15, no leading 0)", ErrInvalidItem, s, len(d))
	}
	return "+" + d, nil
}

// Items converts strings to items (the bytes of each string).
func Items(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}
