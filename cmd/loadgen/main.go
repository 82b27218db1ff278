// Command loadgen drives a liveorders server over loopback and measures how
// fast order totals reach its sockets.
//
// It opens N sockets spread over the categories (a fraction of them in
// liveorders.v1 mode, the rest in the seed-compatible mode), places orders
// over HTTP at a fixed open-loop rate, optionally switches the category of
// each v1 socket every D, and then reports latencies (order → each socket,
// order → the last subscribed socket, switch → snapshot), throughput,
// correctness counters (lost, backwards, duplicated totals) and the
// server's memory and CPU. Every run is bounded in time and stops by itself.
//
//	go run ./cmd/loadgen -sockets 1000 -rate 20 -duration 15s -html report.html
//	go run ./cmd/loadgen report -html report.html -md summary.md run1.json run2.json
//
// By default it builds the server into a temporary directory and starts it
// on a free loopback port; -server-cmd starts a given binary instead, and
// -addr (with -pid for its memory and CPU) drives one already running.
// Targets other than loopback are refused.
//
// # Concurrency
//
// One goroutine reads each socket and owns everything it records; writes to
// a socket (switches, pongs) are serialised by the socket's mutex. The
// recordings are read only after every reader has returned.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
		}
		os.Exit(1)
	}
}

// run parses args and performs one load run, or merges reports with the
// "report" subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "report" {
		return runReport(args[1:], stdout, stderr)
	}
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	raiseFileLimit(stderr)
	if os.Getenv("GOGC") == "" {
		// Collect less often: loadgen's garbage is small and short-lived,
		// while each collection scans thousands of reader stacks, on the
		// cores the server being measured needs.
		debug.SetGCPercent(400)
	}
	res, err := Run(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	printTable(stdout, []*Result{res})
	if cfg.JSON != "" {
		if err := writeJSON(cfg.JSON, res); err != nil {
			return err
		}
	}
	if cfg.HTML != "" {
		if err := writeHTML(cfg.HTML, []*Result{res}); err != nil {
			return err
		}
	}
	return nil
}

// raiseFileLimit lifts the soft limit on open files to the hard one: each
// socket is a file.
func raiseFileLimit(stderr io.Writer) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(stderr, "loadgen: read open-files limit:", err)
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			fmt.Fprintln(stderr, "loadgen: raise open-files limit:", err)
		}
	}
}
