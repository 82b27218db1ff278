package handlers

import (
	"testing"

	"github.com/valyala/fasthttp"
)

func TestReleaseRequest(t *testing.T) {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.Set("X-Big", string(make([]byte, 4096)))
	ctx.Request.SetBodyString("body")
	ctx.Response.Header.Set("Upgrade", "websocket")
	dropRequest(&ctx)
	if len(ctx.Request.Header.Peek("X-Big")) != 0 || len(ctx.Request.Body()) != 0 || len(ctx.Response.Header.Peek("Upgrade")) != 0 {
		t.Fatal("request context still holds the request or response")
	}
	// fasthttp resets the context when the handler returns: that must
	// still work on the dropped values.
	ctx.Request.Reset()
	ctx.Response.Reset()
}
