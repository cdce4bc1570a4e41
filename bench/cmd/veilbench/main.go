// Command veilbench runs Veil's curated benchmark suite and prints a
// Markdown table: each kernel's figure, a baseline measured in the same run,
// their cost ratio, and the published anchor for context.
//
//	go run ./bench/cmd/veilbench -quick                 # under a minute
//	go run ./bench/cmd/veilbench                        # full run (states its expected time)
//	go run ./bench/cmd/veilbench -json out.json -plot charts -markdown-out bench/RESULTS.md
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/veil-go/veil/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("veilbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "small sizes and short timings: the whole suite in under a minute")
	jsonOut := fs.String("json", "", "write the figures as JSON to `FILE`")
	plotDir := fs.String("plot", "", "write PNG charts into `DIR`")
	mdOut := fs.String("markdown-out", "", "write a RESULTS.md-style report (machine, table, charts) to `FILE`")
	filter := fs.String("run", "", "only kernels whose \"group/name\" contains `TEXT`")
	minTime := fs.Duration("min-time", 0, "repeat each measurement at least this long (default 100ms quick, 1s full)")
	shared := fs.Bool("shared", false, "label the figures as measured while the machine was shared")
	list := fs.Bool("list", false, "list the kernels and exit")
	from := fs.String("from", "", "measure nothing: rebuild the table, -plot and -markdown-out from a -json `FILE` of an earlier run")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "veilbench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *from != "" {
		rep, err := readReport(*from)
		if err != nil {
			fmt.Fprintf(stderr, "veilbench: %v\n", err)
			return 1
		}
		return report(stdout, stderr, rep.Machine, rep.Rows, 0, "", *plotDir, *mdOut, rep.Command)
	}
	cases := bench.Select(bench.Cases(), *filter)
	if *list {
		for _, c := range cases {
			fmt.Fprintf(stdout, "%s/%s\n", c.Group, c.Name)
		}
		return 0
	}
	if len(cases) == 0 {
		fmt.Fprintf(stderr, "veilbench: no kernel matches -run %q\n", *filter)
		return 1
	}
	if *quick {
		fmt.Fprintf(stderr, "veilbench: quick run of %d kernels (under a minute)\n", len(cases))
	} else {
		fmt.Fprintf(stderr, "veilbench: full run of %d kernels, expected about %s on 2 cores; progress below, -quick for a short run\n",
			len(cases), bench.Expected(cases).Round(time.Second))
	}
	start := time.Now()
	rows, err := bench.Run(ctx, bench.Config{Quick: *quick, MinTime: *minTime, Filter: *filter, Progress: stderr}, cases)
	if err != nil {
		fmt.Fprintf(stderr, "veilbench: %v\n", err)
		return 1
	}
	machine := bench.ThisMachine()
	machine.Quick, machine.Shared = *quick, *shared
	return report(stdout, stderr, machine, rows, time.Since(start), *jsonOut, *plotDir, *mdOut,
		"go run ./bench/cmd/veilbench "+argsString(args))
}

// report prints the table and writes the JSON, charts and RESULTS.md that
// were asked for. The exit status is 1 if a kernel failed.
func report(stdout, stderr io.Writer, machine bench.Machine, rows []bench.Row, took time.Duration, jsonOut, plotDir, mdOut, command string) int {
	fmt.Fprintf(stdout, "Machine: %s.", machine)
	if took > 0 {
		fmt.Fprintf(stdout, " Total %s.", took.Round(100*time.Millisecond))
	}
	fmt.Fprint(stdout, "\n\n")
	if err := bench.WriteMarkdown(stdout, rows); err != nil {
		fmt.Fprintf(stderr, "veilbench: %v\n", err)
		return 1
	}
	status := 0
	for _, r := range rows {
		if r.Err != "" {
			status = 1
		}
	}
	if jsonOut != "" {
		if err := writeFile(jsonOut, func(w io.Writer) error {
			return bench.WriteJSON(w, bench.Report{Machine: machine, Command: command, Rows: rows})
		}); err != nil {
			fmt.Fprintf(stderr, "veilbench: %v\n", err)
			return 1
		}
	}
	var charts []string
	if plotDir != "" {
		var err error
		if charts, err = bench.WritePlots(plotDir, rows); err != nil {
			fmt.Fprintf(stderr, "veilbench: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "veilbench: wrote %d charts to %s\n", len(charts), plotDir)
	}
	if mdOut != "" {
		rel := ""
		if plotDir != "" {
			if r, err := filepath.Rel(filepath.Dir(mdOut), plotDir); err == nil {
				rel = filepath.ToSlash(r)
			}
		}
		// The hand-written part of an existing report (the packages' own
		// benchmark figures, below bench.KeepMarker) survives regeneration.
		var kept string
		if old, err := os.ReadFile(mdOut); err == nil {
			kept = bench.KeptSection(string(old))
		}
		if err := writeFile(mdOut, func(w io.Writer) error {
			if err := bench.WriteResults(w, machine, rows, rel, charts, command); err != nil {
				return err
			}
			_, err := io.WriteString(w, kept)
			return err
		}); err != nil {
			fmt.Fprintf(stderr, "veilbench: %v\n", err)
			return 1
		}
	}
	return status
}

func readReport(path string) (*bench.Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rep.Rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return &rep, nil
}

func argsString(args []string) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
