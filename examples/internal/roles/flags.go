package roles

import "flag"

// PairFlags defines a two-party example's -listen, -connect, -tls-cert,
// -tls-key, -tls-ca, -demo-certs, -ledger and -policy flags (certificate
// names party-a and party-b), all used with -role, so that psi and
// vertical say the same.
func PairFlags(fs *flag.FlagSet, listen, connect *string, t *TLS, ledger, policy *string) {
	fs.StringVar(listen, "listen", "", "with -role: accept the other party on this `address` (host:port)")
	fs.StringVar(connect, "connect", "", "with -role: connect to the other party at this `address` (host:port)")
	fs.StringVar(&t.Cert, "tls-cert", "", "with -role: this party's certificate PEM `file` (CN party-a or party-b)")
	fs.StringVar(&t.Key, "tls-key", "", "with -role: this party's private key PEM `file`")
	fs.StringVar(&t.CA, "tls-ca", "", "with -role: PEM `file` of the CA both certificates chain to")
	fs.StringVar(&t.DemoCerts, "demo-certs", "veil-demo-certs", "with -role and no -tls-*: `folder` where the listening side writes a throwaway demo CA and both parties' certificates")
	fs.StringVar(ledger, "ledger", "", "with -role: agree on a receipt of the run with the other party, both signing it, and append it to this ledger `file` (created if absent; see go run ./cmd/veil)")
	fs.StringVar(policy, "policy", "", "with -role: this party's usage policy `file` (JSON, see package ledger); a run it does not allow is refused before connecting")
}
