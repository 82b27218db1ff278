// Command liveorders serves a product catalogue over HTTP and keeps browser
// clients in sync with order totals in real time, over one WebSocket per
// client. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/liveorders/liveorders/internal/buildinfo"
	"github.com/liveorders/liveorders/internal/server"
)

// shutdownTimeout bounds a graceful shutdown: sockets get their 1001 close
// and pending frames within it, or are cut.
const shutdownTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "liveorders:", err)
		}
		os.Exit(1)
	}
}

// run is the whole program: it returns when ctx ends and the server has
// shut down, or on a start-up error. Its first argument may name a
// subcommand instead: healthcheck.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(ctx, args[1:], getenv, stdout, stderr)
	}
	cfg, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.version {
		_, err := fmt.Fprintln(stdout, buildinfo.Read())
		return err
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, cfg.server(log))
	if err != nil {
		return flagError(err)
	}
	stopped := false
	shutdown := func() error {
		stopped = true
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		return srv.Shutdown(sctx)
	}
	defer func() {
		if !stopped {
			_ = shutdown()
		}
	}()

	if cfg.scenario != nil {
		if err := srv.Scenarios.Check(cfg.scenario); err != nil {
			return fmt.Errorf("-scenario: %w", err)
		}
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "liveorders listening on http://%s\n", ln.Addr())
	log.Info("listening", "addr", ln.Addr().String(), "simulate", cfg.simulate, "data-dir", cfg.dataDir,
		"nats-url", cfg.natsURL, "seed", cfg.seed, "production", cfg.production)
	if cfg.pprof != "" {
		stopPprof, err := startPprof(cfg.pprof, cfg.readTimeout, log, stdout)
		if err != nil {
			_ = ln.Close()
			return err
		}
		defer stopPprof() // after the server, so shutdown can be profiled
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if cfg.scenario != nil {
		if _, err := srv.Scenarios.Start(cfg.scenario); err != nil {
			return fmt.Errorf("-scenario: %w", err)
		}
		log.Info("playing scenario", "name", cfg.scenario.Name, "steps", cfg.scenario.Steps, "duration", cfg.scenario.Duration)
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	err = shutdown()
	if serr := <-served; serr != nil && err == nil {
		err = serr
	}
	log.Info("stopped")
	return err
}
