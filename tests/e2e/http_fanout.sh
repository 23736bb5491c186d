# The http demo's step 8 and its --redis mode: two servers, each with its
# own WebSocket and SSE clients, broadcasting through Redis pub/sub (article
# 001's "SSE/WebSocket broadcast" row). Headless (--json), checked on the
# events: the lesson's four clients each get both messages once; then real
# peers (node's WebSocket client, curl -N) on two `http --redis` servers
# sharing a redis-server of the test's own; SIGTERM mid-step and a broker
# that is not there leave nothing behind.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/http"
export IPCSCOPE_MSG_RATE=0 # every msg event

if ! command -v redis-server >/dev/null; then
    skip "redis-server is not installed: no broker for the two servers"
    exit 0
fi
fig() { events "$1" bye | jq -r ".summary.fanout$2"; }

# ---- the lesson's step 8 ------------------------------------------------------
timeout 120 "$DEMO" --json --count 1 --rate 0 >d.json 2>d.err
rc=$?; [ $rc -eq 0 ] && pass "lesson run: exit 0" || { fail "lesson run: exit $rc"; cat d.err; field d.json error reason; }
has_event d.json step '.n == 8 and (.title | test("Redis pub/sub"))' && pass "step 8 is the two servers through Redis" \
    || fail "no step 8: $(field d.json step title | tr '\n' '|')"
a=$(field d.json proc proc '.role == "server 1" and .state == "start"')
b=$(field d.json proc proc '.role == "server 2" and .state == "start"')
redis=$(field d.json proc proc '.role == "redis-server" and .state == "start"')
[ -n "$a" ] && [ -n "$b" ] && [ -n "$redis" ] && pass "redis-server ($redis), server 1 ($a) and server 2 ($b) started" \
    || fail "processes: a=$a b=$b redis=$redis"
ok=1
for c in ws1 ev1 ws2 ev2; do
    [ "$(fig d.json ".${c}_from_1")" = 1 ] && [ "$(fig d.json ".${c}_from_2")" = 1 ] || { ok=0; fail "$c: $(fig d.json)"; }
done
[ $ok = 1 ] && pass "ws1, ev1 (server 1), ws2 and ev2 (server 2) each got both messages, once each"
[ "$(fig d.json .server_1_published)" = 1 ] && [ "$(fig d.json .server_2_published)" = 1 ] \
    && [ "$(fig d.json .server_1_relayed)" = 2 ] && [ "$(fig d.json .server_2_relayed)" = 2 ] \
    && pass "each server PUBLISHed its client's message and relayed both" || fail "servers: $(fig d.json)"
has_event d.json msg ".pid == $a and .chan == \"pubsub\" and .dir == \"send\" and .to == $redis and .summary == \"hello from a client of server 1\"" \
    && has_event d.json msg ".pid == $b and .chan == \"pubsub\" and .dir == \"recv\" and .from == $redis and .summary == \"hello from a client of server 1\"" \
    && has_event d.json msg ".pid == $b and .chan == \"ws\" and .to == \"ws2\" and (.summary | test(\"of server 1\"))" \
    && has_event d.json msg ".pid == $b and .chan == \"http\" and .to == \"ev2\" and .summary == \"data: hello from a client of server 1\"" \
    && pass "server 1's client's message traced: server 1 -> redis-server -> server 2 -> ws2 and ev2" || fail "no trace 1 -> redis -> 2"
for p in $a $b $redis; do
    has_event d.json proc ".state == \"exit\" and .proc == $p and .code == 0" || fail "process $p did not exit 0"
done
t8=$(field d.json step t '.n == 8')
has_event d.json error ".t > $t8" && fail "errors in step 8: $(field d.json error reason ".t > $t8" | head -3)" \
    || pass "no error event from step 8 on"

# ---- real peers: two `http --redis` servers on a redis-server of our own ----------
mkdir -m 700 r
redis-server --port 0 --unixsocket "$PWD/r/redis.sock" --unixsocketperm 700 --dir "$PWD/r" \
    --save '' --appendonly no >r/log 2>&1 &
rs=$!
wait_for r/log 'ready to accept' 100 || fail "redis-server did not start: $(tail -3 r/log)"
"$DEMO" --json --redis "unix:$PWD/r/redis.sock" >sa.json 2>sa.err &
sa=$!
"$DEMO" --json --redis "unix:$PWD/r/redis.sock" >sb.json 2>sb.err &
sb=$!
if wait_event sa.json log '.text | test("^SUBSCRIBE")' && wait_event sb.json log '.text | test("^SUBSCRIBE")'; then
    pa=$(events sa.json hello | jq -r '.params.listen' | sed 's/.*://')
    pb=$(events sb.json hello | jq -r '.params.listen' | sed 's/.*://')
    timeout 10 curl -sN "http://127.0.0.1:$pb/events" >sse.out 2>/dev/null &
    curl=$!
    if command -v node >/dev/null && node --experimental-websocket -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2>/dev/null; then
        timeout 20 node --experimental-websocket -e "
            const ws = new WebSocket('ws://127.0.0.1:$pb/ws');
            ws.onopen = () => console.log('open');
            ws.onmessage = e => { console.log(e.data); ws.close(1000); };" >nb.out 2>&1 &
        nb=$!
        wait_for nb.out '^open' 100
        wait_event sb.json log '.text | test("^SSE: curl subscribed")' 100
        out=$(timeout 20 node --experimental-websocket -e "
            const ws = new WebSocket('ws://127.0.0.1:$pa/ws');
            ws.onopen = () => ws.send('hello from node on A');
            ws.onmessage = e => { console.log(e.data); ws.close(1000); };" 2>&1)
        [ "$out" = "hello from node on A" ] && pass "node on A: its own message back, through Redis" || fail "node on A: $out"
        wait_bounded $nb 20
        grep -qx 'hello from node on A' nb.out && pass "node's WebSocket on B got the message sent to A" || fail "node on B: $(cat nb.out)"
        wait_for sse.out '^data: hello from node on A' 100 && pass "curl -N on B's /events got it as an event" \
            || fail "curl -N on B: $(head -c 300 sse.out)"
    else
        skip "node has no WebSocket client (node 20.10 or later)"
    fi
    kill $curl 2>/dev/null; wait $curl 2>/dev/null
    kill -TERM $sa $sb
    wait_bounded $sa 30; ra=$?
    wait_bounded $sb 30; rb=$?
    [ $ra -eq 0 ] && [ $rb -eq 0 ] && has_event sa.json bye && has_event sb.json bye \
        && pass "--redis servers: SIGTERM, a bye each, exit 0" || fail "--redis SIGTERM: exit $ra $rb"
else
    fail "the --redis servers never subscribed: $(cat sa.err sb.err | head -5)"
    kill -9 $sa $sb
fi
kill -TERM $rs; wait $rs 2>/dev/null

# ---- SIGTERM in the middle of step 8 ------------------------------------------------
# (as soon as redis-server is started: grep every 10 ms; it has yet to answer
# PING, then the servers start, then their clients)
"$DEMO" --json --count 1000000 --rate 20 >q.json 2>q.err &
demo=$!
i=0; while ! grep -qs '"role":"redis-server"' q.json && [ $i -lt 9000 ]; do sleep 0.01; i=$((i + 1)); done
if grep -qs '"role":"redis-server"' q.json; then
    kill -TERM $demo
    wait_bounded $demo 60; rc=$?
    a=$(field q.json proc proc '.role == "server 1" and .state == "start"')
    b=$(field q.json proc proc '.role == "server 2" and .state == "start"')
    redis=$(field q.json proc proc '.role == "redis-server" and .state == "start"')
    dir=$(events q.json log | jq -r '.text' | sed -n 's/.*--unixsocket \(.*\)\/redis.sock).*/\1/p' | head -1)
    has_event q.json step '.n == 9' && skip "step 8 was over before SIGTERM came"
    [ $rc -eq 0 ] && has_event q.json bye && pass "SIGTERM in step 8: a bye, exit 0" || fail "SIGTERM in step 8: exit $rc"
    ok=1; for p in $a $b $redis; do wait_gone "$p" || ok=0; done
    [ $ok = 1 ] && pass "redis-server ($redis) and the servers started (${a:-none} ${b:-none}) are gone" \
        || fail "left: $a $b $redis"
    [ -n "$dir" ] && [ ! -e "$dir" ] && pass "redis-server's private directory is removed" || fail "left: '$dir'"
else
    fail "step 8 never got its clients"; kill -9 $demo
fi

# ---- no broker where --redis points --------------------------------------------------
timeout 30 "$DEMO" --json --redis "unix:$PWD/none.sock" >n.json 2>n.err; rc=$?
[ $rc -eq 1 ] && has_event n.json error '.what == "redis"' && pass "--redis with nothing there: an error event, exit 1" \
    || fail "--redis nowhere: exit $rc $(field n.json error reason)"
