package transport_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/veil-go/veil/transport"
)

// Two parties exchange a message over mutual TLS 1.3 on loopback. A
// throwaway CA issues each party a certificate whose common name is its
// name; each side learns who the other is from the verified certificate.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	ca, err := transport.NewCA("demo CA")
	if err != nil {
		log.Fatal(err)
	}
	alice, err := ca.Issue("alice")
	if err != nil {
		log.Fatal(err)
	}
	bob, err := ca.Issue("bob")
	if err != nil {
		log.Fatal(err)
	}

	// Bob listens; alice dials and insists on talking to "bob".
	l, err := transport.Listen("127.0.0.1:0", bob, transport.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := l.Accept(ctx)
		if err != nil {
			log.Fatal(err)
		}
		defer conn.Close()
		msg, err := conn.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("bob got %q from %s\n", msg, conn.Peer())
		if err := conn.Send(ctx, []byte("hello, alice")); err != nil {
			log.Fatal(err)
		}
	}()

	conn, err := transport.Dial(ctx, l.Addr().String(), alice, "bob", transport.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Send(ctx, []byte("hello, bob")); err != nil {
		log.Fatal(err)
	}
	reply, err := conn.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	<-done
	fmt.Printf("alice got %q from %s\n", reply, conn.Peer())
	fmt.Printf("alice sent %d bytes\n", conn.Stats().BytesSent)
	// Output:
	// bob got "hello, bob" from alice
	// alice got "hello, alice" from bob
	// alice sent 14 bytes
}

// A star of a hub and three spokes over TLS on loopback, in one process: the
// shape secure aggregation and HE aggregation use. Each spoke sends the hub
// a value; the hub adds them up.
func ExampleNewTLSLoopbackStar() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	meshes, err := transport.NewTLSLoopbackStar(ctx, 4, transport.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range meshes {
		defer m.Close()
	}
	for i := 1; i < 4; i++ {
		hub, err := meshes[i].Conn(0)
		if err != nil {
			log.Fatal(err)
		}
		if err := hub.Send(ctx, []byte{byte(10 * i)}); err != nil {
			log.Fatal(err)
		}
	}
	sum := 0
	for j := 1; j < 4; j++ {
		spoke, err := meshes[0].Conn(j)
		if err != nil {
			log.Fatal(err)
		}
		msg, err := spoke.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		sum += int(msg[0])
	}
	_, err = meshes[1].Conn(2)
	fmt.Println("sum:", sum)
	fmt.Println("spoke to spoke:", err != nil)
	// Output:
	// sum: 60
	// spoke to spoke: true
}

// Three parties, each with its certificate in PEM files, connect as a full
// mesh with DialMesh. In a deployment each party is its own process on its
// own machine and runs only its part of this: load its identity, then call
// DialMesh with everyone's address. Here they are goroutines on loopback.
func ExampleDialMesh() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir, err := os.MkdirTemp("", "veil-certs")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Once, by whoever runs the demo: a CA and one certificate per party.
	const n = 3
	ca, err := transport.NewCA("demo CA")
	if err != nil {
		log.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.CertPEM(), 0o644); err != nil {
		log.Fatal(err)
	}
	for i := range n {
		id, err := ca.Issue(transport.PartyName(i))
		if err != nil {
			log.Fatal(err)
		}
		base := filepath.Join(dir, transport.PartyName(i))
		if err := id.WritePEM(base+".crt", base+".key"); err != nil {
			log.Fatal(err)
		}
	}
	// Everyone's address (fixed ports in a deployment; free ones here).
	addrs := make([]string, n)
	for i := range addrs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		addrs[i] = ln.Addr().String()
		ln.Close()
	}

	// Each party.
	party := func(self int) (string, error) {
		base := filepath.Join(dir, transport.PartyName(self))
		id, err := transport.LoadIdentity(base+".crt", base+".key", caFile)
		if err != nil {
			return "", err
		}
		mesh, err := transport.DialMesh(ctx, transport.MeshConfig{Self: self, Addrs: addrs, Identity: id})
		if err != nil {
			return "", err
		}
		defer mesh.Close()
		for j := range n { // greet everyone, then hear from everyone
			if c, err := mesh.Conn(j); err == nil {
				if err := c.Send(ctx, []byte(id.Name())); err != nil {
					return "", err
				}
			}
		}
		heard := ""
		for j := range n {
			if c, err := mesh.Conn(j); err == nil {
				msg, err := c.Recv(ctx)
				if err != nil {
					return "", err
				}
				heard += fmt.Sprintf(" %s(cert %s)", msg, c.Peer())
			}
		}
		return fmt.Sprintf("%s heard%s", id.Name(), heard), nil
	}
	results := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			if results[i], err = party(i); err != nil {
				log.Fatal(err)
			}
		})
	}
	wg.Wait()
	for _, r := range results {
		fmt.Println(r)
	}
	// Output:
	// party-0 heard party-1(cert party-1) party-2(cert party-2)
	// party-1 heard party-0(cert party-0) party-2(cert party-2)
	// party-2 heard party-0(cert party-0) party-1(cert party-1)
}
