# The message flow at 80x24 and at 160x40, read off the screen: with four
# lanes in 30 columns the lanes take short names (S, C1, C2, C3: numbered lanes of one role in their numbers' order) and the last
# row says what they stand for; text too long for its place ends in "…" (that
# it never ends in the middle of a number is tests/unit/test_model.c's); on a
# wide terminal the roles show whole.
. "$TOP/tests/lib.sh"
IPCSCOPE="$BUILD/bin/ipcscope"
command -v tmux >/dev/null || { skip "tmux is not installed"; exit 0; }

# flow_screen W H FILE: unix-socket's dashboard at WxH until its flow has
# arrows from all three clients, the screen saved to FILE, then quit.
flow_screen() {
    sock="ipcscope-test-flow-$1-$$"
    tmux -L "$sock" new-session -d -x "$1" -y "$2" -e LANG=C.UTF-8 \
        "exec $IPCSCOPE open unix-socket --rate 20"
    pid=$(tmux -L "$sock" display-message -p '#{pane_pid}')
    i=0
    while [ $i -lt 600 ]; do
        tmux -L "$sock" capture-pane -p >"$3"
        grep -q 'C3\|client 3' "$3" && grep -q '◀' "$3" && break
        sleep 0.1
        i=$((i + 1))
    done
    sleep 1 # a few more rows
    tmux -L "$sock" capture-pane -p >"$3"
    tmux -L "$sock" send-keys q; sleep 0.3; tmux -L "$sock" send-keys q
    i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    tmux -L "$sock" kill-server 2>/dev/null
}

flow_screen 80 24 narrow.txt
sed -n 3p narrow.txt | grep -Eq '││ +S +C1 +C2 +C3 ' \
    && pass "80x24: four lanes under short names S C1 C2 C3" || { fail "80x24: lane names"; cat narrow.txt; }
grep -q '│ S=server C=client' narrow.txt \
    && pass "80x24: the last row of the flow says what S and C stand for" || { fail "80x24: no legend"; cat narrow.txt; }
grep -q 'clie \|pon─\|pin─' narrow.txt \
    && { fail "80x24: a name or label cut without a mark"; cat narrow.txt; } || pass "80x24: no name cut short without a mark"
grep -q '…' narrow.txt && pass "80x24: text that does not fit ends in …" || { fail "80x24: no …"; cat narrow.txt; }

flow_screen 160 40 wide.txt
grep -q 'client 1' wide.txt && ! grep -q 'S=server' wide.txt \
    && pass "160x40: lanes under their whole roles, no legend needed" || { fail "160x40: lane names"; cat wide.txt; }

# With the flow in focus (Tab), its last rows tell the bottom arrow whole:
# who to whom, the channel, its bytes, and its summary.
sock="ipcscope-test-flow-detail-$$"
tmux -L "$sock" new-session -d -x 100 -y 30 -e LANG=C.UTF-8 "exec $IPCSCOPE open fork-ipc --rate 20"
i=0; while ! tmux -L "$sock" capture-pane -p | grep -q 'pong #' && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
tmux -L "$sock" send-keys Tab
i=0
while ! tmux -L "$sock" capture-pane -p | grep -Eq '(parent|child) [0-9]+ ▶ (parent|child) [0-9]+ · ipc · [0-9]+ B' \
    && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
tmux -L "$sock" capture-pane -p >detail.txt
grep -Eq '(parent|child) [0-9]+ ▶ (parent|child) [0-9]+ · ipc · [0-9]+ B' detail.txt \
    && grep -q '{"type":"p[io]ng"' detail.txt \
    && pass "flow in focus: the bottom arrow told whole (ends, channel, bytes, summary)" \
    || { fail "flow in focus: no detail rows"; cat detail.txt; }
pid=$(tmux -L "$sock" display-message -p '#{pane_pid}')
tmux -L "$sock" send-keys q; sleep 0.3; tmux -L "$sock" send-keys q
i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
tmux -L "$sock" kill-server 2>/dev/null || true
