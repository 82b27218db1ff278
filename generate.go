package main

// Generate the Go wire types (api/*.gen.go), the browser module
// (static/protocol.gen.js), and the AsyncAPI document and reference page
// (handlers/contract/*.gen.*) from the contract in schema/*.schema.json.
//go:generate go run ./internal/schemagen -schemas schema -go api -js static/protocol.gen.js -contract handlers/contract

// Compare schema/ with the last released contract (schema/released/vN/) and
// print every change with its direction and verdict, as warnings: make check
// is what fails on a breaking change.
//go:generate go run ./cmd/schemacompat -warn
