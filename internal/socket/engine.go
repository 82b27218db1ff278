package socket

import (
	"context"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/auth"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/ws"
)

// Timing of a session. The configurable ones are in Config; their defaults
// are here with their relations.
const (
	// defaultHeartbeat is how often a session is pinged; one whose client
	// sends nothing (not even a pong) for pongWait = 2 × the heartbeat is
	// closed.
	defaultHeartbeat = 25 * time.Second
	// defaultWriteWait is how long a write, and so a client that stopped
	// reading, may stall before its session is closed.
	defaultWriteWait = 10 * time.Second
	// defaultFastWriteWait is, on a connection without a file descriptor
	// (see ws.Conn), how long a pool worker waits on one session's write
	// before handing it to that session's own goroutine; far below
	// defaultWriteWait, so one slow client never delays the others. On TCP
	// connections a worker never waits.
	defaultFastWriteWait = 20 * time.Millisecond
	// closeGrace bounds both the last write of a session whose write timed
	// out (the rest of its frame and the close frame) and how long a
	// session lingers after its close frame for the client to close too.
	closeGrace = time.Second
	// lingerBytes is the most a lingering session reads from a client
	// that keeps sending after its close frame before it gives up and
	// closes anyway: a few frames at the largest read limit anyone sets.
	lingerBytes = 4 << 20
	// defaultReadPoll is Config.ReadPoll's default: a command waits at
	// most about this long, plus one socket's write, for its reader to be
	// woken during a fan-out; the looks cost a non-blocking epoll_wait
	// each, a few thousand a second at most.
	defaultReadPoll = 50 * time.Microsecond
	// defaultTokenGrace is how long a session whose token expired stays
	// open for an auth command with a new one, after the token_expired
	// error, before it is closed with 4001: time for a client to fetch a
	// token, far above a round trip.
	defaultTokenGrace = 30 * time.Second
)

// Config tunes an Engine. Hub is required, and Store for place-order; every
// other field's zero value works.
type Config struct {
	Hub   *hub.Hub
	Store orders.Store
	// Logger receives the sessions' logs. Default: discarded.
	Logger *slog.Logger
	// Metrics receives the sessions' counts and timings. Default: none.
	Metrics Metrics
	// ErrorCode maps a store error to its wire code, for the error
	// message that answers a refused place-order. Default: internal.
	ErrorCode func(error) api.ErrorCode
	// OnMessage handles each text or binary message a client sends;
	// payload is valid only during the call. Default: the liveorders.v1
	// commands (commands.go).
	OnMessage func(s *Session, op byte, payload []byte)
	// Heartbeat is the ping period. Default defaultHeartbeat.
	Heartbeat time.Duration
	// WriteWait is how long a write may stall before the session is
	// closed. Default defaultWriteWait.
	WriteWait time.Duration
	// ReadLimit is the largest message a session reads; a larger one
	// closes it with 1009. Default 64 KiB.
	ReadLimit int64
	// MaxCommand is the largest command handled; a larger message (up to
	// ReadLimit) is answered with too_large. Default 4 KiB.
	MaxCommand int
	// CommandRate and CommandBurst limit each session's commands (a token
	// bucket). Default 20 per second, bursts of 40.
	CommandRate  float64
	CommandBurst int
	// Writers is the size of the write pool. Default GOMAXPROCS.
	Writers int
	// ReadPoll is how often, at most, the goroutines busy with a fan-out
	// look for commands waiting on the sockets and let their readers run
	// first (input_linux.go). Default defaultReadPoll; negative: never,
	// and commands wait for a processor to run out of work.
	ReadPoll time.Duration
	// Auth checks the tokens of auth commands; when it is enabled,
	// place-order needs orders:write, and a token's categories claim
	// limits the categories a session may follow and order in. Default
	// nil: no token is needed or checked.
	Auth *auth.Verifier
	// TokenGrace is how long a session whose token expired waits for a
	// new one before closing with 4001. Default defaultTokenGrace.
	TokenGrace time.Duration
	// StaleClose is how long Store may be not live (orders.LiveSource)
	// before the v1 sockets are closed with CloseStale (status.go).
	// Default 0: never.
	StaleClose time.Duration

	fastWriteWait time.Duration
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = noMetrics{}
	}
	if c.ErrorCode == nil {
		c.ErrorCode = func(error) api.ErrorCode { return api.ErrorCodeInternal }
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
	if c.Writers <= 0 {
		c.Writers = runtime.GOMAXPROCS(0)
	}
	if c.ReadPoll == 0 {
		c.ReadPoll = defaultReadPoll
	}
	if c.TokenGrace <= 0 {
		c.TokenGrace = defaultTokenGrace
	}
}

// Engine holds every session.
type Engine struct {
	cfg       Config
	log       *slog.Logger
	metrics   Metrics
	onMessage func(s *Session, op byte, payload []byte)
	pool      *pool
	input     *inputWatch // nil: none (input_linux.go)
	latency   latency
	rec       recorder
	ids       atomic.Uint64

	mu       sync.Mutex
	sessions map[*Session]struct{}
	closing  bool // Shutdown has begun: no new sessions
	readers  sync.WaitGroup

	// life ends when Shutdown begins; store calls made for sessions use it.
	life    context.Context
	endLife context.CancelFunc

	status status // the store's liveness, as told to the sockets (status.go)

	stopBeat chan struct{}
	beatDone chan struct{}
	stopped  sync.Once
}

// New returns an Engine; it starts its write pool and heartbeat, which
// Shutdown stops.
func New(cfg Config) *Engine {
	cfg.defaults()
	input := newInputWatch(cfg.ReadPoll)
	e := &Engine{
		cfg:       cfg,
		log:       cfg.Logger,
		metrics:   cfg.Metrics,
		onMessage: cfg.OnMessage,
		pool:      newPool(cfg.Writers, input),
		input:     input,
		sessions:  make(map[*Session]struct{}),
		stopBeat:  make(chan struct{}),
		beatDone:  make(chan struct{}),
	}
	if e.onMessage == nil {
		e.onMessage = (*Session).command
	}
	e.life, e.endLife = context.WithCancel(context.Background())
	e.watchStatus()
	go e.heartbeat()
	return e
}

// Params say what a new session follows.
type Params struct {
	// Category is the category the session follows from the start; ""
	// for none.
	Category string
	// V1 is set when the client chose the liveorders.v1 subprotocol:
	// the session then speaks v1 messages, else the seed-compatible
	// frames.
	V1 bool
	// Claims are those of the token the upgrade carried, verified; nil
	// for an anonymous client.
	Claims *auth.Claims
}

// Serve takes over nc, a connection whose WebSocket upgrade has been
// answered, with early, the bytes the client sent past the upgrade
// request. It returns at once: the session's reader runs on a goroutine of
// its own and closes nc when the session ends.
func (e *Engine) Serve(nc net.Conn, early []byte, p Params) {
	mode := hub.Bare
	if p.V1 {
		mode = hub.V1
	}
	s := &Session{
		e:    e,
		conn: ws.NewConn(nc, e.cfg.fastWriteWait),
		mode: mode,
		id:   "s-" + strconv.FormatUint(e.ids.Add(1), 36),
		rate: newBucket(e.cfg.CommandRate, e.cfg.CommandBurst),
		fr:   ws.Reader{Limit: e.cfg.ReadLimit},
	}
	s.cond.L = &s.mu
	s.sub = e.cfg.Hub.NewSub(mode, s.wake)
	if !e.register(s) {
		_, _ = s.conn.Write(ws.AppendClose(nil, ws.CloseGoingAway, "server shutting down"), closeGrace)
		_ = s.conn.Close()
		return
	}
	e.input.add(s)
	e.metrics.SocketOpened(mode)
	e.greet(s) // welcome, and the store's status when not live
	if p.Claims != nil {
		s.authenticate(p.Claims, "")
	}
	if p.Category != "" {
		s.follow(p.Category, "")
	}
	go s.serve(early)
}

// recover logs a panic of a session's goroutine, which then ends the
// session instead of the process.
func (e *Engine) recover(s *Session) {
	if r := recover(); r != nil {
		e.log.Error("panic serving socket", "session", s.id, "panic", r, "stack", string(debug.Stack()))
	}
}

func (e *Engine) register(s *Session) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closing {
		return false
	}
	e.sessions[s] = struct{}{}
	e.readers.Add(1)
	return true
}

func (e *Engine) unregister(s *Session) {
	e.mu.Lock()
	delete(e.sessions, s)
	e.mu.Unlock()
	e.readers.Done()
}

// Count returns the number of open sessions.
func (e *Engine) Count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.sessions)
}

// each calls fn for a snapshot of the open sessions.
func (e *Engine) each(fn func(*Session)) {
	e.mu.Lock()
	list := make([]*Session, 0, len(e.sessions))
	for s := range e.sessions {
		list = append(list, s)
	}
	e.mu.Unlock()
	for _, s := range list {
		fn(s)
	}
}

// Kick closes sessions with code and reason, after what each has pending:
// one (by session id) or all (id ""). It returns how many it closed.
func (e *Engine) Kick(id string, code int, reason string) int {
	n := 0
	e.each(func(s *Session) {
		if id == "" || s.id == id {
			s.Close(code, reason)
			n++
		}
	})
	return n
}

// Shutdown closes every session with 1001 after what it has pending and
// waits for their readers, bounded by ctx; sessions still open then are
// cut. It then stops the heartbeat and the write pool. Calls after the
// first find nothing left to do.
func (e *Engine) Shutdown(ctx context.Context) {
	e.mu.Lock()
	e.closing = true
	e.mu.Unlock()
	e.stopStatus()
	e.announceShutdown()
	e.each(func(s *Session) { s.Close(ws.CloseGoingAway, "server shutting down") })
	done := make(chan struct{})
	go func() { e.readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		e.log.Warn("shutdown: sockets cut at the deadline", "open", e.Count())
		e.each(func(s *Session) { s.cut() })
		<-done
	}
	e.stopped.Do(func() {
		e.endLife()
		close(e.stopBeat)
		<-e.beatDone
		e.pool.stop()
		e.input.close()
	})
}
