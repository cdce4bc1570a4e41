package ledger

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const testPolicy = `{
  "version": 1,
  "rules": [
    {"name": "ids-bank-b", "dataset": "customers", "columns": ["ids"],
     "counterparties": ["bank-b"], "protocols": ["psi"], "modes": ["cardinality"]},
    {"name": "amount-shop-c", "dataset": "customers", "columns": ["ids", "amount"],
     "counterparties": ["shop-c"], "protocols": ["psi"], "modes": ["sum"],
     "min_intersection": 100, "max_epsilon": 1, "per": "720h"}
  ]
}`

func TestPolicyCheck(t *testing.T) {
	p, err := ParsePolicy("owner.json", []byte(testPolicy))
	require.NoError(t, err)
	ok := Request{Dataset: "customers", Columns: []string{"ids"}, Counterparty: "bank-b", Protocol: "psi", Mode: "cardinality"}
	r, err := p.Check(ok)
	require.NoError(t, err)
	require.Equal(t, "ids-bank-b", r.Name)

	for name, tc := range map[string]struct {
		mut  func(q *Request)
		want string
	}{
		"other mode":         {func(q *Request) { q.Mode = "intersection" }, `rule "ids-bank-b": mode "intersection" is not among`},
		"other column":       {func(q *Request) { q.Columns = []string{"ids", "amount"} }, `rule "ids-bank-b": column "amount"`},
		"other counterparty": {func(q *Request) { q.Counterparty = "shop-x" }, `no rule lets "shop-x" use dataset "customers"`},
		"other dataset":      {func(q *Request) { q.Dataset = "orders" }, `no rule lets "bank-b" use dataset "orders"`},
		"a DP release":       {func(q *Request) { q.Epsilon = 0.1 }, `no differentially private release`},
		"small intersection": {func(q *Request) {
			*q = Request{Dataset: "customers", Columns: []string{"amount"}, Counterparty: "shop-c", Protocol: "psi", Mode: "sum", MinIntersection: 10}
		}, `rule "amount-shop-c": the run must withhold its output below an intersection of 100`},
	} {
		q := ok
		tc.mut(&q)
		_, err := p.Check(q)
		require.ErrorIs(t, err, ErrPolicy, name)
		require.Contains(t, err.Error(), tc.want, name)
		require.Contains(t, err.Error(), "owner.json", name)
	}
}

// TestPolicyWindow: "epsilon at most 1 per 30 days" holds across runs,
// in the ledger's transaction.
func TestPolicyWindow(t *testing.T) {
	ctx := context.Background()
	p, err := ParsePolicy("owner.json", []byte(testPolicy))
	require.NoError(t, err)
	l, _ := openTemp(t)
	require.NoError(t, l.SetBudget(ctx, "customers", 10, 0))
	q := Request{Dataset: "customers", Columns: []string{"amount"}, Counterparty: "shop-c", Protocol: "psi", Mode: "sum", MinIntersection: 100, Epsilon: 0.5}
	for range 2 {
		_, err := p.Spend(ctx, l, q, 0)
		require.NoError(t, err)
	}
	_, err = p.Spend(ctx, l, q, 0)
	require.ErrorIs(t, err, ErrPolicy)
	require.Contains(t, err.Error(), `rule "amount-shop-c"`)
	eps, _, _, err := l.Remaining(ctx, "customers")
	require.NoError(t, err)
	require.Equal(t, 9.0, eps, "the refused run spent nothing")
}

func TestPolicyParseErrors(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"syntax":        {"{\n  \"version\": 1,\n  \"rules\": [\n    {\"name\": \"a\",, }\n  ]\n}", "owner.json:4:18:"},
		"type":          {"{\n  \"version\": \"one\"\n}", "owner.json:2:"},
		"unknown field": {"{\n  \"version\": 1,\n  \"rulez\": []\n}", `owner.json:3:`},
		"truncated":     {"{\n  \"version\": 1,\n", "owner.json:3:1:"},
		"no name":       {`{"version": 1, "rules": [{"dataset": "d", "counterparties": ["x"], "protocols": ["psi"]}]}`, `rule 1 "": invalid parameters: no name`},
		"bad per":       {`{"version": 1, "rules": [{"name": "r", "dataset": "d", "counterparties": ["x"], "protocols": ["psi"], "max_epsilon": 1, "per": "30 days"}]}`, `rule 1 "r"`},
		"version":       {`{"version": 2, "rules": []}`, "version 2"},
	} {
		_, err := ParsePolicy("owner.json", []byte(tc.text))
		require.ErrorIs(t, err, ErrInvalidParams, name)
		require.Contains(t, err.Error(), tc.want, "%s: %v", name, err)
		require.False(t, strings.Contains(err.Error(), "\n"), name)
	}
}
