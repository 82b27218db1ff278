package handlers

import (
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// fasthttp keeps a hijacked connection's request context (the request and
// response with their header buffers, about a kilobyte and a half) until
// the socket's handler returns, that is for the socket's whole life,
// though nothing uses it after the 101 response is written. This file is
// the one place that works around that: the middleware before the upgrade
// hands the context to the socket handler through a local (contrib copies
// locals into the Conn), and the handler drops the request and response,
// which fasthttp has already written and which it resets anyway when the
// handler returns. Tests: TestReleaseRequest, and every socket test.

const requestCtxKey = "liveorders.requestctx"

// keepRequestCtx runs before the upgrade.
func keepRequestCtx(c *fiber.Ctx) { c.Locals(requestCtxKey, c.Context()) }

// releaseRequest runs first in the socket handler.
func releaseRequest(conn *websocket.Conn) {
	ctx, ok := conn.Locals(requestCtxKey).(*fasthttp.RequestCtx)
	if !ok {
		return
	}
	dropRequest(ctx)
}

func dropRequest(ctx *fasthttp.RequestCtx) {
	ctx.Request = fasthttp.Request{}
	ctx.Response = fasthttp.Response{}
}
