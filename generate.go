package main

// Generate the Go wire types (api/*.gen.go) and the browser module
// (static/protocol.gen.js) from the contract in schema/*.schema.json.
//go:generate go run ./internal/schemagen -schemas schema -go api -js static/protocol.gen.js
