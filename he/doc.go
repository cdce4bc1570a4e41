// Package he adds up vectors that many parties encrypt, so that only the
// agreed decryptors (or one analyst) ever see the total. It is built on
// lattigo v5 (BGV for exact int64 sums, CKKS for float64 sums, and lattigo's
// multiparty protocols) and closes three gaps lattigo leaves open: presets
// sized for aggregation, a noise budget that is checked instead of trusted,
// and a runner over [transport].
//
// # Using it
//
// Declare the session up front in a [Config]: a [Preset] (the zero value is
// [IntLogN13]), the bound on every value, the largest total weight of a sum
// (the number of contributions for a plain sum), and the key: a single key
// (KeyHolders 1), an N-of-N collective key (KeyHolders N) or a T-of-N
// threshold key (Threshold T: any T of the N holders decrypt).
// [NewParams] checks 128-bit security, picks the lowest encryption level
// whose noise budget holds, sizes the smudging noise, and refuses with
// [ErrNoiseBudget], [ErrOutOfRange] or [ErrInsecure] (naming the limit)
// anything that could decrypt wrong. No user of the common path imports
// lattigo.
//
//   - Single key: [Params.GenKeyPair], [Params.NewEncryptor],
//     [Encryptor.EncryptInts] / [Encryptor.EncryptFloats], [Params.Add],
//     [Params.AddWeighted], [Params.Sum] or an [Aggregator],
//     [Params.NewDecryptor].
//   - N-of-N: every key holder ([Params.NewKeyHolder]) sends a
//     [PublicKeyShare] for a common [CRS]; [Params.CombinePublicKey] makes
//     the key. To decrypt, every holder sends a [DecryptionShare] and
//     [Params.CombineInts] / [Params.CombineFloats] finish (or a [Combiner]
//     adds the shares up as they arrive); or every holder
//     sends a [ReencryptionShare] for an analyst's public key and
//     [Params.CombineReencryption] hands the analyst a ciphertext only the
//     analyst can decrypt.
//   - T-of-N: after the key, each holder deals a [ShamirShare] to every
//     holder ([KeyHolder.GenShamirShares], [KeyHolder.SetShamirShares]); any T
//     holders then decrypt, naming the decryption set.
//   - Statistics: [Moments] encodes (count, sum, sum of squares) so that
//     [MomentSums] gives mean and variance from sums alone.
//   - Over a network: [RunHub] and [RunSpoke] drive a [Round] over a star
//     mesh (the hub, at [HubIndex], aggregates; spokes are clients, key
//     holders or both); [RunInProcess] runs one in a process. Their results,
//     [RoundResult] and [SpokeResult], carry the sums, the round's cost
//     ([report.Stats]) and what each party learned ([report.Leakage]).
//
// Keys, ciphertexts and shares are bound to the *Params that made or
// decoded them; parties in different processes build their Params from the
// same Config (construction is deterministic) and exchange bytes.
// Ciphertexts, their masks and the shares made from them also carry the
// [Fingerprint] of the public key they are under: adding or combining
// messages under different keys (a stale ciphertext of another round) fails
// with [ErrMismatch], and the runner leaves such a ciphertext out.
//
// Vectors of any length are split across as many ciphertexts as needed. All
// messages crossing the network have a binary form: MarshalBinary, and a
// decoder on the Params that the message must fit ([Params.UnmarshalCiphertext],
// [Params.UnmarshalPublicKey], [Params.UnmarshalDecryptionShare], ...),
// which checks kind, parameters, exact size, lengths and that every
// coefficient is reduced.
//
// # A round
//
// The hub draws the [CRS] and sends it to every key holder; each answers
// with its [PublicKeyShare] and, for a T-of-N key, an advert of fresh X25519
// keys signed with its [transport.Identity] ([SpokeInput].Identity). The hub
// relays the adverts; each holder checks every other holder's signature
// against the names in [Round].Names and sends its Shamir deals sealed
// (AES-GCM) to their recipients, which the hub relays. The hub publishes
// the collective key, collects the clients' ciphertexts until
// [Round].CollectWindow closes, adds them, and asks a decryption set of
// holders for their shares of the sum, trying another set (T-of-N) when a
// holder misses [Round].ShareWindow. It sends the sums and the list of
// counted clients to every spoke.
//
// Up to its ciphertext, a spoke sends one message per step: a key holder
// its key-generation message, then (T-of-N) its deals, then as a client
// its ciphertext; a spoke that only contributes sends its ciphertext. To
// test dropouts, wrap a spoke's mesh with
// [github.com/veil-go/veil/transport/transporttest.WrapMesh] and CloseAfter
// or SilentAfter of the same package, at those counts.
//
// Runner errors name the package, the role, the step and the peer, as
// in
//
//	he hub, step keygen, peer "party-2": malformed message: ...
//	he spoke 2, step deal, peer "party-0": key advert does not verify: ...
//
// and a party that fails tells the others, whose errors then wrap
// [ErrAborted].
//
// # Presets
//
//	preset      scheme  slots  plaintext    largest |sum|   ciphertext per full batch
//	IntLogN13   BGV      8192  t ~ 2^41     (t-3)/2 ~ 1.1e12   128 KiB at level 0, 256 KiB at level 1
//	IntLogN14   BGV     16384  t ~ 2^55     (t-3)/2 ~ 1.8e16   256 KiB per level
//	RealLogN13  CKKS     4096  Δ = 2^LogScale  MaxWeight x RealBound  128 KiB per level
//	RealLogN14  CKKS     8192  Δ = 2^LogScale  MaxWeight x RealBound  256 KiB per level
//
// Q is a chain of 60-bit primes (2 for LogN 13, 3 for LogN 14) and P one
// 60-bit prime: log QP is 180 and 240, under the HE standard's 218 and 438.
// A single BGV key with few parties encrypts at level 0 (one prime, 16
// bytes a slot); a collective key, and a single CKKS key (whose decryptions
// are flooded), need level 1 or more, because the smudging noise (2^lambda
// times the noise it hides, times the transcript size for a collective key)
// needs room: a single 60-bit prime leaves Q/(2t) ~ 2^18 with t ~ 2^41.
//
// # Noise budget
//
// Per coefficient, with 8-sigma tails: a fresh encryption's noise under a key
// of K holders is at most 8 sqrt((K h + 1)/12) + 1 (h the secret's Hamming
// weight; the P prime divides the rest away), an aggregate's at most
// MaxWeight times that, and each of the D decryptors adds uniform smudging
// in [-2^s, 2^s), plus a small key switching error. For a collective key s
// = lambda + log2(noise it hides) + log2(C), C the coefficients one
// decryptor may reveal in a round (N per chunk, Chunks(MaxValues) chunks,
// N-T+1 shares), so that the whole transcript is within 2^-(lambda+1) of
// one that depends on the sums alone; presets that cannot reach that
// refuse (IntLogN13 with many clients: lower MaxValues or use IntLogN14).
// A single CKKS key floods each decryption with s = lambda + log2(noise)
// (per coefficient; [Budget].LogTranscriptDistance gives the figure per
// ciphertext of MaxValues values). BGV decrypts correctly when the total
// stays below Q/(2t); CKKS splits the requested precision into a quarter
// for the noise (sqrt(N) x 8 x total / Δ), half for the float64 encoding
// and decoding (about (2 log2 N + 1) x 2^-53 x MaxWeight x RealBound, so
// configurations whose sums float64 cannot carry are refused) and a
// quarter for rounding the output to the grid 2^floor(log2 Precision/2),
// and needs Δ x MaxWeight x RealBound plus the error below Q/2.
// [Params.Budget] shows every term. The check refuses the configuration that
// lattigo silently decrypts wrong (a 42-bit modulus with 2^30 smudging).
//
// # Security model
//
// Parties and trust. The roles are the hub (aggregator), the clients, the
// key holders and, with re-encryption, an analyst; one party may hold
// several roles (a key holder is often a client). All of them are assumed
// semi-honest: they follow the protocol and may pool what they see. The
// lattice parameters give 128-bit computational security (HE standard) and
// smudging lambda = 40 bits of statistical security per decryptor's
// transcript by default ([Config].StatisticalSecurity). The largest coalition tolerated is
// the hub with any T-1 key holders (N-1 for an N-of-N key) and any clients:
// it learns nothing about the other clients' inputs beyond the sums.
//
// What each party learns, as [RoundResult].Leakage reports it per round:
//
//   - The hub learns the sums of the counted clients' vectors (it combines
//     the decryption shares), which clients were counted and which were
//     missing, which key holders decrypted and which dropped, the length of
//     every vector (from the ciphertext sizes), and when each message came.
//     It never sees an input or a Shamir deal in the clear.
//   - Every spoke still connected learns the sums and the counted clients,
//     which the hub sends back; a client learns nothing from the
//     ciphertexts of others.
//   - Key holders learn the decryption sets they are asked to serve, and the
//     masks of the aggregate, which reveal nothing without the key.
//   - With re-encryption ([KeyHolder.ReencryptionShare],
//     [Params.CombineReencryption]; not offered by the runner) only the
//     analyst learns the sums.
//   - Smudging: a decryption share s_i c1 + e_i would leak, through the
//     decrypted noise, information on the secret-key shares and on the
//     encryption randomness; the uniform smudging noise (2^lambda times the
//     bound on that noise) makes what the decryptors see statistically
//     close (2^-(lambda+1) over everything one holder reveals in a round)
//     to a function of the sum alone. A holder answers at most N-T+1
//     decryption requests per round (every retry drops a holder), and the
//     smudging is sized for that many.
//   - The sums themselves are released exactly: add differential-privacy
//     noise (package dp) before encrypting if they must not be.
//
// Decryption oracles (IND-CPA^D). A decryption is only as safe as the
// ciphertext it is given. A crafted ciphertext, which the wire decoders
// accept because it is well-formed bytes, makes its decryption reveal the
// secret key: c1 = t^-1 for BGV gives s mod t (every smudging term is a
// multiple of t there and vanishes), and c1 a multiple of the scale does
// the same for CKKS. Flooding cannot stop this (it hides noise, not
// plaintext), nor can the hub rerandomising the sum. The library therefore:
//
//   - floods single-key CKKS decryptions and rounds them to the precision
//     grid ([Decryptor]), which defeats passive attacks on honest
//     ciphertexts (Li-Micciancio) and probes below the scale, and decodes
//     only the slots of the vector;
//   - refuses, in the runner, to decrypt an aggregate of contributions that
//     nobody verified ([ErrUnverified]) unless the caller accepts the
//     semi-honest model for clients by name
//     ([Round].SemiHonestContributions). Proofs that a ciphertext is a
//     well-formed encryption (TopGear-style proofs of plaintext knowledge,
//     PELTA) are not implemented yet.
//
// On the API path the caller decides what it decrypts: never let the output
// of an aggregate that contains an unverified ciphertext reach a party that
// could have crafted it (a client, or the hub with one client), and never
// decrypt a single client's ciphertext alone for someone who knows its
// encryption randomness.
//
// What a deviating party can do. The runner does not defend against
// malicious parties, with one exception: the hub cannot read the T-of-N
// Shamir deals it relays, nor substitute keys of its own for a holder's,
// because each holder's X25519 keys are signed with its identity and
// checked against [Round].Names by the other holders (a forged advert fails
// the round with [ErrBadAdvert] before anything is sealed). Everything else
// relies on the semi-honest assumption: a malicious hub could publish a key
// of its own to the clients, ask the holders to decrypt a single client's
// ciphertext instead of the sum, choose the CRS, or send the spokes wrong
// sums; a malicious client may encrypt anything the format allows (values
// outside the bound break the sum's correctness, and a crafted ciphertext
// reveals the round's key to whoever sees the sums, which is why the
// runner needs [Round].SemiHonestContributions); a malicious key holder may
// send a wrong share and make the result wrong, undetected.
//
// Dropouts and faults. Clients that have not sent when the collection
// window closes are left out and reported as missing; their absence is
// visible to everyone who sees the result. Key generation and dealing need
// every key holder: a holder that fails then fails the round. After key
// generation, a T-of-N round survives up to N-T key holders dropping
// (the hub tries another decryption set); an N-of-N round fails with
// [ErrNotEnoughShares] if any holder drops. A party that fails tells the
// others (they fail with [ErrAborted]); malformed messages are errors
// wrapping [ErrMalformed], never panics, and no allocation is sized by a
// peer's claim.
//
// Timing. The work of every party depends on public sizes (the parameters,
// the vector length, the number of parties), not on the values; the code
// does not claim constant-time arithmetic (lattigo's samplers and modular
// reductions are not audited for timing), and the hub sees when each
// message arrives.
package he
