# ipcscope replay FILE: a recorded run played again in the dashboard, nothing
# run: the recorded arrows and narration come back at their pace and the run
# ends; with --step it stops before each recorded lesson step and each s
# plays up to the next; bad recordings are refused with the reason.
. "$TOP/tests/lib.sh"
IPCSCOPE="$BUILD/bin/ipcscope"
command -v tmux >/dev/null || { skip "tmux is not installed"; exit 0; }

"$DEMOS/fork-ipc" --json --count 5 --rate 20 >rec.ndjson 2>rec.err || fail "recording: $(cat rec.err)"

screen_has() { tmux -L "$1" capture-pane -p | grep -q -- "$2"; }
wait_screen() { # SOCK TEXT [TRIES]
    _i=0; while ! screen_has "$1" "$2" && [ $_i -lt "${3:-300}" ]; do sleep 0.1; _i=$((_i + 1)); done
    screen_has "$1" "$2"
}
quit() { # SOCK: q back to the menu, q again to quit; the session's shell goes too
    _pid=$(tmux -L "$1" display-message -p '#{pane_pid}')
    tmux -L "$1" send-keys q; sleep 0.3; tmux -L "$1" send-keys q
    _i=0; while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
    tmux -L "$1" kill-server 2>/dev/null || true
}

S="ipcscope-test-replay-$$"
tmux -L "$S" new-session -d -x 80 -y 24 -e LANG=C.UTF-8 "exec $IPCSCOPE replay $PWD/rec.ndjson"
wait_screen "$S" ENDED && pass "replay: the recorded run plays and ends" || { fail "replay: never ENDED"; tmux -L "$S" capture-pane -p; }
screen_has "$S" 'ipcscope: fork-ipc' && screen_has "$S" 'ping #5' && screen_has "$S" 'parent [0-9]* *child' \
    && pass "replay: the recorded demo's title, lanes and arrows" || { fail "replay: screen"; tmux -L "$S" capture-pane -p; }
# back in the menu, another demo launches itself, not the recording
tmux -L "$S" send-keys q
wait_screen "$S" Mechanisms || fail "replay: q did not go back to the menu"
tmux -L "$S" send-keys Down Enter
wait_screen "$S" 'echo child' && pass "replay: back in the menu, stdio-pipe runs itself" \
    || { fail "replay: another demo after the replay"; tmux -L "$S" capture-pane -p; }
quit "$S"

S="ipcscope-test-replay-step-$$"
tmux -L "$S" new-session -d -x 80 -y 24 -e LANG=C.UTF-8 "exec $IPCSCOPE replay $PWD/rec.ndjson --step"
wait_screen "$S" STEP || fail "replay --step: not in lesson mode"
sleep 1
screen_has "$S" 'ping #' && fail "replay --step: messages played before any s" || pass "replay --step: it waits before the first step"
presses=0
while ! screen_has "$S" 'step 6: ping-pong' && [ $presses -lt 12 ]; do
    tmux -L "$S" send-keys s; presses=$((presses + 1)); sleep 0.5
done
wait_screen "$S" 'pong #5' 50
[ $presses -eq 6 ] && screen_has "$S" 'pong #5' && ! screen_has "$S" 'step 7' \
    && pass "replay --step: six presses reach step 6, which plays whole and waits before step 7" \
    || { fail "replay --step: $presses presses"; tmux -L "$S" capture-pane -p; }
# b: back to before step 6, its pings gone from the flow; s plays it again
tmux -L "$S" send-keys b
wait_screen "$S" 'back: before step 6' 50 && sleep 1
! screen_has "$S" 'ping #' && screen_has "$S" 'received #2' && ! screen_has "$S" 'step 6: ping' \
    && pass "replay b: back to before step 6: its pings gone, step 5's messages still there" \
    || { fail "replay b: not back before step 6"; tmux -L "$S" capture-pane -p; }
tmux -L "$S" send-keys b
wait_screen "$S" 'back: before step 5' 50 && sleep 1
# (the child's unprompted {foo:'bar'} may come before step 5 in the recording:
# it speaks first, as the articles' sub.js does, whenever its channel is open)
! screen_has "$S" '-- step 5' && ! screen_has "$S" 'received #' \
    && pass "replay b again: before step 5, none of its messages" \
    || { fail "replay b twice"; tmux -L "$S" capture-pane -p; }
tmux -L "$S" send-keys s s
wait_screen "$S" 'pong #5' 50 && pass "replay b then s s: steps 5 and 6 play again, to pong #5" \
    || { fail "replay b then s: step 6 did not play again"; tmux -L "$S" capture-pane -p; }
quit "$S"
S="ipcscope-test-replay-live-$$"
tmux -L "$S" new-session -d -x 80 -y 24 -e LANG=C.UTF-8 "exec $IPCSCOPE open fork-ipc"
wait_screen "$S" 'ping #' && tmux -L "$S" send-keys b
wait_screen "$S" 'b goes back in a replay' 30 && pass "b on a live demo: says it works in a replay, r restarts" \
    || { fail "b on a live demo: silent"; tmux -L "$S" capture-pane -p; }
quit "$S"

out=$("$IPCSCOPE" replay nosuch.ndjson 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "No such file" && pass "replay of a missing file: exit 1, the reason" || fail "missing: $rc $out"
printf '{"v":1,"ev":"log","t":1,"pid":1,"text":"hi"}\n' >nohello.ndjson
out=$("$IPCSCOPE" replay nohello.ndjson 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "no hello event" && pass "replay of a file with no hello: exit 1, said" || fail "no hello: $rc $out"
