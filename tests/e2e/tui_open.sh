# ipcscope open DEMO: the dashboard opened straight on a demo, with --record
# saving the events it received. A short run plays the whole lesson and ends.
. "$TOP/tests/lib.sh"
IPCSCOPE="$BUILD/bin/ipcscope"
command -v tmux >/dev/null || { skip "tmux is not installed"; exit 0; }
SOCK="ipcscope-test-open-$$"
trap 'tmux -L "$SOCK" kill-server 2>/dev/null' EXIT

tmux -L "$SOCK" new-session -d -x 80 -y 24 \
    "exec $IPCSCOPE open fork-ipc --rate 50 --count 10 --record $PWD/rec.ndjson"
pid=$(tmux -L "$SOCK" display-message -p '#{pane_pid}')
i=0; while ! tmux -L "$SOCK" capture-pane -p | grep -q ENDED && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
tmux -L "$SOCK" capture-pane -p >screen.txt
grep -q ENDED screen.txt && pass "open: the demo runs to its end on screen" || { fail "open: no ENDED"; cat screen.txt; }
grep -q '== done' screen.txt && pass "open: the narration shows the final summary" || fail "open: no summary on screen"
steps=$(json_count rec.ndjson step)
[ "$steps" -eq 9 ] && has_event rec.ndjson bye && pass "--record: all nine steps and bye, one JSON line each" \
    || fail "--record: $steps steps"
node -e 'for (const l of require("fs").readFileSync("rec.ndjson","utf8").trim().split("\n")) JSON.parse(l)' 2>/dev/null \
    && pass "--record: every line parses" || fail "--record: a line does not parse"
tmux -L "$SOCK" send-keys q; sleep 0.3; tmux -L "$SOCK" send-keys q
i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$pid" 2>/dev/null && fail "open: q q did not quit" || pass "open: q then q quits"

out=$("$IPCSCOPE" open nosuch 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "no demo named 'nosuch'" && pass "open: an unknown demo is refused, exit 2" || fail "open nosuch: $rc $out"
out=$("$IPCSCOPE" open fork-ipc --rate fast 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "bad option or value" && pass "open: a bad value is refused, exit 2" || fail "open --rate fast: $rc"
out=$("$IPCSCOPE" open fork-ipc --record /nonexistent/dir/x 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "No such file" && pass "open: an unwritable --record is refused with the reason" || fail "open --record: $rc $out"

# f: the demo's faults, in the order its hello lists them, through the control pipe
SOCK="ipcscope-test-fault-$$"
tmux -L "$SOCK" new-session -d -x 80 -y 24 "exec $IPCSCOPE open fork-ipc --rate 1 --record $PWD/f.ndjson"
wait_event f.ndjson msg
has_event f.ndjson hello '.faults == ["malformed", "blank", "oversize"]' \
    && pass "hello names the demo's faults" || fail "hello: no faults list"
tmux -L "$SOCK" send-keys f
wait_event f.ndjson error '.reason | contains("malformed JSON")' && pass "f: the first fault (malformed) reaches the demo" \
    || fail "f: no malformed-line error"
i=0; while ! tmux -L "$SOCK" capture-pane -p | grep -q "✗ refused" && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
tmux -L "$SOCK" capture-pane -p | grep -q "✗ refused" && pass "f: the child's refusal is a marked row in the flow" \
    || { fail "f: no error row in the flow"; tmux -L "$SOCK" capture-pane -p; }
sleep 1   # the demo sends at most one fault a second, and says so of the others
tmux -L "$SOCK" send-keys f
wait_event f.ndjson error '.reason | contains("blank line")' && pass "f again: the next fault (blank)" || fail "f: no blank-line error"
i=0; while ! tmux -L "$SOCK" capture-pane -p | grep -q "f fault" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
tmux -L "$SOCK" capture-pane -p | grep -q "f fault" && pass "the key bar offers f fault" || fail "no 'f fault' in the key bar"
pid=$(tmux -L "$SOCK" display-message -p '#{pane_pid}')
tmux -L "$SOCK" send-keys q; sleep 0.3; tmux -L "$SOCK" send-keys q
i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$pid" 2>/dev/null && fail "fault run: q q did not quit" || pass "fault run: q then q quits"
tmux -L "$SOCK" kill-server 2>/dev/null || true
