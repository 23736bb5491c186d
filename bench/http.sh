#!/bin/sh
# http: requests per second and latency (p50, p99) under wrk, the demo's
# server (http-parser on libuv, --listen, its tracing on as always) next to
# node's http.createServer answering pong, RUNS times in one run: 1, 10 and
# 100 kept-alive connections, then 10 connections that each close after
# every request ("Connection: close": a handshake per request). The 2 cores
# are shared by wrk and the server, so each load also says how much CPU the
# server, wrk and everything else on the machine took meanwhile (% of one
# core, from /proc): a figure that moves from run to run is explained there.
# PIN=1 puts the server on CPU 0 and wrk on CPU 1 (taskset).
#
# Then the WebSocket round trip (bench_http ws: a masked 64-byte frame to
# the C server's /ws and its echo) next to tcp's line round trip (the tcp
# demo, 64-byte lines, and bench_sock's raw floor), and IDLE kept-alive
# connections held open (bench_http idle) with the server's RSS, C and node.
# RLIMIT_NOFILE is raised to the hard limit here, for the servers and the
# client; when that caps the connections, the output says so.
#
#   sh bench/http.sh [BUILD_DIR]     DURATION=5 RUNS=2 N_RT=20000 IDLE=10000 PIN=0
set -u
BUILD=${1:-build}
DURATION=${DURATION:-5}
RUNS=${RUNS:-2}
N_RT=${N_RT:-20000}
IDLE=${IDLE:-10000}
PIN=${PIN:-0}
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-http-bench.XXXXXX")
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$OUT"' EXIT
export IPCSCOPE_MSG_RATE=200

command -v wrk >/dev/null || { echo "http: wrk is not installed (sh mk/deps.sh bench)"; exit 0; }
command -v node >/dev/null || { echo "http: node is not installed"; exit 0; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null
SRV_PIN=""; WRK_PIN=""
[ "$PIN" = 1 ] && command -v taskset >/dev/null && SRV_PIN="taskset -c 0" && WRK_PIN="taskset -c 1"
NODE_SERVER="const s = require('http').createServer((q, r) => r.end('pong'));
s.keepAliveTimeout = 0; s.headersTimeout = 0; s.requestTimeout = 0;
s.listen(0, '127.0.0.1', () => console.log(s.address().port))"

# ticks PID: utime + stime of PID (clock ticks); busy: all CPUs' busy ticks
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
kids() { awk '{print $16 + $17}' /proc/$$/stat; } # this shell's waited-for children (wrk)
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# load NAME PORT CONNS [HEADER]: one wrk run; "rps p50 p99 server% wrk% other%" into $OUT/NAME
load() {
    s0=$(ticks "$SERVER"); w0=$(kids); b0=$(busy)
    $WRK_PIN wrk -t1 -c"$3" -d"${DURATION}s" --latency ${4:+-H "$4"} "http://127.0.0.1:$2/" 2>/dev/null >"$OUT/wrk"
    s1=$(ticks "$SERVER"); w1=$(kids); b1=$(busy)
    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$OUT/wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$OUT/wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk")
    cpu=$(awk -v s=$((s1 - s0)) -v w=$((w1 - w0)) -v b=$((b1 - b0)) -v d="$DURATION" 'BEGIN {
        o = b - s - w; if (o < 0) o = 0; printf "%.0f %.0f %.0f", s / d, w / d, o / d }')
    echo "${rps:-0} ${p50:-?} ${p99:-?} $cpu" >"$OUT/$1"
}

run_all() { # PREFIX PORT
    for c in 1 10 100; do load "$1.ka$c" "$2" $c; done
    load "$1.close" "$2" 10 "Connection: close"
}

start_c() { # extra options; sets SERVER and port
    $SRV_PIN "$BUILD/demos/http" --json --listen 127.0.0.1:0 "$@" >"$OUT/c.json" 2>/dev/null &
    SERVER=$!
    port=$(wait_port "$OUT/c.json" 's/.*"ev":"hello".*"port":\([0-9]*\).*/\1/p') || { echo "http: the C server did not start"; exit 1; }
}
start_node() {
    : >"$OUT/n.out"
    $SRV_PIN node -e "$NODE_SERVER" >"$OUT/n.out" 2>&1 &
    SERVER=$!
    port=$(wait_port "$OUT/n.out" 's/^\([0-9][0-9]*\)$/\1/p') || { echo "http: node did not start"; exit 1; }
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null; SERVER=""; }

echo "http: wrk -t1 -d${DURATION}s against the C server and node's http.createServer, $RUNS runs"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), node $(node --version)${SRV_PIN:+, server on CPU 0 and wrk on CPU 1}"
for r in $(seq "$RUNS"); do
    start_c; run_all "c$r" "$port"; stop
    start_node; run_all "n$r" "$port"; stop
    echo "run $r: load average $(cut -d' ' -f1-3 /proc/loadavg)"
done

printf '%-24s %9s %8s %8s %4s %4s %4s  %9s %8s %8s %4s %4s %4s  %6s %6s\n' load "C req/s" p50 p99 srv wrk oth \
    "node r/s" p50 p99 srv wrk oth "C/node" "per CPU"
for r in $(seq "$RUNS"); do
    for k in ka1 ka10 ka100 close; do
        read -r crps cp50 cp99 cs cw co <"$OUT/c$r.$k"
        read -r nrps np50 np99 ns nw no <"$OUT/n$r.$k"
        case $k in
        ka*) name="$r: keep-alive, ${k#ka}" ;;
        close) name="$r: new conn. each (10)" ;;
        esac
        ratio=$(awk -v a="$crps" -v b="$nrps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        cpu=$(awk -v a="$crps" -v b="$nrps" -v x="$cs" -v y="$ns" 'BEGIN {
            if (b > 0 && x > 0 && y > 0) printf "%.2f", (a / x) / (b / y); else print "-" }')
        printf '%-24s %9s %8s %8s %4s %4s %4s  %9s %8s %8s %4s %4s %4s  %6s %6s\n' "$name" "$crps" "$cp50" "$cp99" \
            "$cs" "$cw" "$co" "$nrps" "$np50" "$np99" "$ns" "$nw" "$no" "$ratio" "$cpu"
    done
done
echo "srv, wrk, oth: CPU of the server, of wrk, and of everything else on the machine during"
echo "the load, in % of one core (the machine has $(nproc) cores: $(( $(nproc) * 100 ))% in all; irq"
echo "and softirq time, the loopback's own, count as oth). per CPU: C/node of requests per second"
echo "of the server's own CPU, which the others' share of the cores moves less than req/s."

# ---- the WebSocket round trip next to tcp's line round trip ----------------------
echo
echo "round trips, $N_RT of 64 bytes each over loopback (after $((N_RT / 10)) to warm up):"
us() { awk -v n="$1" 'BEGIN {if (n > 0) printf "%9.1f", n/1000; else printf "%9s", "-"}'; }
rt_row() { printf '%-52s %s %s\n' "$1" "$(us "$(median "$2" p50)")" "$(us "$(median "$2" p99)")"; }
printf '%-52s %9s %9s\n' "" "p50 us" "p99 us"
start_c --ping-ms 600000
"$BUILD/bench/bench_http" ws "$port" "$N_RT" >"$OUT/ws.json" 2>&1
stop
rt_row "WebSocket: http demo's /ws, a frame and its echo" "$OUT/ws.json"
if [ -x "$BUILD/demos/tcp" ]; then
    "$BUILD/demos/tcp" --json --clients 1 --count "$N_RT" --rate 0 --size 64 --lab off 2>/dev/null |
        grep '"ev":"bye"' | tail -n 1 >"$OUT/tcp.json"
    rt_row "tcp demo: a line and its echo (--clients 1 --rate 0)" "$OUT/tcp.json"
fi
[ -x "$BUILD/bench/bench_sock" ] && "$BUILD/bench/bench_sock" tcp pingpong "$N_RT" >"$OUT/floor.json" 2>/dev/null &&
    rt_row "raw TCP write/read, no event loop (bench_sock)" "$OUT/floor.json"

# ---- IDLE kept-alive connections held open: the server's RSS ------------------------
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; } # kB
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# hold NAME: bench_http idle against $port; "held base_kB held_kB peak_kB ms nofile error" into $OUT/NAME
hold() {
    base=$(rss "$SERVER")
    rm -f "$OUT/fifo"; mkfifo "$OUT/fifo"
    "$BUILD/bench/bench_http" idle "$port" "$IDLE" <"$OUT/fifo" >"$OUT/idle" 2>&1 &
    client=$!
    exec 7>"$OUT/fifo"
    i=0; while [ ! -s "$OUT/idle" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 1 # the server reads and answers the last ones
    now=$(rss "$SERVER"); peak=$(hwm "$SERVER")
    echo >&7; exec 7>&-
    wait $client
    held=$(sed -n 's/.*"held":\([0-9]*\).*/\1/p' "$OUT/idle")
    ms=$(sed -n 's/.*"ms":\([0-9]*\).*/\1/p' "$OUT/idle")
    nofile=$(sed -n 's/.*"nofile":\([0-9]*\).*/\1/p' "$OUT/idle")
    err=$(sed -n 's/.*"error":"\([^"]*\)".*/\1/p' "$OUT/idle")
    echo "${held:-0} $base $now $peak ${ms:-0} ${nofile:-?} ${err:-none}" >"$OUT/$1"
}
echo
echo "$IDLE kept-alive connections, each after one GET, held idle (RLIMIT_NOFILE: $(ulimit -n), hard $(ulimit -Hn)):"
start_c --header-ms 600000; hold idle.c; stop
start_node; hold idle.n; stop
printf '%-30s %7s %10s %10s %10s %12s %8s\n' server held "RSS before" "RSS held" "peak" "per conn." "open ms"
for k in c n; do
    read -r held base now peak ms nofile err <"$OUT/idle.$k"
    name=$([ $k = c ] && echo "C (http --listen)" || echo "node http.createServer")
    per=$(awk -v a="$base" -v b="$now" -v h="$held" 'BEGIN {if (h > 0) printf "%.2f kB", (b - a) / h; else print "-"}')
    printf '%-30s %7s %7.1f MB %7.1f MB %7.1f MB %12s %8s\n' "$name" "$held" "$(echo "$base" | awk '{print $1/1024}')" \
        "$(echo "$now" | awk '{print $1/1024}')" "$(echo "$peak" | awk '{print $1/1024}')" "$per" "$ms"
    [ "$held" -lt "$IDLE" ] && echo "  $name: $held of $IDLE held ($err; the client's RLIMIT_NOFILE was $nofile)"
done
echo "The C server runs with --header-ms 600000 (its idle limit is the next request's head"
echo "timer, 2 s by default); node with keepAliveTimeout, headersTimeout and requestTimeout 0."
