package errs

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStepFormat(t *testing.T) {
	cause := fmt.Errorf("%w: peer runs cardinality, we run intersection", ErrMismatch)
	err := Step("psi", "receiver", "hello", "shop", cause)
	require.EqualError(t, err, `psi receiver, step hello, peer "shop": mismatch: peer runs cardinality, we run intersection`)
	require.ErrorIs(t, err, ErrMismatch)
	require.EqualError(t, Step("he", "hub", "decrypt", "", ErrAborted), "he hub, step decrypt: aborted")
	// No double wrapping.
	require.Equal(t, err, Step("psi", "receiver", "run", "", err))
	outer := fmt.Errorf("outer: %w", err)
	require.Same(t, outer.(interface{ Unwrap() error }).Unwrap(), Step("psi", "receiver", "run", "", outer).(interface{ Unwrap() error }).Unwrap())
	require.False(t, errors.Is(err, ErrMalformed))
	require.NoError(t, Step("psi", "receiver", "hello", "", nil))
}
