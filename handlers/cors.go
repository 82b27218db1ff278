package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
)

// DefaultOrigins suit local frontend work: a page served from localhost on
// any port may call the API and open sockets. Production lists its own.
var DefaultOrigins = []string{
	"http://localhost:*", "https://localhost:*",
	"http://127.0.0.1:*", "https://127.0.0.1:*",
	"http://[::1]:*", "https://[::1]:*",
}

// origins is the one allow-list for CORS and sockets. A request from the
// server's own origin is always allowed.
type origins struct {
	any     bool
	exact   map[string]bool
	anyPort []string // "scheme://host" whose port may be anything
}

func newOrigins(list []string) origins {
	o := origins{exact: make(map[string]bool)}
	for _, e := range list {
		e = strings.TrimRight(strings.TrimSpace(e), "/")
		switch {
		case e == "":
		case e == "*":
			o.any = true
		case strings.HasSuffix(e, ":*"):
			o.anyPort = append(o.anyPort, strings.ToLower(strings.TrimSuffix(e, ":*")))
		default:
			o.exact[strings.ToLower(e)] = true
		}
	}
	return o
}

// allowed reports whether a request from origin to host may proceed.
func (o origins) allowed(origin, host string) bool {
	if o.any {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if strings.EqualFold(u.Host, host) {
		return true // same origin
	}
	if o.exact[strings.ToLower(origin)] {
		return true
	}
	base := strings.ToLower(u.Scheme + "://" + u.Hostname())
	if strings.Contains(u.Hostname(), ":") {
		base = strings.ToLower(u.Scheme + "://[" + u.Hostname() + "]")
	}
	for _, p := range o.anyPort {
		if p == base {
			return true
		}
	}
	return false
}

// cors checks the Origin of every request against the allow-list and
// answers preflights. Requests without an Origin (curl, servers) pass.
func (srv *Server) cors(c *fiber.Ctx) error {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return c.Next()
	}
	if isPublic(c.Path()) {
		// The published contract is readable from anywhere, so tools on
		// any origin can load the schemas straight from the server, and
		// revalidate them with their ETag.
		c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
		if c.Method() == fiber.MethodOptions {
			c.Set(fiber.HeaderAccessControlAllowMethods, "GET, HEAD, OPTIONS")
			c.Set(fiber.HeaderAccessControlAllowHeaders, publicRequestHeaders)
			c.Set(fiber.HeaderAccessControlMaxAge, "600")
			return c.SendStatus(http.StatusNoContent)
		}
		c.Set(fiber.HeaderAccessControlExposeHeaders, exposedHeaders)
		return c.Next()
	}
	if !srv.origins.allowed(origin, string(c.Request().Host())) {
		return problem(http.StatusForbidden, api.ErrorCodeForbiddenOrigin,
			"origin "+origin+" is not allowed; see -allowed-origins")
	}
	c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
	c.Vary(fiber.HeaderOrigin)
	if c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != "" {
		c.Set(fiber.HeaderAccessControlAllowMethods, "GET, HEAD, POST, OPTIONS")
		if h := c.Get(fiber.HeaderAccessControlRequestHeaders); h != "" {
			c.Set(fiber.HeaderAccessControlAllowHeaders, h)
		}
		c.Set(fiber.HeaderAccessControlMaxAge, "600")
		return c.SendStatus(http.StatusNoContent)
	}
	c.Set(fiber.HeaderAccessControlExposeHeaders, exposedHeaders)
	return c.Next()
}

// exposedHeaders are the response headers a page on another origin may
// read: the ETag to revalidate with, where an added product lives, when to
// retry a refused write, and why a token was refused.
const exposedHeaders = "ETag, Location, Retry-After, WWW-Authenticate"

// publicRequestHeaders are the headers a page on any origin may send when
// it reads the published contract: what a cache revalidation needs.
const publicRequestHeaders = "If-None-Match, Cache-Control"

// isPublic reports whether path is part of the published contract.
func isPublic(path string) bool {
	switch path {
	case "/asyncapi.json", "/asyncapi.yaml", "/openapi.json", "/openapi.yaml", "/docs":
		return true
	}
	return strings.HasPrefix(path, "/schemas/") || strings.HasPrefix(path, "/docs/")
}
