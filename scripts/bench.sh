#!/usr/bin/env bash
# Microbenchmarks with medians, then the standard load matrix against a
# server on loopback, with a store's time to ready in between. Writes
# bench/out/{micro.txt,ready.txt,report.html,report.json,summary.md}.
#
#   BENCH_QUICK=1   a short matrix (1k sockets, 5 s runs) and -count=3
#   BENCH_MICRO=0   skip the microbenchmarks
#   BENCH_LOAD=0    skip the load matrix
#   BENCH_READY=0   skip the time-to-ready rows (ready.txt): a store's, and
#                   the whole process's with -data-dir, empty and after
#                   BENCH_RESTART_ORDERS orders (default 300000)
#   BENCH_COUNT=n   -count of the microbenchmarks (default 6)
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
out=bench/out
mkdir -p "$out"
quick=${BENCH_QUICK:-0}
count=${BENCH_COUNT:-6}
[ "$quick" = 1 ] && count=${BENCH_COUNT:-3}

if [ "${BENCH_MICRO:-1}" != 0 ]; then
  echo "== microbenchmarks (-count=$count)"
  pkgs=()
  for p in ./api/ ./internal/hub/ ./internal/ws/ ./internal/socket/ ./handlers/ ./cmd/loadgen/; do
    if grep -lq '^func Benchmark' "$p"*_test.go 2>/dev/null; then pkgs+=("$p"); fi
  done
  $GO test -run '^$' -bench . -benchmem -count "$count" "${pkgs[@]}" | tee "$out/micro.txt"
  echo "== medians"
  if ! timeout 120 $GO run golang.org/x/perf/cmd/benchstat@latest "$out/micro.txt" 2>/dev/null; then
    # benchstat unavailable: the median of each benchmark's metrics.
    awk '
      /^Benchmark/ {
        name = $1
        for (i = 3; i + 1 <= NF; i += 2) {
          key = name SUBSEP $(i + 1)
          if (!(key in n)) order[++k] = key
          v[key, ++n[key]] = $i
        }
      }
      END {
        for (j = 1; j <= k; j++) {
          key = order[j]; m = n[key]
          for (a = 1; a <= m; a++) s[a] = v[key, a]
          for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (s[b] < s[a]) { t = s[a]; s[a] = s[b]; s[b] = t }
          med = (m % 2) ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
          split(key, p, SUBSEP)
          printf "%-60s %14.4g %s\n", p[1], med, p[2]
        }
      }' "$out/micro.txt"
  fi
fi

if [ "${BENCH_READY:-1}" != 0 ]; then
  # A store's start on a log of 0, 500k and 5M events (the goal: 5M
  # within 1.5x of empty), and 500k folded whole, without a snapshot. Each
  # row fills its log once, then starts a store 20 times.
  ready='BenchmarkReady'
  [ "$quick" = 1 ] && ready='BenchmarkReady/events=(0|500k)$'
  echo "== time to ready"
  $GO test -run '^$' -bench "$ready" -benchtime 20x -count 1 -timeout 60m ./internal/natsbus/ | tee "$out/ready.txt"
  # The whole process, from exec to /readyz 200, with -data-dir: the
  # embedded server recovering its files included.
  echo "== whole-process time to ready (-data-dir)"
  rtmp=$(mktemp -d)
  trap 'rm -rf "$rtmp"' EXIT
  $GO build -o "$rtmp/liveorders" .
  $GO build -o "$rtmp/restartbench" ./cmd/restartbench
  runs=5
  [ "$quick" = 1 ] && runs=3
  timeout 1200 "$rtmp/restartbench" -server-cmd "$rtmp/liveorders" -orders "${BENCH_RESTART_ORDERS:-300000}" -runs "$runs" | tee -a "$out/ready.txt"
  rm -rf "$rtmp"
fi

[ "${BENCH_LOAD:-1}" = 0 ] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== building the server and loadgen"
$GO build -o "$tmp/liveorders" .
$GO build -o "$tmp/loadgen" ./cmd/loadgen

runs=()
# run NAME SERVER-CMD PIN-LOADGEN LOADGEN-FLAGS…: one row; PIN-LOADGEN is
# a taskset CPU list for the load generator, or "" for every CPU.
run() {
  local name=$1 server=$2 pin=$3; shift 3
  local f="$tmp/run${#runs[@]}.json"
  local lg=("$tmp/loadgen")
  [ -n "$pin" ] && lg=(taskset -c "$pin" "$tmp/loadgen")
  echo "== $name"
  # Each run bounds itself; the timeout only guards against a hung server.
  timeout 600 "${lg[@]}" -server-cmd "$server" -name "$name" -json "$f" "$@" >/dev/null
  runs+=("$f")
}
load() { # name, loadgen flags…
  local name=$1; shift
  run "$name" "$tmp/liveorders" "" "$@"
}

# apart runs a row with the server on the first half of the CPUs and the
# load generator on the rest (taskset), as a server runs apart from its
# clients; on shared CPUs, what the kernel makes the server wait while the
# load generator reads is the largest part of a switch's tail. Skipped
# on one CPU.
cpus=$(nproc)
apart() { # name, loadgen flags…
  if [ "$cpus" -lt 2 ] || ! command -v taskset >/dev/null; then
    echo "== $1: skipped (needs 2 CPUs and taskset)"
    return
  fi
  local name=$1 half=$((cpus / 2)); shift
  printf '#!/bin/sh\nexec taskset -c 0-%d "%s" "$@"\n' $((half - 1)) "$tmp/liveorders" >"$tmp/liveorders-apart"
  chmod +x "$tmp/liveorders-apart"
  run "$name" "$tmp/liveorders-apart" "$half-$((cpus - 1))" "$@"
}

if [ "$quick" = 1 ]; then
  load "1k sockets, 20/s"            -sockets 1000  -rate 20 -duration 5s
  load "1k sockets, 50/s"            -sockets 1000  -rate 50 -duration 5s
  load "1k sockets, 20/s, switch 2s" -sockets 1000  -rate 20 -duration 5s -switch 2s
  load "1k sockets idle"             -sockets 1000  -rate 0  -duration 1s -drain 0
else
  load "1k sockets, 20/s"            -sockets 1000  -rate 20 -duration 15s
  load "1k sockets, 50/s"            -sockets 1000  -rate 50 -duration 15s
  load "10k sockets, 2/s"            -sockets 10000 -rate 2  -duration 15s
  load "10k sockets, 20/s"           -sockets 10000 -rate 20 -duration 15s
  load "10k sockets, 50/s"           -sockets 10000 -rate 50 -duration 15s
  load "1k sockets, 20/s, switch 2s" -sockets 1000  -rate 20 -duration 15s -switch 2s
  load "1k sockets, 50/s, switch 1s" -sockets 1000  -rate 50 -duration 15s -switch 1s
  apart "1k sockets, 50/s, switch 1s, server apart" -sockets 1000 -rate 50 -duration 15s -switch 1s
  load "10k sockets idle"            -sockets 10000 -rate 0  -duration 1s -drain 0 -settle 3s
  load "19k sockets, 2/s"            -sockets 19000 -rate 2  -duration 10s
fi

"$tmp/loadgen" report -json "$out/report.json" -html "$out/report.html" -md "$out/summary.md" "${runs[@]}"
echo "== wrote $out/report.html, $out/report.json, $out/summary.md"
