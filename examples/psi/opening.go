package main

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/veil-go/veil/ledger"
	"github.com/veil-go/veil/psi"
)

// inputLabel starts every input encoding of this program.
const inputLabel = "veil/examples/psi input v1\x00"

// inputEncoding is what a party commits to with -opening: its input as the
// PSI uses it, canonical over row order and repeated rows (ledger's
// SetEncoding), after a label and what the elements are. A's elements, and
// B's in intersection and cardinality mode, are its normalised IDs; B's in
// join mode each ID with its value (4-byte big-endian length, ID, value),
// in sum mode each distinct ID with the sum of its values over its rows
// (length, ID, int64 big-endian), which is what the sum adds.
func inputEncoding(column string, set psi.Set) []byte {
	kind, elems := "ids", set.Items
	pair := func(id, v []byte) []byte {
		e := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(id)+len(v)), uint32(len(id)))
		return append(append(e, id...), v...)
	}
	switch {
	case set.Payloads != nil:
		kind = "ids with join column " + column
		elems = make([][]byte, len(set.Items))
		for i, id := range set.Items {
			elems[i] = pair(id, set.Payloads[i])
		}
	case set.Values != nil:
		kind = "ids with summed column " + column
		sums, order := map[string]int64{}, [][]byte{}
		for i, id := range set.Items {
			if _, ok := sums[string(id)]; !ok {
				order = append(order, id)
			}
			sums[string(id)] += set.Values[i]
		}
		elems = make([][]byte, len(order))
		for i, id := range order {
			elems[i] = pair(id, binary.BigEndian.AppendUint64(nil, uint64(sums[string(id)])))
		}
	}
	b := append([]byte(inputLabel), kind...)
	return append(append(b, 0), ledger.SetEncoding(elems)...)
}

// opening is the file a party keeps (-opening) to show later what it
// contributed to a run: the commitment in the receipt and the salt that
// opens it over inputEncoding of its file.
type opening struct {
	Receipt    string `json:"receipt"`
	Party      string `json:"party"`
	File       string `json:"file"`
	Mode       string `json:"mode"`
	Key        string `json:"key"`
	Value      string `json:"value,omitempty"`
	Rows       int    `json:"rows"`
	Commitment string `json:"commitment"`
	Salt       string `json:"salt"`
	Encoding   string `json:"encoding"`
}

const encodingDoc = `SHA-256("veil/ledger input commitment v1\x00" || salt || "veil/examples/psi input v1\x00" || kind || "\x00" || SetEncoding(elements)); kind "ids": each normalised ID; "ids with join column C": 4-byte big-endian length || ID || value; "ids with summed column C": length || ID || the sum of its values as int64 big-endian; SetEncoding: the distinct elements sorted, each after its 4-byte big-endian length`

// writeOpening writes -opening after the receipt is appended.
func writeOpening(c *config, p *party, digest string, com ledger.Commitment, op ledger.Opening) error {
	o := opening{Receipt: digest, Party: c.role, File: p.name, Mode: c.mode.String(), Key: c.key, Rows: len(p.ids),
		Commitment: hex.EncodeToString(com[:]), Salt: hex.EncodeToString(op.Salt[:]), Encoding: encodingDoc}
	if c.role == "b" && (c.mode == psi.Join || c.mode == psi.Sum) {
		o.Value = c.value
	}
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.opening, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("-opening: %w", err)
	}
	return nil
}
