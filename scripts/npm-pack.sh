#!/usr/bin/env bash
# The npm packages of the server (deploy/npm/) from the release binaries in
# dist/: reused when `make dist` built them from this commit, else built
# first. Every tarball goes to dist/npm/.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
commit=$(git rev-parse HEAD)
if ! grep -q "\"commit\":\"$commit\"" dist/metadata.json 2>/dev/null; then
  scripts/dist.sh
fi
rm -rf dist/npm
"$GO" run ./cmd/npmpack -dist dist -out dist/npm
