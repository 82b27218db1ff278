package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/hub"
)

// Timing of a socket. Configurable ones are in Config; their defaults are
// here with their relations.
const (
	// defaultHeartbeat is how often a socket is pinged; a socket that sends
	// nothing (not even a pong) for pongWait = 2 × heartbeat is closed.
	defaultHeartbeat = 25 * time.Second
	// defaultWriteWait is how long a write, and so a client that stopped
	// reading, may stall before its socket is closed.
	defaultWriteWait = 10 * time.Second
	// defaultFastWriteWait is, on a connection without a file descriptor
	// (see wire), how long a pool worker waits on one socket's write
	// before handing it to that socket's own goroutine; far below
	// defaultWriteWait, so one slow client never delays the others. On
	// TCP connections a worker never waits.
	defaultFastWriteWait = 20 * time.Millisecond
	// closeGrace is how long a socket waits for the client to answer a
	// close frame before it stops reading.
	closeGrace = time.Second
)

var sessionIDs atomic.Uint64

// checkSocket runs before the upgrade: it answers what the websocket library
// would answer badly (a bare 426, or nothing at all) with a problem.
func (srv *Server) checkSocket(c *fiber.Ctx) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return problem(http.StatusUpgradeRequired, api.ErrorCodeUpgradeRequired,
			"this route only accepts a WebSocket upgrade")
	}
	if !srv.cfg.Hub.Has(c.Params("category")) {
		return problem(http.StatusNotFound, api.ErrorCodeUnknownCategory,
			fmt.Sprintf("unknown category %q", c.Params("category")))
	}
	if srv.cfg.MaxSockets > 0 && srv.sessionCount() >= srv.cfg.MaxSockets {
		return problem(http.StatusServiceUnavailable, api.ErrorCodeOverloaded,
			"the server holds the most sockets allowed; retry later")
	}
	keepNetConn(c)
	return c.Next()
}

// serveSocket runs on the goroutine that served the upgrade: it sets the
// session up, hands reading to a goroutine of the session's own, and
// returns, so what the upgrade needed is freed (see handoff.go).
func (srv *Server) serveSocket(conn *websocket.Conn) {
	nc, early, err := handoff(conn)
	if err != nil {
		srv.log.Error("socket handoff", "err", err)
		if nc == nil {
			nc = conn.UnderlyingConn()
		}
		_ = nc.Close() // fasthttp keeps hijacked connections open
		return
	}
	mode := hub.Bare
	if conn.Subprotocol() == api.Subprotocol {
		mode = hub.V1
	}
	s := &session{
		srv:  srv,
		wire: newWire(nc, srv.cfg.fastWriteWait),
		mode: mode,
		id:   "s-" + strconv.FormatUint(sessionIDs.Add(1), 36),
		rate: newBucket(srv.cfg.CommandRate, srv.cfg.CommandBurst),
		fr:   frameReader{limit: srv.cfg.ReadLimit},
	}
	s.cond.L = &s.mu
	s.sub = srv.cfg.Hub.NewSub(mode, s.wake)
	if !srv.register(s) {
		_ = s.wire.write(closeFrame(int(api.CloseCodeGoingAway), "server shutting down"), time.Second)
		_ = nc.Close()
		return
	}
	srv.metrics.socketOpened(mode)
	if mode == hub.V1 {
		s.send(api.Welcome{Protocol: api.Subprotocol, Session: s.id, HeartbeatMs: srv.cfg.Heartbeat.Milliseconds()})
	}
	_ = s.sub.Switch(conn.Params("category"), "")
	go s.serve(early)
}

// serve is the session's reader, and owns its teardown.
func (s *session) serve(early []byte) {
	srv := s.srv
	defer srv.unregister(s)
	defer s.finish()
	defer func() {
		if r := recover(); r != nil {
			srv.log.Error("panic serving socket", "session", s.id, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	code := int(api.CloseCodeGoingAway)
	err := s.fr.feed(early, s.frame)
	for err == nil {
		closing, failed := s.status()
		if failed {
			break
		}
		if !closing {
			// Once closing, the deadline set with the close frame stands.
			_ = s.wire.conn.SetReadDeadline(time.Now().Add(2 * srv.cfg.Heartbeat))
		}
		b, n, rerr := s.wire.read()
		if rerr != nil {
			break
		}
		err = s.fr.feed((*b)[:n], s.frame)
		putReadBuf(b)
	}
	var (
		pc peerClose
		ce *closeErr
	)
	switch {
	case errors.As(err, &pc):
		code = pc.code
		s.awaitClose()
	case errors.As(err, &ce):
		// A broken frame or a message over the read limit.
		code = ce.code
		srv.log.Info("socket failed", "session", s.id, "code", ce.code, "reason", ce.reason)
		s.mu.Lock()
		s.hangUp = true
		s.mu.Unlock()
		s.closeWith(ce.code, ce.reason)
		s.awaitClose()
	}
	srv.metrics.socketClosed(s.mode, code)
	srv.log.Debug("socket closed", "session", s.id, "code", code)
}

// peerClose ends reading: the client sent a close frame with code.
type peerClose struct{ code int }

func (peerClose) Error() string { return "closed by the client" }

// awaitClose keeps reading, and dropping what it reads, until the close
// frame queued is written and then, if the client has not closed yet, its
// answer comes or closeGrace passes.
func (s *session) awaitClose() {
	_ = s.wire.conn.SetReadDeadline(time.Now().Add(closeGrace))
	for {
		s.mu.Lock()
		over := s.hangUp && s.sub.Ended()
		s.mu.Unlock()
		if over {
			return
		}
		b, _, err := s.wire.read()
		if err != nil {
			return
		}
		putReadBuf(b)
	}
}

// frame handles one message or control frame from the client.
func (s *session) frame(f wsFrame) error {
	switch f.op {
	case opPing:
		if err := s.sub.Enqueue(appendFrame(nil, opPong, f.payload)); err != nil {
			s.closeWith(int(api.CloseCodePolicyViolation), "not reading")
		}
		s.answer()
		return nil
	case opPong:
		return nil // reading it renewed the deadline
	case opClose:
		code, err := closeCode(f.payload)
		if err != nil {
			return err
		}
		s.mu.Lock()
		answered := s.closing
		s.closing, s.hangUp = true, true
		s.mu.Unlock()
		if !answered {
			s.sub.Finish(closeFrame(code, ""))
		}
		return peerClose{code}
	}
	if closing, _ := s.status(); closing {
		return nil // a close frame is on its way: read only its answer
	}
	if now := time.Now(); !s.rate.allow(now) {
		if s.rate.abusive() {
			s.closeWith(int(api.CloseCodePolicyViolation), "command flood")
		} else if now.Sub(s.refusedAt) >= time.Second {
			// One refusal a second says it all; answering every excess
			// command would only feed the flood.
			s.refusedAt = now
			s.refuse(&api.Error{Code: api.ErrorCodeRateLimited, Message: "too many commands; slow down"})
		}
		return nil
	}
	switch {
	case f.op != opText:
		s.refuse(&api.Error{Code: api.ErrorCodeUnsupportedFrame, Message: "commands are JSON text frames"})
	case len(f.payload) > s.srv.cfg.MaxCommand:
		s.refuse(&api.Error{Code: api.ErrorCodeTooLarge,
			Message: fmt.Sprintf("a command is at most %d bytes", s.srv.cfg.MaxCommand)})
	default:
		s.handle(f.payload)
	}
	s.answer()
	return nil
}
