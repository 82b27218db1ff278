package handlers

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
)

// routeTable is every route the server registered, in registration order,
// matched the way Fiber matches them (a :param takes one segment, literals
// ignore case, a trailing slash is optional). It names the route template
// of a request for the metrics, and the methods a known path allows.
type routeTable []routePattern

type routePattern struct {
	method   string
	segments []string // "" for a parameter
	params   []string // the parameter's name at each segment, "" for a literal
	template string   // /{category}/{id}, as the OpenAPI document writes it
}

// newRouteTable reads the routes of app, which must all be registered.
func newRouteTable(app *fiber.App) routeTable {
	var t routeTable
	for _, r := range app.GetRoutes(true) { // without app.Use's
		p := routePattern{method: r.Method, template: routeParam.ReplaceAllString(r.Path, "{$1}")}
		for _, seg := range splitPath(r.Path) {
			name, isParam := strings.CutPrefix(seg, ":")
			if !isParam {
				name = ""
			} else {
				seg = ""
			}
			p.segments = append(p.segments, seg)
			p.params = append(p.params, name)
		}
		t = append(t, p)
	}
	return t
}

func splitPath(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// matches reports whether p takes the path of segs; each parameter's
// value must also pass valid, when valid is not nil.
func (p routePattern) matches(segs []string, valid func(param, value string) bool) bool {
	if len(segs) != len(p.segments) {
		return false
	}
	for i, s := range p.segments {
		switch {
		case s == "" && segs[i] == "", s != "" && !strings.EqualFold(s, segs[i]):
			return false
		case s == "" && valid != nil && !valid(p.params[i], segs[i]):
			return false
		}
	}
	return true
}

// template returns the template of the route that takes method on path,
// or "unmatched".
func (t routeTable) template(method, path string) string {
	segs := splitPath(path)
	for _, p := range t {
		if p.method == method && p.matches(segs, nil) {
			return p.template
		}
	}
	return "unmatched"
}

// allowed returns the methods some route takes on path, OPTIONS included,
// in a fixed order; none when no route matches the path. A parameter's
// value must pass valid: /{category} is a known path only for a category
// that exists.
func (t routeTable) allowed(path string, valid func(param, value string) bool) []string {
	segs := splitPath(path)
	var ms []string
	for _, p := range t {
		if p.matches(segs, valid) && !slices.Contains(ms, p.method) {
			ms = append(ms, p.method)
		}
	}
	if len(ms) == 0 {
		return nil
	}
	ms = append(ms, fiber.MethodOptions)
	order := []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete, fiber.MethodOptions}
	slices.SortFunc(ms, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
	return slices.Compact(ms)
}

// methodNotAllowed answers a request that no route took, on a path some
// route takes with another method: 405 with Allow, as a problem; OPTIONS
// gets 204 with Allow. Other requests go on to the 404. A path is known
// when its parameters name what exists: a category of the catalogue, a
// product id.
func (srv *Server) methodNotAllowed(c *fiber.Ctx) error {
	allow := srv.table.allowed(c.Path(), srv.knownParam)
	if allow == nil {
		return c.Next()
	}
	c.Set(fiber.HeaderAllow, strings.Join(allow, ", "))
	if c.Method() == fiber.MethodOptions {
		return c.SendStatus(http.StatusNoContent)
	}
	return problem(http.StatusMethodNotAllowed, api.ErrorCodeMethodNotAllowed,
		c.Method()+" is not allowed on "+c.Path()+"; allowed: "+strings.Join(allow, ", "))
}

// knownParam reports whether value names something that exists, for the
// route parameter called param.
func (srv *Server) knownParam(param, value string) bool {
	switch param {
	case "category":
		return srv.cfg.Hub.Has(value)
	case "id":
		return isProductID(value)
	}
	return true
}
