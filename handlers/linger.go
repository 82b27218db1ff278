package handlers

import (
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// A request fasthttp stops reading (headers past ReadBufferSize, a body
// past BodyLimit, bytes that do not parse) is answered with a problem and
// Connection: close. Closing a socket with the rest of the request unread
// makes the kernel send a reset, and a client still writing then sees
// "connection reset" instead of the 431 or 413 it was sent. So such a
// connection closes as HTTP servers have long done it: shut the sending
// side down once the answer is out, read and drop what the client still
// sends until it closes its side, for lingerFor and lingerMax at most, then
// close. Other connections close at once.
//
// Tests: TestLargeHeadersAreProblems, TestOversizedRequestsGetTheirAnswer.

const (
	lingerFor = 2 * time.Second
	lingerMax = 1 << 20
)

// lingerConn is an accepted connection; failed marks it for a lingering
// close.
type lingerConn struct {
	net.Conn
	failed atomic.Bool // set by fasthttp's goroutine, read by Close (also Shutdown's)
}

// Close closes the connection, lingering first if a request failed on it.
func (c *lingerConn) Close() error {
	if c.failed.Load() {
		if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			_ = c.Conn.SetReadDeadline(time.Now().Add(lingerFor))
			_, _ = io.CopyN(io.Discard, c.Conn, lingerMax)
		}
	}
	return c.Conn.Close()
}

// unwrapConn returns the connection the listener accepted: a hijacked
// socket is served from it, with no lingering of this kind (the socket
// engine has its own close handshake).
func unwrapConn(nc net.Conn) net.Conn {
	if c, ok := nc.(*lingerConn); ok {
		return c.Conn
	}
	return nc
}

// lingerOnRequestErrors marks a connection for a lingering close when
// fasthttp answers a request it could not read. Its ErrorHandler is called
// for exactly those; Fiber's stays in charge of the answer.
func lingerOnRequestErrors(s *fasthttp.Server) {
	answer := s.ErrorHandler
	s.ErrorHandler = func(ctx *fasthttp.RequestCtx, err error) {
		if c, ok := ctx.Conn().(*lingerConn); ok {
			c.failed.Store(true)
		}
		answer(ctx, err)
	}
}
