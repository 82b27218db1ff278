#!/usr/bin/env bash
# Holds the socket engine to Autobahn|Testsuite: builds cmd/wsecho (an echo
# server on the same reader, writer and close handling as the orders
# socket), runs the suite's fuzzing client against it, and fails unless
# every case of sections 1 to 10 is OK, NON-STRICT or INFORMATIONAL.
# Sections 12 and 13 test permessage-deflate, which is not negotiated.
#
#   WSTEST=path/to/wstest   the suite (default ../shared/autobahn/wstest)
#   CONFORMANCE_OUT=dir     where the reports go (default bench/out/autobahn)
#
# Without the suite it says so and exits 0: the check is skipped, not passed.
set -euo pipefail
cd "$(dirname "$0")/.."

wstest=${WSTEST:-../shared/autobahn/wstest}
if [ ! -x "$wstest" ]; then
  echo "conformance: SKIPPED: Autobahn|Testsuite not found at $wstest (set WSTEST=/path/to/wstest)"
  exit 0
fi
out=${CONFORMANCE_OUT:-bench/out/autobahn}
rm -rf "$out" && mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
echo_pid=""
cleanup() {
  if [ -n "$echo_pid" ]; then kill "$echo_pid" 2>/dev/null || true; wait "$echo_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/wsecho" ./cmd/wsecho
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 9001)
"$tmp/wsecho" -addr "127.0.0.1:$port" > "$tmp/wsecho.log" 2>&1 &
echo_pid=$!
for _ in $(seq 100); do
  grep -q listening "$tmp/wsecho.log" && break
  kill -0 "$echo_pid" 2>/dev/null || { cat "$tmp/wsecho.log"; exit 1; }
  sleep 0.1 # polling for the listener, with a bound
done

cat > "$tmp/spec.json" <<JSON
{"outdir": "$out",
 "servers": [{"agent": "liveorders", "url": "ws://127.0.0.1:$port/"}],
 "cases": ["*"], "exclude-cases": ["12.*", "13.*"], "exclude-agent-cases": {}}
JSON
echo "== Autobahn|Testsuite against cmd/wsecho on 127.0.0.1:$port (about a minute)"
if ! timeout 900 "$wstest" -m fuzzingclient -s "$tmp/spec.json" > "$out/wstest.log" 2>&1; then
  tail -20 "$out/wstest.log"
  exit 1
fi
"$tmp/wsecho" report "$out/index.json"
echo "conformance: ok (reports in $out/index.html)"
