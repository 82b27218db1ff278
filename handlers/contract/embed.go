// Package contract embeds the documents generated from the schemas that the
// server publishes beside them: the AsyncAPI 3 document of the socket, the
// OpenAPI 3.1 document of the HTTP routes and the HTML reference page. go
// generate writes them; see generate.go.
package contract

import _ "embed"

// GeneratedHost is the host the generated documents name in their server
// entry (a local server, make run). The server publishes them naming its
// own host instead.
const GeneratedHost = "localhost:3000"

// AsyncAPIJSON is the AsyncAPI 3 document of the orders socket.
//
//go:embed asyncapi.gen.json
var AsyncAPIJSON []byte

// AsyncAPIYAML is AsyncAPIJSON in YAML.
//
//go:embed asyncapi.gen.yaml
var AsyncAPIYAML []byte

// DocsHTML is the self-contained protocol reference page.
//
//go:embed docs.gen.html
var DocsHTML []byte

// OpenAPIJSON is the OpenAPI 3.1 document of the HTTP routes.
//
//go:embed openapi.gen.json
var OpenAPIJSON []byte

// OpenAPIYAML is OpenAPIJSON in YAML.
//
//go:embed openapi.gen.yaml
var OpenAPIYAML []byte
