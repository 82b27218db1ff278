// Package handlers is the HTTP surface of liveorders: the catalogue and
// order routes, the published contract, CORS, problems, health, metrics,
// the mock controls and the embedded web client, and the route that
// upgrades the orders socket and hands the connection to internal/socket.
//
// # Concurrency
//
// A Server is safe for concurrent use. Fiber serves each request on a
// goroutine of its own; an upgraded socket leaves the server at the 101
// (handoff.go) and belongs to the socket engine from then on. Shutdown
// stops accepting and waits for requests in flight, bounded by its
// context; it neither closes nor waits for sockets, which the engine's own
// Shutdown does.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/internal/auth"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/scenario"
	"github.com/liveorders/liveorders/internal/sim"
	"github.com/liveorders/liveorders/internal/socket"
)

// Config wires a Server. Hub, Store and Sockets are required; every other
// field's zero value works.
type Config struct {
	Hub     *hub.Hub
	Store   orders.Store
	Sockets *socket.Engine
	// Sim is the simulated order stream the mock controls drive; nil
	// disables those controls.
	Sim *sim.Sim
	// Scenarios plays the scenarios of the mock controls; nil disables
	// /mock/scenario.
	Scenarios *scenario.Player
	// Metrics are the metrics /metrics serves; the socket engine reports
	// to the same ones. Default: NewMetrics(Hub).
	Metrics *Metrics
	// Logger receives request logs. Default: discarded.
	Logger *slog.Logger
	// AllowedOrigins is the allow-list for CORS and sockets ("*" for any,
	// "scheme://host:*" for any port). Default: DefaultOrigins. The server's
	// own origin is always allowed.
	AllowedOrigins []string
	// Production turns off the mock controls. Default false.
	Production bool
	// MaxSockets caps open sockets; beyond it the upgrade is answered 503.
	// Default 0: no cap beyond the process's file limit.
	MaxSockets int
	// MaxBody is the largest HTTP request body. Default 16 KiB.
	MaxBody int
	// ReadTimeout is how long a new connection may take to send its first
	// byte, and then the rest of a request, headers and body, WebSocket
	// upgrades included; a slower client is cut. Default
	// defaultReadTimeout.
	ReadTimeout time.Duration
	// Auth checks bearer tokens: writes need one with the route's scope,
	// reads and socket upgrades too unless it allows public reads.
	// Default nil: no token is needed or checked.
	Auth *auth.Verifier
	// WriteRate and WriteBurst limit HTTP writes (orders, products, mock
	// controls) per client address and, with a token, per token subject:
	// WriteRate a second on average, bursts of WriteBurst; beyond, 429
	// with Retry-After. Default 0: no limit.
	WriteRate  float64
	WriteBurst int
	// TrustedProxies are the peers (load balancers, reverse proxies) whose
	// X-Forwarded-For, -Proto and -Host are believed: the client address
	// for write limits and logs, and the scheme and host the contract
	// documents name. From any other peer those headers are ignored.
	// Default none: the connection's peer is the client.
	TrustedProxies []netip.Prefix
}

// defaultReadTimeout is Config.ReadTimeout's default: far longer than any
// real client needs to send a request of at most MaxBody bytes.
const defaultReadTimeout = 10 * time.Second

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(c.Hub)
	}
	if c.AllowedOrigins == nil {
		c.AllowedOrigins = DefaultOrigins
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 16 << 10
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = defaultReadTimeout
	}
}

// Server serves the API, the socket upgrade and the web client.
type Server struct {
	cfg     Config
	log     *slog.Logger
	app     *fiber.App
	origins origins
	metrics *Metrics
	writes  *writeLimiter
	trusted trustedProxies
	table   routeTable // the registered routes, for templates and Allow

	ready atomic.Bool

	recMu sync.Mutex
	rec   *scenario.Recording // the last recording started; nil: none
	recOn bool                // rec is recording

	mu        sync.Mutex
	stopping  bool // Shutdown has begun: no new listeners
	listeners []net.Listener
}

// New returns a Server.
func New(cfg Config) *Server {
	cfg.defaults()
	srv := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		origins: newOrigins(cfg.AllowedOrigins),
		metrics: cfg.Metrics,
		trusted: cfg.TrustedProxies,
	}
	limit := writeLimit{rate: cfg.WriteRate, burst: cfg.WriteBurst}
	srv.writes = newWriteLimiter(limit, limit, time.Now)
	srv.app = fiber.New(fiber.Config{
		AppName:               "liveorders",
		DisableStartupMessage: true,
		ErrorHandler:          srv.errorHandler,
		BodyLimit:             cfg.MaxBody,
		// Room for the headers of a request with a large bearer token
		// (auth.MaxTokenLength); a larger block is answered 431.
		ReadBufferSize: 16 << 10,
		// Every value a handler reads from the request is its own copy:
		// fasthttp reuses its buffers once a handler returns, and values
		// outlive it (a stored order's id, a metric's label).
		Immutable:         true,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ReduceMemoryUsage: true,
		// X-Forwarded-Proto and -Host are read from trusted proxies only.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          srv.trusted.strings(),
	})
	keepHijackedConns(srv.app.Server())
	lingerOnRequestErrors(srv.app.Server())
	srv.routes()
	srv.metrics.watchServer(srv)
	srv.ready.Store(true)
	return srv
}

// App returns the Fiber app, for tests that drive it directly.
func (srv *Server) App() *fiber.App { return srv.app }

// Serve serves on ln until Shutdown, which closes ln. It may be called
// after Shutdown: it then closes ln and returns at once.
func (srv *Server) Serve(ln net.Listener) error {
	srv.mu.Lock()
	if srv.stopping {
		srv.mu.Unlock()
		return ln.Close()
	}
	srv.listeners = append(srv.listeners, ln)
	srv.mu.Unlock()
	err := srv.app.Listener(firstByteListener{ln, srv.cfg.ReadTimeout})
	if errors.Is(err, net.ErrClosed) {
		return nil // closed by Shutdown
	}
	return err
}

// firstByteListener gives each connection it accepts a read deadline of
// timeout. fasthttp bounds a request by its ReadTimeout only once the
// request's first byte has arrived (then replacing this deadline), so a
// client that connects and stays silent would otherwise hold its connection
// forever. Sockets set their own deadlines once upgraded. Each connection
// comes wrapped for a lingering close (linger.go).
type firstByteListener struct {
	net.Listener
	timeout time.Duration
}

func (l firstByteListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(l.timeout)) // an error surfaces at the first read
	return &lingerConn{Conn: c}, nil
}

// Shutdown turns /readyz to 503, stops accepting requests and waits for
// those in flight, bounded by ctx. Sockets already upgraded are the
// engine's to close.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.ready.Store(false)
	srv.mu.Lock()
	srv.stopping = true
	listeners := srv.listeners
	srv.mu.Unlock()
	err := srv.app.ShutdownWithContext(ctx)
	// Fiber only closes listeners it has started accepting on; one handed
	// to Serve just before Shutdown would otherwise be served forever.
	for _, ln := range listeners {
		_ = ln.Close()
	}
	return err
}
