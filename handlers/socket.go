package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/auth"
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
	if err := srv.socketToken(c); err != nil {
		return err
	}
	keepNetConn(c)
	return c.Next()
}

// socketToken checks the upgrade's token, before the 101: from the
// Authorization header (non-browser clients), else from a
// "bearer.<token>" Sec-WebSocket-Protocol entry (browsers, which cannot
// set headers on a WebSocket). A token given must be valid and allow the
// category; none is needed unless reads are private. The claims go to the
// session through the request's locals.
func (srv *Server) socketToken(c *fiber.Ctx) error {
	if !srv.cfg.Auth.Enabled() {
		return nil
	}
	token, err := bearerToken(c.Get(fiber.HeaderAuthorization))
	if errors.Is(err, auth.ErrNoToken) {
		token, err = protocolToken(c.Request().Header.PeekAll(fiber.HeaderSecWebSocketProtocol))
	}
	if err != nil && !(errors.Is(err, auth.ErrNoToken) && srv.cfg.Auth.PublicRead()) {
		return err
	}
	if token == "" {
		return nil // anonymous, reads are public
	}
	cl, err := srv.cfg.Auth.Verify(c.UserContext(), token)
	if err == nil {
		err = cl.Live(time.Now())
	}
	if err != nil {
		return err
	}
	if err := cl.RequireCategory(c.Params("category")); err != nil {
		return err
	}
	c.Locals(claimsKey, cl)
	return nil
}

// protocolToken finds the token of a "bearer.<token>" entry among the
// Sec-WebSocket-Protocol header values.
func protocolToken(values [][]byte) (string, error) {
	for _, v := range values {
		for _, p := range strings.Split(string(v), ",") {
			if t, ok := strings.CutPrefix(strings.TrimSpace(p), bearerProtocol); ok {
				if t == "" {
					return "", &auth.TokenError{Reason: auth.ErrMalformed, Err: errors.New("an empty bearer. subprotocol entry")}
				}
				return t, nil
			}
		}
	}
	return "", auth.ErrNoToken
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
		cl, _ := conn.Locals(claimsKey).(*auth.Claims)
		srv.cfg.Sockets.Serve(nc, early, socket.Params{
			Category: conn.Params("category"), // a copy
			V1:       conn.Subprotocol() == api.Subprotocol,
			Claims:   cl,
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
