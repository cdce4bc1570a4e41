package sealed

import (
	"fmt"

	"github.com/veil-go/veil/internal/errs"
)

// PrivateKey returns a copy of the X25519 private key of slot, for a
// protocol that must secret-share one of its advertised keys: mpc/secagg
// shares its mask key among its neighbours so that the server can remove a
// dropped client's pairwise masks. The caller clears the copy when done.
func (k *Keys) PrivateKey(slot int) ([]byte, error) {
	if slot < 0 || slot >= len(k.priv) {
		return nil, fmt.Errorf("sealed: %w: key slot %d", errs.ErrInvalidParams, slot)
	}
	return k.priv[slot].Bytes(), nil
}
