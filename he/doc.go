// Package he adds up vectors that many parties encrypt, so that only the
// agreed decryptors (or one analyst) ever see the total. It is built on
// lattigo v5 (BGV for exact int64 sums, CKKS for float64 sums, and lattigo's
// multiparty protocols) and closes three gaps lattigo leaves open: presets
// sized for aggregation, a noise budget that is checked instead of trusted,
// and a runner over [transport].
//
// # Using it
//
// Declare the session up front in a [Config]: a [Preset], the bound on every
// value, the largest total weight of a sum (the number of contributions for
// a plain sum), and the key: a single key (KeyHolders 1), an N-of-N
// collective key (KeyHolders N) or a T-of-N threshold key (Threshold T).
// [NewParams] checks 128-bit security, picks the lowest encryption level
// whose noise budget holds, sizes the smudging noise, and refuses with
// [ErrNoiseBudget], [ErrOutOfRange] or [ErrInsecure] (naming the limit) anything
// that could decrypt wrong. No user of the common path imports lattigo.
//
//   - Single key: [Params.GenKeyPair], [Params.NewEncryptor],
//     [Encryptor.EncryptInts] / [Encryptor.EncryptFloats], [Params.Add],
//     [Params.AddWeighted], [Params.Sum] or an [Aggregator],
//     [Params.NewDecryptor].
//   - N-of-N: every key holder ([Params.NewKeyHolder]) sends a
//     [PublicKeyShare] for a common [CRS]; [Params.CombinePublicKey] makes
//     the key. To decrypt, every holder sends a [DecryptionShare] and
//     [Params.CombineInts] / [Params.CombineFloats] finish; or every holder
//     sends a [ReencryptionShare] for an analyst's public key and
//     [Params.CombineReencryption] hands the analyst a ciphertext only the
//     analyst can decrypt.
//   - T-of-N: after the key, each holder deals [ShamirShare]s
//     ([KeyHolder.GenShamirShares], [KeyHolder.SetShamirShares]); any T
//     holders then decrypt, naming the decryption set.
//   - Statistics: [Moments] encodes (count, sum, sum of squares) so that
//     [MomentSums] gives mean and variance from sums alone.
//   - Over a network: [RunHub] and [RunSpoke] drive a round over a star
//     mesh (hub = aggregator); [RunInProcess] runs one in a process.
//
// Keys, ciphertexts and shares are bound to the *Params that made or
// decoded them; parties in different processes build their Params from the
// same Config (construction is deterministic) and exchange bytes.
//
// Vectors of any length are split across as many ciphertexts as needed. All
// messages crossing the network have a binary form (MarshalBinary /
// UnmarshalBinary, bound to a Params through its NewXxx constructor) whose
// decoder checks kind, parameters, exact size, lengths and that every
// coefficient is reduced.
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
// A single key with few parties encrypts at level 0 (one prime, 16 bytes a
// BGV slot); a collective key needs level 1 or more, because its smudging
// noise (2^40 times the aggregate noise) needs room: a single 60-bit prime
// leaves Q/(2t) ~ 2^18 with t ~ 2^41.
//
// # Noise budget
//
// Per coefficient, with 8-sigma tails: a fresh encryption's noise under a key
// of K holders is at most 8 sqrt((K h + 1)/12) + 1 (h the secret's Hamming
// weight; the P prime divides the rest away), an aggregate's at most
// MaxWeight times that, and each of the D decryptors adds uniform smudging
// in [-2^s, 2^s) with s = lambda + log2(aggregate bound), plus a small key
// switching error. BGV decrypts correctly when the total stays below
// Q/(2t); CKKS when sqrt(N) x 8 x total / Δ is below half the requested
// precision (the other half covers the encoding) and Δ x MaxWeight x RealBound plus that error stays below Q/2.
// [Params.Budget] shows every term. The test suite shows the check refusing
// the configuration that lattigo silently decrypts wrong (a 42-bit modulus
// with 2^30 smudging).
//
// # Security model
//
// Semi-honest (honest but curious) parties; the lattice parameters give
// 128-bit computational security (HE standard), smudging gives lambda = 40
// bits of statistical security per coefficient by default.
//
//   - Clients learn nothing from the ciphertexts of others. The aggregator
//     (hub) sees only ciphertexts and their sizes, who sent and when.
//   - N-of-N: the secret key is the sum of N shares; any N-1 colluding key
//     holders (with the aggregator) learn nothing about the inputs. Every
//     holder is needed to decrypt: one dropout blocks decryption.
//   - T-of-N: any T-1 colluding holders learn nothing; any T decrypt, so up
//     to N-T holders may drop after key generation. Key generation and
//     dealing need all N.
//   - Smudging: a decryption share s_i c1 + e_i would leak, through the
//     decrypted noise, information on the secret-key shares and on the
//     encryption randomness; the uniform smudging noise (2^lambda times the
//     bound on that noise) makes what the decryptor(s) see statistically
//     close (2^-lambda per coefficient) to a function of the sum alone.
//   - Each decryption share spends smudging: a holder answers at most
//     N-T+1 decryption requests per round in the runner (every retry drops
//     a holder), so the statistical distance stays below
//     (N-T+1) x N x 2^-lambda per ciphertext.
//   - Who learns the result: with collective decryption, whoever combines
//     the shares (the hub in [RunHub], which then sends the sums to every
//     spoke); with re-encryption, only the analyst.
//   - The runner relays threshold dealing end to end encrypted (X25519,
//     HKDF-SHA256, AES-GCM) through the hub, which is trusted to relay the
//     holders' public keys faithfully (semi-honest). Clients that never send
//     are left out when the collection window closes and are reported; their
//     absence is visible to everyone who sees the result.
//   - Not covered: malicious parties (a client may encrypt anything within
//     the format; a holder may send a wrong share), differential privacy of
//     the released sums (add noise with package dp before release).
package he
