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
//   - Untrusted contributors: [Encryptor.EncryptIntsProven] and
//     [Encryptor.EncryptFloatsProven] return a ciphertext with a [Proof]
//     that it is well formed, which [Params.VerifyProof] checks before
//     the ciphertext is added to anything decrypted; build the Params with
//     [Config].VerifiedContributions so that the smudging covers what the
//     proofs bound (see "Proofs of well-formed contributions").
//   - Statistics: [Moments] encodes (count, sum, sum of squares) so that
//     [MomentSums] gives mean and variance from sums alone.
//   - Subset sums between two parties: a key holder ([NewSubsetSumKey])
//     encrypts a column with [SubsetSumKey.EncryptChunk], a summer
//     ([NewSubsetSummer]) adds the chunks under a 0/1 selection and sends one
//     flooded LWE sample ([SubsetSummer.Sample]), which
//     [SubsetSumKey.Decrypt] opens to the selected sum plus the summer's
//     mask, modulo 2^64 (package psi's Sum mode; semi-honest, one run per
//     key; the model is in subsetsum.go's comment).
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
// With [Config].VerifiedContributions the fresh noise of a contribution is
// the bound its verified proof gives (about 2^47 per coefficient for three
// holders at LogN 14), and everything above is sized from that.
// [Params.Budget] shows every term. The check refuses the configuration that
// lattigo silently decrypts wrong (a 42-bit modulus with 2^30 smudging).
//
// # Proofs of well-formed contributions
//
// On the runner's default path every client proves, with its ciphertext,
// that each chunk was encrypted under the round's public key (b, a) with
// small randomness: [Encryptor.EncryptIntsProven] (or
// [Encryptor.EncryptFloatsProven]) encrypts with explicit randomness, c1 =
// a u + e1 and c0 = b u + e0 + pt, and returns a [Proof]; the hub and every
// key holder check it with [Params.VerifyProof] before any decryption share
// is made. The proof is a Schnorr-like Σ-protocol for the linear map (u, e1)
// -> a u + e1 with binary challenges (one bit per chunk and repetition), 128
// parallel repetitions, and Fiat-Shamir over SHA-256 bound to the
// parameters, the key's [Fingerprint], a [ProofContext] (session and client
// index), the vector length and the group index; a proof covers up to 8
// chunks with one set of repetitions, and a vector needs one such group per
// 8 chunks. Masks are uniform in a box of 4 N R times the largest response
// shift, with rejection sampling (a group restarts with probability about
// 0.4), and the verifier recomputes the commitment from the response, so a
// repetition costs N coefficients of each response.
//
// Soundness: if a chunk's c1 is not a u + e with |u| <= 2 A_u and |e| <= 2
// A_e (A the verifier's norm bounds; binary challenges leave no other
// slack), then for fixed commitments each repetition can be answered for at
// most one value of that chunk's challenge bit, so a prover making Q hash
// queries gets such a chunk accepted with probability at most (Q+1) 2^-128
// (random-oracle model). Two accepted answers that differ in one bit give the
// witness, so the proof is one of knowledge: a client cannot submit another
// client's ciphertext, or its negation, as its own. Zero knowledge: the
// accepted responses are uniform in their bounds whatever the witness
// (rejection sampling), so a proof reveals nothing about u, e1 or the
// values.
//
// What it buys: for a verified chunk, decryption reveals (c0 - b u) + (e u +
// e1 s) + smudging, where the first term is chosen by the client and the
// second, the only one that depends on the key (s, and the key's error e),
// is bounded by the proof. With [Config].VerifiedContributions the smudging
// is sized to flood that bound for MaxWeight contributions (about 2^47 per
// coefficient for three holders at LogN 14, against about 2^14 for honest
// encryptions), so that what the decryptors reveal stays within
// 2^-(lambda+1) of a function of the plaintexts, as for honest ciphertexts.
// The review's probe (c1 = t^-1, or a scaled c1 for CKKS) would need t^-1 =
// a u + e with small u and e, an RLWE problem, and is rejected. Cheaper
// checks do not work: after BGV decoding every noise term is a multiple of
// t, so any decryption of a ciphertext with c1 = t^-1 x (small) reveals s
// mod t whatever the smudging; the hub rerandomising the sum (adding an
// encryption of zero) leaves the crafted term in place; and a well-formed
// c1 cannot be told from a crafted one by looking at it (both look uniform).
//
// What it does not buy: c0 is not constrained, so the proof bounds neither
// the slot values nor the coefficient-domain plaintext; a client can still
// add anything to the sum (correctness: it can poison the result), but it
// can no longer learn the key. Bounded inputs would need range proofs.
// Monomial challenges ({0, ±X^i}) would need about 10 repetitions instead of
// 128, but extraction then only bounds 2 c1 and with N times the slack:
// about 14 more bits of key-dependent noise to flood, which the LogN 14
// moduli cannot carry for more than a few clients. The cost: a proof is
// about 5 times its ciphertext (14.9 MB for 2^16 values at IntLogN14), and
// [Config].VerifiedContributions does not fit LogN 13 at all
// ([ErrNoiseBudget]); bench/RESULTS.md has the times.
//
// # Security model
//
// Parties and trust. The roles are the hub (aggregator), the clients, the
// key holders and, with re-encryption, an analyst; one party may hold
// several roles (a key holder is often a client). On the runner's default
// (verified) path clients may be malicious: they may send any bytes,
// including crafted ciphertexts, and collude with each other and with the
// hub. The hub and the key holders are semi-honest: they follow the
// protocol and may pool what they see. With
// [Round].SemiHonestContributions clients are semi-honest too. The
// lattice parameters give 128-bit computational security (HE standard) and
// smudging lambda = 40 bits of statistical security per decryptor's
// transcript by default ([Config].StatisticalSecurity). The largest
// coalition tolerated is the hub with any T-1 key holders (N-1 for an
// N-of-N key) and any clients: it learns nothing about the other clients'
// inputs beyond the sums, and nothing about the key.
//
// What each party learns, as [RoundResult].Leakage reports it per round:
//
//   - The hub learns the sums of the counted clients' vectors (it combines
//     the decryption shares), which clients were counted, which were
//     missing and which were rejected (their proof did not verify), which
//     key holders decrypted and which dropped, the length of every vector
//     (from the ciphertext sizes), and when each message came.
//     It never sees an input or a Shamir deal in the clear.
//   - Every spoke still connected learns the sums and the counted clients,
//     which the hub sends back; a client learns nothing from the
//     ciphertexts of others.
//   - Key holders learn the decryption sets they are asked to serve, and
//     the masks of the aggregate, which reveal nothing without the key; on
//     the verified path they receive each counted client's masks and proof
//     (zero knowledge: they learn the lengths and who was counted).
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
// ciphertext it is given: HE schemes are IND-CPA, not IND-CPA^D (Li and
// Micciancio), and a crafted ciphertext, which the wire decoders accept
// because it is well-formed bytes, makes its decryption reveal the secret
// key: c1 = t^-1 for BGV gives s mod t (every smudging term is a multiple of
// t there and vanishes), and c1 a multiple of the scale does the same for
// CKKS. Flooding cannot stop this (it hides noise, not plaintext), nor can
// the hub rerandomising the sum. The library therefore:
//
//   - floods single-key CKKS decryptions and rounds them to the precision
//     grid ([Decryptor]), which defeats passive attacks on honest
//     ciphertexts (Li-Micciancio) and probes below the scale, and decodes
//     only the slots of the vector;
//   - in the runner, decrypts only sums of verified contributions: the hub
//     verifies each client's [Proof] and leaves out (and names, in
//     [RoundResult].Rejected) those that fail; every key holder verifies
//     every contribution the hub forwards, sums their masks itself and
//     makes its decryption share on that sum only; a contribution that
//     fails there (only a faulty or malicious hub forwards one) makes the
//     holder refuse with [ErrBadProof] and the round fails, with no share
//     made. The runner refuses ([ErrUnverified]) a round whose Params were
//     not sized for the proofs ([Config].VerifiedContributions) unless the
//     caller accepts the semi-honest model for clients by name
//     ([Round].SemiHonestContributions).
//
// On the API path the caller decides what it decrypts: never let the output
// of an aggregate that contains an unverified ciphertext reach a party that
// could have crafted it (a client, or the hub with one client), and never
// decrypt a single client's ciphertext alone for someone who knows its
// encryption randomness.
//
// What a deviating party can do. A malicious client can make the sums
// wrong (its contribution's plaintext is not bounded by the proof), but
// cannot learn the key or another client's input: a crafted ciphertext is
// rejected before decryption, and a client cannot pass off another's
// ciphertext as its own (the proof is of knowledge and bound to its index).
// The hub cannot read the T-of-N Shamir deals it relays, nor substitute
// keys of its own for a holder's, because each holder's X25519 keys are
// signed with its identity and checked against [Round].Names by the other
// holders (a forged advert fails the round with [ErrBadAdvert] before
// anything is sealed), and it cannot make the holders decrypt a
// contribution that does not verify. Everything else relies on the
// semi-honest assumption for the hub and the holders: a malicious hub
// could publish a key of its own to the clients, forward a single client's
// contribution to the holders (they decrypt whatever verified set they
// are given), choose the CRS, or send the spokes wrong sums; a malicious
// key holder may send a wrong share and make the result wrong, undetected.
// With [Round].SemiHonestContributions a malicious client's crafted
// ciphertext reveals the round's key to whoever sees the sums.
//
// Differential privacy. A [Round] with a [Noise] releases a noisy sum:
// each client adds its share of distributed noise from package dp
// (Skellam, or the distributed discrete Gaussian) to its vector before it
// encrypts, so the hub, the key holders and everyone who sees the result
// see only sums that carry the noise. [NewNoise] calibrates the shares for
// the declared per-coordinate ranges and sensitivities, (Epsilon, Delta),
// the parties and MinHonest, and [Noise.Config] derives the BGV Bound (range
// plus the shares' tail bound at a stated failure probability) and
// MaxWeight, so that NewParams refuses a declaration whose noisy sum could
// wrap. The hub decrypts only a sum of at least MinHonest counted clients
// ([ErrTooFewShares]); each party spends the guarantee once from its
// [NoiseConfig].Budget. The guarantee assumes MinHonest honest clients
// among the counted ones: a dishonest client can leave its share out, and a
// dropped one takes its share with it (see [Noise]). On the verified path
// every key holder makes the same check on the contributions it verified;
// with SemiHonestContributions it rests on the hub.
//
// Wide integers. A slot holds |sum| < t/2 (about 2^40 at IntLogN13);
// [WideInts] and [MomentsEncoding] split wider integers into limbs that the
// sum adds without carries, so count, sum and sum of squares of a declared
// 2^32 rows (and more, up to 2^40 rows of any int64) per party are summed
// exactly. Noise shares go on whole slots, not limbs (a noisy low limb next
// to an exact high one would reveal the high part): quantize a noisy
// coordinate to public units until it fits one slot, as [NoisyMoments]
// does for a DP count, sum and sum of squares of values within public
// bounds (so mean and variance).
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
