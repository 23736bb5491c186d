# stdio-pipe run headless (--json), part by part, and checked on its events:
# grep through pipes and its exit codes, exec through a shell, the injection
# that only exec runs, maxBuffer, timeout, ENOENT, a child killed by a
# signal, the stdio array with a channel at fd 3 (C and node children), the
# backpressure queue growing and draining, the stream, the ping-pong; the
# control channel's pause, resume and fault; children killed and the demo
# signalled mid-run. Every run must leave no process behind.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/stdio-pipe"
export IPCSCOPE_MSG_RATE=0   # every msg event, so counts can be compared

# run NAME ARGS...: the demo headless into NAME.json; sets $rc
run() {
    _n=$1; shift
    timeout 60 "$DEMO" --json "$@" >"$_n.json" 2>"$_n.err"
    rc=$?
}
# children FILE: every pid the demo reported as started or exited, but its own
children() {
    _p=$(field "$1" hello pid)
    field "$1" proc proc | sort -u | grep -vx "$_p"
}
none_left() { # NAME FILE
    _left=""
    for _c in $(children "$2"); do wait_gone "$_c" || _left="$_left $_c"; done
    [ -z "$_left" ] && pass "$1: every child is gone, no zombie" || fail "$1: left:$_left"
}

# ---- the whole walk --------------------------------------------------------
run all --stall 200 --count 20
[ $rc -eq 0 ] && pass "default walk: exit 0" || { fail "default walk: exit $rc"; cat all.err; }
steps=$(field all.json step n | tr '\n' ' ')
[ "$steps" = "1 2 3 4 5 6 7 8 9 10 11 12 " ] && pass "default walk: twelve steps in order" \
    || fail "default walk: steps were '$steps'"
has_event all.json bye '.summary.failed == 0 and .summary.complete == true' && pass "default walk: bye, no check failed" \
    || { fail "default walk: bye"; jq -cR 'fromjson? | select(.ev == "error" or .ev == "bye")' all.json; }
none_left "default walk" all.json

# ---- spawn grep ------------------------------------------------------------
run spawn --part spawn
[ $rc -eq 0 ] && pass "spawn: exit 0" || fail "spawn: exit $rc"
field spawn.json log text | grep -qF 'execve("/usr/bin/grep", ["grep", "hello"])' \
    && field spawn.json log text | grep -q 'dup2()s [0-9]*, [0-9]* and [0-9]* onto 0, 1 and 2' \
    && pass "spawn: narration names pipe2, dup2 and execve with the fds" || fail "spawn: narration"
sent=$(json_count spawn.json msg '.dir == "send" and .chan == "stdin"
    and (.summary | test("hello world|goodbye world|hello from the parent|nothing to see"))')
[ "$sent" -eq 5 ] && pass "spawn: 4 lines streamed to grep's stdin (and 1 in the second run)" \
    || fail "spawn: $sent lines sent"
has_event spawn.json msg '.dir == "recv" and .chan == "stdout" and .bytes == 34 and (.summary | startswith("hello world"))' \
    && field spawn.json log text | grep -q "'data' on child.stdout: read() 34 bytes from fd [0-9]*: hello world\\\\nhello from the parent\$" \
    && pass "spawn: the two matches came back on stdout, in one read()" || fail "spawn: matches"
has_event spawn.json msg '.dir == "recv" and .chan == "stderr" and (.summary | contains("No such file"))' \
    && [ "$(json_count spawn.json msg '.dir == "recv" and .chan == "stdout" and (.summary | contains("No such file"))')" -eq 0 ] \
    && pass "spawn: grep's complaint came on stderr only" || fail "spawn: stderr apart"
has_event spawn.json bye '.summary.grep_codes == [0,1,2]' && field spawn.json log text | grep -q 'exit code 1: no line matched' \
    && pass "spawn: exit codes 0, 1 and 2, and 1 is explained as no match" || fail "spawn: codes"

# ---- exec, execFile and the injection -------------------------------------
run exec --part exec,execfile --timeout 300 --max-buffer 65536 --starts 3
[ $rc -eq 0 ] && pass "exec: exit 0" || { fail "exec: exit $rc"; jq -cR 'fromjson? | select(.ev == "error")' exec.json; }
field exec.json log text | grep -qF 'execve("/bin/sh", ["/bin/sh", "-c"' \
    && field exec.json log text | grep -q "error null, stdout [0-9]* bytes 'sh is pid [0-9]*\\\\nmatched 2 lines" \
    && pass "exec: /bin/sh -c ran the pipeline, output handed over whole" || fail "exec: output"
has_event exec.json error '.what == "maxBuffer"' && field exec.json log text | grep -q 'maxBuffer held: 65536 bytes kept' \
    && pass "exec: maxBuffer kills the child, keeps 65536 bytes" || fail "exec: maxBuffer"
field exec.json log text | grep -q "killed: true, code: null, signal: 'SIGTERM'" \
    && pass "exec: the timeout sends SIGTERM" || fail "exec: timeout"
field exec.json log text | grep -q "stdout 15 bytes 'hello\\\\nINJECTED\\\\n'" \
    && pass "injection: under exec the second command ran" || fail "injection: exec output"
field exec.json log text | grep -q "execFile's callback.*stdout 21 bytes 'hello; echo INJECTED\\\\n'" \
    && ! field exec.json log text | grep "execFile's callback" | grep -q "INJECTED\\\\n'.*INJECTED" \
    && pass "injection: execFile printed the input as one argument, nothing else ran" \
    || fail "injection: execFile output"
has_event exec.json bye '.summary.injection | .exec_ran_second_command == true and .execfile_one_argument == true' \
    && pass "injection: summary says exec only" || fail "injection: summary"
has_event exec.json bye '.summary.start_ns | (.spawn | numbers) > 0 and (.exec | numbers) > 0 and (.execFile | numbers) > 0' \
    && pass "start cost: spawn, exec and execFile timed" || fail "start cost"
none_left "exec" exec.json

# ---- faults -----------------------------------------------------------------
run enoent --fault enoent
[ $rc -eq 0 ] && has_event enoent.json error '.what == "spawn" and (.reason | startswith("spawn ipcscope-no-such-command ENOENT"))' \
    && field enoent.json log text | grep -q "error Error {code: 127}" && has_event enoent.json bye \
    && pass "fault enoent: 'error' with ENOENT for spawn, code 127 from the shell, exit 0" \
    || fail "fault enoent (exit $rc)"
run signal --fault signal
[ $rc -eq 0 ] && has_event signal.json proc '.state == "exit" and .role == "cat" and .signal == "SIGKILL"' \
    && has_event signal.json error '.what == "EPIPE"' \
    && pass "fault signal: cat killed by SIGKILL, a later write gets EPIPE, exit 0" \
    || fail "fault signal (exit $rc)"
run maxbuf --fault maxbuffer --max-buffer 4096
[ $rc -eq 0 ] && has_event maxbuf.json error '.what == "maxBuffer"' && has_event maxbuf.json proc '.role == "sh" and .signal == "SIGTERM"' \
    && pass "fault maxbuffer: the shell killed by SIGTERM after 4096 bytes, exit 0" \
    || fail "fault maxbuffer (exit $rc)"
run tmo --fault timeout --timeout 200
cat_pid=$(field tmo.json log text | sed -n 's/.*what it started: cat \([0-9]*\).*/\1/p' | head -1)
[ $rc -eq 0 ] && field tmo.json log text | grep -q "signal: 'SIGTERM'" && [ -n "$cat_pid" ] \
    && pass "fault timeout: SIGTERM to the shell and to cat ($cat_pid), exit 0" \
    || fail "fault timeout (exit $rc)"
[ -n "$cat_pid" ] && { wait_gone "$cat_pid" && pass "fault timeout: the shell's cat is gone too" || fail "cat $cat_pid still there"; }
for f in enoent signal maxbuf tmo; do none_left "fault $f" $f.json; done

# ---- stdio ['pipe','pipe','pipe','ipc'] -------------------------------------
check_stdio() { # NAME
    field "$1.json" log text | grep -q 'fd 0 -> pipe:\[[0-9]*\], fd 1 -> pipe:\[[0-9]*\], fd 2 -> pipe:\[[0-9]*\], fd 3 -> socket:\[' \
        && pass "$1: the child's fds 0-2 are pipes, fd 3 a socket" || fail "$1: child fds"
    has_event "$1.json" msg '.dir == "recv" and .chan == "ipc" and (.summary | fromjson? | .received?) == true' \
        && has_event "$1.json" msg '.dir == "recv" and .chan == "ipc" and (.summary | fromjson? | .bytes?) == 262144' \
        && has_event "$1.json" msg '.chan == "stdout" and (.summary | contains("262144 bytes arrived on stdin"))' \
        && has_event "$1.json" msg '.chan == "stderr" and (.summary | contains("this line went to stderr"))' \
        && field "$1.json" log text | grep -q 'all 262144 bytes arrived' \
        && pass "$1: bytes on three pipes and messages on fd 3, together" || fail "$1: streams"
}
run stdio --part stdio
[ $rc -eq 0 ] && pass "stdio, C child: exit 0" || fail "stdio, C child: exit $rc"
check_stdio stdio
if command -v node >/dev/null; then
    run stdion --part stdio --child node
    [ $rc -eq 0 ] && pass "stdio, node child: exit 0" || { fail "stdio, node child: exit $rc"; jq -cR 'fromjson? | select(.ev == "error")' stdion.json; }
    check_stdio stdion
    none_left "stdio node" stdion.json
else
    skip "stdio with a node child: node is not installed"
fi

# ---- backpressure -----------------------------------------------------------
check_bp() { # NAME
    q=$(field "$1.json" log queued | tr '\n' ' ')
    first=${q%% *}; last=$(echo "$q" | awk '{print $NF}')
    [ "${first:-0}" -gt 0 ] && [ "$last" = 0 ] \
        && pass "$1: the writer's queue grew to $first bytes, then drained to 0" \
        || fail "$1: queue values '$q'"
    has_event "$1.json" log '.in_pipe == 65536 and .pipe_size == 65536' \
        && pass "$1: the pipe was full (FIONREAD = F_GETPIPE_SZ = 65536)" || fail "$1: pipe fill"
    field "$1.json" log text | grep -q "'drain': every queued byte" \
        && has_event "$1.json" bye '.summary.backpressure | .read == 1048576 and .drained == true' \
        && pass "$1: 'drain', and all 1048576 bytes arrived" || fail "$1: drain / bytes"
}
run bp --part backpressure --stall 100
[ $rc -eq 0 ] && pass "backpressure: exit 0" || fail "backpressure: exit $rc"
check_bp bp
run bps --part backpressure --stall 50 --slow-reader
check_bp bps
n=$(json_count bps.json log 'has("queued")')
[ "$n" -ge 4 ] && pass "backpressure, slow reader: the queue seen draining in $n steps" || fail "slow reader: $n reports"

# ---- the stream and the ping-pong -------------------------------------------
run st --part stream --stream-bytes 8388608
[ $rc -eq 0 ] && has_event st.json bye '.summary.stream | .bytes == 8388608 and (.ns | numbers) >= 0 and (.bps | numbers) >= 0' \
    && pass "stream: 8 MiB through the pipe, throughput reported" || fail "stream (exit $rc)"
run pp --part pingpong --count 50 --size 100
[ $rc -eq 0 ] && pass "ping-pong: exit 0" || fail "ping-pong: exit $rc"
lat=$(json_count pp.json msg '.dir == "recv" and .chan == "stdout" and (.lat | numbers) > 0')
echo_recv=$(json_count pp.json msg '.dir == "recv" and .chan == "stdin" and .bytes >= 100 and .bytes <= 199')
[ "$lat" -eq 50 ] && [ "$echo_recv" -eq 50 ] \
    && pass "ping-pong: 50 lines to the echo child, 50 back with a latency" \
    || fail "ping-pong: $echo_recv received by the child, $lat timed"
has_event pp.json stats '.chan == "stdout" and .count == 50' \
    && has_event pp.json bye '.summary.pingpong | .size == 100 and .round_trips == 50 and (.p50 | numbers) > 0' \
    && pass "ping-pong: stats and summary with 50 round trips" || fail "ping-pong: stats"
none_left "ping-pong" pp.json

# ---- text mode --------------------------------------------------------------
timeout 60 "$DEMO" --part spawn,execfile --starts 2 >text.out 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q '^-- step 1: spawn' text.out && grep -q '^\[parent [0-9]*\] pipe2(O_CLOEXEC) x3' text.out \
    && ! grep -q '^{' text.out && grep -q '^== done' text.out \
    && pass "text mode: narration for a person, no JSON" || fail "text mode (exit $rc)"

# ---- killed and signalled mid-run -------------------------------------------
start_mid_run() { # FILE: a long ping-pong; sets $demo and $child
    "$DEMO" --json --part pingpong --count 1000000 --rate 100 >"$1" 2>"$1.err" &
    demo=$!
    if ! wait_event "$1" msg '(.lat | numbers) > 0'; then
        fail "no round trip in $1"; kill -9 $demo; wait $demo; return 1
    fi
    child=$(field "$1" proc proc '.role == "echo child"' | head -1)
}
if start_mid_run k.json; then
    kill -KILL "$child"
    wait_bounded $demo; rc=$?
    has_event k.json proc ".state == \"exit\" and .proc == $child and .signal == \"SIGKILL\"" && [ $rc -eq 1 ] \
        && field k.json bye text | grep -q 'killed before its part was over' \
        && pass "echo child SIGKILLed: proc exit with SIGKILL, bye says so, exit 1" \
        || fail "echo child SIGKILLed (exit $rc)"
    wait_gone "$child" && pass "echo child SIGKILLed: no zombie" || fail "zombie $child"
fi
if start_mid_run t.json; then
    kill -TERM $demo
    wait_bounded $demo; rc=$?
    [ $rc -eq 0 ] && field t.json log text | grep -q 'SIGTERM: winding down' && has_event t.json bye \
        && pass "demo SIGTERM: winds down with a summary, exit 0" || fail "demo SIGTERM (exit $rc)"
    wait_gone "$child" && pass "demo SIGTERM: the echo child is gone" || fail "child $child outlived SIGTERM"
fi
if start_mid_run p.json; then
    kill -KILL $demo
    wait $demo 2>/dev/null
    wait_gone "$child" && pass "demo SIGKILLed: the echo child dies with it" || { fail "child $child left"; kill -9 "$child"; }
fi
# SIGTERM while the timeout's cat is running: the shell and cat go too.
"$DEMO" --json --fault timeout --timeout 60000 >mt.json 2>&1 &
demo=$!
if wait_event mt.json proc '.role == "sh"'; then
    sh_pid=$(field mt.json proc proc '.role == "sh"' | head -1)
    sleep 0.3
    kill -TERM $demo
    wait_bounded $demo; rc=$?
    [ $rc -eq 0 ] && wait_gone "$sh_pid" && has_event mt.json bye \
        && pass "demo SIGTERM during a timeout: shell reaped, bye, exit 0" || fail "SIGTERM during timeout (exit $rc)"
else
    fail "no shell started"; kill -9 $demo; wait $demo
fi

# ---- the control channel, as the dashboard drives it -----------------------
mkfifo ctl
exec 6<>ctl
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --part backpressure --stall 100 --slow-reader 5<ctl >c.json 2>c.err &
demo=$!
if wait_event c.json log '.text | contains("uv_read_start() on fd 0")'; then
    echo '{"cmd":"pause"}' >&6
    wait_event c.json log '.text | contains("process.stdin.pause(): uv_read_stop()")' && pass "control pause: the reader stops reading" \
        || fail "control pause did not reach the reader"
    sleep 0.5
    a=$(field c.json log queued | tail -1)
    echo '{"cmd":"resume"}' >&6
    wait_bounded $demo; rc=$?
    [ $rc -eq 0 ] && [ "${a:-0}" -gt 0 ] && has_event c.json bye '.summary.backpressure | .read == 1048576 and .drained == true' \
        && pass "control resume: the queue ($a bytes while paused) drains, all bytes arrive" \
        || fail "control resume (exit $rc, queue $a)"
else
    fail "the reader never resumed"; kill -9 $demo; wait $demo
fi
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --part pingpong --count 1000000 --rate 50 5<ctl >f.json 2>f.err &
demo=$!
if wait_event f.json msg '(.lat | numbers) > 0'; then
    echo '{"cmd":"fault","kind":"enoent"}' >&6
    wait_event f.json error '.what == "spawn" and (.reason | contains("ENOENT"))' \
        && wait_event f.json log '.text | contains("error Error {code: 127}")' \
        && pass "control fault enoent: shown while the ping-pong goes on" || fail "control fault"
    echo '{"cmd":"fault","kind":"bogus"}' >&6
    wait_event f.json error ".reason | contains(\"fault wants one of\")" && pass "control fault bogus: refused with the kinds" || fail "bogus fault"
    echo '{"cmd":"quit"}' >&6
    wait_bounded $demo; rc=$?
    [ $rc -eq 0 ] && has_event f.json bye && pass "control quit: bye, exit 0" || fail "control quit (exit $rc)"
    none_left "control" f.json
else
    fail "no round trip before the fault"; kill -9 $demo; wait $demo
fi
exec 6>&-
rm -f ctl

# ---- the command line ---------------------------------------------------------
out=$("$DEMO" --part nope 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "\-\-part wants" && pass "bad --part: exit 2 with a reason" || fail "bad --part: $rc"
out=$("$DEMO" --fault nope 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "\-\-fault wants" && pass "bad --fault: exit 2 with a reason" || fail "bad --fault: $rc"
"$DEMO" --describe | jq -e '.name == "stdio-pipe"' >/dev/null && pass "--describe names the demo" || fail "--describe"
