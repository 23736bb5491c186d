# message-queue with node's `redis` package (v4, article 004's client) as a
# real peer on the demo's private socket: node SUBSCRIBEs to the demo's
# ping channel and gets its messages, then PUBLISHes on my-channel and the
# demo's subscriber prints it. The package is installed with npm into this
# test's private directory; without node, npm or a registry, skipped with
# the reason.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/message-queue"
export IPCSCOPE_MSG_RATE=0
command -v redis-server >/dev/null || { skip "redis-server is not installed (mk/deps.sh)"; exit 0; }
command -v node >/dev/null && command -v npm >/dev/null || { skip "node or npm is not installed"; exit 0; }
if ! timeout 180 npm install --silent --no-audit --no-fund --prefix "$PWD/npm" redis@4 >npm.log 2>&1; then
    skip "npm install redis failed (no registry?): $(tail -n 1 npm.log)"
    exit 0
fi
export NODE_PATH="$PWD/npm/node_modules"

"$DEMO" --json --count 1000000 --rate 20 >c.json 2>c.err &
demo=$!
if wait_event c.json msg '.lat > 0' 900; then
    sock=$(jq -r 'select(.ev=="log") | .text | capture("answers PING on (?<s>[^:]*redis.sock)").s // empty' c.json | head -n 1)
    ch="ipcscope:$(field c.json hello pid):ping"
    timeout 60 node "$TOP/tests/helpers/redis_node_peer.js" "$sock" "$ch" 3 >node.out 2>node.err
    rc=$?
    [ $rc -eq 0 ] && [ "$(grep -c "^Received message: ping [0-9]* [0-9]* from channel: $ch\$" node.out)" = 3 ] \
        && pass "node (redis package) SUBSCRIBE $ch on $sock: 3 of the demo's pings" \
        || { fail "node subscriber: exit $rc"; cat node.out node.err; }
    grep -qx "PUBLISH my-channel -> 1" node.out && pass "node PUBLISH my-channel: 1 subscriber (the demo's)" \
        || fail "node's PUBLISH: $(tail -n 1 node.out)"
    wait_event c.json log '.text == "Received message: from node from channel: my-channel"' 100 \
        && pass "the demo's subscriber prints node's message" || fail "node's message not received"
else
    fail "no round trip in c.json"
fi
kill -TERM $demo
wait_bounded $demo 60; rc=$?
[ $rc -eq 0 ] && has_event c.json bye && pass "SIGTERM: a summary, exit 0" || fail "SIGTERM: exit $rc"
rs=$(jq -r 'select(.ev=="proc" and .role=="redis-server" and .state=="start") | .proc' c.json | head -n 1)
wait_gone "$rs" && pass "redis-server gone" || fail "redis-server $rs left"
