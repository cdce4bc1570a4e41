package csvio

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ParseIndices parses a flag value such as "1,3" into sorted, distinct,
// 0-based indices; an empty string gives none. noun names what is indexed
// ("party", "client") in the errors. With n > 0 every index must be below n;
// with n <= 0 the caller checks the range once it knows it.
func ParseIndices(s, noun string, n int) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || i < 0 {
			return nil, fmt.Errorf("%q is not a 0-based %s index", f, noun)
		}
		if n > 0 && i >= n {
			return nil, fmt.Errorf("%s %d does not exist (%s indices are 0..%d)", noun, i, noun, n-1)
		}
		if slices.Contains(out, i) {
			return nil, fmt.Errorf("%s %d listed twice", noun, i)
		}
		out = append(out, i)
	}
	slices.Sort(out)
	return out, nil
}
