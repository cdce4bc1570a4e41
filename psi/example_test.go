package psi_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/veil-go/veil/psi"
	"github.com/veil-go/veil/transport"
)

// runBoth runs the sender (shop) in a goroutine and the receiver (bank)
// here, over an in-memory pipe (use transport's TLS connections between
// machines). Both roles take a psi.Set; only the sender's carries payloads
// or values.
func runBoth(shop, bank psi.Set, opts psi.Config) (sender, receiver *psi.Result) {
	ctx := context.Background()
	cs, cr := transport.Pipe("shop", "bank", transport.Options{})
	defer cs.Close()
	defer cr.Close()
	done := make(chan error, 1)
	go func() {
		var err error
		sender, err = psi.RunSender(ctx, cs, shop, opts)
		done <- err
	}()
	receiver, err := psi.RunReceiver(ctx, cr, bank, opts)
	if err != nil {
		log.Fatal(err)
	}
	if err := <-done; err != nil {
		log.Fatal(err)
	}
	return sender, receiver
}

func emails(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		e, err := psi.NormalizeEmail(s)
		if err != nil {
			log.Fatal(err)
		}
		out[i] = []byte(e)
	}
	return out
}

func Example_intersection() {
	bank := emails("ada@example.com", "Bob@Example.com", "carol@example.com")
	shop := emails("dave@example.com", "bob@example.com ", "ada@example.com")

	s, r := runBoth(psi.Set{Items: shop}, psi.Set{Items: bank}, psi.Config{Mode: psi.Intersection, RevealToBoth: true})
	for _, i := range r.Indices {
		fmt.Println("bank shares:", string(bank[i]))
	}
	fmt.Println("shop learned its shared rows:", s.Indices)
	// Output:
	// bank shares: ada@example.com
	// bank shares: bob@example.com
	// shop learned its shared rows: [1 2]
}

func Example_cardinality() {
	bank := psi.Items([]string{"id1", "id2", "id3", "id4"})
	shop := psi.Items([]string{"id2", "id4", "id9"})

	_, r := runBoth(psi.Set{Items: shop}, psi.Set{Items: bank}, psi.Config{Mode: psi.Cardinality})
	fmt.Println("shared customers:", r.Cardinality, "which ones:", r.Indices)
	// Output: shared customers: 2 which ones: []
}

func Example_join() {
	bank := psi.Items([]string{"id1", "id2", "id3"})
	shop := psi.Set{
		Items:    psi.Items([]string{"id3", "id1", "id7"}),
		Payloads: [][]byte{[]byte("gold"), []byte("silver"), []byte("bronze")},
	}
	_, r := runBoth(shop, psi.Set{Items: bank}, psi.Config{Mode: psi.Join})
	for k, i := range r.Indices {
		fmt.Printf("%s: %s\n", bank[i], r.Payloads[k])
	}
	// Output:
	// id1: silver
	// id3: gold
}

func Example_sum() {
	bank := psi.Items([]string{"id1", "id2", "id3"})
	shop := psi.Set{
		Items:  psi.Items([]string{"id3", "id1", "id7", "id1"}),
		Values: []int64{250, 100, 9999, -30}, // id1 appears twice: its values add up
	}
	_, r := runBoth(shop, psi.Set{Items: bank}, psi.Config{Mode: psi.Sum})
	fmt.Println("shared:", r.Cardinality, "spent:", r.Sum)
	// Output: shared: 2 spent: 320
}

// ExampleRunInProcess runs both roles in one process: the receiver's set
// first, the sender's second, and the results in the same order.
func ExampleRunInProcess() {
	bank := psi.Set{Items: psi.Items([]string{"id1", "id2", "id3"})}
	shop := psi.Set{Items: psi.Items([]string{"id2", "id3", "id4"}), Values: []int64{10, 32, 7}}
	recv, send, err := psi.RunInProcess(context.Background(), bank, shop, psi.Config{Mode: psi.Sum, RevealToBoth: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bank:", recv.Cardinality, recv.Sum, "shop:", send.Cardinality, send.Sum)

	// The receiver's set carries items only: values there are an error, not
	// ignored.
	_, _, err = psi.RunInProcess(context.Background(), shop, bank, psi.Config{Mode: psi.Sum})
	fmt.Println(errors.Is(err, psi.ErrInvalidParams))
	// Output:
	// bank: 2 42 shop: 2 42
	// true
}
