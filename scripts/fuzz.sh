#!/usr/bin/env bash
# Runs every fuzz target briefly.
#
# Each target gets an execution count, not a duration: a duration budget
# (-fuzztime 20s) can fail a clean run with a bare "context deadline exceeded"
# when the deadline fires while a worker is mid-input (go.dev/issue/75804, a
# race in Go 1.26's fuzzing coordinator). A count has no deadline to race.
# The counts below take 5 to 17 s each on 2 cores.
#
# FUZZTIME overrides every target's budget (a count like 50000x, or a
# duration like 5m for a long local run).
set -euo pipefail
cd "$(dirname "$0")/.."

budget() {
  if [ -n "${FUZZTIME:-}" ]; then echo "$FUZZTIME"; return; fi
  case "$1" in
    FuzzDecodeCommand) echo 200000x ;;
    FuzzReader) echo 100000x ;;
    FuzzTextUTF8) echo 100000x ;;
    FuzzSocketSession) echo 15000x ;;
    FuzzHTTPBodies) echo 10000x ;;
    *) echo 20000x ;;
  esac
}

for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    b=$(budget "$target")
    echo "== $pkg $target ($b)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$b" "$pkg"
  done
done
