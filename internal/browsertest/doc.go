// Package browsertest drives the web client in static/ with a real headless
// Chromium against a real test server. It holds tests only; run them with
// `make e2e` (or `go test -run Browser ./internal/browsertest/`). They need
// /usr/bin/chromium: `apt-get install -y chromium`.
package browsertest
