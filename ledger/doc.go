// Package ledger records who computed what with whose data: signed
// receipts of protocol runs, and a durable, hash-chained ledger of them and
// of the privacy budget each dataset has spent.
//
// It sits above the protocol packages (he, mpc, mpc/secagg, psi) and
// records their results; none of them imports it.
//
// # Receipts
//
// A [Receipt] holds the protocol and its version, the run's public
// parameters and security model, the parties (certificate name and
// fingerprint, role, a commitment to its input, its [report.Stats]), a
// [Transcript] hash (BLAKE3) of the messages exchanged, what each party
// learned (the result's [report.Leakage]), the budget spent per dataset,
// and the run's start and end. Its encoding is canonical, so every party
// that builds the same receipt gets the same bytes and the same
// [Receipt.Digest].
//
// A party commits to its input with [Commit]: a salted SHA-256 whose
// 32-byte salt ([Opening]) the party keeps; [Commitment.Verify] later shows
// what it contributed. [SetEncoding] is a canonical encoding of a set.
//
// In the last step of a run every party signs the receipt's digest with
// its [transport.Identity] and sends its signature to the others
// ([Exchange], or [ExchangeConn] for two parties), so that each ends with
// the [SignedReceipt] signed by all. The protocol runners do not build
// receipts yet: the caller fills one from the run's result and gets the
// transcript hash by wrapping its connection with [Transcript.Conn].
// [SignedReceipt.Verify] checks every signature against a CA; an error
// names the party and what failed (a missing signature, a certificate the
// CA did not issue, a certificate that is not the party's, a signature
// that does not match the bytes).
//
// # Ledger
//
// A [Ledger] is an append-only table of [Entry] rows, each holding the
// SHA-256 of its content and of the previous row's hash. By default it is
// an SQLite file (modernc.org/sqlite, pure Go) in WAL mode with
// synchronous=FULL; [Config] names another database/sql driver and DSN.
// [Open] verifies the chain and refuses a file that is not a ledger or
// whose chain is broken; it never starts a fresh one in its place.
//
// A dataset's budget is set with [Ledger.SetBudget]; [Ledger.Spend] spends
// from it under basic composition (exact sums, as [dp.Accountant]) in one
// immediate transaction, which takes the database's write lock before it
// reads what was spent: spends on one ledger serialize across goroutines
// and processes, and a spend is on disk before Spend returns. A spend that
// would exceed the budget spends nothing and fails with an error wrapping
// [ErrBudgetExceeded]. [Ledger.Budget] is a dataset's budget as a
// [dp.Budget], so a release through package dp spends from the ledger
// before it draws any noise.
//
// # Usage policies
//
// A data owner states who may do what with its datasets in a JSON file
// ([Policy], [LoadPolicy]): per dataset and columns, which counterparties
// (certificate names) may run which protocols and modes, with a minimum
// intersection size the run must enforce and an epsilon limit per run or
// per window of time. [Policy.Check] refuses a run no rule allows, naming
// the rule and the condition; [Policy.Spend] also spends the run's epsilon,
// checking the window in the same transaction. Call them before a run sends
// its first message (examples/psi does with -policy); the protocol runners
// do not call them.
//
// # Security model
//
// Parties and trust. Each party keeps its own ledger and trusts it as it
// trusts its own disk: the ledger is a record kept by its owner, not a
// shared or Byzantine-tolerant log. The parties trust a common CA to bind
// certificate names to keys, as the transport does.
//
// What a signed receipt proves. That every named party, holding the key of
// the certificate the CA issued to that name, signed these exact bytes:
// the parameters, the costs, the leakage statement, the spends, the
// commitments and the transcript hash. A party cannot later deny having
// signed it, and no party can alter it alone. Two parties' transcript
// hashes agree only if they saw the same messages on their link.
//
// What it does not prove. That the run was correct or that the statements
// in it are true: the receipt records what the parties' code said (a
// malicious party may sign a false Stats or a false commitment, which the
// others cannot check). The commitment hides the input (the salt has 256
// bits) and binds the owner only to the bytes it committed; nothing checks
// that they are the input the party actually used. The transcript hash in
// a mesh covers only the links the party saw. Signatures do not prove
// when the run happened: Start and End are the parties' clocks.
//
// What the chain detects. A row modified, inserted or deleted in the middle
// of the ledger, at the next [Ledger.Verify] (and at every [Open]). Not a
// truncated tail or a ledger rewritten from some row on by someone with
// write access to the file: compare with a [Head] kept elsewhere
// ([Ledger.CheckHead]). Edits made while a ledger is open are seen at the
// next Verify, not by each Spend.
//
// Budgets. A crash never under-counts: a spend is committed before it
// returns, and the release it pays for happens after. A process killed
// between its spend and its release over-counts by that spend. The budget
// is only as safe as the file: whoever can write it can reset it (the chain
// shows that, as above).
//
// Faults. An [Exchange] whose peer crashes, goes silent or sends a garbled
// or different signature ends with an error naming the peer (or the
// caller's context error); it never returns a receipt missing a signature.
// Party 0 relays the signatures: it can withhold them (the others then fail)
// but cannot change or drop one unnoticed.
package ledger
