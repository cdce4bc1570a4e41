package he

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/veil-go/veil/transport"
)

// Round describes one aggregation round over a star: mesh index 0 is the
// hub (the aggregator), spokes are clients and/or key holders.
type Round struct {
	// Holders are the mesh indices of the key holders, in key-holder order:
	// Holders[i] holds share i. len(Holders) == Config.KeyHolders >= 2.
	Holders []int
	// Clients are the mesh indices whose vectors are summed (a key holder may
	// also be a client).
	Clients []int
	// Length is the number of values in each client's vector.
	Length int
	// CollectWindow is how long the hub waits for ciphertexts once the key is
	// published; clients that have not sent by then are left out (and
	// reported). 0 waits for every client (until ctx ends).
	CollectWindow time.Duration
	// ShareWindow is how long the hub waits for the shares of one decryption
	// attempt; a key holder that misses it is dropped and (T-of-N) another
	// set is tried. 0 means 30 s.
	ShareWindow time.Duration
}

// RoundResult is what the hub learns and measures.
type RoundResult struct {
	Ints   []int64   // BGV sums
	Floats []float64 // CKKS sums
	// Counted are the clients whose vectors are in the sums; Missing the
	// clients that sent nothing usable in the window.
	Counted, Missing []int
	// Decryptors are the key holders (mesh indices) whose shares were
	// combined; Dropped those that failed to answer.
	Decryptors, Dropped []int
	// Time per phase, as seen by the hub.
	KeyGen, Collect, Aggregate, Decrypt time.Duration
	// Bytes[j] is the traffic of spoke j as seen on the hub's link
	// (BytesReceived = what j sent); Bytes[0] is the hub's total.
	Bytes map[int]transport.Stats
	// SpokeErrors (RunInProcess only) holds the error each failing spoke
	// returned.
	SpokeErrors map[int]error
}

// SpokeInput is a spoke's contribution.
type SpokeInput struct {
	Ints   []int64   // BGV
	Floats []float64 // CKKS
	// DropAfterSend makes the spoke close its links right after sending its
	// ciphertext (a crash, for tests and demos of dropout tolerance).
	DropAfterSend bool
	// Silent makes a client never send (a dropout before contributing).
	Silent bool
}

// SpokeResult is what a spoke learns: the sums the hub sent back, unless it
// dropped.
type SpokeResult struct {
	Ints    []int64
	Floats  []float64
	Dropped bool
	Stats   transport.Stats
}

// ErrNoInput: no client contributed within the collection window.
var ErrNoInput = errors.New("he: no client contributed")

const (
	tCRS byte = iota + 1
	tKeyGen
	tPeers
	tDeal
	tPublicKey
	tCiphertext
	tDecrypt
	tShare
	tResult
)

func (r Round) validate(p *Params, size int) error {
	if p.cfg.KeyHolders < 2 || len(r.Holders) != p.cfg.KeyHolders {
		return fmt.Errorf("%w: round has %d holders, config %d (need >= 2)", ErrInvalidParams, len(r.Holders), p.cfg.KeyHolders)
	}
	if r.Length < 0 || r.Length > p.cfg.MaxValues || len(r.Clients) == 0 || int64(len(r.Clients)) > p.cfg.MaxWeight {
		return fmt.Errorf("%w: %d clients (MaxWeight %d) of length %d", ErrInvalidParams, len(r.Clients), p.cfg.MaxWeight, r.Length)
	}
	for _, set := range [][]int{r.Holders, r.Clients} {
		seen := map[int]bool{}
		for _, j := range set {
			if j < 1 || j >= size || seen[j] {
				return fmt.Errorf("%w: spoke %d out of range or repeated", ErrInvalidParams, j)
			}
			seen[j] = true
		}
	}
	return nil
}

func (r Round) shareWindow() time.Duration {
	if r.ShareWindow <= 0 {
		return 30 * time.Second
	}
	return r.ShareWindow
}

func (r Round) spokes() []int {
	s := slices.Clone(r.Holders)
	for _, c := range r.Clients {
		if !slices.Contains(s, c) {
			s = append(s, c)
		}
	}
	slices.Sort(s)
	return s
}

func msg(t byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 1, n)
	b[0] = t
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func recvType(ctx context.Context, c transport.Conn, t byte) ([]byte, error) {
	m, err := c.Recv(ctx)
	if err != nil {
		return nil, err
	}
	if len(m) < 1 || m[0] != t {
		return nil, fmt.Errorf("%w: from %s: expected message type %d", ErrMalformed, c.Peer(), t)
	}
	return m[1:], nil
}

func u32(v int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

// sealKey derives the key protecting Shamir shares from holder i to j.
func sealKey(priv *ecdh.PrivateKey, peer []byte, crs CRS, from, to int) (cipher.AEAD, error) {
	pub, err := ecdh.X25519().NewPublicKey(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: peer key: %v", ErrMalformed, err)
	}
	shared, err := priv.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: peer key: %v", ErrMalformed, err)
	}
	key, err := hkdf.Key(sha256.New, shared, crs[:], fmt.Sprintf("veil/he shamir %d->%d", from, to), 32)
	if err != nil {
		return nil, err
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(blk)
}

// RunHub drives a round as the aggregator (mesh index 0): collective key
// generation (and threshold dealing), collection and aggregation of the
// clients' ciphertexts until the window closes, then decryption by the key
// holders, retrying with other holders (T-of-N) when some drop. The hub
// learns the sums and sends them to every spoke still connected.
func RunHub(ctx context.Context, mesh transport.Mesh, p *Params, r Round) (*RoundResult, error) {
	if mesh.Self() != 0 {
		return nil, fmt.Errorf("%w: the hub is mesh index 0, not %d", ErrInvalidParams, mesh.Self())
	}
	if err := r.validate(p, mesh.Size()); err != nil {
		return nil, err
	}
	conn := func(j int) (transport.Conn, error) { return mesh.Conn(j) }
	res := &RoundResult{Bytes: map[int]transport.Stats{}}
	defer func() {
		for _, j := range r.spokes() {
			if c, err := conn(j); err == nil {
				res.Bytes[j] = c.Stats()
			}
		}
		res.Bytes[0] = mesh.Stats()
	}()

	// 1. Key generation.
	start := time.Now()
	crs, err := NewCRS()
	if err != nil {
		return nil, err
	}
	pk, ecdhKeys, err := hubKeyGen(ctx, conn, p, r, crs)
	if err != nil {
		return res, err
	}
	if p.cfg.Threshold > 0 {
		if err := hubDeal(ctx, conn, r, ecdhKeys); err != nil {
			return res, err
		}
	}
	pkb, err := pk.MarshalBinary()
	if err != nil {
		return res, err
	}
	for _, j := range r.spokes() {
		c, err := conn(j)
		if err == nil {
			err = c.Send(ctx, msg(tPublicKey, pkb))
		}
		if err != nil {
			return res, fmt.Errorf("he: key generation: publishing the key to spoke %d: %w", j, err)
		}
	}
	res.KeyGen = time.Since(start)

	// 2. Collection and aggregation.
	start = time.Now()
	sum, err := hubCollect(ctx, conn, p, r, res)
	res.Collect = time.Since(start)
	if err != nil {
		return res, err
	}

	// 3. Decryption.
	start = time.Now()
	err = hubDecrypt(ctx, conn, p, r, sum, res)
	res.Decrypt = time.Since(start)
	if err != nil {
		return res, err
	}
	out := make([]byte, 0, 8*r.Length)
	for i := 0; i < r.Length; i++ {
		if res.Ints != nil {
			out = binary.BigEndian.AppendUint64(out, uint64(res.Ints[i]))
		} else {
			out = binary.BigEndian.AppendUint64(out, math.Float64bits(res.Floats[i]))
		}
	}
	for _, j := range r.spokes() {
		if c, err := conn(j); err == nil {
			_ = c.Send(ctx, msg(tResult, out)) // spokes that dropped do not need it
		}
	}
	return res, nil
}

// each runs f for every index concurrently and waits.
func each(idx []int, f func(i, j int) error) []error {
	errs := make([]error, len(idx))
	var wg sync.WaitGroup
	for i, j := range idx {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f(i, j) }()
	}
	wg.Wait()
	return errs
}

func hubKeyGen(ctx context.Context, conn func(int) (transport.Conn, error), p *Params, r Round, crs CRS) (*PublicKey, [][]byte, error) {
	shares := make([]*PublicKeyShare, len(r.Holders))
	keys := make([][]byte, len(r.Holders))
	errs := each(r.Holders, func(i, j int) error {
		c, err := conn(j)
		if err != nil {
			return err
		}
		if err := c.Send(ctx, msg(tCRS, crs[:])); err != nil {
			return err
		}
		m, err := recvType(ctx, c, tKeyGen)
		if err != nil {
			return err
		}
		if len(m) < 32 {
			return fmt.Errorf("%w: key generation message too short", ErrMalformed)
		}
		s := p.NewPublicKeyShare()
		if err := s.UnmarshalBinary(m[32:]); err != nil {
			return err
		}
		if s.Party != i {
			return fmt.Errorf("%w: spoke %d sent key holder %d's share", ErrMismatch, j, s.Party)
		}
		shares[i], keys[i] = s, m[:32]
		return nil
	})
	for i, err := range errs {
		if err != nil {
			return nil, nil, fmt.Errorf("he: key generation: key holder %d (spoke %d): %w", i, r.Holders[i], err)
		}
	}
	pk, err := p.CombinePublicKey(crs, shares)
	return pk, keys, err
}

// hubDeal relays the end-to-end encrypted Shamir shares between holders.
func hubDeal(ctx context.Context, conn func(int) (transport.Conn, error), r Round, keys [][]byte) error {
	peers := msg(tPeers, keys...)
	for i, j := range r.Holders {
		c, err := conn(j)
		if err == nil {
			err = c.Send(ctx, peers)
		}
		if err != nil {
			return fmt.Errorf("he: dealing: key holder %d: %w", i, err)
		}
	}
	n := len(r.Holders)
	for i, j := range r.Holders {
		c, err := conn(j)
		if err != nil {
			return err
		}
		for k := 0; k < n-1; k++ {
			m, err := recvType(ctx, c, tDeal)
			if err == nil && len(m) < 4 {
				err = fmt.Errorf("%w: short deal", ErrMalformed)
			}
			if err != nil {
				return fmt.Errorf("he: dealing: key holder %d: %w", i, err)
			}
			to := int(binary.BigEndian.Uint32(m))
			if to >= n || to == i {
				return fmt.Errorf("he: dealing: key holder %d: %w: deal for %d", i, ErrMalformed, to)
			}
			tc, err := conn(r.Holders[to])
			if err == nil {
				err = tc.Send(ctx, msg(tDeal, u32(i), m[4:]))
			}
			if err != nil {
				return fmt.Errorf("he: dealing: forwarding to key holder %d: %w", to, err)
			}
		}
	}
	return nil
}

func hubCollect(ctx context.Context, conn func(int) (transport.Conn, error), p *Params, r Round, res *RoundResult) (*Ciphertext, error) {
	cctx := ctx
	if r.CollectWindow > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, r.CollectWindow)
		defer cancel()
	}
	type arrival struct {
		client int
		ct     *Ciphertext
	}
	ch := make(chan arrival, len(r.Clients))
	var wg sync.WaitGroup
	for _, j := range r.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ct *Ciphertext
			c, err := conn(j)
			if err == nil {
				var m []byte
				if m, err = recvType(cctx, c, tCiphertext); err == nil {
					ct, err = p.UnmarshalCiphertext(m)
				}
			}
			if err == nil && (ct.Len() != r.Length || ct.Weight() != 1) {
				ct = nil
			}
			ch <- arrival{j, ct}
		}()
	}
	go func() { wg.Wait(); close(ch) }()
	agg, err := p.NewAggregator(r.Length)
	if err != nil {
		return nil, err
	}
	for a := range ch {
		if a.ct == nil {
			res.Missing = append(res.Missing, a.client)
			continue
		}
		t0 := time.Now()
		if err := agg.Add(a.ct); err != nil {
			res.Missing = append(res.Missing, a.client)
			continue
		}
		res.Aggregate += time.Since(t0)
		res.Counted = append(res.Counted, a.client)
	}
	slices.Sort(res.Counted)
	slices.Sort(res.Missing)
	if len(res.Counted) == 0 {
		return nil, fmt.Errorf("%w: %d clients missing", ErrNoInput, len(res.Missing))
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return agg.Result(), nil
}

func hubDecrypt(ctx context.Context, conn func(int) (transport.Conn, error), p *Params, r Round, sum *Ciphertext, res *RoundResult) error {
	ctb, err := sum.Masks() // holders need c1 only
	if err != nil {
		return err
	}
	alive := make([]int, len(r.Holders)) // key-holder indices
	for i := range alive {
		alive[i] = i
	}
	need := p.Decryptors()
	for attempt := 0; ; attempt++ {
		if len(alive) < need {
			return fmt.Errorf("%w: %d key holders answered, decryption needs %d (dropped: spokes %v)", ErrNotEnoughShares, len(alive), need, res.Dropped)
		}
		set := alive[:need]
		var active []int
		if p.cfg.Threshold > 0 {
			active = slices.Clone(set)
		}
		hdr := binary.BigEndian.AppendUint32(nil, uint32(attempt))
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(len(active)))
		for _, a := range active {
			hdr = binary.BigEndian.AppendUint32(hdr, uint32(a))
		}
		request := msg(tDecrypt, hdr, ctb)
		shares := make([]*DecryptionShare, len(set))
		actx, cancel := context.WithTimeout(ctx, r.shareWindow())
		mesh := make([]int, len(set))
		for i, h := range set {
			mesh[i] = r.Holders[h]
		}
		errs := each(mesh, func(i, j int) error {
			c, err := conn(j)
			if err == nil {
				err = c.Send(actx, request)
			}
			for err == nil {
				var m []byte
				if m, err = recvType(actx, c, tShare); err != nil {
					break
				}
				if len(m) < 4 || binary.BigEndian.Uint32(m) != uint32(attempt) {
					continue // a late answer to an earlier attempt
				}
				s := p.NewDecryptionShare()
				if err = s.UnmarshalBinary(m[4:]); err == nil && (s.Party != set[i] || !slices.Equal(s.Active, active)) {
					err = fmt.Errorf("%w: share from key holder %d for set %v", ErrMismatch, s.Party, s.Active)
				}
				shares[i] = s
				break
			}
			return err
		})
		cancel()
		var failed []int
		for i, err := range errs {
			if err != nil {
				failed = append(failed, set[i])
				res.Dropped = append(res.Dropped, r.Holders[set[i]])
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("he: decryption: %w", ctx.Err())
		}
		if len(failed) > 0 {
			alive = slices.DeleteFunc(alive, func(h int) bool { return slices.Contains(failed, h) })
			continue
		}
		if p.scheme == BGV {
			res.Ints, err = p.CombineInts(sum, shares)
		} else {
			res.Floats, err = p.CombineFloats(sum, shares)
		}
		res.Decryptors = mesh
		return err
	}
}

// RunSpoke plays a spoke's part in a round: key holder (if its mesh index is
// in r.Holders), client (if in r.Clients), or both. It returns the sums the
// hub sends back.
func RunSpoke(ctx context.Context, mesh transport.Mesh, p *Params, r Round, in SpokeInput) (*SpokeResult, error) {
	self := mesh.Self()
	if err := r.validate(p, mesh.Size()); err != nil {
		return nil, err
	}
	c, err := mesh.Conn(0)
	if err != nil {
		return nil, err
	}
	res := &SpokeResult{}
	defer func() { res.Stats = mesh.Stats() }()
	holder := slices.Index(r.Holders, self)
	client := slices.Contains(r.Clients, self)
	if holder < 0 && !client {
		return nil, fmt.Errorf("%w: spoke %d has no role in the round", ErrInvalidParams, self)
	}
	if client && !in.Silent {
		var err error
		if p.scheme == BGV {
			if len(in.Ints) != r.Length {
				err = fmt.Errorf("%w: %d values, round length %d", ErrInvalidParams, len(in.Ints), r.Length)
			} else {
				err = p.CheckInts(in.Ints)
			}
		} else {
			if len(in.Floats) != r.Length {
				err = fmt.Errorf("%w: %d values, round length %d", ErrInvalidParams, len(in.Floats), r.Length)
			} else {
				err = p.CheckFloats(in.Floats)
			}
		}
		if err != nil {
			return nil, err // before anything is sent
		}
	}
	var kh *KeyHolder
	if holder >= 0 {
		if kh, err = spokeKeyGen(ctx, c, p, r, holder); err != nil {
			return res, fmt.Errorf("he: spoke %d: key generation: %w", self, err)
		}
	}
	m, err := recvType(ctx, c, tPublicKey)
	if err != nil {
		return res, fmt.Errorf("he: spoke %d: waiting for the public key: %w", self, err)
	}
	pk := p.NewPublicKey()
	if err := pk.UnmarshalBinary(m); err != nil {
		return res, err
	}
	if client && !in.Silent {
		enc, err := p.NewEncryptor(pk)
		if err != nil {
			return res, err
		}
		var ct *Ciphertext
		if p.scheme == BGV {
			ct, err = enc.EncryptInts(in.Ints)
		} else {
			ct, err = enc.EncryptFloats(in.Floats)
		}
		if err != nil {
			return res, err
		}
		b, err := ct.MarshalBinary()
		if err != nil {
			return res, err
		}
		if err := c.Send(ctx, msg(tCiphertext, b)); err != nil {
			return res, fmt.Errorf("he: spoke %d: sending the ciphertext: %w", self, err)
		}
		if in.DropAfterSend {
			res.Dropped = true
			res.Stats = mesh.Stats()
			return res, mesh.Close()
		}
	}
	requests := 0
	for {
		m, err := c.Recv(ctx)
		if err != nil {
			return res, fmt.Errorf("he: spoke %d: waiting for the result: %w", self, err)
		}
		if len(m) == 0 {
			return res, fmt.Errorf("%w: empty message from the hub", ErrMalformed)
		}
		switch m[0] {
		case tResult:
			return res, readResult(p, r, m[1:], res)
		case tDecrypt:
			if kh == nil {
				return res, fmt.Errorf("%w: decryption request to a spoke that holds no key", ErrMalformed)
			}
			// Every retry drops at least one holder, so a round needs at most
			// N-T+1 shares from a holder; refuse more (each share spends
			// statistical security of the smudging).
			if requests++; requests > p.cfg.KeyHolders-p.Decryptors()+1 {
				return res, fmt.Errorf("%w: decryption request %d exceeds the %d a round can need", ErrMalformed, requests, p.cfg.KeyHolders-p.Decryptors()+1)
			}
			if err := spokeShare(ctx, c, p, kh, m[1:]); err != nil {
				return res, fmt.Errorf("he: spoke %d: decryption share: %w", self, err)
			}
		default:
			return res, fmt.Errorf("%w: unexpected message type %d from the hub", ErrMalformed, m[0])
		}
	}
}

func readResult(p *Params, r Round, m []byte, res *SpokeResult) error {
	if len(m) != 8*r.Length {
		return fmt.Errorf("%w: result of %d bytes for %d values", ErrMalformed, len(m), r.Length)
	}
	if p.scheme == BGV {
		res.Ints = make([]int64, r.Length)
		for i := range res.Ints {
			res.Ints[i] = int64(binary.BigEndian.Uint64(m[8*i:]))
		}
	} else {
		res.Floats = make([]float64, r.Length)
		for i := range res.Floats {
			res.Floats[i] = math.Float64frombits(binary.BigEndian.Uint64(m[8*i:]))
		}
	}
	return nil
}

func spokeKeyGen(ctx context.Context, c transport.Conn, p *Params, r Round, holder int) (*KeyHolder, error) {
	m, err := recvType(ctx, c, tCRS)
	if err != nil {
		return nil, err
	}
	if len(m) != len(CRS{}) {
		return nil, fmt.Errorf("%w: CRS of %d bytes", ErrMalformed, len(m))
	}
	var crs CRS
	copy(crs[:], m)
	kh, err := p.NewKeyHolder(holder)
	if err != nil {
		return nil, err
	}
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	sb, err := kh.GenPublicKeyShare(crs).MarshalBinary()
	if err != nil {
		return nil, err
	}
	if err := c.Send(ctx, msg(tKeyGen, priv.PublicKey().Bytes(), sb)); err != nil {
		return nil, err
	}
	if p.cfg.Threshold == 0 {
		return kh, nil
	}
	n := len(r.Holders)
	peers, err := recvType(ctx, c, tPeers)
	if err != nil {
		return nil, err
	}
	if len(peers) != 32*n {
		return nil, fmt.Errorf("%w: %d bytes of peer keys for %d holders", ErrMalformed, len(peers), n)
	}
	deals, err := kh.GenShamirShares()
	if err != nil {
		return nil, err
	}
	var nonce [12]byte
	for j := 0; j < n; j++ {
		if j == holder {
			continue
		}
		aead, err := sealKey(priv, peers[32*j:32*j+32], crs, holder, j)
		if err != nil {
			return nil, err
		}
		b, err := deals[j].MarshalBinary()
		if err != nil {
			return nil, err
		}
		if err := c.Send(ctx, msg(tDeal, u32(j), aead.Seal(nil, nonce[:], b, nil))); err != nil {
			return nil, err
		}
	}
	mine := make([]*ShamirShare, n)
	mine[holder] = deals[holder]
	for k := 0; k < n-1; k++ {
		m, err := recvType(ctx, c, tDeal)
		if err != nil {
			return nil, err
		}
		if len(m) < 4 {
			return nil, fmt.Errorf("%w: short deal", ErrMalformed)
		}
		from := int(binary.BigEndian.Uint32(m))
		if from >= n || from == holder || mine[from] != nil {
			return nil, fmt.Errorf("%w: deal from %d", ErrMalformed, from)
		}
		aead, err := sealKey(priv, peers[32*from:32*from+32], crs, from, holder)
		if err != nil {
			return nil, err
		}
		b, err := aead.Open(nil, nonce[:], m[4:], nil)
		if err != nil {
			return nil, fmt.Errorf("%w: deal from key holder %d does not authenticate", ErrMalformed, from)
		}
		s := p.NewShamirShare()
		if err := s.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		if s.From != from || s.To != holder {
			return nil, fmt.Errorf("%w: deal labelled %d->%d", ErrMalformed, s.From, s.To)
		}
		mine[from] = s
	}
	return kh, kh.SetShamirShares(mine)
}

func spokeShare(ctx context.Context, c transport.Conn, p *Params, kh *KeyHolder, m []byte) error {
	if len(m) < 6 {
		return fmt.Errorf("%w: short decryption request", ErrMalformed)
	}
	attempt := m[:4]
	na := int(binary.BigEndian.Uint16(m[4:]))
	m = m[6:]
	if na > p.cfg.KeyHolders || len(m) < 4*na {
		return fmt.Errorf("%w: decryption set of %d", ErrMalformed, na)
	}
	var active []int
	for i := 0; i < na; i++ {
		active = append(active, int(binary.BigEndian.Uint32(m[4*i:])))
	}
	ct, err := p.UnmarshalMasks(m[4*na:])
	if err != nil {
		return err
	}
	s, err := kh.DecryptionShare(ct, active)
	if err != nil {
		return err
	}
	b, err := s.MarshalBinary()
	if err != nil {
		return err
	}
	return c.Send(ctx, msg(tShare, attempt, b))
}

// RunInProcess runs a whole round in this process over a star (star[0] the
// hub, every other entry a spoke): it starts one goroutine per spoke in
// r.Holders or r.Clients with inputs[j] as spoke j's input, runs the hub,
// waits for every spoke and returns the hub's result. A spoke's own error is
// not fatal to the round (it counts as a dropout); the hub's error is
// returned.
func RunInProcess(ctx context.Context, star []transport.Mesh, p *Params, r Round, inputs map[int]SpokeInput) (*RoundResult, error) {
	if len(star) < 2 {
		return nil, fmt.Errorf("%w: a star needs a hub and a spoke", ErrInvalidParams)
	}
	if err := r.validate(p, len(star)); err != nil {
		return nil, err
	}
	spokes := r.spokes()
	var wg sync.WaitGroup
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(spokes))
	for i, j := range spokes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = RunSpoke(sctx, star[j], p, r, inputs[j])
		}()
	}
	res, err := RunHub(ctx, star[0], p, r)
	cancel() // release spokes still waiting if the hub failed
	wg.Wait()
	if res != nil {
		for i, e := range errs {
			if e != nil {
				if res.SpokeErrors == nil {
					res.SpokeErrors = map[int]error{}
				}
				res.SpokeErrors[spokes[i]] = e
			}
		}
	}
	return res, err
}
