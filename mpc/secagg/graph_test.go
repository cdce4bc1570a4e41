package secagg

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/veil-go/veil/internal/sealed"
)

// The SecAgg+ graph is drawn after enrolment from nonces every enrolled
// client committed to in its signed advert; these tests play a server that
// tries to choose it.

// sparseTestParams is a small sparse round: 30 clients of degree 8,
// threshold 5.
func sparseTestParams(t *testing.T) *Params {
	t.Helper()
	p := newParams(t, Config{Clients: 30, Length: 2, Graph: SparseGraph, Degree: 8, Threshold: 5, Session: [SessionSize]byte{7}})
	require.Equal(t, SparseGraph, p.Graph())
	return p
}

// enrolled runs the advertise step of a round of p and returns the server,
// the clients and the enrolled sets sent to them.
func enrolled(t *testing.T, p *Params) (*Server, []*Client, map[int]*EnrolmentMsg) {
	t.Helper()
	srv, cs := advertRound(t, p, identities(t, p.Clients()))
	enr, err := srv.Enrolment()
	require.NoError(t, err)
	return srv, cs, enr
}

// revealed runs the reveal step for every client and returns their nonces.
func revealed(t *testing.T, srv *Server, cs []*Client, enr map[int]*EnrolmentMsg) []RevealMsg {
	t.Helper()
	var out []RevealMsg
	for i := 1; i < len(cs); i++ {
		r, err := cs[i].Reveal(enr[i])
		require.NoError(t, err)
		require.NoError(t, srv.AddReveal(r))
		out = append(out, *r)
	}
	return out
}

// The same parameters (session, roster: everything the server chooses)
// give a different graph each round, and every client draws the graph the
// server draws. A graph derived from anything the server supplies or knows
// before the reveals (the session, the enrolled set) would repeat here.
func TestGraphFreshEachRound(t *testing.T) {
	p := sparseTestParams(t)
	var first []int
	for round := range 2 {
		srv, cs, kl := advertiseWith(t, p)
		for _, i := range []int{1, 17} {
			_, err := cs[i].ShareKeys(kl[i])
			require.NoError(t, err)
			assert.Equal(t, srv.Neighbors(i), cs[i].Neighbors(), "client %d draws the server's graph", i)
			assert.Equal(t, srv.GraphSeed(), cs[i].GraphSeed())
		}
		if round == 0 {
			first = srv.Neighbors(1)
			continue
		}
		assert.NotEqual(t, first, srv.Neighbors(1), "same session, same enrolled set, yet the graph repeats")
	}
}

// A server that withholds one enrolled client's nonce (to draw the graph
// from the others', or because the client's nonce gives a graph it does
// not like) is refused by every client; the server's own step aborts too.
func TestRevealWithheldRefused(t *testing.T) {
	p := sparseTestParams(t)
	srv, cs, enr := enrolled(t, p)
	reveals := revealed(t, srv, cs, enr)
	for drop := range reveals {
		rest := slices.Delete(slices.Clone(reveals), drop, drop+1)
		_, err := cs[1].drawGraphFor(rest)
		require.ErrorIs(t, err, ErrProtocol, "client %d's nonce withheld", reveals[drop].ID)
	}

	srv, cs, enr = enrolled(t, p)
	for i := 2; i <= p.Clients(); i++ { // client 1 never reveals
		r, err := cs[i].Reveal(enr[i])
		require.NoError(t, err)
		require.NoError(t, srv.AddReveal(r))
	}
	_, err := srv.KeyLists()
	require.ErrorIs(t, err, ErrAborted)
}

// A server that grinds: it knows every nonce once all are revealed, so it
// tries every enrolled set with one client left out, keeps the one where
// the victim's neighbours include the most of its colluders, and relays
// that set's nonces. The clients hold the enrolled set they revealed for
// and refuse; a substituted nonce (one the server picked) is refused too.
func TestGraphGrindingRefused(t *testing.T) {
	p := sparseTestParams(t)
	srv, cs, enr := enrolled(t, p)
	reveals := revealed(t, srv, cs, enr)
	const victim = 3
	colluders := []int{10, 11, 12, 13, 14, 15}
	best, most := -1, -1
	for drop := range reveals {
		sub := slices.Delete(slices.Clone(reveals), drop, drop+1)
		g, err := p.graph(graphSeed(p.digest, sub))
		require.NoError(t, err)
		c := 0
		for _, j := range g.neighbors(victim) {
			if slices.Contains(colluders, j) {
				c++
			}
		}
		if c > most {
			best, most = drop, c
		}
	}
	chosen := slices.Delete(slices.Clone(reveals), best, best+1)
	for _, i := range []int{1, victim, 20} {
		_, err := cs[i].drawGraphFor(chosen)
		require.ErrorIs(t, err, ErrProtocol)
	}

	// Substituted nonce: the server replaces one (of a colluder, say) by
	// the one that suits it.
	forged := slices.Clone(reveals)
	forged[9].Nonce[0] ^= 1
	_, err := cs[1].drawGraphFor(forged)
	require.ErrorIs(t, err, ErrProtocol)
	assert.ErrorIs(t, srv.AddReveal(&forged[9]), ErrMalformed, "the server's own check")

	// The honest relay works, and gives the server's graph.
	g, err := cs[1].drawGraphFor(reveals)
	require.NoError(t, err)
	want, err := p.graph(graphSeed(p.digest, reveals))
	require.NoError(t, err)
	assert.Equal(t, want.neighbors(1), g.neighbors(1))
}

// The enrolled set must carry each client's own commitment: a server that
// enrols a client with another commitment (so that it could open it as it
// likes) is refused before the client reveals anything, as is a set that
// leaves the client out.
func TestEnrolmentChecks(t *testing.T) {
	p := sparseTestParams(t)
	_, cs, enr := enrolled(t, p)
	bad := *enr[1]
	bad.Enrolled = slices.Clone(enr[1].Enrolled)
	bad.Enrolled[0].Commitment[0] ^= 1
	_, err := cs[1].Reveal(&bad)
	require.ErrorIs(t, err, ErrProtocol)
	bad.Enrolled = enr[1].Enrolled[1:]
	_, err = cs[1].Reveal(&bad)
	require.ErrorIs(t, err, ErrProtocol)
	bad.Enrolled = enr[2].Enrolled[:p.Threshold()]
	bad.To = 2
	_, err = cs[2].Reveal(&bad)
	require.ErrorIs(t, err, ErrTooManyDropouts, "too few enrolled")
	unsorted := *enr[3]
	unsorted.Enrolled = slices.Clone(enr[3].Enrolled)
	unsorted.Enrolled[0], unsorted.Enrolled[1] = unsorted.Enrolled[1], unsorted.Enrolled[0]
	_, err = cs[3].Reveal(&unsorted)
	require.ErrorIs(t, err, ErrMalformed)
}

// A server that shows one client another enrolled set (client 5 left out)
// gives it another graph seed. On the complete graph the neighbours are
// the same, yet the shares it seals are bound to its seed, so the others
// cannot open them: clients that saw different sets never mask together,
// and the server gains nothing from splitting them.
func TestSplitEnrolmentSeparates(t *testing.T) {
	p := newParams(t, Config{Clients: 5, Length: 2, Threshold: 3})
	srv, cs, enr := enrolled(t, p)
	reveals := revealed(t, srv, cs, enr)
	kl, err := srv.KeyLists()
	require.NoError(t, err)

	// Client 1 is shown (from the start) a set without client 5.
	ids := identities(t, 5)
	c1, err := NewClient(p, 1, ids[1])
	require.NoError(t, err)
	_, err = c1.Advertise()
	require.NoError(t, err)
	mine := append([]Enrolled{{ID: 1, Commitment: c1.commitment}}, enr[1].Enrolled[1:4]...)
	r1, err := c1.Reveal(&EnrolmentMsg{To: 1, Enrolled: mine})
	require.NoError(t, err)
	split := append([]RevealMsg{*r1}, reveals[1:4]...)
	list := &KeyListMsg{To: 1, Reveals: split, Keys: kl[1].Keys[:3]} // 2, 3, 4
	bundle, err := c1.ShareKeys(list)
	require.NoError(t, err)
	assert.NotEqual(t, srv.GraphSeed(), c1.GraphSeed())

	// Client 2 saw the whole set; it has client 1's keys from c1's advert.
	for i := 2; i <= 5; i++ {
		_, err := cs[i].ShareKeys(kl[i])
		require.NoError(t, err)
	}
	cs[2].peers[1] = c1.peerFor(t, cs[2])
	del := &ShareDeliveryMsg{To: 2, Shares: []EncryptedShare{bundle.Shares[0]}}
	require.Equal(t, 2, bundle.Shares[0].To)
	_, _, err = cs[2].openShares(del)
	require.ErrorIs(t, err, ErrDecrypt, "shares sealed under another graph seed must not open")
}

// drawGraphFor is drawGraph on a copy of the client, so that one client
// can be tried against several relays.
func (c *Client) drawGraphFor(reveals []RevealMsg) (*graph, error) {
	cp := *c
	if err := cp.drawGraph(reveals); err != nil {
		return nil, err
	}
	return cp.g, nil
}

// peerFor is c's advert as other verifies it.
func (c *Client) peerFor(t *testing.T, other *Client) *sealed.Peer {
	t.Helper()
	peer, err := sealed.Verify(other.identity, labelSealed, c.p.digest[:], c.keys.Advert(), c.id, nslots, c.p.Name(c.id))
	require.NoError(t, err)
	return peer
}

// The commitment is signed: the server refuses an advert whose commitment
// was replaced (an enrolled set built from it would not be the clients'),
// or whose commitment signature is another client's.
func TestCommitmentSigned(t *testing.T) {
	p := sparseTestParams(t)
	ids := identities(t, p.Clients())
	srv, err := NewServer(p, ids[0])
	require.NoError(t, err)
	c1, err := NewClient(p, 1, ids[1])
	require.NoError(t, err)
	c2, err := NewClient(p, 2, ids[2])
	require.NoError(t, err)
	m1, err := c1.Advertise()
	require.NoError(t, err)
	m2, err := c2.Advertise()
	require.NoError(t, err)
	bad := *m1
	bad.Commitment[0] ^= 1
	assert.ErrorIs(t, srv.AddAdvert(&bad), ErrBadAdvert, "replaced commitment")
	bad = *m1
	bad.CommitmentSig = m2.CommitmentSig
	assert.ErrorIs(t, srv.AddAdvert(&bad), ErrBadAdvert, "another client's signature")
	require.NoError(t, srv.AddAdvert(m1))
}
