package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/veil-go/veil/dp"
)

func openTemp(t *testing.T) (*Ledger, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := Open(context.Background(), Config{DSN: path})
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l, path
}

// raw opens the ledger's file directly, as someone editing it outside the
// ledger would.
func raw(t *testing.T, path string) *sql.DB {
	db, err := sql.Open(DefaultDriver, path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func fill(t *testing.T, l *Ledger) {
	ctx := context.Background()
	ps := identities(t, 2)
	require.NoError(t, l.SetBudget(ctx, "customers", 1, 1e-6))
	for range 3 {
		require.NoError(t, l.Spend(ctx, "customers", 0.25, 1e-7))
	}
	_, err := l.AppendReceipt(ctx, signAll(t, sampleReceipt(t, ps), ps))
	require.NoError(t, err)
	require.NoError(t, l.SetBudget(ctx, "orders", 2, 0))
}

func TestLedgerChain(t *testing.T) {
	ctx := context.Background()
	l, path := openTemp(t)
	fill(t, l)
	head, err := l.Verify(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 6, head.Seq)
	es, err := l.Entries(ctx)
	require.NoError(t, err)
	require.Len(t, es, 6)
	require.Equal(t, KindReceipt, es[4].Kind)
	var s SignedReceipt
	require.NoError(t, s.UnmarshalBinary(es[4].Body))
	require.NoError(t, s.Verify(identities(t, 1)[0]))
	require.NoError(t, l.Close())

	// Reopening verifies the chain.
	l2, err := Open(ctx, Config{DSN: path})
	require.NoError(t, err)
	require.NoError(t, l2.CheckHead(ctx, head))
	bs, err := l2.Budgets(ctx)
	require.NoError(t, err)
	require.Equal(t, []BudgetStatus{
		{Dataset: "customers", Epsilon: 1, Delta: 1e-6, SpentEpsilon: 0.75, SpentDelta: 3e-7, RemainingEpsilon: 0.25, RemainingDelta: 7e-7, Spends: 3},
		{Dataset: "orders", Epsilon: 2, RemainingEpsilon: 2},
	}, bs)
	require.NoError(t, l2.Close())

	for name, tc := range map[string]struct {
		sql  string
		want string
	}{
		"modified amount": {`UPDATE veil_ledger SET epsilon = 0.125 WHERE seq = 3`, "entry 3 does not match its hash"},
		// Every column enters the hash: a spend moved to another dataset,
		// turned into a budget, back-dated out of a policy's window, or
		// its delta changed.
		"modified dataset": {`UPDATE veil_ledger SET dataset = 'orders' WHERE seq = 3`, "entry 3 does not match its hash"},
		"modified kind":    {`UPDATE veil_ledger SET kind = 'budget' WHERE seq = 3`, "entry 3 does not match its hash"},
		"modified time":    {`UPDATE veil_ledger SET at = at - 1 WHERE seq = 3`, "entry 3 does not match its hash"},
		"modified delta":   {`UPDATE veil_ledger SET delta = 0 WHERE seq = 3`, "entry 3 does not match its hash"},
		"modified receipt": {`UPDATE veil_ledger SET body = CAST(replace(CAST(body AS TEXT), 'customers', 'cUstomers') AS BLOB) WHERE seq = 5`, "entry 5 does not match its hash"},
		"deleted spend":    {`DELETE FROM veil_ledger WHERE seq = 2`, "entry 3 follows entry 1"},
		"renumbered":       {`DELETE FROM veil_ledger WHERE seq = 4; UPDATE veil_ledger SET seq = seq - 1 WHERE seq > 4`, "entry 4 does not link to entry 3"},
		"rehashed":         {`UPDATE veil_ledger SET hash = zeroblob(32) WHERE seq = 2`, "entry 2 does not match its hash"},
	} {
		t.Run(name, func(t *testing.T) {
			copyPath := filepath.Join(t.TempDir(), "copy.db")
			copyFile(t, path, copyPath)
			db := raw(t, copyPath)
			for _, stmt := range strings.Split(tc.sql, "; ") {
				_, err := db.Exec(stmt)
				require.NoError(t, err)
			}
			require.NoError(t, db.Close())
			_, err := Open(ctx, Config{DSN: copyPath})
			require.ErrorIs(t, err, ErrChainBroken)
			require.Contains(t, err.Error(), tc.want)
		})
	}

	// An entry rewritten with its hash recomputed, and the next one linked
	// to it: the next entry's hash covers its link, so the chain breaks
	// there, and the head (which every later hash depends on) would change.
	t.Run("relinked", func(t *testing.T) {
		copyPath := filepath.Join(t.TempDir(), "copy.db")
		copyFile(t, path, copyPath)
		e := es[1]
		e.Epsilon = 0.125
		h := e.computeHash()
		db := raw(t, copyPath)
		_, err := db.Exec(`UPDATE veil_ledger SET epsilon = ?, hash = ? WHERE seq = 2`, e.Epsilon, h[:])
		require.NoError(t, err)
		_, err = db.Exec(`UPDATE veil_ledger SET prev = ? WHERE seq = 3`, h[:])
		require.NoError(t, err)
		require.NoError(t, db.Close())
		_, err = Open(ctx, Config{DSN: copyPath})
		require.ErrorIs(t, err, ErrChainBroken)
		require.Contains(t, err.Error(), "entry 3 does not match its hash")
	})

	t.Run("truncated tail", func(t *testing.T) {
		copyPath := filepath.Join(t.TempDir(), "copy.db")
		copyFile(t, path, copyPath)
		db := raw(t, copyPath)
		_, err := db.Exec(`DELETE FROM veil_ledger WHERE seq = 6`)
		require.NoError(t, err)
		require.NoError(t, db.Close())
		l, err := Open(ctx, Config{DSN: copyPath}) // the chain alone cannot tell
		require.NoError(t, err)
		defer l.Close()
		err = l.CheckHead(ctx, head)
		require.ErrorIs(t, err, ErrChainBroken)
		require.Contains(t, err.Error(), "truncated")
	})
}

func copyFile(t *testing.T, from, to string) {
	// The ledger is closed: its WAL is checkpointed into the main file.
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, 0o600))
}

func TestCorruptFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	junk := []byte(strings.Repeat("not a database ", 512))
	require.NoError(t, os.WriteFile(path, junk, 0o600))
	_, err := Open(context.Background(), Config{DSN: path})
	require.Error(t, err)
	require.Contains(t, err.Error(), path)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, junk, after, "the file is left as it was, never reset")
}

func TestBudget(t *testing.T) {
	ctx := context.Background()
	l, _ := openTemp(t)
	require.ErrorIs(t, l.Spend(ctx, "none", 0.1, 0), ErrBudgetExceeded, "no budget, nothing to spend")
	require.NoError(t, l.SetBudget(ctx, "d", 1, 1e-6))
	require.NoError(t, l.Spend(ctx, "d", 0.5, 5e-7))
	err := l.Spend(ctx, "d", 0.75, 0)
	require.ErrorIs(t, err, ErrBudgetExceeded)
	require.ErrorIs(t, err, dp.ErrBudgetExceeded)
	require.Contains(t, err.Error(), `"d"`)
	require.ErrorIs(t, l.Spend(ctx, "d", 0, 6e-7), ErrBudgetExceeded, "delta counts too")
	require.NoError(t, l.Spend(ctx, "d", 0.5, 5e-7), "exactly the rest fits")
	eps, delta, ok, err := l.Remaining(ctx, "d")
	require.NoError(t, err)
	require.True(t, ok)
	require.Zero(t, eps)
	require.Zero(t, delta)
	for _, bad := range [][2]float64{{-1, 0}, {0, 1}, {0, -0.5}} {
		require.ErrorIs(t, l.Spend(ctx, "d", bad[0], bad[1]), ErrInvalidParams)
	}
	es, err := l.Entries(ctx)
	require.NoError(t, err)
	require.Len(t, es, 3, "refused spends are not recorded")
}

// TestDPReleaseSpendsFromLedger: a dp mechanism given a dataset's budget
// spends from the durable budget and releases nothing once it is used up.
func TestDPReleaseSpendsFromLedger(t *testing.T) {
	ctx := context.Background()
	l, path := openTemp(t)
	require.NoError(t, l.SetBudget(ctx, "salaries", 2, 0))
	lap, err := dp.NewLaplace(dp.LaplaceConfig{Epsilon: 1, Sensitivity: 1, Budget: l.Budget("salaries")})
	require.NoError(t, err)
	for range 2 {
		_, err := lap.AddNoise(10)
		require.NoError(t, err)
	}
	_, err = lap.AddNoise(10)
	require.ErrorIs(t, err, dp.ErrBudgetExceeded)
	require.NoError(t, l.Close())

	// Durable: a new process (here, a new Ledger) sees the budget spent.
	l2, err := Open(ctx, Config{DSN: path})
	require.NoError(t, err)
	defer l2.Close()
	lap2, err := dp.NewLaplace(dp.LaplaceConfig{Epsilon: 1, Sensitivity: 1, Budget: l2.Budget("salaries")})
	require.NoError(t, err)
	_, err = lap2.AddNoise(10)
	require.ErrorIs(t, err, dp.ErrBudgetExceeded)
}

const (
	runs     = 5
	runEps   = 0.25
	runDelta = 0x1p-27 // exact in binary: the sums are exact, so the budget holds exactly runs spends
)

func TestConcurrentSpendsGoroutines(t *testing.T) {
	ctx := context.Background()
	l, _ := openTemp(t)
	require.NoError(t, l.SetBudget(ctx, "d", runs*runEps, runs*runDelta))
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			err := l.Spend(ctx, "d", runEps, runDelta)
			if err == nil {
				ok.Add(1)
			} else if !strings.Contains(err.Error(), "exceeds its budget") {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, runs, ok.Load())
	_, err := l.Verify(ctx)
	require.NoError(t, err)
}

// TestConcurrentSpendsProcesses runs several processes (this test binary,
// in TestHelperSpender) that spend from one ledger file at once: exactly
// `runs` spends succeed among them all.
func TestConcurrentSpendsProcesses(t *testing.T) {
	ctx := context.Background()
	l, path := openTemp(t)
	require.NoError(t, l.SetBudget(ctx, "d", runs*runEps, runs*runDelta))
	const procs, each = 4, 4
	var wg sync.WaitGroup
	results := make([]int, procs)
	errs := make([]error, procs)
	for p := range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSpender$", "-test.count=1")
			cmd.Env = append(os.Environ(), "VEIL_LEDGER_HELPER="+path, "VEIL_LEDGER_HELPER_N="+strconv.Itoa(each))
			out, err := cmd.CombinedOutput()
			if err != nil {
				errs[p] = fmt.Errorf("helper: %w\n%s", err, out)
				return
			}
			for _, line := range strings.Split(string(out), "\n") {
				if v, found := strings.CutPrefix(line, "spent="); found {
					results[p], errs[p] = strconv.Atoi(strings.TrimSpace(v))
					return
				}
			}
			errs[p] = fmt.Errorf("helper printed no result:\n%s", out)
		})
	}
	wg.Wait()
	total := 0
	for p := range procs {
		require.NoError(t, errs[p])
		total += results[p]
	}
	require.Equal(t, runs, total, "exactly %d of %d spends across %d processes", runs, procs*each, procs)
	_, err := l.Verify(ctx)
	require.NoError(t, err)
	eps, _, _, err := l.Remaining(ctx, "d")
	require.NoError(t, err)
	require.Zero(t, eps)
}

// TestHelperSpender is the child of TestConcurrentSpendsProcesses; it does
// nothing unless VEIL_LEDGER_HELPER names a ledger file.
func TestHelperSpender(t *testing.T) {
	path := os.Getenv("VEIL_LEDGER_HELPER")
	if path == "" {
		t.Skip("helper process for TestConcurrentSpendsProcesses")
	}
	n, err := strconv.Atoi(os.Getenv("VEIL_LEDGER_HELPER_N"))
	require.NoError(t, err)
	l, err := Open(context.Background(), Config{DSN: path})
	require.NoError(t, err)
	defer l.Close()
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			err := l.Spend(context.Background(), "d", runEps, runDelta)
			if err == nil {
				ok.Add(1)
			} else if !strings.Contains(err.Error(), "exceeds its budget") {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	fmt.Printf("spent=%d\n", ok.Load())
}

// TestSQLiteSettings: every connection of the pool runs in WAL mode with
// synchronous=FULL (2), so that a commit is durable when it returns.
func TestSQLiteSettings(t *testing.T) {
	l, _ := openTemp(t)
	ctx := context.Background()
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		c, err := l.db.Conn(ctx)
		require.NoError(t, err)
		defer c.Close()
		conns[i] = c
		var mode string
		var sync int
		require.NoError(t, c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
		require.NoError(t, c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync))
		require.Equal(t, "wal", mode)
		require.Equal(t, 2, sync)
	}
}

// TestKilledProcessNeverUnderCounts kills a process that spends in a loop
// at several points (SIGKILL, no chance to clean up): the ledger it leaves
// opens, verifies, and holds at least every spend the process reported as
// done (a spend is reported only after Spend returned, as a release would
// follow it). It does not simulate a power cut: the OS keeps what the
// process wrote; synchronous=FULL is what covers that (TestSQLiteSettings).
func TestKilledProcessNeverUnderCounts(t *testing.T) {
	ctx := context.Background()
	l, path := openTemp(t)
	require.NoError(t, l.SetBudget(ctx, "d", 1e6, 0))
	require.NoError(t, l.Close())
	before := 0 // spends in the ledger before this process
	for _, killAfter := range []int{1, 7, 23} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSpendLoop$", "-test.count=1")
		cmd.Env = append(os.Environ(), "VEIL_LEDGER_HELPER="+path)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		reported := 0
		buf := make([]byte, 0, 64)
		one := make([]byte, 1)
		for reported < killAfter {
			n, err := stdout.Read(one)
			require.NoError(t, err, "helper ended early")
			if n == 1 && one[0] == '\n' {
				if strings.HasPrefix(string(buf), "spent ") {
					reported++
				}
				buf = buf[:0]
			} else if n == 1 {
				buf = append(buf, one[0])
			}
		}
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()

		l, err := Open(ctx, Config{DSN: path})
		require.NoError(t, err, "the ledger a killed process leaves opens and verifies")
		bs, err := l.Budgets(ctx)
		require.NoError(t, err)
		require.NoError(t, l.Close())
		require.GreaterOrEqual(t, bs[0].Spends-before, reported, "every reported spend is in the ledger")
		t.Logf("killed after %d reported spends: the ledger holds %d more", reported, bs[0].Spends-before)
		before = bs[0].Spends // the next process continues the same file
	}
}

// TestHelperSpendLoop is the child of TestKilledProcessNeverUnderCounts.
func TestHelperSpendLoop(t *testing.T) {
	path := os.Getenv("VEIL_LEDGER_HELPER")
	if path == "" {
		t.Skip("helper process for TestKilledProcessNeverUnderCounts")
	}
	l, err := Open(context.Background(), Config{DSN: path})
	require.NoError(t, err)
	for i := 0; ; i++ {
		require.NoError(t, l.Spend(context.Background(), "d", 0.001, 0))
		fmt.Fprintf(os.Stdout, "spent %d\n", i)
	}
}

// TestDamagedFileIsAnError: a real ledger damaged on disk (one byte of a
// receipt changed in the file, or the file cut short) does not open: the
// error names the file, and the file is left as it was, never reset.
func TestDamagedFileIsAnError(t *testing.T) {
	ctx := context.Background()
	l, path := openTemp(t)
	fill(t, l)
	require.NoError(t, l.Close())
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	for name, damage := range map[string]func([]byte) []byte{
		"a byte of a receipt": func(b []byte) []byte {
			i := bytes.Index(b, []byte("window=4 batch=1024")) // the receipt's Params
			require.Positive(t, i)
			b[i] ^= 1
			return b
		},
		"cut short":    func(b []byte) []byte { return b[:len(b)/2] },
		"cut mid-page": func(b []byte) []byte { return b[:len(b)/2+100] },
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "damaged.db")
			bad := damage(bytes.Clone(good))
			require.NoError(t, os.WriteFile(p, bad, 0o600))
			_, err := Open(ctx, Config{DSN: p})
			require.Error(t, err)
			require.Contains(t, err.Error(), "damaged.db")
			if name == "a byte of a receipt" {
				require.ErrorIs(t, err, ErrChainBroken)
			}
			after, err := os.ReadFile(p)
			require.NoError(t, err)
			require.Equal(t, bad, after, "left as it was")
		})
	}
}
