package main

// The schemas describe shapes; the facts below describe how those shapes
// travel (the socket's address, which message answers which command, the
// HTTP routes with their parameters, bodies, statuses and problems). This
// is the one hand-written route table: the AsyncAPI document, the OpenAPI
// document and the reference page take it from here, by definition name. A
// name the model lacks is left out, so the writers also run on schemas that
// are not liveorders' (the golden cases).
//
// Keep routes in step with handlers/routes.go: the handlers tests check
// that every route the server registers is in the OpenAPI document and on
// the reference page, that every path of the document is registered, and
// that real answers match the statuses and bodies written here.

// protocol describes the socket and the HTTP surface around the schemas.
type protocol struct {
	Title       string
	Version     string
	Server      string // host:port of a local server; a served document names its own host instead
	Address     string // the socket's path, with its parameter
	Param       string // the path parameter
	ParamDef    string // the definition the parameter matches
	Commands    string // the union of client commands
	Messages    string // the union of server messages
	Subprotocol string // the constant definition of the subprotocol name
	Correlation string // the property that pairs a command with its answer
	Replies     []reply
	Errors      string // the string enumeration of error codes
	CloseCodes  string // the integer enumeration of close codes
	SeedFrame   string // the whole frame of the seed-compatible mode
	Security    []security
	Problem     string // the definition of an HTTP error document
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

// reply says which definitions answer one: the messages that answer a
// command, or the command that answers a message.
type reply struct {
	To   string
	With []string
}

// route is one HTTP route of the server. Everything the OpenAPI document
// says of an operation comes from here and from the definitions it names.
type route struct {
	Method, Path string
	ID           string // operationId
	Tag          string // the group the route is listed in
	Params       []param
	Headers      []param // optional request headers the route reads
	Body         string  // the definition of the request body, if any
	BodyOptional bool    // an empty body is accepted (and changes nothing)
	Answer       string  // the success body: "Name" or "Name[]" of a definition, or "" for none
	Type         string  // the success body's media type; default application/json
	Status       int     // the success status; default 200
	Location     bool    // the success answer has a Location header
	ETag         bool    // answers carry an ETag and honour If-None-Match with 304
	// Scope is what the route asks of a bearer token when the server is
	// configured to check them: a scope ("orders:write"), "read" (a token
	// of any scope, only with -auth-public-read=false), or "" (none).
	Scope    string
	Problems []problem
	Note     string
}

// param is a path parameter or a request header and the definition its
// values match.
type param struct {
	Name, Def, Description string
}

// problem is an error status a route answers, with the codes its problem
// document may carry.
type problem struct {
	Status int
	Codes  []string
}

// Problems shared by many routes.
var (
	forbiddenOrigin = problem{403, []string{"forbidden_origin"}}
	badBody         = problem{400, []string{"invalid_json", "invalid_payload"}}
	tooLarge        = problem{413, []string{"too_large"}}
	notJSON         = problem{415, []string{"unsupported_media_type"}}
	storeDown       = problem{503, []string{"unavailable"}}
	internal        = problem{500, []string{"internal"}}
)

// Path parameters.
var (
	categoryParam = param{Name: "category", Def: "Category", Description: "A category name."}
	productParam  = param{Name: "id", Def: "ProductID", Description: "A product id."}
)

// idempotencyHeader makes an order idempotent.
var idempotencyHeader = param{Name: "Idempotency-Key", Def: "IdempotencyKey",
	Description: "The order's idempotency key: a retry with the same key is answered with the first total instead of placing the order again."}

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
	Correlation: "ref",
	Replies: []reply{
		{To: "UpdateCategory", With: []string{"Snapshot", "Error"}},
		{To: "PlaceOrder", With: []string{"Placed", "Error"}},
		{To: "Ping", With: []string{"Pong"}},
		{To: "Auth", With: []string{"Authenticated", "Error"}},
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
	Problem: "Problem",
	Routes: []route{
		{Method: "GET", Path: "/{category}", ID: "listProducts", Scope: "read", Tag: "catalogue", Params: []param{categoryParam},
			Answer: "Product[]", Problems: []problem{{404, []string{"unknown_category", "not_found"}}, forbiddenOrigin, internal},
			Note: "The category's products; an unknown category is 404."},
		{Method: "POST", Path: "/{category}", ID: "addProduct", Scope: "catalogue:write", Tag: "catalogue", Params: []param{categoryParam},
			Body: "NewProduct", Answer: "Product[]", Location: true,
			Problems: []problem{badBody, {404, []string{"unknown_category", "not_found"}}, {409, []string{"category_full"}}, tooLarge, notJSON, storeDown, forbiddenOrigin, internal},
			Note:     "Adds a product; answers the category's whole list, with Location: /{category}/{id}."},
		{Method: "GET", Path: "/{category}/{id}", ID: "getProduct", Scope: "read", Tag: "catalogue", Params: []param{categoryParam, productParam},
			Answer: "Product", Problems: []problem{{404, []string{"unknown_category", "unknown_product", "not_found"}}, forbiddenOrigin, internal},
			Note: "One product."},
		{Method: "POST", Path: "/orders/{id}", ID: "placeOrder", Scope: "orders:write", Tag: "orders", Params: []param{productParam},
			Headers: []param{idempotencyHeader}, Body: "OrderInput", Answer: "OrderTotal",
			Problems: []problem{badBody, {404, []string{"unknown_product"}}, {409, []string{"idempotency_conflict"}}, tooLarge, notJSON, storeDown, forbiddenOrigin, internal},
			Note:     "Places an order; answers the product's new total. With an Idempotency-Key header, a retry is answered with the first total instead of placing the order again; the key given to another order is 409 idempotency_conflict."},
		{Method: "GET", Path: "/orders/{category}", ID: "openOrdersSocket", Scope: "read", Tag: "orders", Params: []param{categoryParam},
			Answer: "WebSocket", Status: 101,
			Problems: []problem{{404, []string{"unknown_category"}}, {426, []string{"upgrade_required"}}, {503, []string{"overloaded"}}, forbiddenOrigin, internal},
			Note:     "The orders socket (see above); without an upgrade, 426."},
		{Method: "GET", Path: "/categories", ID: "listCategories", Scope: "read", Tag: "catalogue", Answer: "Category[]",
			Problems: []problem{forbiddenOrigin, internal}, Note: "Category names in display order."},
		{Method: "GET", Path: "/healthz", ID: "healthz", Tag: "operations", Answer: "Health", Problems: []problem{forbiddenOrigin}, Note: "Liveness."},
		{Method: "GET", Path: "/readyz", ID: "readyz", Tag: "operations", Answer: "Health", Problems: []problem{forbiddenOrigin},
			Note: "Readiness: 503 once shutdown begins, or while the instance cannot follow the shared log (its cause in the answer)."},
		{Method: "GET", Path: "/metrics", ID: "metrics", Tag: "operations", Type: "text/plain", Problems: []problem{forbiddenOrigin},
			Note: "Prometheus metrics."},
		{Method: "GET", Path: "/schemas/v1/", ID: "listSchemas", Tag: "contract", Answer: "SchemaEntry[]", ETag: true, Note: "The list of schema files."},
		{Method: "GET", Path: "/schemas/v1/{file}", ID: "getSchema", Tag: "contract", Type: "application/schema+json", ETag: true,
			Note: "A schema file (application/schema+json); its $id is this URL."},
		{Method: "GET", Path: "/asyncapi.json", ID: "getAsyncAPI", Tag: "contract", Type: "application/json", ETag: true,
			Note: "The AsyncAPI 3 document of the socket, naming the server that serves it."},
		{Method: "GET", Path: "/asyncapi.yaml", ID: "getAsyncAPIYAML", Tag: "contract", Type: "application/yaml", ETag: true, Note: "The same document in YAML."},
		{Method: "GET", Path: "/openapi.json", ID: "getOpenAPI", Tag: "contract", Type: "application/json", ETag: true,
			Note: "The OpenAPI 3.1 document of these routes, naming the server that serves it."},
		{Method: "GET", Path: "/openapi.yaml", ID: "getOpenAPIYAML", Tag: "contract", Type: "application/yaml", ETag: true, Note: "The same document in YAML."},
		{Method: "GET", Path: "/docs", ID: "getDocs", Tag: "contract", Type: "text/html", ETag: true, Note: "This page."},
		{Method: "GET", Path: "/docs/try.js", ID: "getDocsTry", Tag: "contract", Type: "text/javascript", ETag: true,
			Note: "The script of this page's Try it panel (ES module)."},
		{Method: "GET", Path: "/docs/scenario.js", ID: "getDocsScenario", Tag: "contract", Type: "text/javascript", ETag: true,
			Note: "The script of this page's scenario panel (ES module)."},
		{Method: "GET", Path: "/docs/validate.gen.js", ID: "getDocsValidators", Tag: "contract", Type: "text/javascript", ETag: true,
			Note: "Validators of every message and command, Ajv's code compiled from the schema files (ES module)."},
		{Method: "GET", Path: "/", ID: "getWebClient", Tag: "web client", Type: "text/html", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The web client (its files are served under their names)."},
		{Method: "GET", Path: "/index.html", ID: "getIndexHTML", Tag: "web client", Type: "text/html", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The web client's page."},
		{Method: "GET", Path: "/app.js", ID: "getAppJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The web client's script."},
		{Method: "GET", Path: "/app/add-form.js", ID: "getAppAddFormJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The page's add-product form: its fields' errors from the problem document, the new product into the list (ES module)."},
		{Method: "GET", Path: "/app/categories.js", ID: "getAppCategoriesJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The page's category list, picker and switch between categories (ES module)."},
		{Method: "GET", Path: "/app/connection.js", ID: "getAppConnectionJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The page's display of the connection's state and its reconnect button (ES module)."},
		{Method: "GET", Path: "/app/http.js", ID: "getAppHTTPJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The page's catalogue requests: JSON reads with its token, problem documents, product lists (ES module)."},
		{Method: "GET", Path: "/app/messages.js", ID: "getAppMessagesJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The page's notice and screen-reader announcements (ES module)."},
		{Method: "GET", Path: "/app/orders.js", ID: "getAppOrdersJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The page's place-order buttons and the answers shown under each product (ES module)."},
		{Method: "GET", Path: "/app/page.js", ID: "getAppPageJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The page's element lookups (ES module)."},
		{Method: "GET", Path: "/app/product-row.js", ID: "getAppProductRowJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "One product on the page: its markup, its highlighted total, its order note (ES module)."},
		{Method: "GET", Path: "/app/products.js", ID: "getAppProductsJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The page's product list: the category on screen, its totals, products added elsewhere (ES module)."},
		{Method: "GET", Path: "/app/text.js", ID: "getAppTextJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The page's display names of categories and explanations of failures (ES module)."},
		{Method: "GET", Path: "/app/token.js", ID: "getAppTokenJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The page's bearer token, taken from its address and kept for the tab (ES module)."},
		{Method: "GET", Path: "/style.css", ID: "getStyleCSS", Tag: "web client", Type: "text/css", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The web client's style sheet."},
		{Method: "GET", Path: "/orders-client.js", ID: "getOrdersClient", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The socket client module (ES module; its TypeScript package is static/package.json)."},
		{Method: "GET", Path: "/client/backoff.js", ID: "getClientBackoffJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "Part of the socket client (ES module): when a dropped connection is retried, and how long each attempt waits."},
		{Method: "GET", Path: "/client/category-switch.js", ID: "getClientCategorySwitchJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "Part of the socket client (ES module): the switch between categories on the one socket."},
		{Method: "GET", Path: "/client/connection.js", ID: "getClientConnectionJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "Part of the socket client (ES module): the one socket: opening, keeping alive, reconnecting."},
		{Method: "GET", Path: "/client/deferred.js", ID: "getClientDeferredJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "Part of the socket client (ES module): a promise with its resolve and reject functions."},
		{Method: "GET", Path: "/client/endpoint.js", ID: "getClientEndpointJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "Part of the socket client (ES module): where the sockets connect and the subprotocols they offer."},
		{Method: "GET", Path: "/client/order-book.js", ID: "getClientOrderBookJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "Part of the socket client (ES module): the pending orders, their idempotency keys and their retries."},
		{Method: "GET", Path: "/client/orders-error.js", ID: "getClientOrdersErrorJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "Part of the socket client (ES module): the error a refused command rejects with."},
		{Method: "GET", Path: "/client/token-keeper.js", ID: "getClientTokenKeeperJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "Part of the socket client (ES module): the bearer token: fetched before each connect and refreshed before it expires."},
		{Method: "GET", Path: "/client/totals-view.js", ID: "getClientTotalsViewJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "Part of the socket client (ES module): the totals held for the current category."},
		{Method: "GET", Path: "/testing.js", ID: "getTestingJS", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The test helpers of the npm client, @liveorders/orders-client/testing (ES module): play a scenario, wait for it, inject an order, close sockets, set latency, record."},
		{Method: "GET", Path: "/protocol.gen.js", ID: "getProtocolModule", Tag: "web client", Type: "text/javascript", ETag: true, Problems: []problem{forbiddenOrigin},
			Note: "The constants and patterns generated from the schemas (ES module)."},
		{Method: "GET", Path: "/mock/sim", ID: "getMockSim", Scope: "mock:control", Tag: "mock", Answer: "MockSim", Problems: []problem{forbiddenOrigin},
			Note: "Mock control, not in -production: the simulated order stream's state."},
		{Method: "POST", Path: "/mock/sim", ID: "setMockSim", Scope: "mock:control", Tag: "mock", Body: "MockSimControl", BodyOptional: true, Answer: "MockSim",
			Problems: []problem{{400, []string{"invalid_payload"}}, tooLarge, forbiddenOrigin},
			Note:     "Mock control, not in -production: pause or resume the simulation, change its interval or seed, or place step orders now."},
		{Method: "POST", Path: "/mock/disconnect", ID: "mockDisconnect", Scope: "mock:control", Tag: "mock", Body: "MockDisconnect", BodyOptional: true, Answer: "MockDisconnected",
			Problems: []problem{{400, []string{"invalid_payload"}}, tooLarge, forbiddenOrigin},
			Note:     "Mock control, not in -production: close one socket (by session) or all of them."},
		{Method: "GET", Path: "/mock/latency", ID: "getMockLatency", Scope: "mock:control", Tag: "mock", Answer: "MockLatency", Problems: []problem{forbiddenOrigin},
			Note: "Mock control, not in -production: the latency added to outgoing frames."},
		{Method: "POST", Path: "/mock/latency", ID: "setMockLatency", Scope: "mock:control", Tag: "mock", Body: "MockLatencyControl", BodyOptional: true, Answer: "MockLatency",
			Problems: []problem{{400, []string{"invalid_payload"}}, tooLarge, forbiddenOrigin},
			Note:     "Mock control, not in -production: delay every outgoing frame ({\"delay\":\"750ms\"}, at most 5s)."},
		{Method: "GET", Path: "/mock/scenario", ID: "getMockScenario", Scope: "mock:control", Tag: "mock", Answer: "ScenarioStatus", Problems: []problem{forbiddenOrigin},
			Note: "Mock control, not in -production: the scenario playing or last played, and how far it got."},
		{Method: "POST", Path: "/mock/scenario", ID: "playMockScenario", Scope: "mock:control", Tag: "mock", Body: "Scenario", Answer: "ScenarioStatus", Status: 202,
			Problems: []problem{{400, []string{"invalid_payload"}}, tooLarge, notJSON, forbiddenOrigin},
			Note:     "Mock control, not in -production: play a scenario (JSON, or YAML sent as application/yaml), or replay a HAR recording, in place of the one playing. One that cannot be played (against the schema, or naming a category or product this server lacks) is refused with every fault and its pointer, and nothing changes."},
		{Method: "DELETE", Path: "/mock/scenario", ID: "stopMockScenario", Scope: "mock:control", Tag: "mock", Answer: "ScenarioStatus", Problems: []problem{forbiddenOrigin},
			Note: "Mock control, not in -production: stop the scenario playing; the simulated stream and the latency are put back as they were before it."},
		{Method: "POST", Path: "/mock/recording", ID: "startMockRecording", Scope: "mock:control", Tag: "mock", Answer: "RecordingStatus", Problems: []problem{forbiddenOrigin},
			Note: "Mock control, not in -production: start recording every message the sockets send and receive, dropping the recording before."},
		{Method: "GET", Path: "/mock/recording", ID: "getMockRecording", Scope: "mock:control", Tag: "mock", Type: "application/json", Problems: []problem{forbiddenOrigin},
			Note: "Mock control, not in -production: the recording, a HAR document with one entry per socket and its _webSocketMessages, as Chrome's DevTools and Playwright write them; POST it to /mock/scenario to replay it."},
		{Method: "DELETE", Path: "/mock/recording", ID: "stopMockRecording", Scope: "mock:control", Tag: "mock", Answer: "RecordingStatus", Problems: []problem{forbiddenOrigin},
			Note: "Mock control, not in -production: stop recording; the recording stays for GET until the next POST."},
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

// replies returns the definitions that answer the definition called name.
func (p *protocol) replies(m *Model, name string) []*Def {
	var ds []*Def
	for _, r := range p.Replies {
		if r.To != name {
			continue
		}
		for _, name := range r.With {
			if d := m.Def(name); d != nil {
				ds = append(ds, d)
			}
		}
	}
	return ds
}
