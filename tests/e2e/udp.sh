# udp run headless (--json) and checked on its events: the lesson's steps
# (boundaries, the 65,507-byte limit and EMSGSIZE, loss counted by the
# kernel, bad input), N clients, real peers (nc -u and node's dgram client),
# a client that vanishes, the server killed mid-run, the dashboard's control
# commands relayed to the clients, and two hosts in two network namespaces.
# Every run must leave no process behind.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/udp"
NODE_CLIENT="$DEMOS/udp-client.js"
export IPCSCOPE_MSG_RATE=0   # every msg event, so counts can be compared

# bye FILE NAME: one number from the bye summary
bye() { events "$1" bye | jq -r --arg k "$2" '.summary[$k] | select(. != null)' | head -1; }
port_of() { events "$1" hello | jq -r '.params.listen | strings | sub("^.*:"; "")' | head -1; }
have_node=0; command -v node >/dev/null && have_node=1

# ---- usage ----------------------------------------------------------------
"$DEMO" --clients 0 >/dev/null 2>&1; [ $? -eq 2 ] && pass "usage: --clients 0 refused (exit 2)" || fail "usage: --clients 0"
"$DEMO" --max-message 65470 >/dev/null 2>&1; [ $? -eq 2 ] && pass "usage: --max-message over 65469 refused" || fail "usage: --max-message"
"$DEMO" --listen 127.0.0.1:0 --connect 127.0.0.1:1 >/dev/null 2>&1; [ $? -eq 2 ] \
    && pass "usage: --listen with --connect refused" || fail "usage: --listen with --connect"
"$DEMO" --describe | jq -e '.name == "udp"' >/dev/null && pass "--describe names udp" || fail "--describe"

# ---- the default run: six steps, three clients ------------------------------
timeout 60 "$DEMO" --json --count 5 >d.json 2>d.err
rc=$?; [ $rc -eq 0 ] && pass "default run: exit 0" || { fail "default run: exit $rc"; cat d.err; }
server=$(field d.json hello pid)
steps=$(field d.json step n | tr '\n' ' ')
[ "$steps" = "1 2 3 4 5 6 " ] && pass "default run: six steps" || fail "default run: steps were '$steps'"
has_event d.json hello '.params.listen | strings | test("^127[.]0[.]0[.]1:[1-9][0-9]*$")' \
    && pass "hello carries the bound address with its port" || fail "hello address"
[ "$(bye d.json sent)" = 15 ] && [ "$(bye d.json received)" = 15 ] && [ "$(bye d.json lost)" = 0 ] \
    && pass "3 clients x 5: 15 sent, 15 answered, 0 lost" \
    || fail "echo totals: sent $(bye d.json sent) received $(bye d.json received) lost $(bye d.json lost)"
for i in 1 2 3; do
    cpid=$(field d.json chan a ".state == \"open\" and .id == \"udp$i\"" | head -1)
    if [ -z "$cpid" ]; then fail "client $i: no chan open"; continue; fi
    has_event d.json chan ".id == \"udp$i\" and .kind == \"udp\" and .a == $cpid and .b == $server" \
        && pass "client $i: chan udp$i (udp) between client $cpid and server $server" || fail "client $i chan ends"
    cs=$(json_count d.json msg ".pid == $cpid and .dir == \"send\" and .chan == \"udp$i\"
                                and (.summary | contains(\"Hello UDP Server\"))")
    sr=$(json_count d.json msg ".pid == $server and .dir == \"recv\" and .chan == \"udp$i\"
                                and (.summary | contains(\"Hello UDP Server\"))")
    ss=$(json_count d.json msg ".pid == $server and .dir == \"send\" and .chan == \"udp$i\"
                                and (.summary | contains(\"Hello, client! Received your message: Hello UDP Server! #\"))")
    cr=$(json_count d.json msg ".pid == $cpid and .dir == \"recv\" and .chan == \"udp$i\" and .lat > 0
                                and (.summary | contains(\"Hello, client!\"))")
    [ "$cs" = 5 ] && [ "$sr" = 5 ] && [ "$ss" = 5 ] && [ "$cr" = 5 ] \
        && pass "client $i: 5 sent = 5 received by the server = 5 answers = 5 timed replies" \
        || fail "client $i: sent $cs, server got $sr, answered $ss, client timed $cr"
    has_event d.json proc ".state == \"exit\" and .proc == $cpid and .code == 0" \
        && pass "client $i exited 0" || fail "client $i exit"
done
p50=$(bye d.json p50); p99=$(bye d.json p99)
[ "${p50:-0}" -gt 0 ] && [ "${p99:-0}" -ge "$p50" ] && pass "bye: p50 $p50 ns, p99 $p99 ns" || fail "bye p50/p99: '$p50' '$p99'"

# boundaries
# each lesson step has a probe of its own; the first sends the boundaries
# probes: a jq array of their pids, for IN(.pid; $probes[])
probes=$(field d.json proc proc '.role == "probe"' | sort -u | jq -sc .)
probe=$(field d.json proc proc '.role == "probe"' | head -1)
sizes=$(field d.json msg bytes ".pid == $server and .dir == \"recv\" and .chan == \"probe\" and .from == $probe
                                and (.summary | test(\"datagram [123] of 3\"))" | tr '\n' ' ')
[ "$sizes" = "200 1200 20 " ] && pass "boundaries: three sends of 200, 1200, 20 bytes arrive as three recvs of 200, 1200, 20" \
    || fail "boundaries: the server received '$sizes'"
field d.json log text | grep -q 'three recvmsg() calls returned 200, 1200 and 20 bytes' && [ "$(bye d.json boundaries_kept)" = true ] \
    && pass "boundaries: narrated, and kept per the summary" || fail "boundaries narration"
field d.json log text | grep -q 'ioctl(FIONREAD) says 200' && pass "boundaries: FIONREAD gives the next datagram's size only" \
    || fail "FIONREAD"

# the largest datagram
has_event d.json msg ".pid == $server and .dir == \"recv\" and .chan == \"probe\" and .bytes == 65507" \
    && pass "max payload: a 65,507-byte datagram arrives whole on loopback" || fail "no 65507-byte datagram"
has_event d.json error "IN(.pid; $probes[]) and .what == \"EMSGSIZE\"
                        and (.reason | test(\"^sendmsg[(]fd [0-9]*, 65,?508 bytes[)] -> EMSGSIZE\"))" \
    && pass "max payload: 65,508 bytes is an EMSGSIZE error event naming sendmsg" || fail "no EMSGSIZE error event"
[ "$(bye d.json max_payload)" = 65507 ] && [ "$(bye d.json emsgsize)" = true ] \
    && pass "max payload: summary says 65507 and EMSGSIZE" || fail "max payload summary"

# loss: the receiver does not read while 200 x 1000 B go to an 8 KiB buffer:
# drops are certain by construction; the counts must add up. Each lab step's
# counts are the probe channel's stats; the loss step's carry the kernel's.
final=$(events d.json stats '.chan == "probe" and has("kernel_drops") and .final == true')
lsent=$(echo "$final" | jq -r .sent)
lrecv=$(echo "$final" | jq -r .received)
ldrop=$(echo "$final" | jq -r .dropped)
lkern=$(echo "$final" | jq -r .kernel_drops)
[ "$lsent" = 200 ] && [ "$lrecv" -gt 0 ] && [ "$ldrop" -gt 0 ] && [ $((lrecv + ldrop)) -eq 200 ] \
    && pass "loss: 200 sent, $lrecv received, $ldrop dropped (sent - received)" \
    || fail "loss: sent '$lsent' received '$lrecv' dropped '$ldrop'"
[ -n "$lkern" ] && [ "$lkern" = "$ldrop" ] && pass "loss: the kernel's own count (/proc/net/udp drops) is $lkern too" \
    || fail "loss: kernel drops '$lkern' vs dropped '$ldrop'"
if echo "$final" | jq -e 'has("rxq_ovfl")' >/dev/null; then
    ovfl=$(echo "$final" | jq -r .rxq_ovfl)
    [ "$ovfl" = "$lkern" ] && pass "loss: SO_RXQ_OVFL on the marker datagram says $ovfl" || fail "loss: SO_RXQ_OVFL $ovfl"
else
    fail "loss: no SO_RXQ_OVFL figure"
fi
live=$(field d.json stats sent '.chan == "probe" and .final == false' | tr '\n' ' ')
[ -n "$live" ] && pass "loss: live stats while it happens (sent: $live)" || fail "loss: no live stats"
has_event d.json stats '.chan == "probe" and .final == false and .kernel_drops > 0' \
    && pass "loss: drops counted live, before the receiver reads" || fail "loss: no live drop count"
has_event d.json error "IN(.pid; $probes[]) and .what != \"EMSGSIZE\"" && fail "loss: the sender saw an error" \
    || pass "loss: the sender was never told (no error event but EMSGSIZE)"

# bad input in the lesson
has_event d.json error '.what == "refused" and (.reason | test("^a 8193-byte datagram from 127[.]0[.]0[.]1:[0-9]* is over --max-message 8192"))' \
    && pass "bad input: oversize refused with an error event" || fail "bad input: oversize"
has_event d.json error '.what == "refused" and (.reason | test("^a 15-byte datagram from .* is not UTF-8 [(]byte 0xff at offset 0[)]"))' \
    && pass "bad input: non-UTF-8 refused with an error event" || fail "bad input: non-UTF-8"
has_event d.json log "IN(.pid; $probes[]) and (.text | contains(\"one answer, to the empty datagram (38 bytes\"))" && [ "$(bye d.json refused)" = 2 ] \
    && [ "$(bye d.json empty)" = 1 ] && pass "bad input: only the empty datagram is answered (the bare greeting)" \
    || fail "bad input: answers"
for p in $(field d.json proc proc | sort -u); do
    [ "$p" = "$server" ] && continue
    wait_gone "$p" || { fail "process $p left behind"; kill -9 "$p"; }
done
pass "default run: no child left"

# ---- many clients, no lesson; the benchmark form -----------------------------
timeout 60 "$DEMO" --json --lab off --clients 6 --count 20 --rate 0 >m.json 2>m.err
rc=$?
[ $rc -eq 0 ] && [ "$(bye m.json received)" = 120 ] && [ "$(field m.json step n | wc -l)" -eq 2 ] \
    && pass "6 clients x 20, no lesson: 120 answered, two steps, exit 0" || fail "6 clients: exit $rc, $(bye m.json received) answered"
[ "$(json_count m.json chan '.state == "open" and (.id | test("^udp[1-6]$"))')" = 6 ] \
    && pass "6 clients: one channel each" || fail "6 clients: channels"
timeout 60 "$DEMO" --json --clients 1 --count 300 --rate 0 --size 64 >b.json 2>b.err
has_event b.json bye '.summary | .round_trips == 300 and ([.p50, .p99] | all(type == "number" and . > 0 and floor == .))' \
    && pass "benchmark form: bye has integer p50 and p99 over 300 round trips" || fail "benchmark form"
timeout 60 "$DEMO" --json --throughput 2000000 --size 1400 >t.json 2>t.err
rc=$?
tsent=$(bye t.json sent); trecv=$(bye t.json received); tbytes=$(bye t.json bytes)
[ $rc -eq 0 ] && [ "$tsent" = 1429 ] && [ "${trecv:-0}" -gt 0 ] && [ "$trecv" -le "$tsent" ] \
    && [ "$tbytes" -eq $((trecv * 1400)) ] && has_event t.json bye '.summary.mb_s | type == "number" and . >= 0' \
    && pass "throughput: 1429 datagrams of 1400 B sent, $trecv arrived, mb_s and bytes reported" \
    || fail "throughput: exit $rc, sent '$tsent' received '$trecv' bytes '$tbytes'"

# ---- the server alone, with real peers ----------------------------------------
"$DEMO" --json --listen 127.0.0.1:0 --idle-ms 1000 >l.json 2>l.err &
srv=$!
wait_event l.json hello
port=$(port_of l.json)
if [ -z "$port" ]; then
    fail "--listen: no port in hello"
else
    pass "--listen 127.0.0.1:0: the ephemeral port $port is in hello"
    field l.json log text | grep -q "is loopback: only this machine can reach it" && pass "--listen loopback narrated as such" || fail "loopback narration"
    out=$(printf 'hello from nc\n' | timeout 10 nc -u -w1 127.0.0.1 "$port")
    [ "$out" = "Hello, client! Received your message: hello from nc" ] \
        && pass "nc -u: sends a line, reads the articles' greeting back" || fail "nc -u got '$out'"
    if [ $have_node -eq 1 ]; then
        out=$(timeout 10 node "$NODE_CLIENT" "$port" 127.0.0.1 3)
        [ "$(echo "$out" | grep -c 'Client received reply: "Hello, client! Received your message: Hello UDP Server! #')" = 3 ] \
            && pass "node dgram client (the articles'): 3 sent, 3 answers" || fail "node client: $out"
        # the article's client: one message, the answer printed, then closed
        out=$(timeout 10 node -e "
            const client = require('dgram').createSocket('udp4');
            client.on('message', (msg, rinfo) => {
                console.log('Client received reply: \"' + msg + '\" from ' + rinfo.address + ':' + rinfo.port);
                client.close();
            });
            client.on('error', (err) => { console.error('Client error:', err); client.close(); });
            client.send(Buffer.from('Hello UDP Server!'), $port, '127.0.0.1', (err) => {
                if (err) console.error('Send error:', err);
            });")
        [ "$out" = "Client received reply: \"Hello, client! Received your message: Hello UDP Server!\" from 127.0.0.1:$port" ] \
            && pass "the article's node client: one message, the greeting back, closed" || fail "article's client got '$out'"
        out=$(timeout 10 node -e "
            const s = require('dgram').createSocket('udp4');
            let done = false; const end = t => { if (!done) { done = true; console.log(t); s.close(); } };
            s.on('message', m => end(JSON.stringify(m.toString())));
            s.send(Buffer.alloc(0), $port, '127.0.0.1');
            setTimeout(() => end('silence'), 3000).unref();")
        [ "$out" = '"Hello, client! Received your message: "' ] \
            && pass "an empty datagram: answered with the bare greeting" || fail "empty datagram got $out"
        out=$(timeout 10 node -e "
            const s = require('dgram').createSocket('udp4');
            let done = false; const end = t => { if (!done) { done = true; console.log(t); s.close(); } };
            s.on('message', () => end('answered'));
            s.send(Buffer.alloc(9000, 97), $port, '127.0.0.1');
            setTimeout(() => end('silence'), 1000).unref();")
        [ "$out" = silence ] && has_event l.json error '.what == "refused" and (.reason | test("^a 9000-byte datagram .* over --max-message 8192"))' \
            && pass "a 9000-byte datagram: refused with an error event, not echoed" || fail "oversize: $out"
    else
        skip "node peers: node is not installed"
    fi
    out=$(printf '\377\376 bad\n' | timeout 10 nc -u -w1 127.0.0.1 "$port")
    [ -z "$out" ] && has_event l.json error '.what == "refused" and (.reason | test("^a 7-byte datagram .* is not UTF-8 [(]byte 0xff at offset 0[)]"))' \
        && pass "bytes that are not UTF-8: refused with an error event, not echoed" || fail "non-UTF-8: '$out'"
    timeout 30 "$DEMO" --json --connect "127.0.0.1:$port" --count 7 >c.json 2>c.err
    rc=$?
    [ $rc -eq 0 ] && [ "$(bye c.json received)" = 7 ] && has_event c.json hello ".params.connect == \"127.0.0.1:$port\"" \
        && pass "--connect: a client alone gets 7 of 7 answers from the --listen server" || fail "--connect: exit $rc"
    out=$(printf 'still there?\n' | timeout 10 nc -u -w1 127.0.0.1 "$port")
    [ "$out" = "Hello, client! Received your message: still there?" ] \
        && pass "after bad input the server keeps serving" || fail "server after bad input: '$out'"
    wait_event l.json log '.text | contains("said nothing for 1.00 s: forgotten")' && has_event l.json chan '.state == "close"' \
        && pass "a silent peer is forgotten after --idle-ms (chan close)" || fail "idle peers not forgotten"
    kill -TERM $srv
    wait_bounded $srv 20; rc=$?
    [ $rc -eq 0 ] && has_event l.json bye '.summary.refused >= 2' && pass "--listen: SIGTERM ends it with a summary, exit 0" \
        || fail "--listen SIGTERM: exit $rc"
fi

# ---- losses: nobody there, and somebody who never answers ----------------------
if [ -n "${port:-}" ]; then   # the --listen server is gone: the port is closed now
    timeout 30 "$DEMO" --json --connect "127.0.0.1:$port" --count 3 --timeout 300 >r.json 2>r.err
    rc=$?
    [ $rc -eq 1 ] && [ "$(bye r.json lost)" = 3 ] && has_event r.json error '.what == "refused" and (.reason | test("^recvmsg[(]fd [0-9]*[)]: ECONNREFUSED"))' \
        && pass "nobody listening: ICMP port unreachable comes back as ECONNREFUSED, 3 lost, exit 1" \
        || fail "closed port: exit $rc, lost $(bye r.json lost)"
fi
if [ $have_node -eq 1 ]; then
    node -e "const s = require('dgram').createSocket('udp4'); s.on('message', () => {});
             s.bind(0, '127.0.0.1', () => console.log(s.address().port)); setTimeout(() => s.close(), 30000);" >sink.port &
    sink=$!
    wait_for sink.port '[0-9]'
    timeout 30 "$DEMO" --json --connect "127.0.0.1:$(cat sink.port)" --count 3 --timeout 200 >q.json 2>q.err
    rc=$?
    [ $rc -eq 1 ] && [ "$(bye q.json lost)" = 3 ] \
        && [ "$(json_count q.json error '.what == "lost" and (.reason | test("^no answer to #[123] within 200 ms"))')" = 3 ] \
        && pass "a peer that never answers: each datagram counted lost after --timeout, exit 1" \
        || fail "silent peer: exit $rc, lost $(bye q.json lost)"
    kill $sink; wait $sink 2>/dev/null
fi

# ---- the C client against the article's node server -------------------------
if [ $have_node -eq 1 ]; then
    # the article's server: each message answered at rinfo's address, no more
    node -e "
        const server = require('dgram').createSocket('udp4');
        server.on('message', (msg, rinfo) => {
            console.log('Server received: ' + JSON.stringify(String(msg).split('\\n')[0]));
            server.send('Hello, client! Received your message: ' + msg, rinfo.port, rinfo.address);
        });
        server.on('error', (err) => { console.error('Server error:', err); server.close(); });
        server.bind(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
        setTimeout(() => server.close(), 30000);" >ns.out &
    nsrv=$!
    wait_for ns.out 'listening [0-9]'
    nport=$(sed -n 's/^listening //p' ns.out)
    timeout 30 "$DEMO" --json --connect "127.0.0.1:$nport" --count 3 >cn.json 2>cn.err
    rc=$?
    [ $rc -eq 0 ] && [ "$(bye cn.json received)" = 3 ] && [ "$(bye cn.json lost)" = 0 ] \
        && [ "$(grep -c '^Server received: "Hello UDP Server! #[123]"' ns.out)" = 3 ] \
        && pass "the C client against the article's node server: 3 sent, 3 answered, exit 0" \
        || { fail "C client vs node server: exit $rc, received $(bye cn.json received)"; cat ns.out cn.err; }
    kill $nsrv 2>/dev/null; wait $nsrv 2>/dev/null
fi

# ---- a client vanishes; then the server is stopped ------------------------------
# A generous --timeout: on a loaded machine a late answer would count as lost
# and its client exit 1, which is not what this part checks.
"$DEMO" --json --lab off --clients 3 --count 1000000 --rate 50 --timeout 30000 >v.json 2>v.err &
demo=$!
if wait_event v.json msg '.chan == "udp2" and .lat > 0'; then
    c2=$(field v.json chan a '.state == "open" and .id == "udp2"' | head -1)
    server=$(field v.json hello pid)
    kill -KILL "$c2"
    wait_event v.json proc ".state == \"exit\" and .proc == $c2 and .signal == \"SIGKILL\"" \
        && pass "a client SIGKILLed: the server reports its exit with the signal" || fail "no proc exit for the killed client"
    answers() { json_count v.json msg ".pid == $server and .dir == \"send\" and (.chan | test(\"^udp[13]\$\"))"; }
    n1=$(answers)
    i=0; while [ "$(answers)" -lt $((n1 + 10)) ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    n2=$(answers)
    [ "$n2" -ge $((n1 + 10)) ] && pass "the others are still answered after it vanished ($n1 -> $n2)" || fail "server stopped serving: $n1 -> $n2"
    kids=$(field v.json proc proc | sort -u | grep -v "^$server\$")
    kill -TERM $demo
    wait_bounded $demo 30; rc=$?
    field v.json log text | grep -q 'SIGTERM: winding down' && has_event v.json bye '.text | contains("the run was cut short")' && [ $rc -eq 1 ] \
        && pass "server SIGTERMed mid-run: winds down with a summary; exit 1 for the killed client" \
        || fail "server SIGTERM: exit $rc"
    left=""; for p in $kids; do wait_gone "$p" || left="$left $p"; done
    [ -z "$left" ] && pass "server SIGTERMed: every client and the probe are gone" || { fail "left:$left"; kill -9 $left; }
    [ "$(json_count v.json proc '.state == "exit" and .code == 0')" = 2 ] \
        && pass "server SIGTERMed: the two other clients exit 0 after sending their figures" \
        || fail "exit codes after SIGTERM"
else
    fail "vanishing client: no round trip on udp2"; kill -9 $demo; wait $demo
fi

# ---- the dashboard's control commands, relayed to the clients by lib's relay ----
mkfifo ctl
exec 6<>ctl
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --lab off --clients 2 --count 1000000 --rate 20 5<ctl >k.json 2>k.err &
demo=$!
sends() { json_count k.json msg '.dir == "send" and (.chan | test("^udp[12]$")) and (.summary | startswith("Hello UDP Server"))'; }
relayed() { json_count k.json log '.text | contains("pause, relayed from the server")'; }
if wait_event k.json msg '.chan == "udp2" and .lat > 0'; then
    echo '{"cmd":"pause"}' >&6
    i=0; while [ "$(relayed)" -lt 2 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(relayed)" = 2 ] \
        && pass "pause: relayed to both clients" || fail "pause not relayed"
    sleep 0.5; before=$(sends); sleep 1.5; after=$(sends)
    [ "$after" -le $((before + 2)) ] && pass "pause: the clients stop sending ($before, then $after)" || fail "pause: $before -> $after"
    echo '{"cmd":"step"}' >&6
    i=0; while [ "$(sends)" -lt $((after + 2)) ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 1
    [ "$(sends)" -eq $((after + 2)) ] && pass "paused, step: exactly one datagram from each client" || fail "step: $after -> $(sends)"
    echo '{"cmd":"fault","kind":"malformed"}' >&6
    wait_event k.json error '.reason | contains("is not UTF-8")' && pass "fault malformed: the probe sends it, the server refuses it" || fail "fault malformed"
    echo '{"cmd":"resume"}' >&6
    n=$(sends); i=0; while [ "$(sends)" -lt $((n + 6)) ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(sends)" -ge $((n + 6)) ] && pass "resume: the flow starts again" || fail "resume"
    echo '{"cmd":"quit"}' >&6
    wait_bounded $demo 30; rc=$?
    [ $rc -eq 0 ] && has_event k.json bye && pass "quit: bye, exit 0" || fail "quit: exit $rc"
else
    fail "control: no round trip"; kill -9 $demo; wait $demo
fi
exec 6>&-
rm -f ctl

# ---- two hosts: two network namespaces joined by a veth pair ----------------------
if [ "$(id -u)" -ne 0 ]; then
    skip "two hosts: needs root to make network namespaces"
elif ! command -v ip >/dev/null; then
    skip "two hosts: no ip command (iproute2)"
else
    NA="ipcs-ua-$$" NB="ipcs-ub-$$" VA="ua$$" VB="ub$$"
    net=$(( ($$ % 200) + 20 ))
    cleanup_ns() { ip netns del "$NA" 2>/dev/null; ip netns del "$NB" 2>/dev/null; }
    trap cleanup_ns EXIT INT TERM
    if ip netns add "$NA" && ip netns add "$NB" &&
        ip link add "$VA" type veth peer name "$VB" &&
        ip link set "$VA" netns "$NA" && ip link set "$VB" netns "$NB" &&
        ip -n "$NA" addr add "10.$net.5.1/24" dev "$VA" && ip -n "$NB" addr add "10.$net.5.2/24" dev "$VB" &&
        ip -n "$NA" link set "$VA" up && ip -n "$NB" link set "$VB" up &&
        ip -n "$NA" link set lo up && ip -n "$NB" link set lo up; then
        ip netns exec "$NA" "$DEMO" --json --listen "10.$net.5.1:0" >ns-a.json 2>ns-a.err &
        srv=$!
        wait_event ns-a.json hello
        port=$(port_of ns-a.json)
        field ns-a.json log text | grep -q "10.$net.5.1:$port is reachable from the network" \
            && pass "two hosts: a non-loopback server says it is reachable from the network" || fail "two hosts: narration"
        timeout 30 ip netns exec "$NB" "$DEMO" --json --connect "10.$net.5.1:$port" --count 5 >ns-b.json 2>ns-b.err
        rc=$?
        [ $rc -eq 0 ] && [ "$(bye ns-b.json received)" = 5 ] && has_event ns-a.json chan ".b | strings | startswith(\"10.$net.5.2:\")" \
            && pass "two hosts: a client in one namespace, the server in another: 5 of 5 answered over the veth pair" \
            || { fail "two hosts: exit $rc"; cat ns-b.err; }
        kill -TERM $srv; wait_bounded $srv 20
    else
        fail "two hosts: could not make the namespaces"
    fi
    cleanup_ns
    trap - EXIT INT TERM
    ip netns list | grep -q "ipcs-u[ab]-$$" && fail "two hosts: namespaces left" || pass "two hosts: namespaces removed"
fi
