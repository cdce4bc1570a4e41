package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the default driver, pure Go

	"github.com/veil-go/veil/dp"
)

var _ dp.Budget = (*DatasetBudget)(nil)

// DefaultDriver is the database/sql driver a [Config] with no Driver uses:
// modernc.org/sqlite, SQLite in pure Go (no cgo).
const DefaultDriver = "sqlite"

// Kinds of ledger entries.
const (
	// KindBudget sets a dataset's total budget (Epsilon, Delta); the latest
	// one counts.
	KindBudget = "budget"
	// KindSpend records (Epsilon, Delta) spent from a dataset.
	KindSpend = "spend"
	// KindReceipt records a signed receipt (Body is its encoding).
	KindReceipt = "receipt"
)

const entryLabel = "veil/ledger entry v1\x00"

// Config says where a ledger lives.
type Config struct {
	// Driver is the database/sql driver name; "" is [DefaultDriver].
	// Another driver must accept the SQL the ledger uses (SQLite's
	// dialect with ? placeholders) and serializable transactions.
	Driver string
	// DSN is the data source. For the default driver it is a file path or
	// a "file:" URI; Open adds the pragmas the ledger relies on (WAL
	// journal, synchronous=FULL so that a commit is on disk before it
	// returns, a busy timeout) and immediate transactions, so that a spend
	// takes the write lock before it reads what was spent. Other drivers
	// get the DSN as it is.
	DSN string
	// BusyTimeout is how long the default driver waits for another
	// process's write lock; 0 is 30 s.
	BusyTimeout time.Duration
}

// Ledger is an append-only, hash-chained log of budgets, spends and
// receipts in a database. Every entry carries the SHA-256 of its content
// and of the previous entry's hash ([Entry.Hash]), so that changing or
// deleting a row breaks the chain ([Ledger.Verify]). A Ledger is safe for
// concurrent use, and several processes may share one SQLite file.
type Ledger struct {
	db     *sql.DB
	driver string
	mu     sync.Mutex // serializes this process's writers (other processes: the database's lock)
}

// Entry is one row of the ledger.
type Entry struct {
	Seq     int64  // 1, 2, ... without gaps
	Kind    string // KindBudget, KindSpend or KindReceipt
	Dataset string // the dataset of a budget or spend; "" for a receipt
	Epsilon float64
	Delta   float64
	At      time.Time // when it was appended (nanoseconds, UTC)
	Body    []byte    // a receipt's encoding; a spend's note
	Prev    [DigestSize]byte
	Hash    [DigestSize]byte
}

func (e *Entry) computeHash() [DigestSize]byte {
	var w enc
	w.fixed([]byte(entryLabel))
	w.digest(e.Prev)
	w.i64(e.Seq)
	w.str(e.Kind)
	w.str(e.Dataset)
	w.f64(e.Epsilon)
	w.f64(e.Delta)
	w.i64(e.At.UnixNano())
	w.bytes(e.Body)
	return sha256.Sum256(w.b)
}

// Head is the last entry of a chain: its sequence number and hash. A party
// that keeps a head it saw (or publishes it) can later check that the
// ledger still extends it ([Ledger.CheckHead]): that is what detects a
// truncated tail, which the chain alone cannot.
type Head struct {
	Seq  int64
	Hash [DigestSize]byte
}

const schema = `CREATE TABLE IF NOT EXISTS veil_ledger (
	seq INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	dataset TEXT NOT NULL,
	epsilon REAL NOT NULL,
	delta REAL NOT NULL,
	at INTEGER NOT NULL,
	body BLOB NOT NULL,
	prev BLOB NOT NULL,
	hash BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS veil_ledger_dataset ON veil_ledger (dataset, kind, seq)`

// Open opens (or creates) the ledger cfg names and verifies its chain: a
// file that is not a ledger, or whose chain is broken, is an error (wrapping
// [ErrChainBroken] for the chain), never a fresh start.
func Open(ctx context.Context, cfg Config) (*Ledger, error) {
	driver, dsn := cfg.Driver, cfg.DSN
	if dsn == "" {
		return nil, invalid("ledger Config needs a DSN (for SQLite, a file path)")
	}
	if cfg.BusyTimeout < 0 {
		return nil, invalid("BusyTimeout must be >= 0, got %v", cfg.BusyTimeout)
	}
	if driver == "" {
		driver = DefaultDriver
		busy := cfg.BusyTimeout
		if busy == 0 {
			busy = 30 * time.Second
		}
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate", busy.Milliseconds())
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("ledger: open %q: %w", cfg.DSN, err)
	}
	l := &Ledger{db: db, driver: driver}
	if err := l.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger: open %q: %w", cfg.DSN, err)
	}
	if _, err := l.Verify(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger: open %q: %w", cfg.DSN, unprefixed{err})
	}
	return l, nil
}

// init creates the table and its index in a ledger that has none. A ledger
// that has them is only read: opening it costs no write (and, for SQLite,
// no sync to disk).
func (l *Ledger) init(ctx context.Context) error {
	var n int
	if err := l.db.QueryRowContext(ctx, `SELECT count(*) FROM veil_ledger WHERE seq = 0`).Scan(&n); err == nil {
		return nil
	}
	return l.write(ctx, func(tx *sql.Tx) error {
		for _, stmt := range strings.Split(schema, ";\n") {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close closes the database.
func (l *Ledger) Close() error { return l.db.Close() }

// write runs fn in one write transaction and commits it: for SQLite, an
// immediate transaction, which holds the write lock from its start, so that
// what fn reads is still true when it commits.
func (l *Ledger) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	opts := &sql.TxOptions{}
	if l.driver != DefaultDriver {
		opts.Isolation = sql.LevelSerializable
	}
	tx, err := l.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// appendTx appends e (Kind, Dataset, Epsilon, Delta, Body set) after the
// chain's last entry.
func appendTx(ctx context.Context, tx *sql.Tx, e *Entry) error {
	var last Entry
	var prev []byte
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM veil_ledger ORDER BY seq DESC LIMIT 1`).Scan(&last.Seq, &prev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	case len(prev) != DigestSize:
		return fmt.Errorf("%w: entry %d has a hash of %d bytes", ErrChainBroken, last.Seq, len(prev))
	default:
		copy(e.Prev[:], prev)
	}
	e.Seq = last.Seq + 1
	e.At = time.Unix(0, time.Now().UnixNano()).UTC()
	if e.Body == nil {
		e.Body = []byte{}
	}
	e.Hash = e.computeHash()
	_, err = tx.ExecContext(ctx, `INSERT INTO veil_ledger (seq, kind, dataset, epsilon, delta, at, body, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.Kind, e.Dataset, e.Epsilon, e.Delta, e.At.UnixNano(), e.Body, e.Prev[:], e.Hash[:])
	return err
}

// Entries returns the whole ledger in order.
func (l *Ledger) Entries(ctx context.Context) ([]Entry, error) {
	var out []Entry
	err := l.scan(ctx, func(e Entry) error { out = append(out, e); return nil })
	return out, err
}

func (l *Ledger) scan(ctx context.Context, fn func(Entry) error) error {
	rows, err := l.db.QueryContext(ctx, `SELECT seq, kind, dataset, epsilon, delta, at, body, prev, hash FROM veil_ledger ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("ledger: read: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Entry
		var at int64
		var prev, hash []byte
		if err := rows.Scan(&e.Seq, &e.Kind, &e.Dataset, &e.Epsilon, &e.Delta, &at, &e.Body, &prev, &hash); err != nil {
			return fmt.Errorf("ledger: %w: entry after %d does not read: %w", ErrChainBroken, e.Seq, err)
		}
		if len(prev) != DigestSize || len(hash) != DigestSize {
			return fmt.Errorf("ledger: %w: entry %d: hash or prev of the wrong size", ErrChainBroken, e.Seq)
		}
		copy(e.Prev[:], prev)
		copy(e.Hash[:], hash)
		e.At = time.Unix(0, at).UTC()
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ledger: read: %w", err)
	}
	return nil
}

// Verify walks the whole chain: the entries are numbered 1, 2, ... without
// gaps, each one's Prev is the previous one's Hash, each one's Hash is that
// of its content, each amount is finite and non-negative, and each receipt
// decodes. It returns the head. A failure wraps [ErrChainBroken] and names
// the entry: a modified row, a deleted one (a gap), one inserted.
//
// The chain does not show a truncated tail (the last entries deleted):
// compare with a head kept elsewhere ([Ledger.CheckHead]).
func (l *Ledger) Verify(ctx context.Context) (Head, error) {
	var h Head
	err := l.scan(ctx, func(e Entry) error {
		switch {
		case e.Seq != h.Seq+1:
			return fmt.Errorf("ledger: %w: entry %d follows entry %d (entries deleted or renumbered)", ErrChainBroken, e.Seq, h.Seq)
		case e.Prev != h.Hash:
			return fmt.Errorf("ledger: %w: entry %d does not link to entry %d's hash", ErrChainBroken, e.Seq, h.Seq)
		case e.computeHash() != e.Hash:
			return fmt.Errorf("ledger: %w: entry %d does not match its hash (modified)", ErrChainBroken, e.Seq)
		case checkAmount(e.Epsilon) != nil || checkAmount(e.Delta) != nil:
			return fmt.Errorf("ledger: %w: entry %d has amounts (%v, %v)", ErrChainBroken, e.Seq, e.Epsilon, e.Delta)
		}
		switch e.Kind {
		case KindBudget, KindSpend:
			if e.Dataset == "" {
				return fmt.Errorf("ledger: %w: entry %d: %s without a dataset", ErrChainBroken, e.Seq, e.Kind)
			}
		case KindReceipt:
			var s SignedReceipt
			if err := s.UnmarshalBinary(e.Body); err != nil {
				return fmt.Errorf("ledger: %w: entry %d: %w", ErrChainBroken, e.Seq, err)
			}
		default:
			return fmt.Errorf("ledger: %w: entry %d has kind %q", ErrChainBroken, e.Seq, e.Kind)
		}
		h = Head{Seq: e.Seq, Hash: e.Hash}
		return nil
	})
	if err != nil {
		return Head{}, err
	}
	return h, nil
}

// CheckHead verifies the chain and checks that it still contains h: the
// entry numbered h.Seq has hash h.Hash. A ledger cut back below a head seen
// earlier, or rewritten from it on, fails with [ErrChainBroken].
func (l *Ledger) CheckHead(ctx context.Context, h Head) error {
	head, err := l.Verify(ctx)
	if err != nil {
		return err
	}
	if h.Seq == 0 {
		return nil
	}
	if head.Seq < h.Seq {
		return fmt.Errorf("ledger: %w: the ledger ends at entry %d, before the known head %d (truncated)", ErrChainBroken, head.Seq, h.Seq)
	}
	var hash []byte
	if err := l.db.QueryRowContext(ctx, `SELECT hash FROM veil_ledger WHERE seq = ?`, h.Seq).Scan(&hash); err != nil {
		return fmt.Errorf("ledger: read entry %d: %w", h.Seq, err)
	}
	if !bytes.Equal(hash, h.Hash[:]) {
		return fmt.Errorf("ledger: %w: entry %d is not the known head (rewritten)", ErrChainBroken, h.Seq)
	}
	return nil
}

// AppendReceipt records a signed receipt. Verify it first
// ([SignedReceipt.Verify]); the ledger stores what it is given.
func (l *Ledger) AppendReceipt(ctx context.Context, s *SignedReceipt) (Entry, error) {
	b, err := s.MarshalBinary()
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Kind: KindReceipt, Body: b}
	if err := l.write(ctx, func(tx *sql.Tx) error { return appendTx(ctx, tx, &e) }); err != nil {
		return Entry{}, fmt.Errorf("ledger: append receipt: %w", err)
	}
	return e, nil
}

// SetBudget sets dataset's total budget to (epsilon, delta), epsilon >= 0
// and delta in [0, 1). What was spent before still counts against it.
func (l *Ledger) SetBudget(ctx context.Context, dataset string, epsilon, delta float64) error {
	if err := checkSpend(dataset, epsilon, delta); err != nil {
		return err
	}
	e := Entry{Kind: KindBudget, Dataset: dataset, Epsilon: epsilon, Delta: delta}
	if err := l.write(ctx, func(tx *sql.Tx) error { return appendTx(ctx, tx, &e) }); err != nil {
		return fmt.Errorf("ledger: set budget of %q: %w", dataset, err)
	}
	return nil
}

func checkSpend(dataset string, epsilon, delta float64) error {
	if dataset == "" {
		return invalid("dataset name is empty")
	}
	if checkAmount(epsilon) != nil {
		return invalid("epsilon must be finite and >= 0, got %v", epsilon)
	}
	if checkAmount(delta) != nil || delta >= 1 {
		return invalid("delta must be in [0, 1), got %v", delta)
	}
	return nil
}

// Spend spends (epsilon, delta) from dataset's budget under basic
// composition: it is accepted when the exact sums of all spends, this one
// included, stay within the budget's epsilon and delta, and it is committed
// to the database (on disk, for SQLite) before Spend returns. Otherwise
// nothing is spent and the error wraps [ErrBudgetExceeded]; a dataset
// without a budget has none to spend. Spends on one dataset serialize, in
// this process and across processes sharing the database.
func (l *Ledger) Spend(ctx context.Context, dataset string, epsilon, delta float64) error {
	return l.SpendNote(ctx, dataset, epsilon, delta, nil)
}

// SpendNote is [Ledger.Spend] with a note stored in the entry's Body (what
// the spend was for).
func (l *Ledger) SpendNote(ctx context.Context, dataset string, epsilon, delta float64, note []byte) error {
	return l.spend(ctx, dataset, epsilon, delta, note, nil)
}

// window limits the epsilon spent on a dataset since a time (a policy rule).
type window struct {
	since time.Time
	max   float64
	rule  string
}

func (l *Ledger) spend(ctx context.Context, dataset string, epsilon, delta float64, note []byte, w *window) error {
	if err := checkSpend(dataset, epsilon, delta); err != nil {
		return err
	}
	e := Entry{Kind: KindSpend, Dataset: dataset, Epsilon: epsilon, Delta: delta, Body: bytes.Clone(note)}
	err := l.write(ctx, func(tx *sql.Tx) error {
		st, err := state(ctx, tx, dataset)
		if err != nil {
			return err
		}
		if !st.set {
			return fmt.Errorf("%w: dataset %q has no budget", ErrBudgetExceeded, dataset)
		}
		eps := new(big.Rat).Add(st.epsSpent, new(big.Rat).SetFloat64(epsilon))
		del := new(big.Rat).Add(st.deltaSpent, new(big.Rat).SetFloat64(delta))
		if eps.Cmp(new(big.Rat).SetFloat64(st.eps)) > 0 || del.Cmp(new(big.Rat).SetFloat64(st.delta)) > 0 {
			se, _ := st.epsSpent.Float64()
			sd, _ := st.deltaSpent.Float64()
			return fmt.Errorf("%w: spending (%v, %v) from %q on top of (%v, %v) exceeds its budget (%v, %v)",
				ErrBudgetExceeded, epsilon, delta, dataset, se, sd, st.eps, st.delta)
		}
		if w != nil {
			var inWindow []float64
			rows, err := tx.QueryContext(ctx, `SELECT epsilon FROM veil_ledger WHERE dataset = ? AND kind = ? AND at >= ?`, dataset, KindSpend, w.since.UnixNano())
			if err != nil {
				return err
			}
			for rows.Next() {
				var v float64
				if err := rows.Scan(&v); err != nil {
					rows.Close()
					return err
				}
				inWindow = append(inWindow, v)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			sum := new(big.Rat).SetFloat64(epsilon)
			for _, v := range inWindow {
				sum.Add(sum, new(big.Rat).SetFloat64(v))
			}
			if sum.Cmp(new(big.Rat).SetFloat64(w.max)) > 0 {
				got, _ := sum.Float64()
				return fmt.Errorf("%w: rule %q: epsilon %v on %q since %s would exceed the rule's %v",
					ErrPolicy, w.rule, got, dataset, w.since.UTC().Format(time.RFC3339), w.max)
			}
		}
		return appendTx(ctx, tx, &e)
	})
	if err != nil {
		return fmt.Errorf("ledger: spend: %w", err)
	}
	return nil
}

type budgetState struct {
	set                  bool
	eps, delta           float64 // the budget
	epsSpent, deltaSpent *big.Rat
	spends               int
}

func state(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, dataset string) (budgetState, error) {
	st := budgetState{epsSpent: new(big.Rat), deltaSpent: new(big.Rat)}
	rows, err := q.QueryContext(ctx, `SELECT kind, epsilon, delta FROM veil_ledger WHERE dataset = ? ORDER BY seq`, dataset)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var eps, delta float64
		if err := rows.Scan(&kind, &eps, &delta); err != nil {
			return st, err
		}
		if checkAmount(eps) != nil || checkAmount(delta) != nil {
			return st, fmt.Errorf("%w: dataset %q has an entry with amounts (%v, %v)", ErrChainBroken, dataset, eps, delta)
		}
		switch kind {
		case KindBudget:
			st.set, st.eps, st.delta = true, eps, delta
		case KindSpend:
			st.spends++
			st.epsSpent.Add(st.epsSpent, new(big.Rat).SetFloat64(eps))
			st.deltaSpent.Add(st.deltaSpent, new(big.Rat).SetFloat64(delta))
		}
	}
	return st, rows.Err()
}

// Remaining returns what is left of dataset's budget (rounded to float64),
// and false when it has none.
func (l *Ledger) Remaining(ctx context.Context, dataset string) (epsilon, delta float64, ok bool, err error) {
	st, err := state(ctx, l.db, dataset)
	if err != nil {
		return 0, 0, false, fmt.Errorf("ledger: remaining budget of %q: %w", dataset, err)
	}
	if !st.set {
		return 0, 0, false, nil
	}
	e := new(big.Rat).Sub(new(big.Rat).SetFloat64(st.eps), st.epsSpent)
	d := new(big.Rat).Sub(new(big.Rat).SetFloat64(st.delta), st.deltaSpent)
	epsilon, _ = e.Float64()
	delta, _ = d.Float64()
	return max(epsilon, 0), max(delta, 0), true, nil
}

// DatasetBudget is one dataset's budget in a ledger, as a [dp.Budget]: a
// release through package dp spends from the durable budget.
type DatasetBudget struct {
	l       *Ledger
	dataset string
}

// Budget returns dataset's budget as a [dp.Budget].
func (l *Ledger) Budget(dataset string) *DatasetBudget {
	return &DatasetBudget{l: l, dataset: dataset}
}

// Spend implements [dp.Budget] with [Ledger.Spend].
func (b *DatasetBudget) Spend(epsilon, delta float64) error {
	return b.l.Spend(context.Background(), b.dataset, epsilon, delta)
}

// BudgetStatus is one dataset's budget, spent and remaining (rounded to
// float64).
type BudgetStatus struct {
	Dataset                  string
	Epsilon, Delta           float64 // the budget
	SpentEpsilon, SpentDelta float64
	RemainingEpsilon         float64
	RemainingDelta           float64
	Spends                   int
}

// Budgets returns the status of every dataset that has a budget, by name.
func (l *Ledger) Budgets(ctx context.Context) ([]BudgetStatus, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT DISTINCT dataset FROM veil_ledger WHERE kind = ? ORDER BY dataset`, KindBudget)
	if err != nil {
		return nil, fmt.Errorf("ledger: budgets: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("ledger: budgets: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: budgets: %w", err)
	}
	out := make([]BudgetStatus, 0, len(names))
	for _, n := range names {
		st, err := state(ctx, l.db, n)
		if err != nil {
			return nil, fmt.Errorf("ledger: budgets: %w", err)
		}
		b := BudgetStatus{Dataset: n, Epsilon: st.eps, Delta: st.delta, Spends: st.spends}
		b.SpentEpsilon, _ = st.epsSpent.Float64()
		b.SpentDelta, _ = st.deltaSpent.Float64()
		re, _ := new(big.Rat).Sub(new(big.Rat).SetFloat64(st.eps), st.epsSpent).Float64()
		rd, _ := new(big.Rat).Sub(new(big.Rat).SetFloat64(st.delta), st.deltaSpent).Float64()
		b.RemainingEpsilon, b.RemainingDelta = max(re, 0), max(rd, 0)
		out = append(out, b)
	}
	return out, nil
}

// unprefixed is err without its "ledger: ", for an error that names the
// package already.
type unprefixed struct{ err error }

func (u unprefixed) Error() string { return strings.TrimPrefix(u.err.Error(), "ledger: ") }
func (u unprefixed) Unwrap() error { return u.err }
