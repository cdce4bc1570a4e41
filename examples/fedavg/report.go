package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

func writeJSON(w io.Writer, r *outcome) error {
	v := struct {
		Clients        int     `json:"clients"`
		Counted        []int   `json:"counted"`
		Sum            []int64 `json:"sum"`
		Seconds        float64 `json:"seconds"`
		BytesPerClient float64 `json:"bytes_per_client"`
		Receipt        string  `json:"receipt,omitempty"`
	}{r.clients, r.counted, r.sum, r.seconds, r.bytesPerClient, r.receipt}
	if v.Sum == nil {
		v.Sum = []int64{}
	}
	enc := json.NewEncoder(w)
	return enc.Encode(v)
}

func list(ids []int) string {
	if len(ids) == 0 {
		return "none"
	}
	s := make([]string, len(ids))
	for i, v := range ids {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

func writeReport(w io.Writer, o *options, r *outcome) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "Secure aggregation of %d client updates (fedavg)\n", r.clients)
	fmt.Fprintf(b, "  data:        %s\n", o.description)
	fmt.Fprintf(b, "  parties:     one server and %d clients in this process, mutual TLS 1.3 on 127.0.0.1\n", r.clients)
	fmt.Fprintf(b, "  protocol:    Bonawitz et al. double masking, %s graph (each client has %d neighbours; any %d of them recover its masks)\n", r.graph, r.degree, r.t)
	fmt.Fprintf(b, "  dropped before masked input (not counted): %s\n", list(o.dropBefore))
	fmt.Fprintf(b, "  dropped after masked input (counted):      %s\n", list(o.dropAfter))
	fmt.Fprintf(b, "  counted:     %d of %d clients\n", len(r.counted), r.clients)
	fmt.Fprintf(b, "  noise:       %s\n", r.noise)
	const show = 8
	head := r.sum
	if len(head) > show {
		head = head[:show]
	}
	fmt.Fprintf(b, "  sum:         %v", head)
	if len(r.sum) > show {
		fmt.Fprintf(b, " ... (%d values; -json prints all)", len(r.sum))
	}
	fmt.Fprintln(b)
	if len(r.counted) > 0 && len(r.sum) > 0 {
		fmt.Fprintf(b, "  mean update: %.3f (first value / counted clients)\n", float64(r.sum[0])/float64(len(r.counted)))
	}
	what := "the sum"
	if r.plan != nil {
		what = "a noisy sum"
	}
	fmt.Fprintf(b, "  revealed:    the server learns only %s of the counted clients' vectors; no client's vector\n", what)
	fmt.Fprintf(b, "               is seen by anyone else (secure unless the server colludes with %d or more of a client's neighbours)\n", r.t)
	fmt.Fprintf(b, "  cost:        %.2f s, %.1f KB per client on the wire\n", r.seconds, r.bytesPerClient/1000)
	_, err := io.WriteString(w, b.String())
	return err
}
