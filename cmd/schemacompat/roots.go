package main

import "github.com/liveorders/liveorders/internal/schemacompat"

// The roots are where each direction starts. Everything they reach through
// $ref chains travels their way; the check derives the direction of every
// other definition from them and refuses a definition none reaches. The
// HTTP roots come from the OpenAPI document (schemacompat.OpenAPIRoots);
// the socket's, which no OpenAPI document describes, are these.

// socketRoots are the orders socket's unions and frames, and the file the
// server reads at start.
var socketRoots = []root{
	{"commands.schema.json#/$defs/Command", schemacompat.ClientToServer, "a command on the orders socket"},
	{"messages.schema.json#/$defs/Message", schemacompat.ServerToClient, "a message on a liveorders.v1 socket"},
	{"messages.schema.json#/$defs/OrderTotal", schemacompat.ServerToClient, "a frame of the seed-compatible socket"},
	{"messages.schema.json#/$defs/CloseCode", schemacompat.ServerToClient, "the code of a close frame"},
	{"catalogue.schema.json#/$defs/CatalogueFile", schemacompat.ClientToServer, "the -catalogue file the server reads at start"},
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
// roots derived from its OpenAPI document doc; others are the document's
// shapes that are no definition of con, which only oasdiff compares.
func roots(con *schemacompat.Contract, doc []byte) (rs []schemacompat.Root, others []string, err error) {
	rs, err = table(socketRoots)
	if err != nil {
		return nil, nil, err
	}
	http, others, err := schemacompat.OpenAPIRoots(doc, con)
	if err != nil {
		return nil, nil, err
	}
	return append(rs, http...), others, nil
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
