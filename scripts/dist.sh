#!/usr/bin/env bash
# Release archives for linux, darwin and windows on amd64 and arm64, with
# checksums, in dist/: a GoReleaser snapshot (.goreleaser.yaml), whose
# version is the next patch's, such as 0.4.1-SNAPSHOT-3f2a1b4.
#
# GoReleaser is pinned and installed once with `go install` into a cache
# outside the module: as a go.mod tool it would bring its whole dependency
# tree (cloud SDKs, signing, publishers) into go.mod and go.sum.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
GORELEASER_VERSION=v2.17.0
bin="${XDG_CACHE_HOME:-$HOME/.cache}/liveorders/goreleaser/$GORELEASER_VERSION"
if [ ! -x "$bin/goreleaser" ]; then
  echo "== installing GoReleaser $GORELEASER_VERSION into $bin"
  GOBIN="$bin" "$GO" install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
fi

# GoReleaser asks git for the remote's URL and, without one, stamps the
# commit as "none". A clone without a remote gets its own path as the URL,
# in this environment only.
if ! git ls-remote --get-url >/dev/null 2>&1; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0="$PWD"
fi
"$bin/goreleaser" release --snapshot --clean "$@"
