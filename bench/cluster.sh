#!/bin/sh
# cluster: requests per second through one shared port served by 2 workers,
# the C demo (master and workers in C) against node's own cluster doing the
# same (demos/cluster-article.js: http.createServer in each worker), in both
# of node's policies (rr: the master accepts and hands each connection over;
# none: the workers share the listening socket), measured by wrk in one run,
# interleaved over ROUNDS rounds. Two loads:
#   keep-alive  wrk's default: each of CONNS connections is handed over once,
#               then its worker serves request after request on it;
#   close       "Connection: close": every request is a new connection, so one
#               accept() and, in rr, one handoff through the master.
# The machine's 2 cores are shared by wrk, the master and the workers: the
# figures are this machine's, for comparing the two, not a server's capacity.
#
#   sh bench/cluster.sh [BUILD_DIR]     ROUNDS=3 DURATION=5 CONNS=16
set -u
BUILD=${1:-build}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-16}
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-cluster-bench.XXXXXX")
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$OUT"' EXIT
export IPCSCOPE_MSG_RATE=200

command -v wrk >/dev/null || { echo "cluster: wrk is not installed (sh mk/deps.sh bench)"; exit 0; }
have_node=0; command -v node >/dev/null && have_node=1

# load NAME PORT: wrk both ways, one JSON line each into $OUT/NAME.ka, .close
load() {
    for how in ka close; do
        hdr=""; [ $how = close ] && hdr="Connection: close"
        rps=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" ${hdr:+-H "$hdr"} "http://127.0.0.1:$2/" 2>/dev/null |
              sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
        echo "{\"rps\":${rps:-0}}" >>"$OUT/$1.$how"
    done
}

stop() { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; SERVER=""; }

echo "cluster: requests/s through one port, 2 workers, wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
    for sched in rr none; do
        # The C demo, kept serving (its own client at 1 request in 5 s), once
        # its rolling restart is over.
        "$BUILD/demos/cluster" --json --sched $sched --count 1000000000 --rate 0.2 \
            >"$OUT/c.json" 2>/dev/null &
        SERVER=$!
        port=$(wait_port "$OUT/c.json" 's/.*rolling restart done.*//;s/.*"text":"master: socket(), bind(127.0.0.1:\([0-9]*\)).*/\1/p')
        i=0; while ! grep -q 'rolling restart done' "$OUT/c.json" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
        [ -n "$port" ] && load "c.$sched" "$port"
        stop
        if [ $have_node -eq 1 ]; then
            NODE_CLUSTER_SCHED_POLICY=$sched PORT=0 WORKERS=2 node "$TOP/demos/cluster-article.js" \
                >"$OUT/n.out" 2>/dev/null &
            SERVER=$!
            port=$(wait_port "$OUT/n.out" 's/^worker 2 listening on port \([0-9]*\)$/\1/p')
            [ -n "$port" ] && load "n.$sched" "$port"
            stop
        fi
    done
done

printf '%-44s %12s %12s\n' "" "keep-alive" "close"
for sched in rr none; do
    for who in c n; do
        name="C master, C workers"; [ $who = n ] && name="node's cluster"
        printf '%-44s %12.0f %12.0f\n' "$name ($sched), requests/s" \
            "$(median "$OUT/$who.$sched.ka" rps)" "$(median "$OUT/$who.$sched.close" rps)"
    done
    printf '%-44s %12s %12s\n' "  C over node ($sched)" \
        "$(ratio "$(median "$OUT/c.$sched.ka" rps)" "$(median "$OUT/n.$sched.ka" rps)")" \
        "$(ratio "$(median "$OUT/c.$sched.close" rps)" "$(median "$OUT/n.$sched.close" rps)")"
done
echo "Each figure is the median over $ROUNDS rounds; above 1 = the C cluster answers more requests."

# A message between two workers passes through the master: its cost next to a
# round trip with the master, on lib/channel (bench/bench_relay.c) and in
# node's cluster (bench/node_cluster_relay.js), N round trips each.
N=${N:-5000}
for r in $(seq "$ROUNDS"); do
    "$BUILD/bench/bench_relay" "$N" >>"$OUT/relay.c"
    [ $have_node -eq 1 ] && node "$TOP/bench/node_cluster_relay.js" "$N" >>"$OUT/relay.n"
done
echo
echo "cluster: worker 1 <-> master, and worker 1 -> master -> worker 2 and back, $N round trips, one small JSON message each way"
printf '%-44s %10s %10s %10s %10s\n' "" "C p50" "C p99" "node p50" "node p99"
for kind in direct relayed; do
    grep "\"what\":\"$kind" "$OUT/relay.c" >"$OUT/relay.c.$kind" 2>/dev/null
    grep "\"what\":\"$kind" "$OUT/relay.n" >"$OUT/relay.n.$kind" 2>/dev/null
    printf '%-44s %8.1f µs %8.1f µs %8.1f µs %8.1f µs\n' "$kind round trip" \
        "$(median "$OUT/relay.c.$kind" p50 | awk '{print $1/1000}')" "$(median "$OUT/relay.c.$kind" p99 | awk '{print $1/1000}')" \
        "$(median "$OUT/relay.n.$kind" p50 | awk '{print $1/1000}')" "$(median "$OUT/relay.n.$kind" p99 | awk '{print $1/1000}')"
done
printf '%-44s %10s %21s\n' "relayed over direct (p50)" \
    "$(ratio "$(median "$OUT/relay.c.relayed" p50)" "$(median "$OUT/relay.c.direct" p50)")" \
    "$(ratio "$(median "$OUT/relay.n.relayed" p50)" "$(median "$OUT/relay.n.direct" p50)")"
echo "A relayed round trip is four hops on two channels, a direct one two on one."
