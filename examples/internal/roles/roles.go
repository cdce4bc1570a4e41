// Package roles is what the examples share when each party runs as its own
// process (-role): the party's TLS identity, from certificate files or from
// a throwaway demo CA that the listening party writes and the others wait
// for, a connection to one named peer, dialled with retry or accepted on a
// listener, and the run's signed receipt in the party's ledger.
package roles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/veil-go/veil/transport"
)

// retry is how often a party looks again for the demo CA or the listener.
const retry = 200 * time.Millisecond

// TLS is an example's -tls-cert, -tls-key, -tls-ca and -demo-certs flags.
type TLS struct {
	Cert, Key, CA string
	// DemoCerts is the folder of the demo CA, used when Cert is empty.
	DemoCerts string
}

// Partial reports that some but not all of Cert, Key and CA are set.
func (t TLS) Partial() bool {
	return (t.Cert == "") != (t.Key == "") || (t.Cert == "") != (t.CA == "")
}

// Identity returns the identity named self: from the certificate files when
// Cert is set, else from the demo CA in DemoCerts. The party that passes
// the names of every party (the listening one) writes a demo CA and a
// certificate for each name there if the folder has no CA yet, and says so
// on log, prefixed with prog; a party that passes no names waits for the
// CA until ctx ends.
func (t TLS) Identity(ctx context.Context, self string, names []string, prog string, log io.Writer) (*transport.Identity, error) {
	if t.Cert != "" {
		return transport.LoadIdentity(t.Cert, t.Key, t.CA)
	}
	demo := DemoTLS(t.DemoCerts, self)
	ca := demo.CA
	if len(names) > 0 {
		if _, err := os.Stat(ca); errors.Is(err, os.ErrNotExist) {
			if err := WriteDemoCA(t.DemoCerts, names); err != nil {
				return nil, err
			}
			fmt.Fprintf(log, "%s: wrote a throwaway demo CA and certificates for %s (%d parties) to %s\n", prog, names[0], len(names), t.DemoCerts)
		}
	}
	for {
		if _, err := os.Stat(ca); err == nil {
			return transport.LoadIdentity(demo.Cert, demo.Key, demo.CA)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no demo CA in %s (the listening party writes it): %w", t.DemoCerts, ctx.Err())
		case <-time.After(retry):
		}
	}
}

// DemoTLS is where the demo CA in dir keeps party name's certificate and
// key (dir/NAME.crt, dir/NAME.key) and the CA's (dir/ca.pem).
func DemoTLS(dir, name string) TLS {
	return TLS{Cert: filepath.Join(dir, name+".crt"), Key: filepath.Join(dir, name+".key"), CA: filepath.Join(dir, "ca.pem")}
}

// WriteDemoCA writes a throwaway CA and, for each name, a certificate and
// key it issued, to dir as [DemoTLS] says. The CA file comes last, so that
// its presence tells the others all is written.
func WriteDemoCA(dir string, names []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ca, err := transport.NewCA("veil demo CA")
	if err != nil {
		return err
	}
	for _, name := range names {
		id, err := ca.Issue(name)
		if err != nil {
			return err
		}
		files := DemoTLS(dir, name)
		if err := id.WritePEM(files.Cert, files.Key); err != nil {
			return err
		}
	}
	caFile := DemoTLS(dir, "").CA
	if err := os.WriteFile(caFile+".tmp", ca.CertPEM(), 0o644); err != nil {
		return err
	}
	return os.Rename(caFile+".tmp", caFile)
}

// Dial connects to peer at addr, retrying while nothing listens there yet;
// a peer with another name fails at once with [transport.ErrPeerIdentity].
func Dial(ctx context.Context, addr string, id *transport.Identity, peer string) (transport.Conn, error) {
	for {
		conn, err := transport.Dial(ctx, addr, id, peer, transport.Options{})
		if err == nil || errors.Is(err, transport.ErrPeerIdentity) || ctx.Err() != nil {
			return conn, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(retry):
		}
	}
}

// Accept listens on addr, says where on log ("<prog>: <what> listening on
// ADDR"), and accepts one connection, which must come from peer.
func Accept(ctx context.Context, addr string, id *transport.Identity, peer, prog, what string, log io.Writer) (transport.Conn, error) {
	ln, err := transport.Listen(addr, id, transport.Options{})
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	fmt.Fprintf(log, "%s: %s listening on %s\n", prog, what, ln.Addr())
	conn, err := ln.Accept(ctx)
	if err != nil {
		return nil, err
	}
	if conn.Peer() != peer {
		conn.Close()
		return nil, fmt.Errorf("%w: connected party is %q, want %q", transport.ErrPeerIdentity, conn.Peer(), peer)
	}
	return conn, nil
}
