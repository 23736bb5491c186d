# fork-ipc run headless (--json) in each mode and checked on its events; node
# on either end; malformed, blank and oversize lines; the child killed mid-run;
# the parent killed mid-run; node peers that behave as the articles' examples do
# (a parent that never disconnects, a child that speaks first or never
# answers). Every run must leave no process behind.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/fork-ipc"
export IPCSCOPE_MSG_RATE=0   # every msg event, so counts can be compared
# a pong on the channel, either way (the summary is the message as sent)
PONG='.chan == "ipc" and (.summary | contains("\"type\":\"pong\""))'

check_run() { # MODE FILE
    mode=$1 f=$2
    parent=$(field "$f" hello pid)
    child=$(field "$f" chan b '.id == "ipc" and .state == "open"' | head -1)
    steps=$(field "$f" step n | tr '\n' ' ')
    [ "$steps" = "1 2 3 4 5 6 7 8 9 " ] && pass "$mode: all nine steps" || fail "$mode: steps were '$steps'"
    ps=$(json_count "$f" msg ".pid == $parent and .dir == \"send\" and .chan == \"ipc\"")
    cr=$(json_count "$f" msg ".pid == $child and .dir == \"recv\" and .chan == \"ipc\"")
    cs=$(json_count "$f" msg ".pid == $child and .dir == \"send\" and .chan == \"ipc\"")
    pr=$(json_count "$f" msg ".pid == $parent and .dir == \"recv\" and .chan == \"ipc\"")
    [ "$ps" -gt 0 ] && [ "$ps" = "$cr" ] && [ "$cs" = "$pr" ] \
        && pass "$mode: parent sent $ps = child received $cr; child sent $cs = parent received $pr" \
        || fail "$mode: counts differ: parent sent $ps, child got $cr; child sent $cs, parent got $pr"
    for id in 1 2 3; do
        field "$f" log text | grep -qx "answer to request $id: user 123" || { fail "$mode: getUser $id unanswered"; return; }
    done
    has_event "$f" error '.what == "correlation"' && fail "$mode: a mismatched correlation id" \
        || pass "$mode: getUser answered for ids 1 2 3"
    has_event "$f" msg '.chan == "tcp" and (.summary | test("^hello from .*child"))' \
        && pass "$mode: the passed socket served a real TCP client" || fail "$mode: no TCP answer"
    has_event "$f" proc ".state == \"exit\" and .proc == $child and .code == 0" \
        && pass "$mode: child exited 0" || fail "$mode: child exit"
    wait_gone "$child" && pass "$mode: no child left" || fail "$mode: child $child still there"
}

timeout 60 "$DEMO" --json --count 20 >c.json 2>c.err
rc=$?; [ $rc -eq 0 ] && pass "C child: exit 0" || { fail "C child: exit $rc"; cat c.err; }
check_run "C child" c.json

if command -v node >/dev/null; then
    timeout 60 "$DEMO" --json --count 20 --child node >n.json 2>n.err
    rc=$?; [ $rc -eq 0 ] && pass "node child: exit 0" || { fail "node child: exit $rc"; cat n.err; }
    check_run "node child" n.json

    # The articles' parent (000, 004): fork, send {hello:'world'}, print each
    # message. The C child speaks first ({foo:'bar'}, as 003's sub.js), then
    # answers {received:true}; its narration stays off the parent's stdout.
    here=$PWD
    out=$(cd "$TOP" && timeout 30 node -e "
      const c = require('child_process').fork('--as-child', [], {execPath: '$DEMO', execArgv: []});
      c.on('message', m => { console.log(JSON.stringify(m)); if (m.received) c.disconnect(); });
      c.on('exit', code => console.log('exit', code));
      c.send({hello: 'world'});" 2>"$here/np.err")
    [ "$out" = '{"foo":"bar"}
{"received":true}
exit 0' ] && pass "node parent (articles 000, 004): {foo:'bar'} first, then {received:true}, exit 0, nothing else on its stdout" \
        || { fail "node parent: stdout was: $out"; cat np.err; }
    grep -q 'NODE_CHANNEL_FD=3: opened fd 3' np.err && pass "the C child under node narrates to stderr" \
        || fail "no narration of the C child on stderr"

    # Article 001's parent: send {type:'start', payload:123}, print what comes
    # back, never disconnect. It exits when it has {result:'ok'}; the C child,
    # reading EOF, must exit too.
    out=$(cd "$TOP" && timeout 30 node -e "
      const w = require('child_process').fork('--as-child', [], {execPath: '$DEMO', execArgv: [], stdio: ['ignore', 'inherit', 'ignore', 'ipc']});
      console.log('pid', w.pid);
      w.on('message', m => { console.log('Parent received:', JSON.stringify(m)); if (m.result === 'ok') process.exit(0); });
      w.send({type: 'start', payload: 123});" 2>&1)
    rc=$?
    wpid=$(echo "$out" | sed -n 's/^pid //p')
    echo "$out" | grep -q 'Parent received: {"result":"ok"}' && [ $rc -eq 0 ] \
        && pass "node parent (article 001): {type:'start', payload:123} answered {result:'ok'}" \
        || fail "article 001 parent (exit $rc): $out"
    [ -n "$wpid" ] && wait_gone "$wpid" && pass "the parent exited without disconnect(): the C child exited too" \
        || { fail "C child $wpid outlived its node parent"; [ -n "$wpid" ] && kill -9 "$wpid"; }

    # A node child that speaks first (003's sub.js) and answers nothing the
    # demo asks: the C parent shows {foo:'bar'}, waits --timeout, says why, exits 1.
    timeout 60 "$DEMO" --json --count 3 --timeout 2 --child "node:$TOP/tests/helpers/fork_speaks_first.js" >sf.json 2>sf.err
    rc=$?
    jq -s -e 'any(.[]; .ev=="msg" and .dir=="recv" and .summary=="{\"foo\":\"bar\"}")' sf.json >/dev/null 2>&1 \
        && pass "--child node:PATH runs the given script; the C parent receives its {foo:'bar'}" \
        || fail "no {foo:'bar'} from the node child"
    jq -s -e 'any(.[]; .ev=="error" and .what=="timeout" and (.reason | test("received")))' sf.json >/dev/null 2>&1 && [ $rc -ne 0 ] \
        && pass "a child that answers something else: a timeout error naming what was awaited, exit $rc" \
        || { fail "speaks-first child: exit $rc"; field sf.json error reason; }
    sfchild=$(jq -r 'select(.ev=="chan" and .id=="ipc" and .state=="open") | .b' sf.json 2>/dev/null | head -1)
    [ -n "$sfchild" ] && wait_gone "$sfchild" && pass "speaks-first child: nothing left running" || fail "speaks-first child $sfchild left"

    # A node child that never answers and never leaves by itself.
    timeout 60 "$DEMO" --json --count 3 --timeout 2 --child "node:$TOP/tests/helpers/fork_silent.js" >si.json 2>si.err
    rc=$?
    jq -s -e 'any(.[]; .ev=="error" and .what=="timeout")' si.json >/dev/null 2>&1 && [ $rc -ne 0 ] && has_event si.json bye \
        && pass "a child that never answers: a timeout error, a summary, exit $rc" \
        || { fail "silent child: exit $rc"; field si.json error reason; }
    sichild=$(jq -r 'select(.ev=="chan" and .id=="ipc" and .state=="open") | .b' si.json 2>/dev/null | head -1)
    [ -n "$sichild" ] && wait_gone "$sichild" && pass "silent child: nothing left running" || fail "silent child $sichild left"
    out=$("$DEMO" --child node:/nonexistent.js 2>&1); rc=$?
    [ $rc -eq 2 ] && echo "$out" | grep -q "cannot read" && pass "--child node:PATH with no such file: exit 2 with a reason" \
        || fail "--child node:/nonexistent.js: $rc $out"

    # node's own answer to a malformed line: it throws and exits 1
    timeout 60 "$DEMO" --json --count 3 --child node --fault malformed >nm.json 2>nm.err
    rc=$?
    has_event nm.json proc '.state == "exit" and .code == 1' && [ $rc -eq 1 ] \
        && pass "node child exits 1 on a malformed line, the C parent reports it (exit $rc)" \
        || fail "node child on malformed: exit $rc"
else
    skip "node modes: node is not installed"
fi

for fault in malformed blank oversize; do
    timeout 60 "$DEMO" --json --count 3 --fault $fault --max-message 4096 >f.json 2>f.err
    rc=$?
    if [ $rc -eq 0 ] && has_event f.json error '.what == "refused"' && has_event f.json bye; then
        pass "$fault line: refused with an error event, the run completes"
    else
        fail "$fault line (exit $rc)"; field f.json error reason
    fi
done
has_event f.json error '.what == "refused" and (.reason | test("4096-byte limit"))' \
    && pass "oversize reason names the limit" || { fail "oversize reason"; field f.json error reason; }

# start_mid_run FILE: starts a long run in the background, waits for its first
# pong; sets $demo and $child. Fails (and cleans up) when no pong comes.
start_mid_run() {
    "$DEMO" --json --count 1000000 --rate 100 >"$1" 2>"$1.err" &
    demo=$!
    if ! wait_event "$1" msg "$PONG"; then
        fail "no pong in $1"; kill -9 $demo; wait $demo; return 1
    fi
    child=$(field "$1" chan b '.id == "ipc" and .state == "open"' | head -1)
}

# The child killed mid-run: the parent sees the signal, says so, reaps it.
if start_mid_run k.json; then
    kill -KILL "$child"
    wait_bounded $demo; rc=$?
    has_event k.json proc ".state == \"exit\" and .proc == $child and .signal == \"SIGKILL\"" \
        && pass "child SIGKILLed: proc exit with SIGKILL" || fail "no proc exit with the signal"
    field k.json bye text | grep -q 'was killed by SIGKILL before the run was over' && [ $rc -eq 1 ] \
        && pass "child SIGKILLed: final summary says so, exit 1" || fail "summary after kill (exit $rc)"
    wait_gone "$child" && pass "child SIGKILLed: no zombie" || fail "zombie $child"
fi

# SIGTERM to the C child mid-run: it winds down cleanly (exit 0), and the
# parent says the run was cut short.
if start_mid_run ct.json; then
    kill -TERM "$child"
    wait_bounded $demo; rc=$?
    field ct.json bye text | grep -q 'exited 0 before the run was over' && [ $rc -eq 1 ] \
        && pass "child SIGTERMed: it exits 0, the summary says the run was cut short, exit 1" \
        || fail "child SIGTERM summary (exit $rc)"
    wait_gone "$child" && pass "child SIGTERMed: no zombie" || fail "zombie $child"
fi

# SIGTERM to the parent mid-run: it winds down, the child goes with it.
if start_mid_run t.json; then
    kill -TERM $demo
    wait_bounded $demo
    field t.json log text | grep -qx 'SIGTERM: winding down' && has_event t.json bye \
        && pass "parent SIGTERM: winds down with a summary" || fail "parent SIGTERM summary"
    wait_gone "$child" && pass "parent SIGTERM: child gone" || fail "child $child outlived SIGTERM"
fi

# The parent SIGKILLed: the child reads EOF (or gets its death signal) and exits.
if start_mid_run p.json; then
    kill -KILL $demo
    wait $demo 2>/dev/null
    wait_gone "$child" && pass "parent SIGKILLed: the child exits too" || { fail "child $child left"; kill -9 "$child"; }
fi

out=$("$DEMO" --bogus 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "unknown option" && pass "bad option: exit 2 with a reason" || fail "bad option: $rc $out"
"$DEMO" --describe | node -e 'const d=JSON.parse(require("fs").readFileSync(0));process.exit(d.name==="fork-ipc"&&d.articles.length===5?0:1)' \
    && pass "--describe is JSON with name and articles" || fail "--describe"
"$DEMO" --as-child >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && pass "--as-child without a channel: exit 1 with a reason" || fail "--as-child alone: $rc"

# A stopped child (SIGSTOP) answers nothing: after --timeout the parent says
# why and disconnects, and a child that cannot exit is killed 5 s later, so
# the run ends, exit 1, instead of waiting forever.
"$DEMO" --json --count 100000 --rate 20 --timeout 1 >st.json 2>st.err &
demo=$!
wait_event st.json msg '.summary | test("pong")' || fail "stopped child: no pong before the stop"
child=$(jq -r 'select(.ev=="proc" and .state=="start" and .role=="child") | .proc' st.json | head -n 1)
kill -STOP "$child"
wait_bounded $demo 60; rc=$?
[ $rc -eq 1 ] && has_event st.json error '.what == "timeout" and (.reason | test("^no pong from"))' \
    && has_event st.json error '.what == "exit" and (.reason | test("SIGKILL"))' \
    && pass "a stopped child: timeout said, then SIGKILL, and the run ends, exit 1" \
    || fail "stopped child: exit $rc"
kill -0 "$child" 2>/dev/null && { kill -KILL "$child"; fail "the stopped child is still there"; } || true
