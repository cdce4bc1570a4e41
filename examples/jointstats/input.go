package main

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/veil-go/veil/internal/csvio"
	"github.com/veil-go/veil/internal/prg"
)

// party is one data holder's local input.
type party struct {
	name   string  // "hospital 0"
	source string  // file name, or "synthetic"
	values []int64 // the column, scaled by csvio.Scale (two fraction digits)
}

// loadParties reads one party per input file, or makes synthetic data.
func loadParties(cfg *config) ([]party, error) {
	if len(cfg.inputs) == 0 {
		return synthetic(cfg.parties, cfg.rows, cfg.seed)
	}
	ps := make([]party, len(cfg.inputs))
	for i, f := range cfg.inputs {
		t, err := csvio.ReadFile(f)
		if err != nil {
			return nil, err
		}
		v, err := t.Decimals(cfg.column)
		if err != nil {
			return nil, err
		}
		ps[i] = party{name: fmt.Sprintf("hospital %d", i), source: f, values: v}
	}
	return ps, nil
}

// synthetic makes n parties of rows values each: systolic blood pressure in
// mmHg with two decimals, normal around 120 + 4*i (sd 15), clipped to
// [70, 250]. The stream is AES-CTR keyed by a hash of the seed, so a seed
// gives the same data everywhere. Demo data only: nothing secret is drawn
// from it.
func synthetic(n, rows int, seed int64) ([]party, error) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	g, err := prg.New(prg.Seed(sha256.Sum256(append([]byte("veil/examples/jointstats synthetic data "), b[:]...))))
	if err != nil {
		return nil, err
	}
	ps := make([]party, n)
	for i := range ps {
		vals := make([]int64, rows)
		for r := range vals {
			x := 120 + 4*float64(i) + 15*normal(g)
			x = math.Min(250, math.Max(70, x))
			vals[r] = int64(math.Round(x * csvio.Scale))
		}
		ps[i] = party{name: fmt.Sprintf("hospital %d", i), source: "synthetic", values: vals}
	}
	return ps, nil
}

// normal draws a standard normal value by Box-Muller from the PRG.
func normal(g *prg.PRG) float64 {
	u1 := (float64(g.Uint64()>>11) + 0.5) / (1 << 53) // in (0,1)
	u2 := float64(g.Uint64()>>11) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
