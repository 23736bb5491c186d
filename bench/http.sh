#!/bin/sh
# http: requests per second and latency (p50, p99) under wrk, the demo's
# server (http-parser on libuv, --listen, its tracing on as always) next to
# node's http.createServer answering pong, in one run: 1, 10 and 100
# kept-alive connections, then 10 connections that each close after every
# request ("Connection: close": a handshake per request). The 2 cores are
# shared by wrk and the server: the figures compare the two on this machine.
#
#   sh bench/http.sh [BUILD_DIR]     DURATION=5
set -u
BUILD=${1:-build}
DURATION=${DURATION:-5}
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-http-bench.XXXXXX")
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$OUT"' EXIT
export IPCSCOPE_MSG_RATE=200

command -v wrk >/dev/null || { echo "http: wrk is not installed (sh mk/deps.sh bench)"; exit 0; }
command -v node >/dev/null || { echo "http: node is not installed"; exit 0; }

# load NAME PORT CONNS [HEADER]: one wrk run; "rps p50 p99" into $OUT/NAME
load() {
    wrk -t1 -c"$3" -d"${DURATION}s" --latency ${4:+-H "$4"} "http://127.0.0.1:$2/" 2>/dev/null >"$OUT/wrk"
    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$OUT/wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$OUT/wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk")
    echo "${rps:-0} ${p50:-?} ${p99:-?}" >"$OUT/$1"
}

run_all() { # PREFIX PORT
    for c in 1 10 100; do load "$1.ka$c" "$2" $c; done
    load "$1.close" "$2" 10 "Connection: close"
}

echo "http: wrk -t1 -d${DURATION}s against the C server and node's http.createServer"
"$BUILD/demos/http" --json --listen 127.0.0.1:0 >"$OUT/c.json" 2>/dev/null &
SERVER=$!
port=$(wait_port "$OUT/c.json" 's/.*"ev":"hello".*"port":\([0-9]*\).*/\1/p') || { echo "http: the C server did not start"; exit 1; }
run_all c "$port"
kill "$SERVER"; wait "$SERVER" 2>/dev/null; SERVER=""

node -e "const s = require('http').createServer((q, r) => r.end('pong')).listen(0, '127.0.0.1', () => console.log(s.address().port))" >"$OUT/n.out" 2>&1 &
SERVER=$!
port=$(wait_port "$OUT/n.out" 's/^\([0-9][0-9]*\)$/\1/p') || { echo "http: node did not start"; exit 1; }
run_all n "$port"
kill "$SERVER"; wait "$SERVER" 2>/dev/null; SERVER=""

printf '%-26s %12s %9s %9s   %12s %9s %9s   %6s\n' load "C req/s" p50 p99 "node req/s" p50 p99 "C/node"
for k in ka1 ka10 ka100 close; do
    read -r crps cp50 cp99 <"$OUT/c.$k"
    read -r nrps np50 np99 <"$OUT/n.$k"
    case $k in
    ka*) name="keep-alive, ${k#ka} conn" ;;
    close) name="new connection each (10)" ;;
    esac
    ratio=$(awk -v a="$crps" -v b="$nrps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    printf '%-26s %12s %9s %9s   %12s %9s %9s   %6s\n' "$name" "$crps" "$cp50" "$cp99" "$nrps" "$np50" "$np99" "$ratio"
done
