// Package contract embeds the documents generated from the schemas that the
// server publishes beside them: the AsyncAPI 3 document of the socket, the
// OpenAPI 3.1 document of the HTTP routes and the HTML reference page, which
// go generate writes (see generate.go); the validators of the page's Try it
// panel, which make generate writes with Ajv (scripts/node); and the
// panel's script, try.js, and the scenario panel's, scenario.js, written by
// hand.
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

// DocsHTML is the protocol reference page.
//
//go:embed docs.gen.html
var DocsHTML []byte

// TryJS is the script of the reference page's Try it panel.
//
//go:embed try.js
var TryJS []byte

// ScenarioJS is the script of the reference page's scenario panel.
//
//go:embed scenario.js
var ScenarioJS []byte

// ValidateJS is the module of Ajv validators, compiled from the schemas by
// scripts/node/ajv-standalone.mjs, that TryJS checks frames with.
//
//go:embed validate.gen.js
var ValidateJS []byte

// OpenAPIJSON is the OpenAPI 3.1 document of the HTTP routes.
//
//go:embed openapi.gen.json
var OpenAPIJSON []byte

// OpenAPIYAML is OpenAPIJSON in YAML.
//
//go:embed openapi.gen.yaml
var OpenAPIYAML []byte
