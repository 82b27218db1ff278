package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	fws "github.com/fasthttp/websocket"
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
	// defaultFastWriteWait is how long a pool worker waits on one socket's
	// write before handing it to that socket's own goroutine; far below
	// defaultWriteWait, so one slow client never delays the others.
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
	keepRequestCtx(c)
	return c.Next()
}

// serveSocket is the reader of one socket, and owns its teardown.
func (srv *Server) serveSocket(conn *websocket.Conn) {
	releaseRequest(conn)
	mode := hub.Bare
	if conn.Subprotocol() == api.Subprotocol {
		mode = hub.V1
	}
	s := &session{
		srv:  srv,
		conn: conn,
		raw:  conn.UnderlyingConn(),
		mode: mode,
		id:   "s-" + strconv.FormatUint(sessionIDs.Add(1), 36),
		rate: newBucket(srv.cfg.CommandRate, srv.cfg.CommandBurst),
	}
	s.cond.L = &s.mu
	s.sub = srv.cfg.Hub.NewSub(mode, s.wake)
	if !srv.register(s) {
		_ = conn.WriteControl(websocket.CloseMessage, closeMessage(int(api.CloseCodeGoingAway), "server shutting down"), time.Now().Add(time.Second))
		return
	}
	srv.metrics.socketOpened(mode)
	defer srv.unregister(s)
	defer s.finish()

	pongWait := 2 * srv.cfg.Heartbeat
	conn.SetReadLimit(srv.cfg.ReadLimit)
	conn.SetPongHandler(func(string) error {
		return conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	conn.SetCloseHandler(func(code int, text string) error {
		s.mu.Lock()
		answered := s.closing
		s.mu.Unlock()
		if !answered {
			_ = conn.WriteControl(websocket.CloseMessage, closeMessage(code, ""), time.Now().Add(time.Second))
		}
		return nil
	})

	if mode == hub.V1 {
		s.send(api.Welcome{Protocol: api.Subprotocol, Session: s.id, HeartbeatMs: srv.cfg.Heartbeat.Milliseconds()})
	}
	_ = s.sub.Switch(conn.Params("category"), "")

	code := 0
	for {
		closing, failed := s.status()
		if failed {
			break
		}
		if !closing {
			// Once closing, the deadline set after the close frame
			// (closeGrace) stands.
			_ = conn.SetReadDeadline(time.Now().Add(pongWait))
		}
		kind, data, err := conn.ReadMessage()
		if err != nil {
			code = closeCodeOf(err)
			break
		}
		if closing {
			continue // a close frame is on its way: read only its answer
		}
		if now := time.Now(); !s.rate.allow(now) {
			if s.rate.abusive() {
				s.closeWith(int(api.CloseCodePolicyViolation), "command flood")
			} else if now.Sub(s.refusedAt) >= time.Second {
				// One refusal a second says it all; answering every
				// excess command would only feed the flood.
				s.refusedAt = now
				s.refuse(&api.Error{Code: api.ErrorCodeRateLimited, Message: "too many commands; slow down"})
			}
			continue
		}
		switch {
		case kind != websocket.TextMessage:
			s.refuse(&api.Error{Code: api.ErrorCodeUnsupportedFrame, Message: "commands are JSON text frames"})
		case len(data) > srv.cfg.MaxCommand:
			s.refuse(&api.Error{Code: api.ErrorCodeTooLarge,
				Message: fmt.Sprintf("a command is at most %d bytes", srv.cfg.MaxCommand)})
		default:
			s.handle(data)
		}
	}
	srv.metrics.socketClosed(mode, code)
	srv.log.Debug("socket closed", "session", s.id, "code", code)
}

// closeCodeOf names how a read ended, for metrics and logs.
func closeCodeOf(err error) int {
	var ce *fws.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	if errors.Is(err, fws.ErrReadLimit) {
		return int(api.CloseCodeMessageTooBig)
	}
	return int(api.CloseCodeGoingAway)
}
