package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/veil-go/veil/mpc/secagg"
	"github.com/veil-go/veil/transport"
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
		return &Ops{
			Veil: func(ctx context.Context) (int64, error) {
				cfg, err := secagg.NewConfig(n, dim, secagg.WithGraph(graph))
				if err != nil {
					return 0, err
				}
				star, err := transport.NewMemStar(n+1, transport.Options{})
				if err != nil {
					return 0, err
				}
				defer func() {
					for _, m := range star {
						m.Close()
					}
				}()
				var wg sync.WaitGroup
				errs := make([]error, n)
				for i := 1; i <= n; i++ {
					wg.Go(func() { errs[i-1] = secagg.RunClient(ctx, star[i], cfg, inputs[i-1]) })
				}
				res, err := secagg.RunServer(ctx, star[0], cfg)
				wg.Wait()
				if err != nil {
					return 0, err
				}
				for i, e := range errs {
					if e != nil {
						return 0, fmt.Errorf("client %d: %w", i+1, e)
					}
				}
				if len(res.Counted) != n {
					return 0, fmt.Errorf("%d of %d clients counted", len(res.Counted), n)
				}
				// All traffic of the round passes through the server; per
				// value it compares with the 8 bytes of the word itself.
				return res.Traffic.BytesSent + res.Traffic.BytesReceived, nil
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
