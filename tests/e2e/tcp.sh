# The tcp demo run headless (--json) and checked on its events: the chat with
# N clients, the byte-stream and Nagle lab, real peers (nc and the node
# client) joining the chat, bad input (an oversize line, a silent peer, a peer
# gone mid-line), SIGTERM mid-run, a throughput run, usage errors, and two
# "hosts" in two network namespaces joined by a veth pair.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/tcp"
NODECLIENT="$DEMOS/tcp-client.js"
export IPCSCOPE_MSG_RATE=0   # every msg event, so counts can be compared

port_of() { events "$1" hello | jq -r '.params.port // empty'; }
kids_of() { field "$1" proc proc '.state == "start" and .role != "server"'; }
# chan_ids FILE COND: "CHAN ID" of each msg event matching COND, sorted
chan_ids() { events "$1" msg "$2" | jq -r '"\(.chan) \(.id)"' | sort; }

# ---- a default run: 3 clients, then the lab -----------------------------------
timeout 60 "$DEMO" --json --count 5 --rate 100 >d.json 2>d.err
rc=$?; [ $rc -eq 0 ] && pass "default run: exit 0" || { fail "default run: exit $rc"; cat d.err; }
steps=$(field d.json step n | tr '\n' ' ')
[ "$steps" = "1 2 3 4 5 6 " ] && pass "default run: six lesson steps" || fail "steps were '$steps'"
port=$(port_of d.json)
[ -n "$port" ] && [ "$port" -gt 0 ] && pass "hello names the ephemeral port ($port)" || fail "no port in hello"
has_event d.json hello ".params.listen == \"127.0.0.1:$port\"" && pass "hello names the address 127.0.0.1:$port" || fail "no listen address"
server=$(field d.json hello pid)
n=$(json_count d.json chan ".state == \"open\" and .a == $server")
[ "$n" -ge 6 ] && pass "server reports each accepted connection ($n chan open)" || fail "chan opens: $n"
for k in 1 2 3; do
    pid=$(field d.json proc proc ".role == \"client $k\" and .state == \"start\"")
    e=$(json_count d.json msg ".pid == $pid and .dir == \"recv\" and (.summary | startswith(\"Server echo: \"))")
    s=$(json_count d.json msg ".pid == $pid and .dir == \"send\"")
    [ "$e" -eq 5 ] && [ "$s" -eq 5 ] && pass "client $k: exactly 5 lines sent, 5 echoes back" \
        || fail "client $k: sent $s, echoes $e"
    has_event d.json proc ".state == \"exit\" and .proc == $pid and .code == 0" && pass "client $k exited 0" || fail "client $k exit"
done
# every line a client sent was received by the server, on the same channel with the same id
sends=$(chan_ids d.json ".pid != $server and .dir == \"send\" and (.chan | startswith(\"naive\") | not)")
recvs=$(chan_ids d.json ".pid == $server and .dir == \"recv\"")
[ -n "$sends" ] && [ "$sends" = "$recvs" ] && pass "client sends = server receives (channel and id)" \
    || fail "sends and receives differ"
# every line a client received, the server sent on that channel with that id (a broadcast
# may still be on its way to a client that has just left: sent, never read)
sends=$(chan_ids d.json ".pid == $server and .dir == \"send\"")
recvs=$(chan_ids d.json ".pid != $server and .dir == \"recv\" and (.chan | startswith(\"naive\") | not)")
echo "$sends" >sends.txt; echo "$recvs" >recvs.txt
[ -n "$recvs" ] && [ -z "$(comm -13 sends.txt recvs.txt)" ] \
    && pass "every line a client received was sent by the server (channel and id)" || fail "a receive without its send"
echoes=$(json_count d.json msg ".pid == $server and .dir == \"send\" and (.summary | startswith(\"Server echo: \"))")
echoed=$(json_count d.json msg ".pid != $server and .dir == \"recv\" and (.summary | startswith(\"Server echo: \"))")
[ "$echoes" -gt 0 ] && [ "$echoes" = "$echoed" ] && pass "every echo sent was received ($echoes)" \
    || fail "echoes sent $echoes, received $echoed"
bye=$(events d.json bye)
has_event d.json bye '.summary.received == 15 and .summary.echoes == 15' \
    && pass "bye: 15 lines in, 15 echoes" || fail "bye counts: $bye"
has_event d.json bye '.summary.round_trips == 15 and .summary.p50 > 0 and .summary.p99 > 0' \
    && pass "bye: 15 round trips reported by the clients, p50 and p99 in ns" || fail "bye round trips: $bye"
has_event d.json bye '.summary.two_writes_one_read == 1' && pass "lab (a): two writes, one read" || fail "lab (a): $bye"
b=$(events d.json bye | jq -r '.summary.big_message_reads // empty')
[ -n "$b" ] && [ "$b" -ge 4 ] && pass "lab (b): 256 KiB in $b reads of at most 64 KiB" || fail "lab (b): '$b'"
field d.json log text | grep -q 'lab client: 3 messages (13, 14 and 262144 bytes), each whole' \
    && pass "lab (c): length-prefixed frames arrive whole" || fail "lab (c)"
has_event d.json msg '.chan == "naive reads" and .summary == "first messagesecond message"' \
    && pass "lab (a): the naive reader sees one glued message" || fail "no glued read"
has_event d.json bye '.summary.nagle_p50 > 0 and .summary.nodelay_p50 > 0' \
    && pass "lab (d): write-write-read timed with Nagle on and off" || fail "lab (d): $bye"
for p in $(kids_of d.json); do gone "$p" || fail "process $p left"; done

# ---- real peers join a running chat: nc and the node client -----------------------
"$DEMO" --json --count 30 --rate 5 --lab off >r.json 2>r.err &
demo=$!
if wait_event r.json chan '.state == "open"' 600; then
    port=$(port_of r.json)
    mkfifo nc.in
    exec 7<>nc.in
    nc 127.0.0.1 "$port" <nc.in >nc.out 2>&1 &
    ncpid=$!
    echo "hello from nc" >&7
    if command -v node >/dev/null; then
        timeout 30 node "$NODECLIENT" "127.0.0.1:$port" "hello from node" --broadcasts 2 --timeout 20000 >node.out 2>&1 &
        nodepid=$!
    fi
    wait_for nc.out 'Broadcast: [0-9]* says: Hello server!' 200
    grep -q '^Server echo: hello from nc$' nc.out && pass "nc joins: its line comes back as Server echo" \
        || { fail "nc: no echo"; cat nc.out; }
    grep -q '^Broadcast: [0-9]* says: Hello server! #' nc.out && pass "nc hears the demo clients (Broadcast:)" \
        || fail "nc: no broadcast"
    wait_event r.json msg '.dir == "recv" and (.summary | test("^Broadcast: [0-9]* says: hello from nc"))' \
        && pass "the demo clients get nc's line as Broadcast:" || fail "no client got nc's broadcast"
    has_event r.json chan ".state == \"open\" and .b == $ncpid and (.detail // \"\" | test(\"^127[.]0[.]0[.]1:[0-9]*\$\"))" \
        && pass "the server names nc by its pid (lib/peer, off the loop), its address in the detail" \
        || fail "nc not named by its pid"
    n=$(json_count r.json msg '[.from, .to] | any(type == "string" and startswith("127."))')
    [ "$n" -eq 0 ] && pass "no message names a peer by address: each send meets its receive" \
        || fail "$n messages name a peer by address"
    if [ -n "${nodepid:-}" ]; then
        wait_bounded $nodepid 40; rc=$?
        grep -q 'Received from server: Server echo: hello from node' node.out && [ $rc -eq 0 ] \
            && pass "node client ('IPC methods in Node.js'): echo received, exit 0" || { fail "node client ($rc)"; cat node.out; }
        grep -q 'Received from server: Broadcast: ' node.out && pass "node client hears broadcasts" \
            || fail "node client: no broadcast"
        wait_event r.json msg '.dir == "recv" and (.summary | test("^Broadcast: [0-9]* left the chat"))' \
            && pass "the node client leaves: the others are told" || fail "no 'left the chat'"
    else
        skip "node client: node is not installed"
    fi
    kill -TERM $demo
    wait_bounded $demo; rc=$?
    [ $rc -eq 0 ] && has_event r.json bye && pass "SIGTERM mid-chat: bye, exit 0" || fail "SIGTERM: exit $rc"
    kill $ncpid 2>/dev/null; wait $ncpid 2>/dev/null
    exec 7>&-
    rm -f nc.in
    left=""; for p in $(kids_of r.json); do i=0; while ! gone "$p" && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; gone "$p" || left="$left $p"; done
    [ -z "$left" ] && pass "SIGTERM mid-chat: every client gone" || fail "left:$left"
else
    fail "the chat never started"; cat r.err; tail -n 5 r.json; kill -9 $demo; wait $demo
fi

# ---- bad input: the server refuses, times out, counts, and keeps serving ------------
"$DEMO" --json --listen 127.0.0.1:0 --max-message 100 --idle-ms 800 >b.json 2>b.err &
srv=$!
if wait_event b.json hello; then
    port=$(port_of b.json)
    field b.json log text | grep -q 'only this machine can connect' && pass "--listen on loopback: narrated as this machine only" || fail "loopback narration"
    (head -c 300 /dev/zero | tr '\0' y; printf '\nafter the long one\n') | timeout 10 nc 127.0.0.1 "$port" >o.out 2>&1
    grep -q '^Server error: .*over the 100-byte limit' o.out && pass "oversize line: the sender is told" || fail "oversize: $(cat o.out)"
    grep -q '^Server echo: after the long one$' o.out && pass "oversize line: the connection goes on" || fail "no echo after oversize"
    has_event b.json error '.what == "refused" and (.reason | contains("longer than the 100-byte limit"))' && pass "oversize line: error event names the limit" || fail "no refused event"
    has_event b.json error '.what == "idle"' && pass "silent peer: closed after --idle-ms with an error event" || fail "no idle event"
    printf 'half a line' | timeout 10 nc -q0 127.0.0.1 "$port" >/dev/null 2>&1
    wait_event b.json error '.what == "partial"' \
        && field b.json error reason '.what == "partial"' | grep -q 'vanished mid-line: EOF with 11 bytes' \
        && pass "peer gone mid-line: error event counts the 11 bytes" || fail "no partial event"
    out=$(printf 'still here?\n' | timeout 10 nc -q1 127.0.0.1 "$port" 2>&1)
    [ "$out" = "Server echo: still here?" ] && pass "after all that, the server still serves" || fail "server after bad input: '$out'"
    kill -TERM $srv; wait_bounded $srv; rc=$?
    s=$(events b.json bye)
    has_event b.json bye '.summary.refused == 1 and .summary.partial == 1 and .summary.timed_out > 0' && [ $rc -eq 0 ] \
        && pass "bye counts refused 1, partial 1, timed out; exit 0" || fail "bad-input bye ($rc): $s"
else
    fail "--listen server did not start"; kill -9 $srv; wait $srv
fi

# ---- --listen and --connect: a server alone, a client alone ----------------------
"$DEMO" --json --listen 127.0.0.1:0 >s.json 2>s.err &
srv=$!
if wait_event s.json hello; then
    port=$(port_of s.json)
    timeout 30 "$DEMO" --json --connect "127.0.0.1:$port" --count 4 --split-writes --nodelay on >c.json 2>c.err
    rc=$?
    has_event c.json bye '.summary.round_trips == 4' && [ $rc -eq 0 ] && pass "--connect: 4 round trips, exit 0" || fail "--connect ($rc)"
    field c.json log text | grep -q 'TCP_NODELAY on; each line goes out in two write()s' && pass "--nodelay on --split-writes: narrated" || fail "nodelay narration"
    has_event c.json chan ".b == \"server 127.0.0.1:$port\"" && pass "--connect: the client names the server by its address" || fail "server not named"
    kill -TERM $srv; wait_bounded $srv
    b=$(events s.json bye)
    has_event s.json bye '.summary.received == 4 and (.summary | keys | any(contains("round_trips")) | not)
                           and (.text | contains("median 0") | not)' \
        && pass "--listen: 4 lines in; no round trip figure when none was measured" || fail "server bye: $b"
else
    fail "--listen server did not start"; kill -9 $srv; wait $srv
fi
timeout 10 "$DEMO" --json --connect "127.0.0.1:$port" --count 1 >x.json 2>&1; rc=$?
[ $rc -eq 1 ] && has_event x.json error '.what == "connect" and (.reason | contains("connection refused"))' && pass "--connect to a closed port: ECONNREFUSED, exit 1" \
    || fail "refused connect ($rc)"
# a port in use
"$DEMO" --json --listen 127.0.0.1:0 >u.json 2>&1 &
srv=$!
if wait_event u.json hello; then
    port=$(port_of u.json)
    timeout 10 "$DEMO" --json --listen "127.0.0.1:$port" >u2.json 2>&1; rc=$?
    [ $rc -eq 1 ] && has_event u2.json error '.what == "listen" and (.reason | contains("address already in use"))' && pass "--listen on a busy port: EADDRINUSE, exit 1" || fail "busy port ($rc)"
    kill -TERM $srv; wait_bounded $srv
fi

# ---- throughput ----------------------------------------------------------------------
timeout 60 "$DEMO" --json --throughput 20000000 >t.json 2>t.err; rc=$?
has_event t.json bye '.summary.bytes == 20000000 and .summary.mb_s >= 1' && [ $rc -eq 0 ] \
    && pass "--throughput: 20000000 bytes counted, MB/s in bye" || fail "throughput ($rc): $(events t.json bye)"

# ctl_quit FILE WHAT: the dashboard's quit, sent on the control FIFO (fd 6);
# the demo ($demo) must end with its bye and exit 0
ctl_quit() {
    echo '{"cmd":"quit"}' >&6
    wait_bounded $demo; _rc=$?
    [ $_rc -eq 0 ] && has_event "$1" bye && pass "$2: bye, exit 0" || fail "$2 (exit $_rc)"
}

# ---- bad clients of our own (--fault), while the good ones chat -------------------------
for f in oversize silent vanish; do
    # a short idle limit only where it is the point: on a busy machine 300 ms
    # could cut the vanishing client as idle before its end is read
    idle=5000; [ $f = silent ] && idle=300
    timeout 90 "$DEMO" --json --count 10 --fault $f --idle-ms $idle --lab off >f.json 2>f.err; rc=$?
    what=refused; [ $f = silent ] && what=idle; [ $f = vanish ] && what=partial
    bye=$(events f.json bye)
    [ $rc -eq 0 ] && has_event f.json error ".what == \"$what\"" \
        && has_event f.json bye '.summary.round_trips == 30' \
        && pass "--fault $f: a '$what' error, the three good clients get their 30 round trips" \
        || { fail "--fault $f: rc $rc, $(json_count f.json error ".what == \"$what\"") '$what' events (errors: $(jq -r 'select(.ev == "error") | .what' f.json | tr '\n' ' ')), bye: $bye"; head -c 600 f.err; }
    has_event f.json proc ".state == \"exit\" and .role == \"bad client 4 ($f)\" and .code == 0" \
        && pass "--fault $f: the bad client leaves, exit 0" || fail "--fault $f: bad client exit"
done
has_event f.json error '.what == "refused"' && fail "--fault vanish: a refused line too" || true
timeout 90 "$DEMO" --json --count 3 --fault oversize --lab off >fo.json 2>&1
has_event fo.json msg '.dir == "recv" and (.summary | contains("Server error: a line of at least"))' \
    && has_event fo.json proc '.role == "bad client 4 (oversize)"' \
    && field fo.json log text | grep -q 'bad client 4 (oversize): the server refused our line' \
    && pass "--fault oversize: the bad client is told why, then echoed" || fail "--fault oversize: no refusal seen by it"
out=$("$DEMO" --fault bogus 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "oversize silent vanish, not 'bogus'" \
    && pass "--fault bogus: exit 2, the kinds listed" || fail "--fault bogus: $rc $out"
out=$("$DEMO" --listen 127.0.0.1:0 --fault silent 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q -- "--connect HOST:PORT --fault KIND" \
    && pass "--listen --fault: exit 2, says how to bring a bad client" || fail "--listen --fault: $rc $out"
"$DEMO" --describe | jq -e '.faults == ["oversize", "silent", "vanish"]' >/dev/null \
    && pass "--describe lists the faults the dashboard's f key injects" || fail "describe: no faults"

# the dashboard's fault key: one bad client per command, while the chat runs
mkfifo ctl
exec 6<>ctl
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --clients 2 --count 400 --rate 40 --lab off --idle-ms 500 5<ctl >fc.json 2>fc.err &
demo=$!
if wait_event fc.json msg '.summary | startswith("Server echo: ")'; then
    echo '{"cmd":"fault","kind":"vanish"}' >&6
    echo '{"cmd":"fault","kind":"silent"}' >&6
    echo '{"cmd":"fault","kind":"bogus"}' >&6
    wait_event fc.json error '.what == "idle"' 600
    has_event fc.json error '.what == "partial"' && has_event fc.json error '.what == "idle"' \
        && has_event fc.json proc '.role == "bad client 3 (vanish)"' && has_event fc.json proc '.role == "bad client 4 (silent)"' \
        && pass "fault commands mid-chat: a vanishing and a silent client, each caught" || fail "fault commands: $(json_count fc.json error) errors"
    has_event fc.json error ".what == \"control\" and (.reason | contains(\"fault wants one of oversize silent vanish\"))" && pass "an unknown fault command: refused with the kinds, no crash" \
        || fail "bogus fault command"
    ctl_quit fc.json "after the faults, quit"
else
    fail "no echo before the fault commands"; kill -9 $demo; wait $demo
fi
exec 6>&-
rm -f ctl

# ---- pause and step, relayed to the clients --------------------------------------------
mkfifo ctl
exec 6<>ctl
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --clients 1 --count 1000 --rate 50 --lab off 5<ctl >p.json 2>p.err &
demo=$!
echoes() { json_count p.json msg '.dir == "recv" and (.summary | startswith("Server echo: "))'; }
if wait_event p.json msg '.summary | startswith("Server echo: ")'; then
    echo '{"cmd":"pause"}' >&6
    wait_event p.json log '.text | contains("control: pause")'
    sleep 0.5; before=$(echoes); sleep 1.5; after=$(echoes)
    [ "$after" -le $((before + 1)) ] && pass "pause reaches the client: the chat stops ($before, then $after)" || fail "pause: $before -> $after"
    echo '{"cmd":"step"}' >&6
    i=0; while [ "$(echoes)" -lt $((after + 1)) ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 1
    [ "$(echoes)" -eq $((after + 1)) ] && pass "paused, step: exactly one more line" || fail "step: $after -> $(echoes)"
    ctl_quit p.json "quit from the dashboard"
else
    fail "no echo before pause"; kill -9 $demo; wait $demo
fi
exec 6>&-
rm -f ctl

# ---- the articles' TCP examples against the demo ------------------------------------------
# The article's client (connects, writes a line, prints what comes back, ends) against the
# C server; the C client against the article's server (answers each 'data' chunk, no
# 'error' handler); "listening on" read through a pipe while the server runs.
mkfifo lp
"$DEMO" --listen 127.0.0.1:0 >lp 2>/dev/null &
lsrv=$!
cat lp >l.out &
lcat=$!
if wait_for l.out 'tcp: listening on 127.0.0.1:[0-9]'; then
    pass "--listen to a pipe: 'listening on' arrives while the server runs"
    port=$(sed -n 's/^tcp: listening on 127.0.0.1:\([0-9]*\).*/\1/p' l.out)
    if command -v node >/dev/null; then
        cat >client.js <<'JS'
const net = require('net');
const [HOST, PORT] = ['127.0.0.1', Number(process.argv[2])];
const client = new net.Socket();
client.setEncoding('utf8');
client.connect(PORT, HOST, () => {
  console.log(`Connected to server ${HOST}:${PORT}`);
  client.write('Hello server!\n');
});
client.on('data', (data) => {
  console.log(`Received from server: ${data.trim()}`);
  client.end();
});
client.on('close', () => console.log('Connection closed'));
client.on('error', (err) => console.error('Client error:', err.message));
JS
        out=$(timeout 20 node client.js "$port" 2>&1); rc=$?
        [ $rc -eq 0 ] && echo "$out" | grep -q '^Received from server: Server echo: Hello server!$' \
            && echo "$out" | grep -q '^Connection closed$' \
            && pass "the article's node client: its echo, then closed" || fail "article client ($rc): $out"
    else
        skip "the article's node client: node is not installed"
    fi
else
    fail "--listen to a pipe: no 'listening on' while it runs"
fi
kill -TERM $lsrv; wait_bounded $lsrv; wait $lcat 2>/dev/null; rm -f lp
if command -v node >/dev/null; then
    cat >server.js <<'JS'
const net = require('net');
const clients = new Set();
const server = net.createServer((socket) => {
  clients.add(socket);
  socket.setEncoding('utf8');
  socket.on('data', (data) => {
    socket.write(`Server echo: ${data}`);
    for (const c of clients) if (c !== socket) c.write(`Broadcast: ${socket.remotePort} says: ${data}`);
  });
  socket.on('close', () => clients.delete(socket));
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
JS
    node server.js >ns.out 2>&1 &
    nsrv=$!
    if wait_for ns.out '^listening [0-9]'; then
        port=$(sed -n 's/^listening \([0-9]*\)/\1/p' ns.out)
        timeout 30 "$DEMO" --json --connect "127.0.0.1:$port" --count 5 >cn.json 2>cn.err; rc=$?
        b=$(events cn.json bye)
        [ $rc -eq 0 ] && has_event cn.json bye '.summary.sent == 5 and .summary.echoes == 5' \
            && pass "the C client against the article's node server: 5 lines, 5 echoes, exit 0" \
            || fail "C client vs node server ($rc): $b"
        sleep 0.5
        kill -0 $nsrv 2>/dev/null && pass "the article's node server (no 'error' handler) is still up" \
            || { fail "the node server died"; cat ns.out; }
    else
        fail "the article's node server did not start"; cat ns.out
    fi
    kill $nsrv 2>/dev/null; wait $nsrv 2>/dev/null
else
    skip "the article's node server: node is not installed"
fi

# ---- usage -------------------------------------------------------------------------------
out=$("$DEMO" --bogus 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "unknown option" && pass "bad option: exit 2 with a reason" || fail "bad option: $rc"
out=$("$DEMO" --nodelay maybe 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "on or off" && pass "--nodelay maybe: exit 2" || fail "--nodelay maybe: $rc"
"$DEMO" --help | grep -q -- '--listen HOST:PORT' && pass "--help lists --listen" || fail "--help"

# ---- two hosts: two network namespaces joined by a veth pair ------------------------------
if [ "$(id -u)" -ne 0 ]; then
    skip "two hosts: needs root to make network namespaces"
elif ! command -v ip >/dev/null; then
    skip "two hosts: no ip command (iproute2)"
else
    A="ipcscope-tcp-a-$$" B="ipcscope-tcp-b-$$" VA="vta$$" VB="vtb$$"
    cleanup_ns() {
        [ -n "${nsrv:-}" ] && kill -9 "$nsrv" 2>/dev/null
        ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
    }
    trap cleanup_ns EXIT INT TERM
    if ip netns add "$A" 2>/dev/null && ip netns add "$B" &&
        ip link add "$VA" type veth peer name "$VB" &&
        ip link set "$VA" netns "$A" && ip link set "$VB" netns "$B" &&
        ip -n "$A" addr add 10.213.7.1/24 dev "$VA" && ip -n "$B" addr add 10.213.7.2/24 dev "$VB" &&
        ip -n "$A" link set "$VA" up && ip -n "$B" link set "$VB" up &&
        ip -n "$A" link set lo up && ip -n "$B" link set lo up; then
        ip netns exec "$A" "$DEMO" --json --listen 10.213.7.1:0 >ns.json 2>ns.err &
        nsrv=$!
        if wait_event ns.json hello; then
            port=$(port_of ns.json)
            field ns.json log text | grep -q 'not a loopback address: other machines' && pass "two hosts: a non-loopback bind is narrated as reachable" \
                || fail "two hosts: no reachability narration"
            timeout 30 ip netns exec "$B" "$DEMO" --json --connect "10.213.7.1:$port" --count 3 >nc.json 2>nc.err; rc=$?
            has_event nc.json bye '.summary.round_trips == 3' && [ $rc -eq 0 ] \
                && pass "two hosts: a client in $B chats with the server in $A over the veth pair" || { fail "two hosts: client ($rc)"; cat nc.err; }
            has_event ns.json chan '.b | strings | test("^10[.]213[.]7[.]2:[0-9]*$")' && pass "two hosts: the server sees the peer as 10.213.7.2" \
                || fail "two hosts: peer address"
            kill -TERM $nsrv; wait_bounded $nsrv; nsrv=""
        else
            fail "two hosts: the server did not start"; cat ns.err
        fi
    else
        skip "two hosts: cannot make network namespaces here"
    fi
    cleanup_ns
    trap - EXIT INT TERM
    ip netns list 2>/dev/null | grep -q "ipcscope-tcp-.-$$" && fail "two hosts: a namespace is left" || pass "two hosts: namespaces removed"
fi
