# The http demo run headless (--json) and checked on its events: the nine
# steps and their figures (the article's pong, keep-alive against a new
# connection each, localhost, Nagle on a split answer, the bad peers refused
# while http.get is served, WebSocket close codes and whole messages, SSE);
# then real peers both ways: curl and node's http.get against --listen, our
# libcurl client against node's http.createServer, node's WebSocket client
# against /ws, curl -N on /events; SIGTERM and quit leave nothing behind.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/http"
export IPCSCOPE_MSG_RATE=0 # every msg event, so counts can be compared

fig() { events "$1" bye | jq -r ".summary$2"; }
# figq FILE EXPR: a jq expression on the bye's summary, e.g. figq f '.a > 0 and .b > 0'
figq() { events "$1" bye | jq -r ".summary | ($2)"; }
port_of() { events "$1" hello | jq -r '.params.port // empty'; }

timeout 120 "$DEMO" --json --count 10 --rate 100 >d.json 2>d.err
rc=$?; [ $rc -eq 0 ] && pass "default run: exit 0" || { fail "default run: exit $rc"; cat d.err; field d.json error reason; }
steps=$(field d.json step n | tr '\n' ' ')
[ "$steps" = "1 2 3 4 5 6 7 8 9 " ] && pass "all nine steps" || fail "steps were '$steps'"
server=$(field d.json hello pid)

# step 1: the article's exchange, the wire narrated
[ "$(fig d.json .article.status)" = 200 ] && [ "$(fig d.json .article.body)" = pong ] \
    && pass "step 1: http.get read 200 \"pong\"" || fail "step 1: $(fig d.json .article)"
for line in 'request  > GET / HTTP/1.1\\r\\n' 'response < HTTP/1.1 200 OK\\r\\n' \
            'response < Content-Length: 4\\r\\n' 'body     < pong'; do
    has_event d.json log ".text == \"$line\"" || fail "no narration of '$line'"
done
has_event d.json log '.text | test("blank line: the head ends")' && pass "step 1: request line, headers, blank line, body narrated" \
    || fail "no blank line narrated"
has_event d.json msg ".pid == $server and .chan == \"http\" and .dir == \"recv\" and .from == \"http.get\" and .summary == \"GET /\"" \
    && has_event d.json msg ".pid == $server and .dir == \"send\" and .to == \"http.get\" and .summary == \"200 pong\"" \
    && pass "the server traces GET / from http.get and 200 pong back" || fail "no server-side trace"

# step 2: keep-alive against a new connection each
[ "$(fig d.json .keepalive.connections)" = 1 ] && [ "$(fig d.json .fresh.connections)" = 50 ] \
    && pass "step 2: 50 requests on 1 kept-alive connection, then on 50 new ones" \
    || fail "step 2: $(fig d.json .keepalive) $(fig d.json .fresh)"
[ "$(figq d.json '.keepalive.p50 > 0 and .fresh.p50 > 0')" = true ] \
    && pass "step 2: both medians measured (kept alive $(fig d.json .keepalive.p50) ns, new $(fig d.json .fresh.p50) ns)" || fail "step 2 medians"

# step 3: localhost
[ "$(fig d.json .localhost.ipv6_connect)" = ECONNREFUSED ] && [ "$(fig d.json .localhost.curl_ip)" = 127.0.0.1 ] \
    && [ "$(fig d.json .localhost.curl_status)" = 200 ] \
    && pass "step 3: [::1] refused (server on 127.0.0.1); libcurl's localhost reached 127.0.0.1" \
    || fail "step 3: $(fig d.json .localhost)"

# step 4: Nagle
[ "$(figq d.json '.nagle.nagle_p50 > 0 and .nagle.nodelay_p50 > 0')" = true ] \
    && pass "step 4: split answers timed, Nagle $(fig d.json .nagle.nagle_p50) ns, TCP_NODELAY $(fig d.json .nagle.nodelay_p50) ns" \
    || fail "step 4: $(fig d.json .nagle)"

# step 5: bad peers refused while http.get is served
[ "$(fig d.json .bad.slowloris_status)" = 408 ] && has_event d.json error '.what == "slow client"' \
    && pass "slowloris: 408 after the header timeout, an error event" || fail "slowloris: $(fig d.json .bad)"
[ "$(fig d.json .bad.oversize_status)" = 431 ] && has_event d.json error '.what == "oversize header"' \
    && pass "oversize header: 431, an error event" || fail "oversize: $(fig d.json .bad.oversize_status)"
[ "$(fig d.json .bad.malformed_status)" = 400 ] && has_event d.json error '.what == "malformed request"' \
    && pass "malformed request line: 400, an error event" || fail "malformed: $(fig d.json .bad.malformed_status)"
[ "$(fig d.json .bad.pipelined_answers)" = 3 ] && [ "$(fig d.json .pipelined)" -ge 3 ] \
    && pass "three pipelined requests in one write: three answers" || fail "pipelined: $(fig d.json .bad.pipelined_answers)"
[ "$(fig d.json .bad.good_failed)" = 0 ] && [ "$(fig d.json .bad.good_answers)" -gt 0 ] \
    && pass "meanwhile http.get was served: $(fig d.json .bad.good_answers) answers, none failed" || fail "good client: $(fig d.json .bad)"

# step 6: WebSocket
has_event d.json log '.text | test("Sec-WebSocket-Key: .*Sec-WebSocket-Accept: ")' \
    && pass "the handshake's key and accept narrated" || fail "no handshake narration"
for c in ws-1 ws-2; do
    r=$(fig d.json ".ws[\"${c}_received\"]") w=$(fig d.json ".ws[\"${c}_whole_big\"]") k=$(fig d.json ".ws[\"${c}_close\"]")
    [ "$r" = 4 ] && [ "$w" = 2 ] && [ "$k" = 1000 ] && pass "$c: 4 messages, both 40000-byte ones whole, close 1000" \
        || fail "$c: received $r, whole $w, close $k"
done
[ "$(fig d.json '.ws["ws-big_close"]')" = 1009 ] && pass "a message over --ws-max: close 1009" || fail "ws-big: $(fig d.json '.ws["ws-big_close"]')"
[ "$(fig d.json '.ws["ws-deaf_close"]')" = 1001 ] && has_event d.json error '.what == "ping timeout"' \
    && pass "a client that answers no ping: close 1001, an error event" || fail "ws-deaf: $(fig d.json '.ws["ws-deaf_close"]')"

# step 7: SSE
[ "$(figq d.json '.sse.client_bytes > 0 and .sse.events_sent > 0')" = true ] \
    && has_event d.json log '.text == "response < Transfer-Encoding: chunked\\r\\n"' \
    && pass "SSE: chunked text/event-stream read by libcurl ($(fig d.json .sse.client_bytes) bytes)" || fail "SSE: $(fig d.json .sse)"

# step 8 (two servers through Redis) is checked in http_fanout.sh
# step 9: the client process, its round trips in the bye
cpid=$(field d.json proc proc '.role == "client" and .state == "start"')
[ "$(json_count d.json msg ".pid == $cpid and .dir == \"recv\" and .lat > 0")" = 10 ] \
    && has_event d.json proc ".state == \"exit\" and .proc == $cpid and .code == 0" \
    && pass "step 9: the client process got 10 timed answers and exited 0" || fail "step 9: client $cpid"
[ "$(fig d.json .round_trips)" = 10 ] && pass "bye: the client's 10 round trips" || fail "bye round trips: $(fig d.json .round_trips)"
sends=$(events d.json msg ".pid == $cpid and .dir == \"send\"" | jq -r .id | sort -n | tr '\n' ' ')
recvs=$(events d.json msg ".pid == $server and .dir == \"recv\" and .from == $cpid" | jq -r .id | sort -n | tr '\n' ' ')
[ -n "$sends" ] && [ "$sends" = "$recvs" ] && pass "the client's requests and the server's receipts have the same ids" \
    || fail "ids: sent '$sends', received '$recvs'"

# ---- real peers against --listen ---------------------------------------------
"$DEMO" --json --listen 127.0.0.1:0 >l.json 2>l.err &
demo=$!
if wait_event l.json step '.n == 1'; then
    port=$(port_of l.json)
    [ "$(curl -s "http://127.0.0.1:$port/")" = pong ] && pass "curl GET / -> pong" || fail "curl GET /"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "http://127.0.0.1:$port/")
    [ "$code" = 431 ] && pass "curl with a 20 KiB header -> 431" || fail "curl oversize -> $code"
    timeout 5 curl -sN "http://127.0.0.1:$port/events" >sse.out 2>/dev/null
    grep -q '^data: tick ' sse.out && pass "curl -N /events: events as they come" || fail "curl -N: $(head -3 sse.out)"
    wait_event l.json msg '.from == "curl" and .summary == "GET /"' && pass "curl's requests drawn from a lane named curl" \
        || fail "no lane for curl"
    if command -v node >/dev/null; then
        out=$(timeout 20 node -e "require('http').get('http://127.0.0.1:$port/', r => r.on('data', d => console.log(d.toString())))" 2>&1)
        [ "$out" = pong ] && pass "node's http.get -> pong" || fail "node http.get: $out"
        if node --experimental-websocket -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2>/dev/null; then
            out=$(timeout 20 node --experimental-websocket -e "
                const ws = new WebSocket('ws://127.0.0.1:$port/ws');
                ws.onopen = () => ws.send('hello from node');
                ws.onmessage = e => { console.log(e.data); ws.close(1000); };
                ws.onclose = e => console.log('close ' + e.code);" 2>/dev/null)
            echo "$out" | grep -qx 'hello from node' && echo "$out" | grep -qx 'close 1000' \
                && pass "node's WebSocket: the upgrade accepted, its message broadcast back, close 1000" \
                || fail "node WebSocket: $out"
        else
            skip "node has no WebSocket client (node 20.10 or later)"
        fi
    else
        skip "no node"
    fi
    kill -TERM $demo
    wait_bounded $demo 30; rc=$?
    [ $rc -eq 0 ] && has_event l.json bye && pass "--listen: SIGTERM winds down, a bye, exit 0" || fail "--listen SIGTERM: exit $rc"
else
    fail "--listen never started"; kill -9 $demo
fi

# our libcurl client against node's http.createServer
if command -v node >/dev/null; then
    node -e "const s = require('http').createServer((q, r) => r.end('pong')).listen(0, '127.0.0.1', () => console.log(s.address().port))" >np.out 2>&1 &
    np=$!
    wait_for np.out '^[0-9]' 100 && nport=$(head -1 np.out)
    timeout 60 "$DEMO" --json --connect "http://127.0.0.1:$nport/" --count 5 --rate 0 >c.json 2>c.err; rc=$?
    [ $rc -eq 0 ] && [ "$(fig c.json .round_trips)" = 5 ] && [ "$(fig c.json .failed)" = 0 ] \
        && pass "--connect: 5 answers from node's http.createServer" || fail "--connect to node: exit $rc $(fig c.json .)"
    kill $np; wait $np 2>/dev/null
fi

# quit from the control fd mid-run (step 9 endless): both processes end
mkfifo ctl
exec 6<>ctl
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --count 1000000 --rate 20 5<ctl >q.json 2>q.err &
demo=$!
if wait_event q.json msg '.dir == "recv" and .lat > 0 and (.chan == "http") and .pid != '"$demo" 900; then
    cpid=$(field q.json proc proc '.role == "client" and .state == "start"')
    echo '{"cmd":"quit"}' >&6
    wait_bounded $demo 60; rc=$?
    [ $rc -eq 0 ] && has_event q.json bye && pass "quit in the steady part: a bye, exit 0" || fail "quit: exit $rc"
    wait_gone "$cpid" && pass "quit: the client process is gone" || fail "client $cpid left"
else
    fail "the steady part never started"; kill -9 $demo
fi
exec 6>&-
rm -f ctl

out=$("$DEMO" --listen nowhere:x 2>&1); rc=$?
[ $rc -eq 2 ] && pass "--listen nowhere:x: refused, exit 2" || fail "--listen bad: $rc $out"
"$DEMO" --describe | jq -e '.name == "http"' >/dev/null && pass "--describe is JSON with its name" || fail "--describe"
