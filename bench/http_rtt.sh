#!/bin/sh
# http_rtt: one JSON line, bench_http's round trip (get: a keep-alive GET and
# its "pong"; ws: a 64-byte WebSocket frame and its echo) against the http
# demo's own server, started here with --listen on an ephemeral port and
# stopped after. bench/compare.sh runs it for its HTTP and WebSocket rows,
# as bench/http.sh runs the same server for its wrk loads.
#
#   sh bench/http_rtt.sh BUILD_DIR get|ws N
set -u
BUILD=$1 MODE=$2 N=$3
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-http-rtt.XXXXXX")
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; rm -rf "$OUT"' EXIT
trap 'exit 143' TERM
# No WebSocket pings during the run: only the bench's frames on the wire.
"$BUILD/demos/http" --json --listen 127.0.0.1:0 --ping-ms 600000 --header-ms 600000 >"$OUT/c.json" 2>/dev/null &
SERVER=$!
port=$(wait_port "$OUT/c.json" 's/.*"ev":"hello".*"port":\([0-9]*\).*/\1/p') ||
    { echo "http_rtt: the http demo's server did not start" >&2; exit 1; }
"$BUILD/bench/bench_http" "$MODE" "$port" "$N"
