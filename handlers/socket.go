package handlers

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/socket"
)

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
	if srv.cfg.MaxSockets > 0 && srv.cfg.Sockets.Count() >= srv.cfg.MaxSockets {
		return problem(http.StatusServiceUnavailable, api.ErrorCodeOverloaded,
			"the server holds the most sockets allowed; retry later")
	}
	keepNetConn(c)
	return c.Next()
}

// upgrade answers the upgrade and hands the connection to the socket
// engine (see handoff.go).
func (srv *Server) upgrade() fiber.Handler {
	return websocket.New(func(conn *websocket.Conn) {
		nc, early, err := handoff(conn)
		if err != nil {
			srv.log.Error("socket handoff", "err", err)
			if nc == nil {
				nc = conn.UnderlyingConn()
			}
			_ = nc.Close() // fasthttp keeps hijacked connections open
			return
		}
		srv.cfg.Sockets.Serve(nc, early, socket.Params{
			Category: conn.Params("category"), // a copy
			V1:       conn.Subprotocol() == api.Subprotocol,
		})
	}, websocket.Config{
		Origins:      []string{"*"}, // checked by srv.cors, which answers 403
		Subprotocols: []string{api.Subprotocol},
		// The library only answers the upgrade: the engine reads and
		// writes the connection itself, so its buffers stay as small as
		// it allows.
		ReadBufferSize:  125,
		WriteBufferPool: &sync.Pool{},
		RecoverHandler:  srv.recoverSocket,
	})
}

// recoverSocket logs a socket handler panic; it never echoes it to the
// client (the library's default does).
func (srv *Server) recoverSocket(*websocket.Conn) {
	if r := recover(); r != nil {
		srv.log.Error("panic serving socket", "panic", r, "stack", string(debug.Stack()))
	}
}
