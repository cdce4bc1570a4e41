package main

import (
	"fmt"
	"math"

	"github.com/veil-go/veil/internal/csvio"
)

// holder is one party's input: IDs and one numeric column, row by row.
type holder struct {
	name   string // "bank"
	source string // file name or "synthetic"
	column string
	ids    []string
	values []float64 // decimals read exactly (2 fraction digits), as float64
	size   int       // the number of IDs when ids is not known here (the other party's process)
}

// rows is the number of customers h holds.
func (h *holder) rows() int {
	if h.ids == nil {
		return h.size
	}
	return len(h.ids)
}

func loadParties(cfg *config) (bank, shop *holder, err error) {
	if cfg.a == "" {
		return synthetic(cfg.rows, cfg.seed, cfg.x, cfg.y)
	}
	if bank, err = readHolder("bank", cfg.a, cfg.key, cfg.x); err != nil {
		return nil, nil, err
	}
	if shop, err = readHolder("shop", cfg.b, cfg.key, cfg.y); err != nil {
		return nil, nil, err
	}
	return bank, shop, nil
}

// readHolder reads the key and value columns; a repeated ID is an error
// naming its line, since rows could not be aligned one to one.
func readHolder(name, file, key, column string) (*holder, error) {
	t, err := csvio.ReadFile(file)
	if err != nil {
		return nil, err
	}
	ids, err := t.Strings(key)
	if err != nil {
		return nil, err
	}
	vals, err := t.Decimals(column)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]int, len(ids))
	for i, id := range ids {
		if id == "" {
			return nil, &csvio.Error{File: file, Line: t.Line(i), Column: key, Msg: "empty ID", Err: csvio.ErrFormat}
		}
		if j, dup := seen[id]; dup {
			return nil, &csvio.Error{File: file, Line: t.Line(i), Column: key,
				Msg: fmt.Sprintf("ID %q repeats line %d; each customer must appear once", id, t.Line(j)), Err: csvio.ErrFormat}
		}
		seen[id] = i
	}
	h := &holder{name: name, source: file, column: column, ids: ids, values: make([]float64, len(vals))}
	for i, v := range vals {
		h.values[i] = float64(v) / csvio.Scale
	}
	return h, nil
}

// synthetic makes a bank and a shop with rows customers each, about 60% of
// them shared: income lognormal around 50,000, spending 3,000 plus
// 15% of income plus noise. Demo data only, the same for a seed on every machine.
func synthetic(rows int, seed int64, x, y string) (bank, shop *holder, err error) {
	g, err := csvio.NewSynthetic("vertical", seed)
	if err != nil {
		return nil, nil, err
	}
	bank = &holder{name: "bank", source: "synthetic", column: x}
	shop = &holder{name: "shop", source: "synthetic", column: y}
	income := map[int]float64{}
	// Customer k exists at the bank for k < rows, at the shop for
	// k in [0.4*rows, 1.4*rows): 60% overlap.
	shift := rows * 2 / 5
	for k := range rows {
		inc := float64(csvio.Cents(50000*math.Exp(0.4*g.Normal()))) / csvio.Scale
		income[k] = inc
		bank.ids = append(bank.ids, fmt.Sprintf("cust-%07d", k))
		bank.values = append(bank.values, inc)
	}
	for k := shift; k < shift+rows; k++ {
		inc, ok := income[k]
		if !ok {
			inc = 50000 * math.Exp(0.4*g.Normal())
		}
		spend := float64(csvio.Cents(math.Max(0, 3000+0.15*inc+2000*g.Normal()))) / csvio.Scale
		shop.ids = append(shop.ids, fmt.Sprintf("cust-%07d", k))
		shop.values = append(shop.values, spend)
	}
	return bank, shop, nil
}
