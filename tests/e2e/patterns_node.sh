# patterns' node steps (8 to 10) headless, checked on their events: what
# JSON loses through a real node's process.send(), node's 'json' against
# 'advanced' channel, a node child under --inspect-brk; then SIGTERM and
# SIGKILL in the middle of the node pair. Without node the steps are skipped
# with a reason, and so are these checks. No timing thresholds.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/patterns"
FAST="--watchdog-ms 300 --grace-ms 300 --count 3"

# Without node (or with none where --node points): the steps say why and pass.
timeout 120 "$DEMO" --json $FAST --node /nonexistent/node >none.json 2>none.err
rc=$?; [ $rc -eq 0 ] && pass "no node: exit 0" || { fail "no node: exit $rc"; cat none.err; }
[ "$(field none.json step n | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 9 10 11 " ] && pass "no node: every step still runs" \
    || fail "no node: steps $(field none.json step n | tr '\n' ' ')"
[ "$(json_count none.json log '.text | test("^step (8|9|10) skipped: no node")')" = 3 ] \
    && pass "no node: steps 8, 9 and 10 each say they are skipped, and why" || fail "no skip narration"
[ "$(events none.json bye | jq -r .summary.node.skipped)" = "node not found" ] && pass "no node: the bye says so" \
    || fail "no node: bye $(events none.json bye | jq -c .summary.node)"

if ! command -v node >/dev/null; then
    skip "node steps: node is not installed"; exit 0
fi
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; then
    skip "node steps: node $(node --version) is older than 18"; exit 0
fi

timeout 180 "$DEMO" --json $FAST --node-trips 100 >n.json 2>n.err
rc=$?; [ $rc -eq 0 ] && pass "exit 0" || { fail "exit $rc"; cat n.err; }
has_event n.json error '.what != "refused"' && fail "an error event: $(field n.json error reason | head -3)" \
    || pass "no error but step 5's two refusals"
lose() { events n.json bye | jq -r ".summary.lose.$1"; }

# step 8: what travels, and what arrives
[ "$(lose date.wire)" = '"1970-01-01T00:00:00.000Z"' ] && [ "$(lose date.kind)" = string ] \
    && pass "a Date travels as its ISO string and arrives as a string" || fail "date: $(lose date)"
[ "$(lose map.wire) $(lose set.wire)" = "{} {}" ] && pass "a Map and a Set travel as {}" || fail "map/set: $(lose map) $(lose set)"
[ "$(lose undefined_property.wire)" = '{"b":1}' ] && pass "an undefined property is dropped" || fail "undefined property"
[ "$(lose undefined_in_array.wire)" = '[1,null,3]' ] && pass "undefined in an array becomes null" || fail "undefined in array"
lose undefined_message.threw | grep -q 'TypeError' && pass "child.send(undefined) throws: $(lose undefined_message.threw)" \
    || fail "undefined message: $(lose undefined_message)"
lose bigint.threw | grep -q 'serialize a BigInt' && pass "a BigInt: send() throws $(lose bigint.threw)" || fail "bigint: $(lose bigint)"
[ "$(lose nan.wire)" = '[null,null,0]' ] && pass "NaN and Infinity become null, -0 becomes 0" || fail "nan: $(lose nan)"
[ "$(lose buffer.wire)" = '{"type":"Buffer","data":[104,105,33]}' ] && [ "$(lose buffer.kind)" = Object ] \
    && pass "a Buffer travels as {type:'Buffer', data:[...]} and arrives a plain Object" || fail "buffer: $(lose buffer)"
has_event n.json msg '.chan == "node" and .dir == "recv" and (.summary | contains("\"type\":\"value\""))' \
    && pass "node's values traced on their channel" || fail "no msg events on the node channel"

# step 9: node to node, 'json' against 'advanced'
adv() { events n.json bye | jq -r ".summary.advanced.$1"; }
[ "$(adv advanced_survived) $(adv json_survived)" = "7 0" ] \
    && pass "'advanced' keeps Date, Map, Set, undefined, NaN, Buffer, BigInt; 'json' none" \
    || fail "survived: $(adv advanced.survived) / $(adv json.survived)"
for s in json advanced; do
    for w in small large; do
        v=$(adv "$s.$w.trips_per_s"); b=$(adv "$s.$w.bytes")
        [ "${v%.*}" -gt 0 ] 2>/dev/null && [ "$b" -gt 0 ] 2>/dev/null && pass "$s $w: ${v%.*} round trips/s, $b bytes" \
            || fail "$s $w: '$v' /s, '$b' bytes"
    done
done
[ "$(adv json.small.trips) $(adv json.large.trips)" = "100 10" ] && pass "--node-trips 100: 100 small, 10 large" \
    || fail "trips: $(adv json.small.trips) $(adv json.large.trips)"
case "$(adv ping_frame)" in 00000017ff0f6f*) pass "an advanced frame: a 4-byte length, then V8's ff 0f";;
    *) fail "ping frame: $(adv ping_frame)";; esac
field n.json log text | grep -q "length-prefixed decoder cuts it: one frame of 23 bytes" \
    && pass "lib/framing cuts node's advanced frame" || fail "no lenframe narration"
[ "$(json_count n.json proc '.state == "exit" and (.role | test("node (json|advanced) child")) and .code == 0')" = 2 ] \
    && pass "the node parent's two children reported and exited 0" || fail "node pair children"

# step 10: --inspect-brk on loopback, the child waits, SIGTERM ends it
ins() { events n.json bye | jq -r ".summary.inspect.$1"; }
port=$(ins port)
[ "$port" -gt 0 ] 2>/dev/null && ins url | grep -q "^ws://127.0.0.1:$port/" \
    && pass "Debugger listening on $(ins url)" || fail "inspect: $(events n.json bye | jq -c .summary.inspect)"
[ "$(ins pong)" = false ] && [ "$(ins outq_bytes)" -gt 0 ] && pass "the child waits: no pong, the ping unread in the kernel" \
    || fail "waiting: pong $(ins pong), outq $(ins outq_bytes)"
[ "$(ins exit_signal)" = TERM ] && pass "SIGTERM ended it" || fail "inspect exit: $(ins exit_signal)"
for c in $(field n.json proc proc '.state == "start" and (.role | test("node"))'); do
    wait_gone "$c" || fail "node $c left"
done

# SIGTERM and SIGKILL to the demo while the node pair measures: nothing left
for sig in TERM KILL; do
    "$DEMO" --json $FAST --node-trips 1000000 >k.json 2>k.err &
    demo=$!
    if wait_event k.json proc '.state == "start" and .role == "node json child"' 1200; then
        kids=$(field k.json proc proc '.state == "start"')
        kill -$sig $demo
        wait_bounded $demo 30
        left=""
        for c in $kids; do wait_gone "$c" || left="$left $c"; done
        [ -z "$left" ] && pass "SIG$sig to the demo mid-measure: no node, no child left" || fail "SIG$sig: left$left"
    else
        fail "SIG$sig run never reached the node pair"; kill -9 $demo; wait $demo
    fi
done
