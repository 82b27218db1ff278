#!/usr/bin/env bash
# Builds the images of deploy/: liveorders, nats-server and Caddy, each
# FROM scratch. With podman (the default) it works offline: the build stage
# is a local image holding this machine's Go toolchain, and the modules come
# from this machine's module cache, filled first through GOPROXY. With
# ENGINE=docker the build stage is the official Go image and the modules are
# downloaded inside the build.
#
#   scripts/image.sh [VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE=${ENGINE:-podman}
VERSION=${1:-${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}}
COMMIT=$(git rev-parse HEAD 2>/dev/null || true)
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
NATS_MODULE=github.com/nats-io/nats-server/v2@v2.15.2
CADDY_MODULE=github.com/caddyserver/caddy/v2/cmd/caddy@v2.11.9
if [ "$ENGINE" = podman ] && [ -z "${CONTAINERS_CONF:-}" ]; then
  export CONTAINERS_CONF=$PWD/deploy/containers.conf
fi

build=("$ENGINE" build)
if [ "$ENGINE" = podman ]; then
  GOROOT=$(go env GOROOT)
  GO_IMAGE=localhost/liveorders-go:$(go env GOVERSION)
  if ! podman image exists "$GO_IMAGE"; then
    echo "== $GO_IMAGE: the build stage, from $GOROOT"
    [ "$GOROOT" = /usr/local/go ] || { echo "image.sh: the build stage expects Go at /usr/local/go, not $GOROOT" >&2; exit 1; }
    empty=$(mktemp -d)
    trap 'rm -rf "$empty"' EXIT
    mkdir -m 1777 "$empty/tmp"
    tar -cf - -C / usr/local/go etc/ssl/certs/ca-certificates.crt -C "$empty" tmp |
      podman import --change 'ENV PATH=/usr/local/go/bin' - "$GO_IMAGE" >/dev/null
  fi
  echo "== modules, into $(go env GOMODCACHE)"
  go mod download
  (cd / && go install -n "$NATS_MODULE" >/dev/null 2>&1 && go install -n "$CADDY_MODULE" >/dev/null 2>&1)
  # The modules in the cache were checked against the checksum database
  # as they were downloaded; the build, offline, cannot ask it again.
  # The docker format keeps the images' HEALTHCHECK (OCI has none).
  build+=(--format docker --build-arg "GO_IMAGE=$GO_IMAGE" --build-arg GOPROXY=file:///go/pkg/mod/cache/download --build-arg GOSUMDB=off
    -v "$(go env GOMODCACHE):/go/pkg/mod" -v "$(go env GOCACHE):/root/.cache/go-build")
fi

echo "== liveorders:$VERSION"
"${build[@]}" -f deploy/Containerfile --build-arg "VERSION=$VERSION" --build-arg "COMMIT=$COMMIT" \
  --build-arg "DATE=$DATE" -t localhost/liveorders:latest -t "localhost/liveorders:$VERSION" .
echo "== liveorders-nats:2.15.2"
"${build[@]}" -f deploy/nats/Containerfile -t localhost/liveorders-nats:2.15.2 .
echo "== liveorders-caddy:2.11.9"
"${build[@]}" -f deploy/caddy/Containerfile -t localhost/liveorders-caddy:2.11.9 .
