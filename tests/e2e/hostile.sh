# Hostile peers against the tcp server: a client that sends and never reads
# is cut off at the bound on what the server holds for it (memory stays
# small) while another client is served on; a client dripping a byte at a
# time, never ending a line, is cut at the idle limit.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/tcp"
command -v python3 >/dev/null || { skip "python3 is not installed"; exit 0; }

"$DEMO" --listen 127.0.0.1:0 --json --idle-ms 2000 >s.json 2>s.err &
server=$!
wait_event s.json hello || fail "the server never started"
port=$(field s.json hello params | jq -r .port)

# A reader that never reads: 60 KB lines, each echoed back into its full
# receive buffer, for 4,000 lines (240 MB of echoes if nothing stopped it).
python3 - "$port" >greedy.out 2>&1 <<'PY' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
line = b"x" * 60000 + b"\n"
sent = 0
try:
    for _ in range(4000):
        s.sendall(line)
        sent += 1
except OSError as e:
    print("cut off after", sent, "lines:", e.strerror)
    sys.exit(0)
print("never cut off:", sent)
PY
greedy=$!
wait_bounded $greedy 120
grep -q "cut off after" greedy.out && pass "a client that never reads is cut off ($(cat greedy.out))" \
    || fail "the greedy client: $(cat greedy.out)"
rss=$(awk '/^VmHWM/ {print $2}' /proc/$server/status)
[ "$rss" -lt 65536 ] && pass "the server's peak memory stayed at $rss kB (under 64 MB)" \
    || fail "the server's peak memory reached $rss kB"
has_event s.json error '.reason | test("reads nothing"; "i")' \
    && pass "an error event names the client that did not read" \
    || { fail "no error event for the unread client"; field s.json error reason; }

# Others are served on.
out=$(printf 'hello\n' | timeout 10 nc -q 1 127.0.0.1 "$port" 2>/dev/null | head -1)
case $out in *"hello"*) pass "another client is still answered: $out" ;; *) fail "no answer after: '$out'" ;; esac

# A slowloris: a byte every 200 ms, never a newline; the idle limit (2 s)
# counts from the last whole line, so it is cut all the same.
python3 - "$port" >drip.out 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for i in range(300):              # 60 s of dripping at most
    try:
        s.sendall(b"a")
    except OSError:
        print("cut off after", i, "bytes"); sys.exit(0)
    s.settimeout(0.2)
    try:
        if s.recv(4096) == b"":
            print("cut off after", i, "bytes"); sys.exit(0)
    except socket.timeout:
        pass
    except OSError:
        print("cut off after", i, "bytes"); sys.exit(0)
print("never cut off")
PY
drip=$!
wait_bounded $drip 120
grep -q "cut off after" drip.out && pass "a client dripping one byte at a time is cut at the idle limit ($(cat drip.out))" \
    || fail "the dripping client: $(cat drip.out)"

kill -TERM $server
wait_bounded $server 30; rc=$?
[ $rc -eq 0 ] && pass "the server ends cleanly after both" || fail "server exit $rc"

# A crowd past the cap: with ulimit -n 100 the server caps itself at 68
# clients (it says so), and every one past that is told the server is full
# and named in an error event: none is dropped without a word, as libuv's
# EMFILE path would (it accepts and closes, and tells nobody).
( ulimit -n 100; exec "$DEMO" --listen 127.0.0.1:0 --json --idle-ms 0 ) >c.json 2>c.err &
server=$!
wait_event c.json hello || fail "the capped server never started"
port=$(field c.json hello params | jq -r .port)
python3 - "$port" >crowd.out 2>&1 <<'PY'
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(80)]
for s in socks:
    s.sendall(b"hello\n")
answered = full = silent = 0
for s in socks:
    s.settimeout(20)
    try:
        got = s.recv(200)
    except OSError:
        got = b""
    if got.startswith(b"error: the server is full"):
        full += 1
    elif got:
        answered += 1
    else:
        silent += 1
print(answered, full, silent)
PY
read answered full silent <crowd.out
has_event c.json log '.text | test("^ulimit -n is 100: at most 68 clients")' \
    && pass "ulimit -n 100: the server caps itself at 68 clients and says why" || fail "no cap said: $(cat c.err)"
[ "$answered" = 68 ] && [ "$full" = 12 ] && [ "$silent" = 0 ] \
    && pass "80 clients against a cap of 68: 68 answered, 12 told the server is full, none dropped silently" \
    || fail "crowd: answered $answered, full $full, silent $silent"
has_event c.json error '.what == "full" and (.reason | test("connected already"))' \
    && pass "a refusal is an error event naming the client" || fail "no 'full' error event"
kill -TERM $server
wait_bounded $server 30

# A peer that names itself with terminal escapes (prctl(PR_SET_NAME), which
# any process may do) is named in the narration, made printable: no raw ESC,
# BEL or C1 byte reaches the operator's terminal. unix-socket names its
# peers by SO_PEERCRED and /proc/PID/comm.
sockdir=$(mktemp -d)
"$DEMOS/unix-socket" --listen "$sockdir/s.sock" --idle-ms 0 >n.txt 2>&1 &
server=$!
i=0; while [ ! -S "$sockdir/s.sock" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
python3 - "$sockdir/s.sock" <<'PY'
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"\x1b[2J\x1b]0;PWN\x07\xc2\x9b", 0, 0, 0)  # PR_SET_NAME
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"hello\n")
s.recv(100)
s.close()
PY
sleep 0.5
kill -TERM $server
wait_bounded $server 30
rm -rf "$sockdir"
if LC_ALL=C grep -q "$(printf '\033')\|$(printf '\007')\|$(printf '\302\233')" n.txt; then
    fail "a raw escape byte from a peer's name reached the terminal"
elif grep -q 'PWN' n.txt; then
    pass "a peer named with terminal escapes is narrated, made printable"
else
    fail "the hostile name was not narrated: $(cat n.txt | head -5)"
fi
