package main

// The schemas describe shapes; the facts below describe how those shapes
// travel (the socket's address, which message answers which command, the
// HTTP routes). The AsyncAPI document and the reference page take them from
// here, by definition name. A name the model lacks is left out of both, so
// the writers also run on schemas that are not liveorders' (the golden cases).
//
// Keep routes in step with handlers/routes.go: a handlers test checks that
// the reference page names every registered route.

// protocol describes the socket and the HTTP surface around the schemas.
type protocol struct {
	Title       string
	Version     string
	Server      string // host:port of a local server
	Address     string // the socket's path, with its parameter
	Param       string // the path parameter
	ParamDef    string // the definition the parameter matches
	Commands    string // the union of client commands
	Messages    string // the union of server messages
	Subprotocol string // the constant definition of the subprotocol name
	Replies     []reply
	Errors      string // the string enumeration of error codes
	CloseCodes  string // the integer enumeration of close codes
	SeedFrame   string // the whole frame of the seed-compatible mode
	Security    []security
	Routes      []route
}

// security is a way a client may prove who it is, when the server is
// configured to ask.
type security struct {
	Name         string
	Scheme       string // an HTTP authentication scheme (RFC 7235), "bearer"
	BearerFormat string
	Description  string
}

// reply says which messages answer a command.
type reply struct {
	Command  string
	Messages []string
}

// route is one HTTP route of the server.
type route struct {
	Method, Path string
	Body         string // the definition of the request body, if any
	Answer       string // what it answers; "Name" or "Name[]" is linked
	Note         string
}

// liveorders is the protocol of this repository.
var liveorders = protocol{
	Title:       "liveorders",
	Version:     "1",
	Server:      "localhost:3000",
	Address:     "/orders/{category}",
	Param:       "category",
	ParamDef:    "Category",
	Commands:    "Command",
	Messages:    "Message",
	Subprotocol: "Subprotocol",
	Replies: []reply{
		{Command: "UpdateCategory", Messages: []string{"Snapshot", "Error"}},
		{Command: "PlaceOrder", Messages: []string{"Placed", "Error"}},
		{Command: "Auth", Messages: []string{"Authenticated", "Error"}},
	},
	Errors:     "ErrorCode",
	CloseCodes: "CloseCode",
	SeedFrame:  "OrderTotal",
	Security: []security{{
		Name:         "bearer",
		Scheme:       "bearer",
		BearerFormat: "JWT",
		Description: "Only when the server is started with -auth-jwks or -auth-secret-file; otherwise no token is needed. " +
			"A JWT (HS256 with the secret file; RS256, ES256 or EdDSA from the JWKS) whose space-separated scope claim grants " +
			"orders:write (place-order), catalogue:write or mock:control, and whose optional categories claim lists the categories it may use. " +
			"Non-browser clients send it in the upgrade's Authorization: Bearer header; browsers, which cannot set that header, " +
			"offer it as a second Sec-WebSocket-Protocol entry, bearer.<token>, beside liveorders.v1 (the server never echoes it). " +
			"The auth command presents a new token on an open socket. With -auth-public-read=false an upgrade without a valid token is refused with 401.",
	}},
	Routes: []route{
		{Method: "GET", Path: "/{category}", Answer: "Product[]", Note: "The category's products; an unknown category is 404."},
		{Method: "POST", Path: "/{category}", Body: "NewProduct", Answer: "Product[]", Note: "Adds a product; answers the category's whole list, with Location: /{category}/{id}."},
		{Method: "GET", Path: "/{category}/{id}", Answer: "Product", Note: "One product."},
		{Method: "POST", Path: "/orders/{id}", Body: "OrderInput", Answer: "OrderTotal", Note: "Places an order; answers the product's new total."},
		{Method: "GET", Path: "/orders/{category}", Answer: "WebSocket", Note: "The orders socket (see above); without an upgrade, 426."},
		{Method: "GET", Path: "/categories", Answer: "Category[]", Note: "Category names in display order."},
		{Method: "GET", Path: "/healthz", Note: "Liveness."},
		{Method: "GET", Path: "/readyz", Note: "Readiness: 503 once shutdown begins."},
		{Method: "GET", Path: "/metrics", Note: "Prometheus metrics."},
		{Method: "GET", Path: "/schemas/v1/", Note: "The list of schema files."},
		{Method: "GET", Path: "/schemas/v1/{file}", Note: "A schema file (application/schema+json); its $id is this URL."},
		{Method: "GET", Path: "/asyncapi.json", Note: "The AsyncAPI 3.0 document of the socket."},
		{Method: "GET", Path: "/asyncapi.yaml", Note: "The same document in YAML."},
		{Method: "GET", Path: "/docs", Note: "This page."},
		{Method: "GET", Path: "/", Note: "The web client (its files are served under their names)."},
		{Method: "GET", Path: "/mock/sim", Note: "Mock control, not in -production: the simulated order stream's state."},
		{Method: "POST", Path: "/mock/sim", Note: "Mock control, not in -production: pause or resume the simulation, change its interval or seed, or place step orders now."},
		{Method: "POST", Path: "/mock/disconnect", Note: "Mock control, not in -production: close one socket (by session) or all of them."},
		{Method: "GET", Path: "/mock/latency", Note: "Mock control, not in -production: the latency added to outgoing frames."},
		{Method: "POST", Path: "/mock/latency", Note: "Mock control, not in -production: delay every outgoing frame ({\"delay\":\"750ms\"}, at most 5s)."},
	},
}

// def returns the definition called name, or nil.
func (p *protocol) def(m *Model, name string) *Def {
	if name == "" {
		return nil
	}
	return m.Def(name)
}

// union returns the union definition called name, or nil.
func (p *protocol) union(m *Model, name string) *Union {
	if d := p.def(m, name); d != nil {
		return d.Union
	}
	return nil
}

// replies returns the definitions that answer the command cmd.
func (p *protocol) replies(m *Model, cmd string) []*Def {
	var ds []*Def
	for _, r := range p.Replies {
		if r.Command != cmd {
			continue
		}
		for _, name := range r.Messages {
			if d := m.Def(name); d != nil {
				ds = append(ds, d)
			}
		}
	}
	return ds
}
