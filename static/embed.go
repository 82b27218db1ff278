// Package static holds the liveorders web client: the page (index.html,
// app.js, style.css), the reusable socket client (orders-client.js and the
// modules it is made of, in client/) and the constants and type definitions
// generated from the schemas (protocol.gen.js). The files are plain ES
// modules with no build step.
//
// app.js is the page's entry script: it wires the page's modules in app/
// (finding elements, text, messages, the token, HTTP, categories, the
// product list and its rows, orders, the add-product form, the connection)
// and starts. They are served with the page, not packaged with the client.
//
// The directory is also the npm package @liveorders/orders-client
// (package.json): the socket client, the generated module, and their
// TypeScript declarations (*.d.ts). Those and package.json are not served.
package static

import "embed"

// Files holds the web client, named as in this directory (for example
// "index.html"). The server serves it at /. The patterns name what a
// browser loads, nothing else: no .d.ts, package.json or node_modules.
//
//go:embed index.html *.js *.css client/*.js app/*.js
var Files embed.FS
