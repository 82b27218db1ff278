# Thin targets; longer logic lives in scripts/.
GO ?= go

.PHONY: run test generate check release-contract bench e2e fuzz conformance screenshot image dist npm-pack

## run: serve the API, the socket and the web client on :3000
run:
	$(GO) run .

## test: every test, race detector on (browser tests need /usr/bin/chromium)
test:
	$(GO) test -race -count=1 ./...

## generate: regenerate Go types, browser typedefs and docs from schema/, and
## the /docs page's Ajv validators (needs `npm ci --prefix scripts/node`)
generate:
	$(GO) generate ./...
	npm --prefix scripts/node run --silent generate

## check: formatting, vet, staticcheck, generated-code drift, tidy go.mod, compatibility with the released contract
check:
	scripts/check.sh

## release-contract: copy schema/ to schema/released/vN/ (refused if it breaks the released vN)
release-contract:
	$(GO) run ./cmd/schemacompat -release

## bench: microbenchmarks with medians
bench:
	scripts/bench.sh

## e2e: the browser tests only
e2e:
	$(GO) test -race -count=1 -run Browser ./...

## fuzz: each fuzz target for a fixed execution count (FUZZTIME overrides)
fuzz:
	scripts/fuzz.sh

## conformance: Autobahn|Testsuite against the socket engine (WSTEST=path/to/wstest)
conformance:
	scripts/conformance.sh

## screenshot: regenerate docs/screenshot.png with the headless browser
screenshot:
	UPDATE_SCREENSHOT=1 $(GO) test -count=1 -run BrowserScreenshot ./internal/browsertest/

## image: the liveorders, NATS and Caddy images of deploy/, offline with podman
## (ENGINE=docker: with the official Go image); tags liveorders:latest and the version
image:
	scripts/image.sh

## dist: release archives for linux, darwin and windows on amd64 and arm64,
## with checksums, in dist/ (GoReleaser, pinned, installed on first use)
dist:
	GO=$(GO) scripts/dist.sh

## npm-pack: the npm server package and one package per platform, from the
## binaries of `make dist` (built first unless dist/ is this commit's), in dist/npm/
npm-pack:
	GO=$(GO) scripts/npm-pack.sh
