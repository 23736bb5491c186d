# fork-ipc run headless (--json) in each mode and checked on its events; node
# on either end; malformed, blank and oversize lines; the child killed mid-run;
# the parent killed mid-run. Every run must leave no process behind.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/fork-ipc"
export IPCSCOPE_MSG_RATE=0   # every msg event, so counts can be compared

check_run() { # MODE FILE
    mode=$1 f=$2
    parent=$(grep '"ev":"hello"' "$f" | sed 's/.*"pid":\([0-9]*\).*/\1/')
    child=$(grep '"ev":"chan".*"id":"ipc"' "$f" | sed 's/.*"b":\([0-9]*\).*/\1/' | head -1)
    steps=$(field "$f" step n | tr '\n' ' ')
    [ "$steps" = "1 2 3 4 5 6 7 8 9 " ] && pass "$mode: all nine steps" || fail "$mode: steps were '$steps'"
    ps=$(grep '"ev":"msg"' "$f" | grep "\"pid\":$parent," | grep -c '"dir":"send".*"chan":"ipc"')
    cr=$(grep '"ev":"msg"' "$f" | grep "\"pid\":$child," | grep -c '"dir":"recv".*"chan":"ipc"')
    cs=$(grep '"ev":"msg"' "$f" | grep "\"pid\":$child," | grep -c '"dir":"send".*"chan":"ipc"')
    pr=$(grep '"ev":"msg"' "$f" | grep "\"pid\":$parent," | grep -c '"dir":"recv".*"chan":"ipc"')
    [ "$ps" -gt 0 ] && [ "$ps" = "$cr" ] && [ "$cs" = "$pr" ] \
        && pass "$mode: parent sent $ps = child received $cr; child sent $cs = parent received $pr" \
        || fail "$mode: counts differ: parent sent $ps, child got $cr; child sent $cs, parent got $pr"
    for id in 1 2 3; do
        grep -q "answer to request $id: user 123" "$f" || { fail "$mode: getUser $id unanswered"; return; }
    done
    grep -q '"what":"correlation"' "$f" && fail "$mode: a mismatched correlation id" \
        || pass "$mode: getUser answered for ids 1 2 3"
    grep -q '"chan":"tcp".*"summary":"hello from .*child' "$f" \
        && pass "$mode: the passed socket served a real TCP client" || fail "$mode: no TCP answer"
    grep -q "\"ev\":\"proc\".*\"state\":\"exit\",\"proc\":$child,.*\"code\":0" "$f" \
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

    # the lesson's one-liner: a real node parent forks the C program
    out=$(cd "$TOP" && timeout 30 node -e "
      const c = require('child_process').fork('--as-child', [], {execPath: '$DEMO', execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc']});
      c.on('message', m => { console.log(JSON.stringify(m)); c.disconnect(); });
      c.on('exit', code => console.log('exit', code));
      c.send({hello: 'world'});" 2>&1)
    echo "$out" | grep -q '{"received":true}' && echo "$out" | grep -q 'exit 0' \
        && pass "node parent forks fork-ipc --as-child: {received:true}, exit 0" \
        || fail "node parent: $out"

    # node's own answer to a malformed line: it throws and exits 1
    timeout 60 "$DEMO" --json --count 3 --child node --fault malformed >nm.json 2>nm.err
    rc=$?
    grep -q '"code":1' nm.json && [ $rc -eq 1 ] \
        && pass "node child exits 1 on a malformed line, the C parent reports it (exit $rc)" \
        || fail "node child on malformed: exit $rc"
else
    skip "node modes: node is not installed"
fi

for fault in malformed blank oversize; do
    timeout 60 "$DEMO" --json --count 3 --fault $fault --max-message 4096 >f.json 2>f.err
    rc=$?
    if [ $rc -eq 0 ] && grep -q '"ev":"error".*"what":"refused"' f.json && grep -q '"ev":"bye"' f.json; then
        pass "$fault line: refused with an error event, the run completes"
    else
        fail "$fault line (exit $rc)"; grep '"ev":"error"' f.json
    fi
done
grep -q 'over the 4096-byte limit\|longer than\|exceeds' f.json && pass "oversize reason names the limit" \
    || { fail "oversize reason"; grep error f.json; }

# start_mid_run FILE: starts a long run in the background, waits for its first
# pong; sets $demo and $child. Fails (and cleans up) when no pong comes.
start_mid_run() {
    "$DEMO" --json --count 1000000 --rate 100 >"$1" 2>"$1.err" &
    demo=$!
    if ! wait_for "$1" 'type.....pong'; then
        fail "no pong in $1"; kill -9 $demo; wait $demo; return 1
    fi
    child=$(grep '"ev":"chan".*"id":"ipc"' "$1" | sed 's/.*"b":\([0-9]*\).*/\1/' | head -1)
}

# The child killed mid-run: the parent sees the signal, says so, reaps it.
if start_mid_run k.json; then
    kill -KILL "$child"
    wait_bounded $demo; rc=$?
    grep -q "\"state\":\"exit\",\"proc\":$child,.*\"signal\":\"SIGKILL\"" k.json \
        && pass "child SIGKILLed: proc exit with SIGKILL" || fail "no proc exit with the signal"
    grep -q '"ev":"bye".*was killed by SIGKILL before the run was over' k.json && [ $rc -eq 1 ] \
        && pass "child SIGKILLed: final summary says so, exit 1" || fail "summary after kill (exit $rc)"
    wait_gone "$child" && pass "child SIGKILLed: no zombie" || fail "zombie $child"
fi

# SIGTERM to the C child mid-run: it winds down cleanly (exit 0), and the
# parent says the run was cut short.
if start_mid_run ct.json; then
    kill -TERM "$child"
    wait_bounded $demo; rc=$?
    grep -q '"ev":"bye".*exited 0 before the run was over' ct.json && [ $rc -eq 1 ] \
        && pass "child SIGTERMed: it exits 0, the summary says the run was cut short, exit 1" \
        || fail "child SIGTERM summary (exit $rc)"
    wait_gone "$child" && pass "child SIGTERMed: no zombie" || fail "zombie $child"
fi

# SIGTERM to the parent mid-run: it winds down, the child goes with it.
if start_mid_run t.json; then
    kill -TERM $demo
    wait_bounded $demo
    grep -q 'SIGTERM: winding down' t.json && grep -q '"ev":"bye"' t.json \
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
"$DEMO" --describe | node -e 'const d=JSON.parse(require("fs").readFileSync(0));process.exit(d.name==="fork-ipc"&&d.seeds.length===5?0:1)' \
    && pass "--describe is JSON with name and seeds" || fail "--describe"
"$DEMO" --as-child >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && pass "--as-child without a channel: exit 1 with a reason" || fail "--as-child alone: $rc"
