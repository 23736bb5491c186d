# unix-socket run headless (--json) and checked on its events: N clients on a
# socket file in a private directory, SO_PEERCRED, --allow-uid (a client run
# as nobody when root), stale and live socket files, the abstract namespace,
# FIFOs with many writers, bad peers, real peers (socat, nc -U, node), the
# server killed mid-run. No process, socket file, FIFO or directory may be
# left behind.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/unix-socket"
NODE_CLIENT="$DEMOS/unix-socket-client.js"
export IPCSCOPE_MSG_RATE=0   # every msg event, so counts can be compared
unset XDG_RUNTIME_DIR        # private directories land in this test's TMPDIR

no_rundir() { ! ls -d "$TMPDIR"/ipcscope-unix-socket.* >/dev/null 2>&1; }
no_kids() { # FILE: every pid the run named in a proc event is gone
    for p in $(field "$1" proc proc | sort -u); do
        i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -0 "$p" 2>/dev/null && return 1
    done
    return 0
}
# start_listen FILE ARGS...: a server in the background; sets $srv
start_listen() {
    out=$1; shift
    "$DEMO" --json "$@" >"$out" 2>"$out.err" &
    srv=$!
    wait_event "$out" proc '.state == "ready"' || { fail "server $* never got ready"; cat "$out.err"; }
}

# ---- the default run: a server and three clients ----
timeout 60 "$DEMO" --json --count 20 >d.json 2>d.err
rc=$?; [ $rc -eq 0 ] && pass "default run: exit 0" || { fail "default run: exit $rc"; cat d.err; }
server=$(field d.json hello pid)
n=$(json_count d.json chan '.state == "open" and .kind == "unix"
    and (.detail // "" | test("SO_PEERCRED pid [0-9]+ uid [0-9]+ gid"))')
[ "$n" = 3 ] && pass "three connections, each with SO_PEERCRED pid, uid and gid in its chan event" \
    || fail "chan opens with credentials: $n"
ok=1; k=0
for c in $(field d.json chan b '.state == "open"'); do
    k=$((k + 1))
    cs=$(json_count d.json msg ".pid == $c and .dir == \"send\" and (.summary | startswith(\"ping\"))")
    sr=$(json_count d.json msg ".pid == $server and .from == $c and .dir == \"recv\" and (.summary | startswith(\"ping\"))")
    cr=$(json_count d.json msg ".pid == $c and .dir == \"recv\" and (.summary | startswith(\"pong: ping\"))
        and (.lat | numbers) > 0")
    [ "$cs" = 20 ] && [ "$sr" = 20 ] && [ "$cr" = 20 ] || { fail "client $c: sent $cs, server got $sr, pongs with rtt $cr"; ok=0; continue; }
    field d.json log text | grep -q "accept4() on fd [0-9]* -> fd [0-9]*; getsockopt(SO_PEERCRED): pid $c, uid $(id -u)" \
        || { fail "no accept log naming pid $c and our uid"; ok=0; continue; }
done
[ $k = 3 ] || { fail "the per-client checks saw $k clients, not 3"; ok=0; }
[ $ok = 1 ] && pass "each client sent 20 pings, the server got 20, each pong came back with its round trip"
has_event d.json bye '.summary | .round_trips == 60 and (.p50 | numbers | . > 0 and . == floor) and (.p99 | numbers) > 0' \
    && pass "bye: 60 round trips from three clients, p50 and p99 in ns" || fail "bye: $(field d.json bye summary)"
field d.json log text >d.log
grep -q 'mkdtemp(.*) -> mode 0700' d.log && grep -q 'unlink(.*server.sock): the socket file is gone' d.log \
    && grep -q 'rmdir(.*): the private directory is gone' d.log \
    && pass "private 0700 directory made, socket file unlinked, directory removed" || fail "rundir narration"
no_rundir && pass "default run: nothing left in TMPDIR" || fail "left: $(ls -d "$TMPDIR"/ipcscope-unix-socket.*)"
no_kids d.json && pass "default run: no process left" || fail "default run: a process is left"

timeout 60 "$DEMO" --json --count 5 --clients 5 --size 300 >d5.json 2>&1
[ "$(json_count d5.json chan '.state == "open"')" = 5 ] && has_event d5.json bye '.summary.round_trips == 25' \
    && has_event d5.json msg '.bytes == 301 and (.summary | startswith("ping 1 x"))' \
    && pass "--clients 5 --size 300: five connections, 25 round trips, 301-byte lines" || fail "--clients 5"

out=$(timeout 60 "$DEMO" --count 2 --clients 1 2>&1)
echo "$out" | grep -q 'pong: ping 2' && echo "$out" | grep -q 'SO_PEERCRED' && echo "$out" | grep -q '^== done' \
    && pass "narrated in plain text without --json" || fail "text narration: $out"

# ---- a server alone, real peers ----
mkdir -m 700 srv
P="$TMPDIR/srv/s.sock"
start_listen l.json --listen "$P" --idle-ms 500
[ -S "$P" ] && pass "--listen: the socket file exists" || fail "--listen: no socket file at $P"
r=$(printf 'hello from socat\n' | timeout 10 socat - "UNIX-CONNECT:$P" 2>&1)
[ "$r" = "pong: hello from socat" ] && pass "socat - UNIX-CONNECT: 'pong: hello from socat'" || fail "socat: $r"
r=$(printf 'hi nc\n' | timeout 10 nc -U -N "$P" 2>&1)
[ "$r" = "pong: hi nc" ] && pass "nc -U: 'pong: hi nc'" || fail "nc -U: $r"
if command -v node >/dev/null; then
    r=$(timeout 20 node "$NODE_CLIENT" "$P" 3 2>&1)
    [ "$(echo "$r" | grep -c '^pong: ping [123] from node')" = 3 ] && echo "$r" | grep -q 'closed after 3 answers' \
        && pass "node net.connect client: three pongs" || fail "node client: $r"
    has_event l.json chan '.b | strings | test("^node [0-9]+$")' && pass "the server names the node peer from SO_PEERCRED and /proc" \
        || fail "no chan event for the node peer"
else
    skip "node client: node is not installed"
fi
timeout 20 "$DEMO" --json --connect "$P" --count 4 >c.json 2>&1
rc=$?
[ $rc -eq 0 ] && has_event c.json bye '.summary | .received == 4 and .round_trips == 4 and (.p50 | numbers) > 0' \
    && pass "--connect: a C client alone, 4 pongs, its own bye with p50" || fail "--connect: rc $rc"
has_event l.json chan '.b | strings | test("^socat [0-9]+$")' \
    && has_event l.json msg '.dir == "recv" and (.from | strings | test("^socat [0-9]+$"))
        and (.summary | startswith("hello from socat"))' \
    && pass "socat shows as a named peer in chan and msg events" || fail "socat peer events"

# The articles' own peers, as a new user runs them. Their client writes
# 'ping' with no newline and waits for whatever comes back.
r=$(printf ping | timeout 10 nc -U -N "$P" 2>&1)
[ "$r" = "pong: ping" ] && pass "printf ping | nc -U -N: 'pong: ping' (a line without its newline, then a half-close)" \
    || fail "nc -U -N without a newline: '$r'"
if command -v node >/dev/null; then
    cat >article_client.js <<'JS'
// The articles' client in our words: write 'ping' (no newline), print each answer, never end.
const net = require('net');
const sock = net.connect(process.argv[2]);
sock.write('ping');
sock.on('data', (chunk) => console.log(chunk.toString()));
JS
    node article_client.js "$P" >ac.out 2>&1 &
    ac=$!
    wait_for ac.out 'pong: ping' && pass "the articles' node client (no newline, waits): answered 'pong: ping'" \
        || fail "the articles' node client got: $(cat ac.out)"
    kill $ac 2>/dev/null; wait $ac 2>/dev/null
else
    skip "the articles' node client: node is not installed"
fi

# a live server is never stolen
timeout 20 "$DEMO" --json --listen "$P" >l2.json 2>&1
rc=$?
[ $rc -eq 1 ] && has_event l2.json error '.what == "in use" and (.reason | contains("EADDRINUSE"))' && [ -S "$P" ] \
    && pass "a second --listen on a live path: exit 1, EADDRINUSE explained, file untouched" \
    || fail "live path: rc $rc $(cat l2.json)"
r=$(printf 'still me?\n' | timeout 10 socat - "UNIX-CONNECT:$P" 2>&1)
[ "$r" = "pong: still me?" ] && pass "the first server still serves" || fail "first server after the attempt: $r"
field l.json log text | grep -q 'closed its end after 0 lines' && pass "the probe connection shows as a peer that said nothing" \
    || fail "probe not narrated"

# bad peers against the server: oversize, silent, gone mid-line
r=$( (head -c 70000 /dev/zero | tr '\0' a; printf '\nafter\n') | timeout 10 socat - "UNIX-CONNECT:$P" 2>&1)
echo "$r" | grep -q '^error: line of at least 65537 bytes is over the 65536-byte limit' && echo "$r" | grep -q '^pong: after$' \
    && has_event l.json error '.what == "oversize"' \
    && pass "oversize line from socat: error line to it, error event, the next line answered" || fail "oversize: $r"
r=$( (sleep 5) | timeout 10 socat - "UNIX-CONNECT:$P" 2>&1)
echo "$r" | grep -q '^error: idle for 500 ms; closing' && has_event l.json error '.what == "idle"' \
    && pass "a silent peer is cut after --idle-ms 500 and told why" || fail "silent peer: $r"
r=$(printf 'ping 1 half a li' | timeout 10 socat - "UNIX-CONNECT:$P" 2>&1)
[ "$r" = "pong: ping 1 half a li" ] \
    && pass "a line without its newline, then a half-close (socat at stdin's end): answered" \
    || fail "half a line, half-close: $r"
r=$(printf 'ok?\n' | timeout 10 socat - "UNIX-CONNECT:$P" 2>&1)
[ "$r" = "pong: ok?" ] && pass "after all that the server still serves" || fail "server after bad peers: $r"
kill -TERM $srv; wait_bounded $srv 20; rc=$?
[ $rc -eq 0 ] && [ ! -e "$P" ] && has_event l.json bye \
    && pass "--listen, SIGTERM: exit 0, bye, socket file removed" || fail "--listen SIGTERM: rc $rc, $(ls -la srv)"

# a stale socket file: its server was SIGKILLed and could not unlink it
start_listen k.json --listen "$P"
kill -KILL $srv; wait $srv 2>/dev/null
[ -S "$P" ] && pass "a SIGKILLed server leaves its socket file behind" || fail "no stale file to test with"
start_listen s.json --listen "$P"
field s.json log text | grep -q 'connect() to it says ECONNREFUSED.*stale: unlink() and bind afresh' \
    && pass "the stale file is detected (ECONNREFUSED) and replaced" || fail "stale: $(field s.json log text | head -3)"
r=$(printf 'new\n' | timeout 10 socat - "UNIX-CONNECT:$P" 2>&1)
[ "$r" = "pong: new" ] && pass "the new server answers on the old path" || fail "after stale: $r"
kill -INT $srv; wait_bounded $srv 20; rc=$?
[ $rc -eq 0 ] && [ ! -e "$P" ] && pass "SIGINT: exit 0, socket file removed" || fail "SIGINT: rc $rc"
echo data >srv/plain
timeout 10 "$DEMO" --json --listen "$TMPDIR/srv/plain" >n.json 2>&1; rc=$?
[ $rc -eq 1 ] && field n.json error reason | grep -q 'is not a socket: never removed' && [ -f srv/plain ] \
    && pass "a path that is not a socket: exit 1, file left alone" || fail "not a socket: rc $rc"
rm -f srv/plain; rmdir srv

# The articles' server: it answers each 'data' chunk and has no 'error'
# handler, so one EPIPE would kill it. Our client ends as socket.end() does.
if command -v node >/dev/null; then
    mkdir -m 700 ns
    cat >article_server.js <<'JS'
// The articles' server in our words: answer every chunk, no 'error' handler.
const net = require('net');
net.createServer((sock) => {
  sock.on('data', (chunk) => sock.write('pong: ' + chunk));
}).listen(process.argv[2], () => console.log('listening'));
JS
    node article_server.js "$TMPDIR/ns/s.sock" >as.out 2>&1 &
    as=$!
    wait_for as.out listening
    timeout 20 "$DEMO" --json --connect "$TMPDIR/ns/s.sock" --count 5 >cn.json 2>&1; rc=$?
    [ $rc -eq 0 ] && has_event cn.json bye '.summary.received == 5' \
        && pass "our client against the articles' node server: 5 answers, exit 0" || fail "client vs node server: rc $rc"
    sleep 0.5
    kill -0 $as 2>/dev/null && ! grep -q EPIPE as.out \
        && pass "the articles' node server (no 'error' handler) is still alive: no EPIPE" \
        || fail "node server died: $(cat as.out)"
    kill $as 2>/dev/null; wait $as 2>/dev/null
    rm -rf ns
else
    skip "the articles' node server: node is not installed"
fi

# ---- the abstract namespace ----
timeout 60 "$DEMO" --json --abstract --count 5 >a.json 2>&1; rc=$?
field a.json log text >a.log
[ $rc -eq 0 ] && has_event a.json bye '.summary.round_trips == 15' && grep -q 'No file is made' a.log && no_rundir \
    && ! grep -q 'unlink(' a.log && pass "--abstract: 15 round trips, no file, no directory, nothing to unlink" \
    || fail "--abstract: rc $rc"
NAME="ipcscope-test-$$"
start_listen la.json --listen "$NAME" --abstract
r=$(printf 'abstract hello\n' | timeout 10 socat - "ABSTRACT-CONNECT:$NAME" 2>&1)
[ "$r" = "pong: abstract hello" ] && pass "socat - ABSTRACT-CONNECT: answered" || fail "abstract socat: $r"
timeout 20 "$DEMO" --json --listen "$NAME" --abstract >la2.json 2>&1; rc=$?
[ $rc -eq 1 ] && field la2.json error reason | grep -q 'EADDRINUSE.*no file to be stale' \
    && pass "a live abstract name: bind() EADDRINUSE, explained" || fail "abstract in use: rc $rc"
kill -TERM $srv; wait_bounded $srv 20

# ---- peer credentials: --allow-uid ----
me=$(id -u); other=$((me + 4242))
timeout 60 "$DEMO" --json --count 3 --allow-uid "$other" >r.json 2>&1; rc=$?
n=$(json_count r.json error ".what == \"refused\"
    and (.reason | test(\"^client [123] runs as uid $me, not in --allow-uid $other\"))")
m=$(json_count r.json error ".what == \"refused\"
    and (.reason | startswith(\"the server refused us: uid $me is not allowed here (allowed: $other)\"))")
[ $rc -eq 0 ] && [ "$n" = 3 ] && [ "$m" = 3 ] && [ "$(json_count r.json proc '.state == "exit" and .code == 3')" = 3 ] \
    && pass "--allow-uid $other: all three refused, the reason on both sides, clients exit 3" \
    || fail "--allow-uid: rc $rc, server said $n, clients said $m"
if [ "$me" -ne 0 ]; then
    skip "a client as nobody: needs root to change uid"
elif ! command -v setpriv >/dev/null; then
    skip "a client as nobody: setpriv is not installed"
else
    # The private directory is 0700, so nobody could not even reach a socket
    # file in it: that is the first layer. An abstract name has no file and no
    # permissions, so here the uid check alone decides.
    NAME="ipcscope-uid-$$"
    start_listen u.json --listen "$NAME" --abstract --allow-uid 0
    timeout 20 setpriv --reuid=nobody --regid=nogroup --clear-groups "$DEMO" --json --connect "$NAME" --abstract >un.json 2>&1
    rc=$?
    nob=$(id -u nobody)
    [ $rc -eq 3 ] && field un.json error reason | grep -q "the server refused us: uid $nob is not allowed here (allowed: 0)" \
        && pass "a client run as nobody: refused, told why, exit 3" || fail "nobody client: rc $rc $(cat un.json)"
    has_event u.json error ".what == \"refused\"
        and (.reason | test(\"^unix-socket [0-9]+ runs as uid $nob, not in --allow-uid 0\"))" \
        && has_event u.json chan ".detail // \"\" | test(\"SO_PEERCRED pid [0-9]+ uid $nob gid [0-9]+; refused\")" \
        && pass "the server saw uid $nob through SO_PEERCRED and refused it" || fail "server side of the refusal"
    timeout 20 "$DEMO" --json --connect "$NAME" --abstract --count 2 >ur.json 2>&1
    [ $? -eq 0 ] && has_event ur.json bye '.summary.received == 2' && pass "root, allowed, is served by the same server" || fail "root client"
    # the first layer: nobody cannot reach a socket file in a 0700 directory
    mkdir -m 700 priv
    start_listen up.json --listen "$TMPDIR/priv/s.sock"
    timeout 20 setpriv --reuid=nobody --regid=nogroup --clear-groups "$DEMO" --json --connect "$TMPDIR/priv/s.sock" >upn.json 2>&1
    rc=$?
    [ $rc -eq 1 ] && field upn.json error reason | grep -q 'EACCES: permission denied' \
        && pass "nobody cannot even connect() into a 0700 directory: EACCES" || fail "0700 layer: rc $rc"
    kill -TERM $srv; wait_bounded $srv 20
    rmdir priv
    kill -TERM "$(field u.json hello pid)" 2>/dev/null; wait 2>/dev/null
fi

# ---- bad clients of our own, while the good ones are served ----
for f in oversize silent vanish; do
    timeout 60 "$DEMO" --json --count 10 --fault $f --idle-ms 300 >f.json 2>&1; rc=$?
    what=$f; [ $f = silent ] && what=idle; [ $f = vanish ] && what=vanished
    [ $rc -eq 0 ] && has_event f.json error ".what == \"$what\"" && has_event f.json bye '.summary.round_trips == 30' \
        && pass "--fault $f: error event '$what', the three good clients still get 30 round trips" \
        || fail "--fault $f: rc $rc"
done

# ---- FIFOs ----
timeout 60 "$DEMO" --json --fifo --count 50 >ff.json 2>&1; rc=$?
[ $rc -eq 0 ] && has_event ff.json bye '.summary | .torn == 0 and .whole == 150 and .writers == 3' \
    && pass "--fifo: 3 writers, 150 lines, all whole, 0 torn" || fail "--fifo: rc $rc $(field ff.json bye summary)"
field ff.json log text >ff.log
grep -q 'open(up.fifo, O_RDONLY) -> fd [0-9]* after [0-9.]* ms: it blocked until a writer' ff.log \
    && grep -q 'open(down.fifo, O_WRONLY) -> fd [0-9]* after [0-9.]* ms: it blocked' ff.log \
    && pass "--fifo: the blocked open() and its wait are narrated" || fail "--fifo: open narration"
has_event ff.json bye '.summary.round_trips == 50' && pass "--fifo: client 1's 50 pings answered through down.fifo" || fail "--fifo round trips"
grep -q 'unlink(up.fifo), unlink(down.fifo)' ff.log && no_rundir && pass "--fifo: FIFOs and directory removed" \
    || fail "--fifo: left behind"
timeout 60 "$DEMO" --json --fifo --count 200 --size 4095 >ff2.json 2>&1; rc=$?
[ $rc -eq 0 ] && has_event ff2.json bye '.summary | .torn == 0 and .whole == 600' \
    && pass "--fifo --size 4095: lines of exactly PIPE_BUF from 3 writers, none torn" || fail "--fifo PIPE_BUF: rc $rc"

# ---- throughput and the benchmark's form ----
timeout 60 "$DEMO" --json --throughput 50000000 >tp.json 2>&1; rc=$?
[ $rc -eq 0 ] && has_event tp.json bye '.summary | .bytes == 50000000 and (.mb_s | numbers) >= 1' \
    && pass "--throughput 50000000: bye with bytes and mb_s" || fail "--throughput: rc $rc $(field tp.json bye summary)"
timeout 60 "$DEMO" --json --clients 1 --count 500 --rate 0 --size 64 >b.json 2>&1
has_event b.json bye '.summary | .round_trips == 500
    and (.p50 | numbers | . > 0 and . == floor) and (.p99 | numbers | . > 0 and . == floor)' \
    && pass "benchmark form: p50 and p99 as integers in ns" || fail "benchmark form"

# ---- killed and asked to quit mid-run ----
"$DEMO" --json --count 1000000 --rate 50 >t.json 2>&1 &
demo=$!
if wait_count t.json msg '.dir == "recv" and (.summary | startswith("pong: ping 2 "))' 3; then
    kill -TERM $demo; wait_bounded $demo 20; rc=$?
    [ $rc -eq 0 ] && has_event t.json log '.text | contains("SIGTERM: winding down")' && has_event t.json bye \
        && [ "$(json_count t.json log '.text | contains("SIGTERM: winding down")')" = 1 ] \
        && [ "$(json_count t.json log '.text | contains("quit, relayed: winding down")')" = 3 ] \
        && pass "SIGTERM mid-run: the server, then each client (quit relayed by lib/role), bye, exit 0" || fail "SIGTERM mid-run: rc $rc"
    no_kids t.json && pass "SIGTERM mid-run: clients gone" || fail "SIGTERM mid-run: a client is left"
    no_rundir && pass "SIGTERM mid-run: socket file and directory removed" || fail "SIGTERM mid-run: left behind"
else
    fail "no pong in t.json"; kill -9 $demo
fi
"$DEMO" --json --fifo --count 1000000 --rate 50 >tf.json 2>&1 &
demo=$!
if wait_event tf.json msg '.summary | strings | test("^pong: ping [0-9]+ 3 ")'; then
    kill -INT $demo; wait_bounded $demo 20; rc=$?
    [ $rc -eq 0 ] && no_kids tf.json && no_rundir && pass "--fifo, SIGINT mid-run: exit 0, no writer left, FIFOs removed" \
        || fail "--fifo SIGINT: rc $rc"
else
    fail "no pong in tf.json"; kill -9 $demo
fi
# the dashboard's commands on the control fd: pause reaches the clients through
# lib/role's relay (not the socket the lesson is about), quit ends the run
{ wait_count q.json msg '.dir == "recv" and (.summary | startswith("pong: ping 1 "))' 3; echo '{"cmd":"pause"}'
  wait_count q.json log '.text | contains("pause, relayed by the server")' 3; echo '{"cmd":"quit"}'
  wait_event q.json bye; } |
    IPCSCOPE_CONTROL_FD=0 timeout 30 "$DEMO" --json --count 1000000 --rate 20 >q.json 2>&1; rc=$?
[ $rc -eq 0 ] && [ "$(json_count q.json log '.text | contains("pause, relayed by the server")')" = 3 ] \
    && has_event q.json log '.text | contains("quit from the dashboard")' \
    && has_event q.json bye && no_kids q.json && no_rundir \
    && pass "control: pause relayed to 3 clients by lib/role; quit ends it cleanly" || fail "control: rc $rc"

# step while paused lets exactly one ping go from each client; resume lets them flow
SEND='.dir == "send" and (.summary | startswith("ping"))'
mkfifo ctl
IPCSCOPE_MSG_RATE=0 IPCSCOPE_CONTROL_FD=5 timeout 60 "$DEMO" --json --clients 2 --count 1000000 --rate 20 \
    5<ctl >st.json 2>st.err &
srv=$!
exec 7>ctl
wait_count st.json msg '.summary | startswith("pong: ping 2 ")' 2
echo '{"cmd":"pause"}' >&7
wait_count st.json log '.text | contains("pause, relayed by the server")' 2
n0=$(json_count st.json msg "$SEND"); sleep 1; n1=$(json_count st.json msg "$SEND")
echo '{"cmd":"step"}' >&7
wait_count st.json log '.text | contains("step, relayed by the server")' 2
wait_count st.json msg "$SEND" $((n1 + 2)); sleep 1; n2=$(json_count st.json msg "$SEND")
echo '{"cmd":"resume"}' >&7
wait_count st.json msg "$SEND" $((n2 + 6)); n3=$(json_count st.json msg "$SEND")
echo '{"cmd":"quit"}' >&7
exec 7>&-
wait_bounded $srv 30; rc=$?
rm -f ctl
[ "$n0" = "$n1" ] && [ "$n2" = $((n1 + 2)) ] && [ "$n3" -ge $((n2 + 6)) ] && [ $rc -eq 0 ] \
    && pass "control: paused, no ping; a step, one ping from each of 2 clients; resume, they flow" \
    || fail "control: sends $n0 then $n1 paused, $n2 after a step, $n3 after resume; rc $rc"

# ---- the command line ----
out=$("$DEMO" --bogus 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "unknown option" && pass "bad option: exit 2" || fail "bad option: $rc"
out=$("$DEMO" --fifo --listen x 2>&1); rc=$?
[ $rc -eq 2 ] && pass "--fifo with --listen: exit 2 with a reason" || fail "--fifo --listen: $rc"
"$DEMO" --describe | jq -e '.name == "unix-socket"' >/dev/null && pass "--describe names the demo" || fail "--describe"
timeout 10 "$DEMO" --json --connect "$TMPDIR/nothing.sock" >e.json 2>&1; rc=$?
[ $rc -eq 1 ] && field e.json error reason | grep -q 'ENOENT: no such file' && pass "--connect to no server: exit 1, ENOENT explained" \
    || fail "--connect nowhere: $rc"
no_rundir && pass "nothing left in TMPDIR at the end" || fail "left: $(ls "$TMPDIR")"
