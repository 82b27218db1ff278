// Package schema holds the liveorders wire contract: the JSON Schema files
// (draft 2020-12) that are the only hand-written description of every
// command, message and HTTP body, and the validators compiled from them.
//
// The files are embedded, so the server serves and validates exactly the
// contract it was built with. Everything else (Go types, browser typedefs,
// docs) is generated from them by go generate.
package schema

import (
	"embed"
	"io/fs"
)

//go:embed *.schema.json
var files embed.FS

// Files returns the embedded schema files, named as in this directory
// (for example "commands.schema.json").
func Files() fs.FS { return files }

// Base is the URL path under which the schema files are published. Each
// file's $id is Base followed by its name, so references between the files
// resolve against whichever server serves them.
const Base = "/schemas/v1/"
