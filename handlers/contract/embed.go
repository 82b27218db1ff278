// Package contract embeds the documents generated from the schemas that the
// server publishes beside them: the AsyncAPI 3.0 document of the socket and
// the HTML reference page. go generate writes them; see generate.go.
package contract

import _ "embed"

// AsyncAPIJSON is the AsyncAPI 3.0 document of the orders socket.
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
