package secagg

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// setupTwoRounds returns clients and server after the share round.
func setupShared(t *testing.T, n, thr int) (*Config, *Server, []*Client, map[int]*ShareDelivery) {
	cfg, err := NewConfig(n, 2, WithThreshold(thr))
	require.NoError(t, err)
	srv, err := NewServer(cfg)
	require.NoError(t, err)
	cs := make([]*Client, n+1)
	for i := 1; i <= n; i++ {
		cs[i], err = NewClient(cfg, i)
		require.NoError(t, err)
		m, err := cs[i].AdvertiseKeys()
		require.NoError(t, err)
		require.NoError(t, srv.AddKeys(m))
	}
	kl, err := srv.KeyLists()
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		b, err := cs[i].ShareKeys(kl[i])
		require.NoError(t, err)
		require.NoError(t, srv.AddShares(b))
	}
	dels, err := srv.Deliveries()
	require.NoError(t, err)
	return cfg, srv, cs, dels
}

func TestClientRefusesBothSecrets(t *testing.T) {
	_, _, cs, dels := setupShared(t, 4, 2)
	_, err := cs[1].MaskInput(dels[1], []uint64{1, 2})
	require.NoError(t, err)
	_, err = cs[1].Unmask(&UnmaskRequest{To: 1, Dropped: []int{2}, Survivors: []int{2, 3}})
	assert.ErrorIs(t, err, ErrProtocol)
	_, err = cs[1].Unmask(&UnmaskRequest{To: 1, Survivors: []int{5}})
	assert.ErrorIs(t, err, ErrProtocol, "no shares held of 5")
	_, err = cs[1].Unmask(&UnmaskRequest{To: 1, Dropped: []int{2}, Survivors: []int{3, 4}})
	require.NoError(t, err)
	// A second request (e.g. now calling 2 a survivor) is refused.
	_, err = cs[1].Unmask(&UnmaskRequest{To: 1, Survivors: []int{2, 3, 4}})
	assert.ErrorIs(t, err, ErrProtocol)
}

func TestClientChecks(t *testing.T) {
	_, _, cs, dels := setupShared(t, 4, 2)
	_, err := cs[1].MaskInput(dels[1], []uint64{1})
	assert.ErrorIs(t, err, ErrInvalidParams, "wrong dimension")
	_, err = cs[1].MaskInput(dels[2], []uint64{1, 2})
	assert.ErrorIs(t, err, ErrMalformed, "someone else's shares")
	tampered := *dels[1]
	tampered.Shares = append([]EncryptedShare(nil), dels[1].Shares...)
	ct := append([]byte(nil), tampered.Shares[0].Ciphertext...)
	ct[0] ^= 1
	tampered.Shares[0].Ciphertext = ct
	_, err = cs[1].MaskInput(&tampered, []uint64{1, 2})
	assert.ErrorIs(t, err, ErrDecrypt)
	// Shares relabelled as coming from another sender fail authentication.
	swapped := *dels[1]
	swapped.Shares = []EncryptedShare{dels[1].Shares[0], dels[1].Shares[1]}
	swapped.Shares[0].Ciphertext, swapped.Shares[1].Ciphertext = swapped.Shares[1].Ciphertext, swapped.Shares[0].Ciphertext
	_, err = cs[1].MaskInput(&swapped, []uint64{1, 2})
	assert.ErrorIs(t, err, ErrDecrypt)
	_, err = cs[1].AdvertiseKeys()
	assert.ErrorIs(t, err, ErrProtocol, "out of order")
	_, err = NewClient(nil, 1)
	assert.ErrorIs(t, err, ErrInvalidParams)
}

func TestServerChecks(t *testing.T) {
	cfg, err := NewConfig(3, 1, WithThreshold(1))
	require.NoError(t, err)
	srv, err := NewServer(cfg)
	require.NoError(t, err)
	c, err := NewClient(cfg, 1)
	require.NoError(t, err)
	m, err := c.AdvertiseKeys()
	require.NoError(t, err)
	require.NoError(t, srv.AddKeys(m))
	assert.ErrorIs(t, srv.AddKeys(m), ErrMalformed, "twice")
	bad := *m
	bad.ID = 4
	assert.ErrorIs(t, srv.AddKeys(&bad), ErrMalformed, "id out of range")
	assert.ErrorIs(t, srv.AddMaskedInput(&MaskedInput{ID: 1, Vector: []uint64{1}}), ErrProtocol)
	_, err = srv.KeyLists() // one client: no neighbours alive
	assert.ErrorIs(t, err, ErrTooManyDropouts)
	_, err = srv.Deliveries()
	assert.ErrorIs(t, err, ErrAborted)
}
