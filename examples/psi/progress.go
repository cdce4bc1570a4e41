package main

import (
	"io"

	"github.com/veil-go/veil/internal/progress"
)

// progressFor returns a psi.Config.Progress callback that shows party
// who's progress on stderr, or nil when stderr is not a terminal or the
// output is JSON.
func progressFor(c *config, stderr io.Writer, who string) func(done, total int) {
	return progress.New(stderr, "psi", c.json).Items("party " + who)
}
