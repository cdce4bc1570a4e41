package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/veil-go/veil/mpc/secagg"
)

// secaggCases measure whole secure-aggregation rounds (all parties in this
// process, in-memory star) against the plain uint64 sum of the same
// vectors, for a growing number of clients, complete and sparse graph.
func secaggCases() []Case {
	const dim = 1000
	return []Case{
		{Group: "secagg", Name: fmt.Sprintf("round, complete graph, %d values per client", dim), Item: "values",
			Anchor:     "Bonawitz et al. CCS'17: 1.73x expansion for 2^10 users x 2^20 16-bit values",
			QuickSizes: []int{10}, FullSizes: []int{10, 50, 100, 200},
			Chart: "secagg", Series: "complete graph", Expect: 40 * time.Second,
			Setup: secaggSetup(dim, secagg.CompleteGraph)},
		{Group: "secagg", Name: fmt.Sprintf("round, SecAgg+ sparse graph, %d values per client", dim), Item: "values",
			Anchor:     "SecAgg+ (CCS'20): O(log n) neighbours; goal 500 clients x 1e5 values < 30 s",
			QuickSizes: []int{20}, FullSizes: []int{50, 100, 200, 500},
			Chart: "secagg", Series: "SecAgg+ sparse graph", Expect: 60 * time.Second, Headline: true,
			Setup: secaggSetup(dim, secagg.SparseGraph)},
	}
}

func secaggSetup(dim int, graph secagg.Graph) func(context.Context, int) (*Ops, error) {
	return func(ctx context.Context, n int) (*Ops, error) {
		inputs := make([][]uint64, n)
		for i := range inputs {
			inputs[i] = make([]uint64, dim)
			for j := range inputs[i] {
				inputs[i][j] = uint64(i*dim + j)
			}
		}
		acc := make([]uint64, dim)
		// Certificates are a deployment's setup, issued once; each round
		// draws fresh keys and a fresh session.
		setup, err := secagg.NewParams(secagg.Config{Clients: n, Length: dim, Graph: graph})
		if err != nil {
			return nil, err
		}
		ids, err := secagg.IssueIdentities(setup)
		if err != nil {
			return nil, err
		}
		return &Ops{
			Veil: func(ctx context.Context) (int64, error) {
				p, err := secagg.NewParams(secagg.Config{Clients: n, Length: dim, Graph: graph})
				if err != nil {
					return 0, err
				}
				res, err := secagg.RunInProcess(ctx, p, inputs, ids)
				if err != nil {
					return 0, err
				}
				if len(res.Counted) != n {
					return 0, fmt.Errorf("%d of %d clients counted", len(res.Counted), n)
				}
				// All traffic of the round passes through the server; per
				// value it compares with the 8 bytes of the word itself.
				return res.Stats.BytesSent + res.Stats.BytesReceived, nil
			},
			BaselineName: "plain uint64 sum of the clients' vectors",
			Baseline: func(context.Context) (int64, error) {
				clear(acc)
				for _, v := range inputs {
					plainAdd(acc, v)
				}
				return 0, nil
			},
			Items: float64(n * dim),
		}, nil
	}
}
