package main

import "github.com/liveorders/liveorders/internal/schemacompat"

// The roots are where each direction starts. Everything they reach through
// $ref chains travels their way; the check derives the direction of every
// other definition from them and refuses a definition none reaches.

// socketRoots are the orders socket's unions and frames.
var socketRoots = []root{
	{"commands.schema.json#/$defs/Command", schemacompat.ClientToServer, "a command on the orders socket"},
	{"messages.schema.json#/$defs/Message", schemacompat.ServerToClient, "a message on a liveorders.v1 socket"},
	{"messages.schema.json#/$defs/OrderTotal", schemacompat.ServerToClient, "a frame of the seed-compatible socket"},
	{"messages.schema.json#/$defs/CloseCode", schemacompat.ServerToClient, "the code of a close frame"},
	{"catalogue.schema.json#/$defs/CatalogueFile", schemacompat.ClientToServer, "the -catalogue file the server reads at start"},
}

// httpRoots are the HTTP request bodies, path parameters and responses.
// Keep in step with handlers/routes.go.
var httpRoots = []root{
	{"catalogue.schema.json#/$defs/Category", schemacompat.ClientToServer, "path parameter {category}"},
	{"catalogue.schema.json#/$defs/ProductID", schemacompat.ClientToServer, "path parameter {id}"},
	{"catalogue.schema.json#/$defs/NewProduct", schemacompat.ClientToServer, "body of POST /{category}"},
	{"catalogue.schema.json#/$defs/OrderInput", schemacompat.ClientToServer, "body of POST /orders/{id}"},
	{"catalogue.schema.json#/$defs/Product", schemacompat.ServerToClient, "answer of GET /{category}, POST /{category} and GET /{category}/{id}"},
	{"messages.schema.json#/$defs/OrderTotal", schemacompat.ServerToClient, "answer of POST /orders/{id}"},
	{"catalogue.schema.json#/$defs/Category", schemacompat.ServerToClient, "items of the answer of GET /categories"},
	{"catalogue.schema.json#/$defs/Problem", schemacompat.ServerToClient, "every HTTP error (application/problem+json)"},
}

// subprotocol is the definition whose const names the protocol version;
// it must agree with the version in the files' $id.
const subprotocol = "messages.schema.json#/$defs/Subprotocol"

// root is one row of a table above.
type root struct {
	def string
	dir schemacompat.Direction
	why string
}

// roots returns every root of contract con: the socket's, and the HTTP
// roots derived from its OpenAPI document doc, or, without one, the table.
func roots(con *schemacompat.Contract, doc []byte) ([]schemacompat.Root, error) {
	out, err := table(socketRoots)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		http, err := table(httpRoots)
		return append(out, http...), err
	}
	http, _, err := schemacompat.OpenAPIRoots(doc, con)
	return append(out, http...), err
}

// table turns rows into roots.
func table(rows []root) ([]schemacompat.Root, error) {
	var out []schemacompat.Root
	for _, r := range rows {
		l, err := schemacompat.ParseLocation(r.def)
		if err != nil {
			return nil, err
		}
		out = append(out, schemacompat.Root{Def: l, Dir: r.dir, Why: r.why})
	}
	return out, nil
}
