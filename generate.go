package main

// Generate the Go wire types (api/*.gen.go), the browser module and its
// TypeScript declarations (static/protocol.gen.js, .d.ts), and the AsyncAPI
// and OpenAPI documents and the reference page (handlers/contract/*.gen.*)
// from the contract in schema/*.schema.json.
//go:generate go run ./internal/schemagen -schemas schema -go api -js static/protocol.gen.js -ts static/protocol.gen.d.ts -contract handlers/contract -routes schema/routes/routes.json

// Compare schema/ with the last released contract (schema/released/vN/) and
// print every change with its direction and verdict, as warnings: make check
// is what fails on a breaking change.
//go:generate go run ./cmd/schemacompat -warn

// Write the table of settings in docs/configuration.md from settings() in
// flags.go, the table the flags are parsed from.
//go:generate go test -run TestConfigurationReference . -args -update
