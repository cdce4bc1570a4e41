package secagg

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/internal/sealed"
	"github.com/veil-go/veil/transport"
)

// advertiseAll builds the server and clients of an n-client round (length
// 2, threshold thr) and runs the key step.
func advertiseAll(t *testing.T, n, thr int) (*Params, *Server, []*Client, map[int]*KeyListMsg) {
	t.Helper()
	p := newParams(t, Config{Clients: n, Length: 2, Threshold: thr})
	srv, cs, kl := advertiseWith(t, p)
	return p, srv, cs, kl
}

// advertiseWith runs the key step of a round of p with fresh identities.
func advertiseWith(t *testing.T, p *Params) (*Server, []*Client, map[int]*KeyListMsg) {
	t.Helper()
	return advertiseAs(t, p, identities(t, p.Clients()))
}

// advertiseAs runs the key step of a round of p with the given identities
// (ids[0] the server's).
func advertiseAs(t *testing.T, p *Params, ids []*transport.Identity) (*Server, []*Client, map[int]*KeyListMsg) {
	t.Helper()
	srv, cs := advertRound(t, p, ids)
	kl, err := revealAll(t, srv, cs, allIDs(p.Clients()))
	require.NoError(t, err)
	return srv, cs, kl
}

// advertRound runs the advertise step of a round of p with the given
// identities (ids[0] the server's): every client's advert reaches the
// server.
func advertRound(t *testing.T, p *Params, ids []*transport.Identity) (*Server, []*Client) {
	t.Helper()
	n := p.Clients()
	srv, err := NewServer(p, ids[0])
	require.NoError(t, err)
	cs := make([]*Client, n+1)
	for i := 1; i <= n; i++ {
		cs[i], err = NewClient(p, i, ids[i])
		require.NoError(t, err)
		m, err := cs[i].Advertise()
		require.NoError(t, err)
		require.NoError(t, srv.AddAdvert(m))
	}
	return srv, cs
}

// setupShared returns clients and server after the share step.
func setupShared(t *testing.T, n, thr int) (*Params, *Server, []*Client, map[int]*ShareDeliveryMsg) {
	t.Helper()
	p := newParams(t, Config{Clients: n, Length: 2, Threshold: thr})
	srv, cs, dels := shareWith(t, p)
	return p, srv, cs, dels
}

// shareWith runs the key and share steps of a round of p.
func shareWith(t *testing.T, p *Params) (*Server, []*Client, map[int]*ShareDeliveryMsg) {
	t.Helper()
	n := p.Clients()
	srv, cs, kl := advertiseWith(t, p)
	for i := 1; i <= n; i++ {
		b, err := cs[i].ShareKeys(kl[i])
		require.NoError(t, err)
		require.NoError(t, srv.AddShares(b))
	}
	dels, err := srv.Deliveries()
	require.NoError(t, err)
	return srv, cs, dels
}

// The consistency step: a client signs one counted set that names it,
// answers only a request that repeats that set with t signers, and only
// once.
func TestClientConsistencyChecks(t *testing.T) {
	p, _, cs, dels := setupShared(t, 4, 2)
	for i := 1; i <= 4; i++ {
		_, err := cs[i].MaskInput(dels[i], []uint64{1, 2})
		require.NoError(t, err)
	}
	_, err := cs[1].Unmask(&UnmaskRequestMsg{To: 1, Counted: []int{1, 2, 3, 4}})
	assert.ErrorIs(t, err, ErrProtocol, "unmask before signing")
	_, err = cs[1].SignCounted(&CountedSetMsg{To: 1, Counted: []int{2, 3, 4}})
	assert.ErrorIs(t, err, ErrProtocol, "a set without the client itself")
	_, err = cs[1].SignCounted(&CountedSetMsg{To: 1, Counted: []int{3, 1}})
	assert.ErrorIs(t, err, ErrMalformed, "not sorted")
	set := []int{1, 2, 3}
	sigs := make([]CountedSigMsg, 4)
	for i := 1; i <= 3; i++ {
		m, err := cs[i].SignCounted(&CountedSetMsg{To: i, Counted: set})
		require.NoError(t, err)
		sigs[i] = *m
	}
	_, err = cs[1].SignCounted(&CountedSetMsg{To: 1, Counted: set})
	assert.ErrorIs(t, err, ErrProtocol, "signs once")
	// Another set than the one signed, or too few valid signers, is refused.
	_, err = cs[1].Unmask(&UnmaskRequestMsg{To: 1, Counted: []int{1, 2, 3, 4}, Signatures: sigs[2:4]})
	assert.ErrorIs(t, err, ErrProtocol)
	_, err = cs[1].Unmask(&UnmaskRequestMsg{To: 1, Counted: set})
	assert.ErrorIs(t, err, ErrProtocol, "no neighbor signature")
	forged := sigs[2]
	forged.Sig = append([]byte(nil), forged.Sig...)
	forged.Sig[len(forged.Sig)-1] ^= 1
	_, err = cs[1].Unmask(&UnmaskRequestMsg{To: 1, Counted: set, Signatures: []CountedSigMsg{forged, forged}})
	assert.ErrorIs(t, err, ErrProtocol, "a forged signature")
	// 3's signature relabelled as 2's does not verify under 2's chain.
	_, err = cs[1].Unmask(&UnmaskRequestMsg{To: 1, Counted: set, Signatures: []CountedSigMsg{{From: 2, Sig: sigs[3].Sig}}})
	assert.ErrorIs(t, err, ErrProtocol, "another signer's signature")
	// A signature on another set does not count.
	other, err := cs[4].SignCounted(&CountedSetMsg{To: 4, Counted: []int{1, 2, 4}})
	require.NoError(t, err)
	_, err = cs[1].Unmask(&UnmaskRequestMsg{To: 1, Counted: set, Signatures: []CountedSigMsg{*other}})
	assert.ErrorIs(t, err, ErrProtocol, "a signature on another set")
	m, err := cs[1].Unmask(&UnmaskRequestMsg{To: 1, Counted: set, Signatures: []CountedSigMsg{sigs[2]}})
	require.NoError(t, err)
	// The set decides: seeds of counted 2 and 3, the key of uncounted 4.
	assert.Equal(t, []int{4}, owners(m.KeyShares))
	assert.Equal(t, []int{2, 3}, owners(m.SeedShares))
	_, err = cs[1].Unmask(&UnmaskRequestMsg{To: 1, Counted: set, Signatures: []CountedSigMsg{sigs[2]}})
	assert.ErrorIs(t, err, ErrProtocol, "answers once")
	_ = p
}

func owners(s []SecretShare) []int {
	var o []int
	for _, x := range s {
		o = append(o, x.Owner)
	}
	return o
}

func TestClientChecks(t *testing.T) {
	p, _, cs, dels := setupShared(t, 4, 2)
	_, err := cs[1].MaskInput(dels[1], []uint64{1})
	assert.ErrorIs(t, err, ErrInvalidParams, "wrong length")
	_, err = cs[1].MaskInput(dels[2], []uint64{1, 2})
	assert.ErrorIs(t, err, ErrMalformed, "someone else's shares")
	tampered := *dels[1]
	tampered.Shares = append([]EncryptedShare(nil), dels[1].Shares...)
	ct := append([]byte(nil), tampered.Shares[0].Ciphertext...)
	ct[len(ct)-1] ^= 1
	tampered.Shares[0].Ciphertext = ct
	_, err = cs[1].MaskInput(&tampered, []uint64{1, 2})
	assert.ErrorIs(t, err, ErrDecrypt)
	// Shares relabelled as coming from another sender fail authentication.
	swapped := *dels[1]
	swapped.Shares = []EncryptedShare{dels[1].Shares[0], dels[1].Shares[1]}
	swapped.Shares[0].Ciphertext, swapped.Shares[1].Ciphertext = swapped.Shares[1].Ciphertext, swapped.Shares[0].Ciphertext
	_, err = cs[1].MaskInput(&swapped, []uint64{1, 2})
	assert.ErrorIs(t, err, ErrDecrypt)
	_, err = cs[1].Advertise()
	assert.ErrorIs(t, err, ErrProtocol, "out of order")
	ids := identities(t, 4)
	_, err = NewClient(nil, 1, ids[1])
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = NewClient(p, 1, ids[2])
	assert.ErrorIs(t, err, ErrInvalidParams, "identity of another client")
}

func TestServerChecks(t *testing.T) {
	p := newParams(t, Config{Clients: 3, Length: 1, Threshold: 2})
	ids := identities(t, 3)
	srv, err := NewServer(p, ids[0])
	require.NoError(t, err)
	c, err := NewClient(p, 1, ids[1])
	require.NoError(t, err)
	m, err := c.Advertise()
	require.NoError(t, err)
	require.NoError(t, srv.AddAdvert(m))
	assert.ErrorIs(t, srv.AddAdvert(m), ErrMalformed, "twice")
	bad := *m
	bad.ID = 4
	assert.ErrorIs(t, srv.AddAdvert(&bad), ErrMalformed, "id out of range")
	bad.ID = 2
	assert.ErrorIs(t, srv.AddAdvert(&bad), ErrBadAdvert, "client 1's keys claimed by 2")
	assert.ErrorIs(t, srv.AddMaskedInput(&MaskedInputMsg{ID: 1, Vector: []uint64{1}}), ErrProtocol)
	_, err = srv.Enrolment() // one client of three enrolled, threshold 2
	assert.ErrorIs(t, err, ErrTooManyDropouts)
	_, err = srv.Deliveries()
	assert.ErrorIs(t, err, ErrAborted)
}

// A server that substitutes a client's advertised keys (its own keys in
// client 1's advert, or an advert it signed itself) is caught by every
// other client: none shares its secrets, so the round cannot go on and
// nothing is unmasked.
func TestSubstitutedKeysCaught(t *testing.T) {
	const n = 4
	p, _, cs, kl := advertiseAll(t, n, 2)
	ids := identities(t, n)
	// The server's own keys, signed by the server's identity, claiming to be
	// client 1's.
	forged, err := sealed.New(ids[0], labelSealed, p.digest[:], 1, nslots)
	require.NoError(t, err)
	signedByServer, err := forged.Advert().MarshalBinary()
	require.NoError(t, err)
	// Client 1's certificate and signature kept, the keys swapped.
	var adv sealed.Advert
	require.NoError(t, adv.UnmarshalBinary(kl[2].Keys[0].Advert))
	adv.Keys[slotMask] = forged.Advert().Keys[slotMask]
	swappedKeys, err := adv.MarshalBinary()
	require.NoError(t, err)
	// Keys from a CA the clients do not trust, under client 1's name.
	rogue, err := transport.NewCA("rogue CA")
	require.NoError(t, err)
	fake1, err := rogue.Issue(p.Name(1))
	require.NoError(t, err)
	rogueKeys, err := sealed.New(fake1, labelSealed, p.digest[:], 1, nslots)
	require.NoError(t, err)
	rogueAdvert, err := rogueKeys.Advert().MarshalBinary()
	require.NoError(t, err)

	// Client 1's genuine keys from another round (another session).
	cfg := p.Config()
	cfg.Session[0] ^= 1
	old, err := NewClient(newParams(t, cfg), 1, ids[1])
	require.NoError(t, err)
	oldMsg, err := old.Advertise()
	require.NoError(t, err)

	for name, advert := range map[string][]byte{"signed by the server": signedByServer, "keys swapped": swappedKeys, "untrusted CA": rogueAdvert, "replayed": oldMsg.Advert} {
		t.Run(name, func(t *testing.T) {
			for i := 2; i <= n; i++ {
				list := *kl[i]
				list.Keys = append([]AdvertMsg(nil), kl[i].Keys...)
				require.Equal(t, 1, list.Keys[0].ID)
				list.Keys[0].Advert = advert
				// A fresh client each time: a refused list leaves the client
				// unable to go on.
				c := *cs[i]
				_, err := c.ShareKeys(roundTrip(t, &list, &KeyListMsg{}))
				assert.ErrorIs(t, err, ErrBadAdvert, "client %d", i)
			}
		})
	}
	// The untouched lists still work.
	for i := 1; i <= n; i++ {
		_, err := cs[i].ShareKeys(kl[i])
		require.NoError(t, err)
	}
}

// signAll runs the consistency step for every counted client.
func signAll(t *testing.T, srv *Server, cs []*Client) {
	t.Helper()
	sets, err := srv.CountedSets()
	require.NoError(t, err)
	for i, set := range sets {
		m, err := cs[i].SignCounted(set)
		require.NoError(t, err)
		require.NoError(t, srv.AddCountedSig(m))
	}
}

// Parties whose parameters differ are caught at the first step.
func TestMismatchedParamsCaught(t *testing.T) {
	ids := identities(t, 3)
	p := newParams(t, Config{Clients: 3, Length: 2, Threshold: 2})
	cfg := p.Config()
	cfg.Length = 3
	other := newParams(t, cfg)
	srv, err := NewServer(p, ids[0])
	require.NoError(t, err)
	c, err := NewClient(other, 1, ids[1])
	require.NoError(t, err)
	m, err := c.Advertise()
	require.NoError(t, err)
	assert.ErrorIs(t, srv.AddAdvert(m), ErrMismatch)
}

// A wrong share of a dropped client's mask key does not reconstruct the
// key it advertised: the server aborts instead of unmasking a wrong sum.
func TestWrongKeyShareAborts(t *testing.T) {
	_, srv, cs, dels := setupShared(t, 4, 2)
	for _, i := range []int{1, 2, 3} { // client 4 drops before its input
		m, err := cs[i].MaskInput(dels[i], []uint64{1, 2})
		require.NoError(t, err)
		require.NoError(t, srv.AddMaskedInput(m))
	}
	signAll(t, srv, cs)
	reqs, err := srv.UnmaskRequests()
	require.NoError(t, err)
	for _, i := range []int{1, 2, 3} {
		m, err := cs[i].Unmask(reqs[i])
		require.NoError(t, err)
		if i == 1 {
			require.Equal(t, 4, m.KeyShares[0].Owner)
			m.KeyShares[0].Value[ShareSize-1] ^= 1
		}
		require.NoError(t, srv.AddUnmaskResponse(m))
	}
	res, err := srv.Finish()
	assert.ErrorIs(t, err, ErrMalformed)
	assert.Nil(t, res)
}
