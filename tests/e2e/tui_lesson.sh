# Lesson mode, as a teacher uses it: `ipcscope open DEMO --step` (or S in the
# menu) starts the demo waiting before step 1; each s moves one lesson step,
# or one message inside a step; every step of fork-ipc is reached and the run
# ends; r restarts in the same mode.
. "$TOP/tests/lib.sh"
IPCSCOPE="$BUILD/bin/ipcscope"
command -v tmux >/dev/null || { skip "tmux is not installed"; exit 0; }
# One tmux server per scenario: a server just told to exit may still answer
# on its socket, and a new session sent there would die with it.
BASE="ipcscope-test-lesson-$$"
SOCK="$BASE-open"
trap 'for s in open menu scroll; do tmux -L "$BASE-$s" kill-server 2>/dev/null; done' EXIT
T() { tmux -L "$SOCK" "$@"; }
screen_has() { T capture-pane -p | grep -q "$1"; }
wait_screen() { i=0; while ! screen_has "$1" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done; screen_has "$1"; }
steps() { json_count rec.ndjson step; }

T new-session -d -x 80 -y 24 "$IPCSCOPE open fork-ipc --step --count 2 --record $PWD/rec.ndjson"
wait_screen STEP && pass "open --step: the badge says STEP" || fail "open --step: no STEP badge"
wait_event rec.ndjson step '.n == 1 and .waiting' || fail "step 1 never came"
sleep 1
[ "$(steps)" -eq 1 ] && pass "it waits before step 1: nothing moves without s" || fail "moved on its own: $(steps) steps"
wait_screen '?? Predict: which fd' && pass "before step 1, the lesson's question for it is in the narration" \
    || { fail "no prediction before step 1"; T capture-pane -p; }
# One s, one step (the first five are quick: no message waits between them).
for n in 2 3 4; do
    T send-keys s
    wait_event rec.ndjson step ".n == $n" 100 || break
done
[ "$(steps)" -eq 4 ] && pass "three presses of s, three steps more" || fail "after three presses: $(steps) steps"
# On to the end: each further s is one step or one message.
i=0
while ! has_event rec.ndjson bye && [ $i -lt 60 ]; do
    T send-keys s; sleep 0.3; i=$((i + 1))
done
[ "$(steps)" -eq 9 ] && has_event rec.ndjson bye && pass "every step of fork-ipc is reached, then bye (after $((i + 3)) presses)" \
    || fail "lesson mode: $(steps) steps, bye $(json_count rec.ndjson bye)"
wait_screen ENDED && pass "the run ends on screen" || fail "no ENDED"
# r restarts in lesson mode.
T send-keys r
wait_screen STEP && pass "r restarts in lesson mode" || fail "r: not in lesson mode again"
T send-keys q; sleep 0.5; T send-keys q
T kill-server 2>/dev/null

# From the menu: S launches the selected demo in lesson mode.
SOCK="$BASE-menu"
T new-session -d -x 80 -y 24 "$IPCSCOPE"
wait_screen "lesson mode" || wait_screen "Enter launch" || fail "no menu"
T send-keys S
wait_screen STEP && pass "S in the menu launches in lesson mode" || fail "S: no STEP badge"
T send-keys q; sleep 0.5; T send-keys q
T kill-server 2>/dev/null
# The narration scrolls: after Home, Down moves at once (it used to sit at
# an inflated scroll until End).
SOCK="$BASE-scroll"
T new-session -d -x 80 -y 24 "$IPCSCOPE open fork-ipc --count 5"
wait_screen ENDED || fail "the short run did not end"
T send-keys Tab Tab Tab; sleep 0.3
T send-keys Home; sleep 0.5; T capture-pane -p >top.txt
T send-keys Down; sleep 0.5; T capture-pane -p >down.txt
T send-keys Down Down Down PgDn; sleep 0.5; T capture-pane -p >pgdn.txt
! cmp -s top.txt down.txt && ! cmp -s down.txt pgdn.txt && pass "after Home, Down and PgDn move the narration" \
    || fail "after Home the narration did not move"
T kill-server 2>/dev/null
exit 0
