#!/usr/bin/env bash
# Static checks (gofmt, vet, staticcheck), the drift check (the committed generated files must be
# exactly what go generate writes from schema/) and the compatibility check.
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: not formatted:"; echo "$unformatted"; exit 1
fi
go vet ./...
# staticcheck, at the version go.mod's tool directive pins: any finding fails.
go tool staticcheck ./...
go mod tidy -diff
go generate ./...
if [ -d scripts/node/node_modules ]; then
  npm --prefix scripts/node run --silent generate # the /docs page's Ajv validators
else
  echo "check: scripts/node is not installed (npm ci --prefix scripts/node): handlers/contract/validate.gen.js not regenerated"
  [ "${CI:-}" = true ] && exit 1
fi
if ! git diff --exit-code --stat; then
  echo "generated files are stale: run 'make generate' and commit the result"; exit 1
fi
untracked=$(git ls-files --others --exclude-standard)
if [ -n "$untracked" ]; then
  echo "go generate left untracked files:"; echo "$untracked"; exit 1
fi
# The contract against its last release, direction by direction: a change
# that breaks clients of the released version fails here.
go run ./cmd/schemacompat
echo "check: ok"
