// Package static holds the liveorders web client: the page (index.html,
// app.js, style.css), the reusable socket client (orders-client.js) and the
// constants and type definitions generated from the schemas
// (protocol.gen.js). The files are plain ES modules with no build step.
package static

import "embed"

// Files holds the web client, named as in this directory (for example
// "index.html"). The server serves it at /.
//
//go:embed index.html *.js *.css
var Files embed.FS
