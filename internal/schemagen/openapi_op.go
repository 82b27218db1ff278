package main

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

func (c *openapiWriter) operation(r route, at, id string, names [][]string) (obj, error) {
	var op obj
	op.set("operationId", id)
	if r.Tag != "" {
		op.set("tags", []string{r.Tag})
	}
	op.set("summary", firstSentence(r.Note))
	op.set("description", r.Note) // the whole note: every operation is described

	var params []obj
	own := templateParam.FindAllStringSubmatch(at, -1)
	for i, n := range own {
		var pm *param
		for j := range r.Params {
			if r.Params[j].Name == n[1] {
				pm = &r.Params[j]
			}
		}
		if pm == nil {
			return nil, fmt.Errorf("%s %s: no parameter %s in the route table", r.Method, at, n[1])
		}
		var po obj
		po.set("name", names[i][1])
		po.set("in", "path")
		po.set("description", pm.Description)
		po.set("required", true)
		po.set("schema", c.schemaRef(pm.Def))
		params = append(params, po)
	}
	for _, h := range r.Headers {
		var po obj
		po.set("name", h.Name)
		po.set("in", "header")
		po.set("description", h.Description)
		po.set("schema", c.schemaRef(h.Def))
		params = append(params, po)
	}
	if r.Answer == "WebSocket" {
		if sp := c.p.def(c.m, c.p.Subprotocol); sp != nil {
			var po obj
			po.set("name", "Sec-WebSocket-Protocol")
			po.set("in", "header")
			po.set("description", "Ask for "+sp.Const+" to speak protocol v1 (see /asyncapi.json); leave it out for the seed-compatible mode.")
			po.set("schema", ref("#/components/schemas/"+tsName(sp)))
			params = append(params, po)
		}
	}
	if r.ETag {
		var po obj
		po.set("name", "If-None-Match")
		po.set("in", "header")
		po.set("description", "The ETag of a copy you hold: answered 304 while it is current.")
		po.set("schema", obj{{"type", "string"}})
		params = append(params, po)
	}
	if len(params) > 0 {
		op.set("parameters", params)
	}

	if r.Body != "" {
		var rb obj
		rb.set("required", !r.BodyOptional && c.m.Def(r.Body) != nil)
		if s := c.schemaRef(r.Body); s != nil {
			rb.set("content", obj{{"application/json", obj{{"schema", s}}}})
		}
		op.set("requestBody", rb)
	}

	var resps obj
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	var ok obj
	if r.Answer == "WebSocket" {
		ok.set("description", "Switching Protocols: the socket is open. Its messages are described by /asyncapi.json.")
	} else {
		ok.set("description", http.StatusText(status))
		var headers obj
		if r.Location {
			headers.set("Location", obj{{"description", "Where the new resource is."}, {"schema", obj{{"type", "string"}}}})
		}
		if r.ETag {
			headers.set("ETag", obj{{"description", "Send it back in If-None-Match to revalidate."}, {"schema", obj{{"type", "string"}}}})
		}
		ok.set("headers", headers)
		typ := r.Type
		if typ == "" {
			typ = "application/json"
		}
		s := c.schemaRef(r.Answer)
		switch {
		case s != nil:
		case strings.HasPrefix(typ, "text/") || typ == "application/yaml":
			s = obj{{"type", "string"}}
		default:
			s = obj{{"type", "object"}}
		}
		ok.set("content", obj{{typ, obj{{"schema", s}}}})
	}
	resps.set(strconv.Itoa(status), ok)
	if r.ETag {
		resps.set("304", obj{{"description", "Not Modified: the copy whose ETag was sent is current."}})
	}
	problems := slices.Clone(r.Problems)
	switch {
	case r.Scope != "" && len(c.p.Security) > 0:
		op.set("security", c.security(r))
		problems = withAuth(problems, r.Method != http.MethodGet)
	case len(c.p.Security) > 0:
		op.set("security", []obj{}) // public whatever the server's configuration: said, not left out
	}
	slices.SortStableFunc(problems, func(a, b problem) int { return a.Status - b.Status })
	for _, pr := range problems {
		resps.set(strconv.Itoa(pr.Status), c.problem(pr))
	}
	if r.Path == "/readyz" {
		resps.set("503", obj{{"description", "Service Unavailable: shutdown has begun."}, {"content", obj{{"application/json", obj{{"schema", c.schemaRef("Health")}}}}}})
	}
	op.set("responses", resps)
	return op, nil
}

// problem is a problem response: the problem document, its status and the
// codes it may carry.
func (c *openapiWriter) problem(pr problem) obj {
	var o obj
	var desc strings.Builder
	desc.WriteString(http.StatusText(pr.Status))
	if len(pr.Codes) > 0 {
		desc.WriteString(": ")
		for i, code := range pr.Codes {
			if i > 0 {
				desc.WriteString(", ")
			}
			desc.WriteString("`" + code + "`")
		}
		desc.WriteString(" (see /docs#errors)")
	}
	o.set("description", desc.String())
	d := c.p.def(c.m, c.p.Problem)
	if d == nil {
		return o
	}
	var props obj
	props.set("status", obj{{"const", pr.Status}})
	if len(pr.Codes) == 1 {
		props.set("code", obj{{"const", pr.Codes[0]}})
	} else if len(pr.Codes) > 1 {
		props.set("code", obj{{"enum", pr.Codes}})
	}
	s := obj{{"allOf", []any{ref("#/components/schemas/" + tsName(d)), obj{{"properties", props}}}}}
	o.set("content", obj{{"application/problem+json", obj{{"schema", s}}}})
	return o
}

// intro is the document's description (CommonMark).
func (c *openapiWriter) intro() string {
	var b strings.Builder
	b.WriteString("The HTTP routes of the server. Every body is defined in the JSON Schema files published at ")
	for i, f := range c.m.Files {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "[%s](%s)", f.Name, f.ID)
	}
	b.WriteString("; the socket is described by [/asyncapi.json](/asyncapi.json), and the human reference is [/docs](/docs).")
	if d := c.p.def(c.m, c.p.Problem); d != nil {
		b.WriteString("\n\nEvery error is `application/problem+json` (RFC 9457), a " + d.Name + " with a stable `code`; each response lists the codes it may carry. A method a path does not take is answered 405 (`method_not_allowed`) with an `Allow` header, and OPTIONS with 204 and `Allow`.")
	}
	b.WriteString("\n")
	return b.String()
}

// security is a route's security requirements: none (a server that checks
// no tokens, or public reads) or a bearer token, with the scope it needs.
func (c *openapiWriter) security(r route) []obj {
	var scopes []string
	if r.Scope != "read" {
		scopes = []string{r.Scope}
	}
	reqs := []obj{{}}
	for _, sc := range c.p.Security {
		reqs = append(reqs, obj{{sc.Name, append([]string{}, scopes...)}})
	}
	return reqs
}

// withAuth adds the answers of a route that checks tokens to problems: 401
// for a missing or refused token, 403 for a missing scope or category, and
// for writes 429 past the write limit.
func withAuth(problems []problem, write bool) []problem {
	add := func(status int, codes ...string) {
		for i := range problems {
			if problems[i].Status == status {
				problems[i].Codes = append(slices.Clone(problems[i].Codes), codes...)
				return
			}
		}
		problems = append(problems, problem{status, codes})
	}
	add(http.StatusUnauthorized, "token_required", "invalid_token", "token_expired")
	add(http.StatusForbidden, "insufficient_scope")
	if write {
		add(http.StatusTooManyRequests, "rate_limited")
	}
	return problems
}
