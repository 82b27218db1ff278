package handlers

import (
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/auth"
	"github.com/liveorders/liveorders/internal/orders"
)

func (srv *Server) routes() {
	app := srv.app
	app.Use(srv.requestLog, srv.recoverPanic, srv.cors) // a panic is logged and counted like any 500

	app.Get("/healthz", srv.healthz)
	app.Get("/readyz", srv.readyz)
	app.Get("/metrics", srv.metrics.handler())
	app.Get("/categories", srv.read, srv.listCategories)
	srv.staticRoutes()
	srv.contractRoutes()

	app.Get("/orders/:category", srv.checkSocket, srv.upgrade())
	app.Post("/orders/:id", srv.write(auth.ScopeOrdersWrite), srv.placeOrder)
	if !srv.cfg.Production && srv.cfg.Sim != nil {
		srv.mockRoutes()
	}

	app.Get("/:category", srv.read, srv.listProducts)
	app.Post("/:category", srv.write(auth.ScopeCatalogueWrite), srv.addProduct)
	app.Get("/:category/:id", srv.read, srv.getProduct)
	srv.table = newRouteTable(app) // every route is registered above
	app.Use(srv.methodNotAllowed)
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// recoverPanic turns a handler panic into a 500 problem, logged once.
func (srv *Server) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			srv.log.Error("panic serving request", "method", c.Method(), "path", c.Path(), "panic", r, "stack", string(debug.Stack()))
			err = problem(500, api.ErrorCodeInternal, "internal error")
		}
	}()
	return c.Next()
}

func (srv *Server) requestLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		_ = srv.errorHandler(c, err)
	}
	// One structured line per request: refusals and failures at info,
	// the rest (a busy mock answers many) at debug.
	status := c.Response().StatusCode()
	level := slog.LevelDebug
	if status >= 400 {
		level = slog.LevelInfo
	}
	d := time.Since(start)
	srv.log.Log(c.UserContext(), level, "request", "method", c.Method(), "path", c.Path(), "status", status,
		"duration", d, "ip", srv.clientIP(c))
	// The route template, not the path, so that the label's values stay
	// as few as the routes.
	srv.metrics.observeRequest(srv.table.template(c.Method(), c.Path()), c.Method(), status, d)
	return nil
}

var routeParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

func (srv *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(api.Health{Status: "ok"})
}

// readier is a store that can tell why it cannot serve (natsbus: a log
// reset under it).
type readier interface{ Ready() error }

func (srv *Server) readyz(c *fiber.Ctx) error {
	if !srv.ready.Load() {
		return c.Status(503).JSON(api.Health{Status: "shutting down"})
	}
	if err := srv.storeErr(); err != nil {
		return c.Status(503).JSON(api.Health{Status: "not ready", Cause: err.Error()})
	}
	return c.JSON(api.Health{Status: "ready"})
}

// storeErr is why the store cannot serve, nil if it can: its log was
// reset, or it cannot show that it follows it (a load balancer then sends
// new clients to an instance that does; see internal/natsbus/liveness.go).
func (srv *Server) storeErr() error {
	if r, ok := srv.cfg.Store.(readier); ok {
		if err := r.Ready(); err != nil {
			return err
		}
	}
	if l, ok := srv.cfg.Store.(orders.LiveSource); ok {
		if st := l.Liveness(); !st.Live {
			return fmt.Errorf("%s: %s", st.Cause, st.Detail)
		}
	}
	return nil
}
