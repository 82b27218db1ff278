// Package server assembles one liveorders instance: its store (in memory,
// an embedded NATS JetStream, or a shared NATS server), the hub that
// mirrors it, the simulated order stream, the socket engine and the HTTP
// server. main.go and internal/testenv both build instances with it, so a
// test server is wired exactly as the real one.
//
// # Concurrency
//
// New starts the hub's watch, the simulation and the socket engine's
// goroutines; Shutdown stops them all, in order. Serve may be called from
// any goroutine.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/liveorders/liveorders/handlers"
	"github.com/liveorders/liveorders/internal/auth"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/memstore"
	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/scenario"
	"github.com/liveorders/liveorders/internal/sim"
	"github.com/liveorders/liveorders/internal/socket"
	"github.com/liveorders/liveorders/internal/ws"
)

// openTimeout bounds connecting to NATS and replaying the log at start.
const openTimeout = time.Minute

// Config is everything an instance is built from. The zero value is the
// embedded default: the original catalogue in memory, no simulation.
type Config struct {
	// Catalogue is the catalogue file; "" is the embedded original one.
	// State, when it has categories, replaces both.
	Catalogue string
	State     orders.State
	// Store, when set, is the store to use instead of opening one; the
	// instance does not close it.
	Store orders.Store
	// DataDir keeps the state in an embedded NATS JetStream there.
	DataDir string
	// NATS joins the instances sharing a NATS JetStream server at its URL,
	// with its credentials.
	NATS natsbus.Options
	// NATSStore tunes the NATS store (replicas, snapshots, retention);
	// New fills in Logger, MaxProducts and DuplicateWindow.
	NATSStore natsbus.Config
	// KeyWindow is how long either store remembers an order's idempotency
	// key. Default orders.DefaultKeyWindow.
	KeyWindow time.Duration
	// MaxProducts is the most products a category may hold (default 1000).
	MaxProducts int
	// Simulate is the interval of the simulated orders; 0 turns them off.
	Simulate time.Duration
	// Seed seeds the simulated orders.
	Seed uint64
	// Logger receives every log. Default: discarded.
	Logger *slog.Logger
	// Auth configures bearer tokens, shared by HTTP and the sockets.
	// Default: off, no token is needed.
	Auth auth.Config
	// HTTP and Socket configure the HTTP server and the socket engine;
	// New fills in the parts it builds (hub, store, simulation, engine,
	// metrics, token verifier).
	HTTP   handlers.Config
	Socket socket.Config
}

// Server is one running instance.
type Server struct {
	Hub     *hub.Hub
	Store   orders.Store
	Sim     *sim.Sim
	Sockets *socket.Engine
	HTTP    *handlers.Server
	Auth    *auth.Verifier
	// Scenarios plays scenarios on this instance (the mock controls'
	// /mock/scenario, and -scenario at start).
	Scenarios *scenario.Player

	log     *slog.Logger
	end     context.CancelFunc // ends the hub's watch and the simulation
	simDone chan struct{}
	close   func() // closes the store New opened; nil for a given one
}

// New builds an instance and starts its hub, simulation and socket
// engine; it serves nothing until Serve.
func New(ctx context.Context, cfg Config) (_ *Server, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{log: cfg.Logger, simDone: make(chan struct{})}
	defer func() {
		if err != nil && s.close != nil {
			s.close()
		}
		if err != nil {
			s.Auth.Close()
		}
	}()
	if cfg.Auth.Logger == nil {
		cfg.Auth.Logger = cfg.Logger
	}
	if s.Auth, err = auth.New(cfg.Auth); err != nil {
		return nil, err
	}
	if err := s.openStore(ctx, cfg); err != nil {
		return nil, err
	}
	// The hub and the simulation live until Shutdown.
	life, end := context.WithCancel(context.Background())
	s.end = end
	s.Hub, err = hub.New(life, s.Store, hub.Config{Frame: ws.AppendText})
	if err != nil {
		end()
		return nil, err
	}
	s.Sim = sim.New(s.Store, sim.Config{Interval: cfg.Simulate, Seed: cfg.Seed, Products: s.Hub.ProductIDs, Logger: cfg.Logger})
	go func() {
		defer close(s.simDone)
		// Instances sharing a log share one simulated stream: the holder
		// of the lease runs it.
		if lease, ok := s.Store.(orders.Lease); ok {
			lease.Hold(life, "simulate", s.Sim.Run)
			return
		}
		s.Sim.Run(life)
	}()

	metrics := cfg.HTTP.Metrics
	if metrics == nil {
		metrics = handlers.NewMetrics(s.Hub)
	}
	sc := cfg.Socket
	sc.Hub, sc.Store, sc.Logger, sc.Metrics, sc.Auth = s.Hub, s.Store, cfg.Logger, metrics, s.Auth
	if sc.ErrorCode == nil {
		sc.ErrorCode = handlers.CodeOf
	}
	s.Sockets = socket.New(sc)

	s.Scenarios = scenario.NewPlayer(bench{s})

	hc := cfg.HTTP
	hc.Hub, hc.Store, hc.Sim, hc.Sockets, hc.Metrics, hc.Logger = s.Hub, s.Store, s.Sim, s.Sockets, metrics, cfg.Logger
	hc.Scenarios = s.Scenarios
	hc.Auth = s.Auth
	s.HTTP = handlers.New(hc)
	return s, nil
}

// openStore sets s.Store from cfg, and s.close when it opens the store.
func (s *Server) openStore(ctx context.Context, cfg Config) error {
	if cfg.Store != nil {
		s.Store = cfg.Store
		return nil
	}
	state := cfg.State
	if state.Categories == nil {
		var err error
		if state, err = catalogue.Load(cfg.Catalogue); err != nil {
			return err
		}
	}
	if cfg.DataDir == "" && cfg.NATS.URL == "" {
		ms, err := memstore.New(state, memstore.Config{MaxProducts: cfg.MaxProducts, KeyWindow: cfg.KeyWindow})
		if err != nil {
			return err
		}
		s.Store = ms
		return nil
	}
	if cfg.DataDir != "" && cfg.NATS.URL != "" {
		return errors.New("server: a data directory and a NATS URL exclude each other: the NATS server keeps the data")
	}
	opts := cfg.NATS
	opts.DataDir = cfg.DataDir
	octx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	ncfg := cfg.NATSStore
	ncfg.Logger, ncfg.MaxProducts, ncfg.DuplicateWindow = cfg.Logger, cfg.MaxProducts, cfg.KeyWindow
	shared, err := natsbus.Open(octx, opts, state, ncfg)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.Store, s.close = shared, shared.Close
	return nil
}

// Serve serves HTTP and sockets on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.HTTP.Serve(ln) }

// Shutdown stops the instance, within ctx: HTTP first (no new requests,
// /readyz 503), then the scenario playing, if any, then every socket,
// closed with 1001 after what it has pending, then the simulation, the hub
// and the store it opened. Every acknowledged order is in the store by
// then.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.HTTP.Shutdown(ctx)
	s.Scenarios.Close()
	s.Sockets.Shutdown(ctx)
	s.end()
	<-s.simDone
	if s.close != nil {
		s.close()
	}
	s.Auth.Close()
	return err
}
