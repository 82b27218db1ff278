// Package contracttest checks the published contract with the tools
// frontend developers use, run for real against a test server: the
// official AsyncAPI parser, Ajv (draft-07 and 2020-12), and the TypeScript
// compiler on the @liveorders/orders-client package (static/package.json)
// installed from the tarball npm pack builds.
//
// The tools are the npm packages of scripts/node, installed with
// `npm ci --prefix scripts/node` (.ci/run does). Without Node.js or without
// them the tests skip locally with a message, and fail when CI=true.
//
// The package has tests only.
package contracttest
