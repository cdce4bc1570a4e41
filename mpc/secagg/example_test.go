package secagg_test

import (
	"context"
	"fmt"

	"github.com/veil-go/veil/mpc/secagg"
)

// A whole round in one process: five clients, the server learns the sum.
func ExampleRunInProcess() {
	p, err := secagg.NewParams(secagg.Config{Clients: 5, Length: 3})
	if err != nil {
		panic(err)
	}
	inputs := [][]uint64{{1, 2, 3}, {10, 20, 30}, {100, 200, 300}, {1000, 2000, 3000}, {10000, 20000, 30000}}
	res, err := secagg.RunInProcess(context.Background(), p, inputs, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("counted", res.Counted, "sum", res.Sum)
	// Output: counted [1 2 3 4 5] sum [11111 22222 33333]
}

// The local steps driven by hand: four clients, one of which goes offline
// after sharing its keys, so its input is not counted.
func Example() {
	p, err := secagg.NewParams(secagg.Config{Clients: 4, Length: 2, Threshold: 2})
	if err != nil {
		panic(err)
	}
	ids, _ := secagg.IssueIdentities(p) // each party's certificate and key
	inputs := map[int][]uint64{1: {1, 2}, 2: {10, 20}, 3: {100, 200}, 4: {1000, 2000}}
	srv, _ := secagg.NewServer(p, ids[0])
	clients := map[int]*secagg.Client{}
	for id := 1; id <= 4; id++ {
		clients[id], _ = secagg.NewClient(p, id, ids[id])
		keys, _ := clients[id].Advertise()
		_ = srv.AddAdvert(keys)
	}
	enrolment, _ := srv.Enrolment() // the enrolled set, with commitments to graph nonces
	for id, c := range clients {
		nonce, _ := c.Reveal(enrolment[id])
		_ = srv.AddReveal(nonce)
	}
	lists, _ := srv.KeyLists() // the graph is drawn from the nonces

	for id, c := range clients {
		bundle, _ := c.ShareKeys(lists[id])
		_ = srv.AddShares(bundle)
	}
	deliveries, _ := srv.Deliveries()
	for _, id := range []int{1, 3, 4} { // client 2 drops out here
		masked, _ := clients[id].MaskInput(deliveries[id], inputs[id])
		_ = srv.AddMaskedInput(masked)
	}
	sets, _ := srv.CountedSets() // the consistency step: each counted client signs U3
	for id, set := range sets {
		sig, _ := clients[id].SignCounted(set)
		_ = srv.AddCountedSig(sig)
	}
	requests, _ := srv.UnmaskRequests()
	for id, req := range requests {
		resp, _ := clients[id].Unmask(req)
		_ = srv.AddUnmaskResponse(resp)
	}
	res, err := srv.Finish()
	if err != nil {
		panic(err)
	}
	fmt.Println("counted", res.Counted, "sum", res.Sum)
	// Output: counted [1 3 4] sum [1101 2202]
}

// A client in another process rebuilds the round's parameters from the
// bytes the server announces, then sets its local fields.
func ExampleParams_UnmarshalBinary() {
	server, _ := secagg.NewParams(secagg.Config{Clients: 10, Length: 100})
	announced, _ := server.MarshalBinary() // sent to every client

	var shared secagg.Params
	if err := shared.UnmarshalBinary(announced); err != nil {
		panic(err)
	}
	cfg := shared.Config() // session, roster, threshold: the server's
	cfg.Workers = 2        // local fields do not change the digest
	mine, _ := secagg.NewParams(cfg)
	fmt.Println(mine.Digest() == server.Digest(), mine.Threshold())
	// Output: true 6
}

// Floats through the fixed-point helper.
func ExampleFixedPoint() {
	fp, _ := secagg.NewFixedPoint(16, 2)
	a, _ := fp.Encode([]float64{0.5, -1.25})
	b, _ := fp.Encode([]float64{0.25, 3})
	sum := []uint64{a[0] + b[0], a[1] + b[1]} // what the round computes
	fmt.Println(fp.Decode(sum))
	// Output: [0.75 1.75]
}
