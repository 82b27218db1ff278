// Package handlers is the whole HTTP and WebSocket surface of liveorders:
// the catalogue and order routes, the orders socket, the published contract,
// health, metrics and the embedded web client.
//
// # Concurrency
//
// A Server is safe for concurrent use. Each socket has one reader (a
// goroutine of its own, started once the upgrade is answered) and is
// written by one goroutine at a time: a worker of the server's flusher
// pool, or the socket's own goroutine while a slow client catches up. The
// reader owns teardown: it waits for any write in progress, then closes
// the connection. Shutdown closes every socket with 1001 and waits for the
// readers, bounded by its context; Fiber's own shutdown neither closes nor
// waits for hijacked connections.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/sim"
)

// Config wires a Server. Hub and Store are required; every other field's
// zero value works.
type Config struct {
	Hub   *hub.Hub
	Store orders.Store
	// Sim is the simulated order stream the mock controls drive; nil
	// disables those controls.
	Sim *sim.Sim
	// Logger receives request and socket logs. Default: discarded.
	Logger *slog.Logger
	// AllowedOrigins is the allow-list for CORS and sockets ("*" for any,
	// "scheme://host:*" for any port). Default: DefaultOrigins. The server's
	// own origin is always allowed.
	AllowedOrigins []string
	// Production turns off the mock controls. Default false.
	Production bool
	// Heartbeat is the ping period. Default defaultHeartbeat.
	Heartbeat time.Duration
	// WriteWait is how long a write may stall before the socket closes.
	// Default defaultWriteWait.
	WriteWait time.Duration
	// ReadLimit is the largest frame a socket reads; a larger one closes
	// the socket with 1009. Default 64 KiB.
	ReadLimit int64
	// MaxCommand is the largest command handled; a larger frame (up to
	// ReadLimit) is answered with too_large. Default 4 KiB.
	MaxCommand int
	// CommandRate and CommandBurst limit each socket's commands (a token
	// bucket). Default 20 per second, bursts of 40.
	CommandRate  float64
	CommandBurst int
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
	// Flushers is the number of write workers. Default GOMAXPROCS.
	Flushers int

	fastWriteWait time.Duration
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.AllowedOrigins == nil {
		c.AllowedOrigins = DefaultOrigins
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = defaultHeartbeat
	}
	if c.WriteWait <= 0 {
		c.WriteWait = defaultWriteWait
	}
	c.fastWriteWait = min(defaultFastWriteWait, c.WriteWait)
	if c.ReadLimit <= 0 {
		c.ReadLimit = 64 << 10
	}
	if c.MaxCommand <= 0 {
		c.MaxCommand = 4 << 10
	}
	if c.CommandRate == 0 {
		c.CommandRate = 20
	}
	if c.CommandBurst <= 0 {
		c.CommandBurst = 40
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 16 << 10
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = defaultReadTimeout
	}
	if c.Flushers <= 0 {
		c.Flushers = runtime.GOMAXPROCS(0)
	}
}

// Server serves the API, the sockets and the web client.
type Server struct {
	cfg     Config
	log     *slog.Logger
	app     *fiber.App
	origins origins
	flusher *flusher
	metrics *metrics

	ready   atomic.Bool
	latency atomic.Int64 // added to outgoing frames by the mock controls, in ns

	mu        sync.Mutex
	sessions  map[*session]struct{}
	closing   bool // no new sessions
	stopping  bool // Shutdown has begun: no new listeners
	listeners []net.Listener
	handlers  sync.WaitGroup

	// life ends when Shutdown begins; store calls made for sockets use it.
	life    context.Context
	endLife context.CancelFunc

	stopBeat chan struct{}
	beatDone chan struct{}
}

// New returns a Server; it starts its write workers and heartbeat, which
// Shutdown stops.
func New(cfg Config) *Server {
	cfg.defaults()
	srv := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		origins:  newOrigins(cfg.AllowedOrigins),
		flusher:  newFlusher(cfg.Flushers),
		metrics:  newMetrics(cfg.Hub),
		sessions: make(map[*session]struct{}),
		stopBeat: make(chan struct{}),
		beatDone: make(chan struct{}),
	}
	srv.life, srv.endLife = context.WithCancel(context.Background())
	srv.app = fiber.New(fiber.Config{
		AppName:               "liveorders",
		DisableStartupMessage: true,
		ErrorHandler:          srv.errorHandler,
		BodyLimit:             cfg.MaxBody,
		ReadBufferSize:        4096,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           2 * time.Minute,
		ReduceMemoryUsage:     true,
	})
	keepHijackedConns(srv.app.Server())
	srv.routes()
	srv.ready.Store(true)
	go srv.heartbeat()
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

// defaultReadTimeout is Config.ReadTimeout's default: far longer than any
// real client needs to send a request of at most MaxBody bytes.
const defaultReadTimeout = 10 * time.Second

// firstByteListener gives each connection it accepts a read deadline of
// timeout. fasthttp bounds a request by its ReadTimeout only once the
// request's first byte has arrived (then replacing this deadline), so a
// client that connects and stays silent would otherwise hold its connection
// forever. Sockets set their own deadlines once upgraded.
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
	return c, nil
}

func (srv *Server) routes() {
	app := srv.app
	app.Use(srv.recoverPanic, srv.requestLog, srv.cors)

	app.Get("/healthz", srv.healthz)
	app.Get("/readyz", srv.readyz)
	app.Get("/metrics", srv.metrics.handler())
	app.Get("/categories", srv.listCategories)
	srv.staticRoutes()
	srv.contractRoutes()

	app.Get("/orders/:category", srv.checkSocket, websocket.New(srv.serveSocket, websocket.Config{
		Origins:      []string{"*"}, // checked by srv.cors, which answers 403
		Subprotocols: []string{api.Subprotocol},
		// The library only answers the upgrade: the session reads and
		// writes the connection itself (handoff.go), so its buffers stay
		// as small as it allows.
		ReadBufferSize:  125,
		WriteBufferPool: &sync.Pool{},
		RecoverHandler:  srv.recoverSocket,
	}))
	app.Post("/orders/:id", srv.placeOrder)
	if !srv.cfg.Production && srv.cfg.Sim != nil {
		srv.mockRoutes()
	}

	app.Get("/:category", srv.listProducts)
	app.Post("/:category", srv.addProduct)
	app.Get("/:category/:id", srv.getProduct)
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// recoverPanic turns a handler panic into a 500 problem, logged once.
func (srv *Server) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			srv.log.Error("panic serving request", "method", c.Method(), "path", c.Path(), "panic", r, "stack", string(debug.Stack()))
			err = problem(500, api.ErrorCodeInternal, "internal error")
		}
	}()
	return c.Next()
}

// recoverSocket logs a socket handler panic; it never echoes it to the
// client (the library's default does).
func (srv *Server) recoverSocket(*websocket.Conn) {
	if r := recover(); r != nil {
		srv.log.Error("panic serving socket", "panic", r, "stack", string(debug.Stack()))
	}
}

func (srv *Server) requestLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		_ = srv.errorHandler(c, err)
	}
	// One structured line per request: refusals and failures at info,
	// the rest (a busy mock answers many) at debug.
	status := c.Response().StatusCode()
	level := slog.LevelDebug
	if status >= 400 {
		level = slog.LevelInfo
	}
	srv.log.Log(c.UserContext(), level, "request", "method", c.Method(), "path", c.Path(), "status", status,
		"duration", time.Since(start), "ip", c.IP())
	return nil
}

func (srv *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

func (srv *Server) readyz(c *fiber.Ctx) error {
	if !srv.ready.Load() {
		return c.Status(503).JSON(fiber.Map{"status": "shutting down"})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

func (srv *Server) register(s *session) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.closing {
		return false
	}
	srv.sessions[s] = struct{}{}
	srv.handlers.Add(1)
	return true
}

func (srv *Server) unregister(s *session) {
	srv.mu.Lock()
	delete(srv.sessions, s)
	srv.mu.Unlock()
	srv.handlers.Done()
}

func (srv *Server) sessionCount() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return len(srv.sessions)
}

// each calls fn for a snapshot of the open sessions.
func (srv *Server) each(fn func(*session)) {
	srv.mu.Lock()
	list := make([]*session, 0, len(srv.sessions))
	for s := range srv.sessions {
		list = append(list, s)
	}
	srv.mu.Unlock()
	for _, s := range list {
		fn(s)
	}
}

// heartbeat pings every socket each Heartbeat: one goroutine for all.
func (srv *Server) heartbeat() {
	defer close(srv.beatDone)
	ping, _ := (api.Ping{}).MarshalJSON()
	v1Ping := TextFrame(nil, ping)
	t := time.NewTicker(srv.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-srv.stopBeat:
			return
		case <-t.C:
		}
		srv.each(func(s *session) {
			frame := pingFrame
			if s.mode == hub.V1 {
				frame = v1Ping
			}
			if err := s.sub.Enqueue(frame); err != nil {
				s.fail(err)
			}
		})
	}
}

// Shutdown stops accepting requests, closes every socket with code 1001
// after flushing what it has pending, and waits for the socket handlers,
// bounded by ctx; sockets still open then are cut.
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
	srv.mu.Lock()
	srv.closing = true
	srv.mu.Unlock()
	srv.each(func(s *session) { s.closeWith(int(api.CloseCodeGoingAway), "server shutting down") })
	done := make(chan struct{})
	go func() { srv.handlers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		srv.each(func(s *session) { s.forceClose() })
		<-done
	}
	srv.endLife()
	close(srv.stopBeat)
	<-srv.beatDone
	srv.flusher.stop()
	return err
}

// Kick closes sockets with code and reason: one (by session id) or all
// (id ""). It returns how many it closed.
func (srv *Server) Kick(id string, code int, reason string) int {
	n := 0
	srv.each(func(s *session) {
		if id == "" || s.id == id {
			s.closeWith(code, reason)
			n++
		}
	})
	return n
}

// queue hands a socket with something to send to the flusher, after the
// mock controls' added latency if any.
func (srv *Server) queue(s *session, urgent bool) {
	if d := time.Duration(srv.latency.Load()); d > 0 {
		srv.flusher.pushLater(s, urgent, d)
		return
	}
	srv.flusher.push(s, urgent)
}

// Sessions returns the number of open sockets.
func (srv *Server) Sessions() int { return srv.sessionCount() }
