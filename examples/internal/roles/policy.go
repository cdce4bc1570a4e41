package roles

import (
	"path/filepath"
	"strings"

	"github.com/veil-go/veil/ledger"
)

// CheckPolicy refuses a run that the usage policy in file (-policy) does
// not allow: every request must be allowed, and the error names the rule
// that refuses one. With no file it allows everything. The examples call
// it before any connection.
func CheckPolicy(file string, qs ...ledger.Request) error {
	if file == "" {
		return nil
	}
	p, err := ledger.LoadPolicy(file)
	if err != nil {
		return err
	}
	for _, q := range qs {
		if _, err := p.Check(q); err != nil {
			return err
		}
	}
	return nil
}

// Dataset is a party's dataset name in its policy: name (-dataset) when
// given, else its file's name without extension, else synthetic (a run on
// synthetic data, with no file).
func Dataset(name, file, synthetic string) string {
	switch {
	case name != "":
		return name
	case file == "":
		return synthetic
	}
	return strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
}
