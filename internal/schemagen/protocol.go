package main

// The schemas describe shapes; the route table (schema/routes/routes.json,
// read by loadProtocol) describes how those shapes travel: the socket's
// address, which message answers which command, and the HTTP routes with
// their parameters, bodies, statuses and problems. The AsyncAPI document,
// the OpenAPI document and the reference page take it from there, by
// definition name. The handlers tests compare it with the routes the server
// registers, both ways.

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
	Unlisted    []unlisted // served, but not routes of the API: not in the OpenAPI document
}

// security is a way a client may prove who it is, when the server is
// configured to ask.
type security struct {
	Name         string `json:"name"`
	Scheme       string `json:"scheme"` // an HTTP authentication scheme (RFC 7235), "bearer"
	BearerFormat string `json:"bearerFormat"`
	Description  string `json:"description"`
}

// reply says which definitions answer one: the messages that answer a
// command, or the command that answers a message.
type reply struct {
	To   string   `json:"to"`
	With []string `json:"with"`
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

// unlisted is a path the server serves that is not a route of the API: the
// web client's page and the reference page's scripts. The reference page
// lists them; the OpenAPI document does not.
type unlisted struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Note   string `json:"note"`
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
