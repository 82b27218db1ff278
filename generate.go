package main

// Generate the Go wire types (api/*.gen.go), the browser module
// (static/protocol.gen.js), and the AsyncAPI document and reference page
// (handlers/contract/*.gen.*) from the contract in schema/*.schema.json.
//go:generate go run ./internal/schemagen -schemas schema -go api -js static/protocol.gen.js -contract handlers/contract
