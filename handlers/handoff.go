package handlers

import (
	"errors"
	"net"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Once the websocket library has answered the upgrade, a socket is served
// straight from the connection fasthttp accepted: the socket engine reads
// and frames what it needs itself (internal/ws), and the handler returns
// at once. Returning lets fasthttp recycle the request context
// and the library recycle its connection, and ends the goroutine that
// served the upgrade, so an idle socket costs no buffer and only a small
// reader goroutine. This file is the one place that relies on how fasthttp
// hands a hijacked connection over:
//
//   - Server.KeepHijackedConns stops fasthttp closing the connection when
//     the handler returns; the socket engine closes it when the session
//     ends.
//   - RequestCtx.Conn is the accepted connection (in the listener's wrapper
//     for a lingering close, linger.go, which the socket does without); the
//     middleware before the upgrade passes it to the handler through a
//     local (the library copies locals into its Conn).
//   - Bytes fasthttp read past the upgrade request (from a client that sent
//     a frame without waiting for the 101) are in the buffered reader under
//     the library's connection; handoff reads them out before returning.
//
// Tests: TestFrameSentWithTheUpgradeIsAnswered, and every socket test.

const netConnKey = "liveorders.netconn"

// keepHijackedConns is set on the server before it serves.
func keepHijackedConns(s *fasthttp.Server) { s.KeepHijackedConns = true }

// heldConn carries the connection in a local: fasthttp closes locals that
// are io.Closers when the request ends, so the connection goes in a
// wrapper that is not one.
type heldConn struct{ conn net.Conn }

// keepNetConn runs before the upgrade.
func keepNetConn(c *fiber.Ctx) { c.Locals(netConnKey, &heldConn{unwrapConn(c.Context().Conn())}) }

// handoff returns the connection under conn and the bytes already read
// past the upgrade request.
func handoff(conn *websocket.Conn) (net.Conn, []byte, error) {
	held, ok := conn.Locals(netConnKey).(*heldConn)
	if !ok {
		return nil, nil, errors.New("upgrade without its connection")
	}
	nc := held.conn
	// With a deadline in the past, a read through the library returns
	// what fasthttp's reader holds, then a timeout, without reading the
	// connection itself.
	if err := nc.SetReadDeadline(time.Unix(1, 0)); err != nil {
		return nil, nil, err
	}
	var early []byte
	var b [512]byte
	for {
		n, err := conn.UnderlyingConn().Read(b[:])
		early = append(early, b[:n]...)
		if err != nil || n == 0 {
			break
		}
	}
	return nc, early, nc.SetReadDeadline(time.Time{})
}
