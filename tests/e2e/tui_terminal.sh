# The terminal is given back whole however the dashboard ends: q, SIGINT,
# SIGTERM, and a crash (SIGSEGV: restore first, then die of the signal); the
# demo's process group goes too. And a resize relays out at once.
. "$TOP/tests/lib.sh"
IPCSCOPE="$BUILD/bin/ipcscope"
command -v tmux >/dev/null || { skip "tmux is not installed"; exit 0; }
# One tmux server per scenario: a server just told to exit may still answer
# on its socket, and a new session sent there would die with it.
BASE="ipcscope-test-term-$$"
SOCK="$BASE-start"
trap 'for s in q INT TERM HUP SEGV resize; do tmux -L "$BASE-$s" kill-server 2>/dev/null; done' EXIT
T() { tmux -L "$SOCK" "$@"; }
wait_screen() { i=0; while ! T capture-pane -p | grep -q "$1" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done; T capture-pane -p | grep -q "$1"; }
# the demo's process group: its first process's pid, from the recorded hello
demo_pgid() { field "$1" hello pid | head -1; }
group_gone() { i=0; while kill -0 -"$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; ! kill -0 -"$1" 2>/dev/null; }

# end HOW: opens the dashboard on fork-ipc, ends it by HOW, checks what is left.
end() {
    how=$1
    SOCK="$BASE-$how"
    rm -f rec.ndjson after.txt flags.txt
    # The tty's file status flags (O_NONBLOCK among them) as the shell sees
    # them, before and after: grep's stdin is the shell's terminal.
    T new-session -d -x 80 -y 24 "sh -c 'grep ^flags /proc/self/fdinfo/0 >flags.txt; $IPCSCOPE open fork-ipc --record $PWD/rec.ndjson; echo \"status=\$?\" >after.txt; grep ^flags /proc/self/fdinfo/0 >>flags.txt; stty -a >>after.txt; sleep 30'"
    wait_screen RUNNING || { fail "$how: the dashboard did not start"; T kill-server; return; }
    pid=$(pgrep -f "^$IPCSCOPE open fork-ipc --record $PWD/rec.ndjson" | head -1)
    pgid=$(demo_pgid rec.ndjson)
    case $how in
    q) T send-keys q; sleep 0.3; T send-keys q ;;
    *) kill -"$how" "$pid" ;;
    esac
    i=0; while [ ! -s after.txt ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
    status=$(sed -n 's/^status=//p' after.txt)
    grep -q -- ' icanon' after.txt && grep -q -- ' echo ' after.txt \
        && pass "$how: the terminal is back in cooked mode (exit status $status)" \
        || { fail "$how: terminal modes not restored"; cat after.txt; }
    i=0; while [ "$(wc -l <flags.txt 2>/dev/null)" -lt 2 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(wc -l <flags.txt)" -eq 2 ] && [ "$(sort -u flags.txt | wc -l)" -eq 1 ] \
        && pass "$how: the terminal's file flags are as they were ($(head -1 flags.txt))" \
        || { fail "$how: the terminal's file flags changed"; cat flags.txt; }
    case $how in q) want=0 ;; INT) want=130 ;; TERM) want=143 ;; HUP) want=129 ;; SEGV) want=139 ;; esac
    [ "$status" = "$want" ] && pass "$how: exit status $status" \
        || fail "$how: exit status $status, not $want"
    [ "$(T display-message -p '#{alternate_on}')" = 0 ] \
        && pass "$how: the alternate screen is left" || fail "$how: still on the alternate screen"
    [ -n "$pgid" ] && group_gone "$pgid" && pass "$how: no process of the demo's group is left" \
        || { fail "$how: demo group $pgid still there"; kill -9 -"$pgid" 2>/dev/null; }
    T kill-server 2>/dev/null
}

end q
end INT
end TERM
end HUP
end SEGV   # 139: it restored the terminal, then died of the signal

# width: the widest line of the screen in columns (box drawing is 3 bytes a cell)
width() { T capture-pane -p | LC_ALL=C.UTF-8 wc -L; }

# A resize relays out at once: the frame follows the window.
SOCK="$BASE-resize"
T new-session -d -x 80 -y 24 "$IPCSCOPE open fork-ipc"
wait_screen RUNNING
T resize-window -x 120 -y 40
i=0; while [ "$(width)" != 120 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
T capture-pane -p >wide.txt
w=$(width)
rows=$(grep -c . wide.txt)
[ "$w" = 120 ] && [ "$rows" -ge 38 ] && pass "resize to 120x40: the layout fills it ($w columns, $rows rows)" \
    || { fail "resize: $w columns, $rows rows"; cat wide.txt; }
T resize-window -x 80 -y 24
sleep 0.5
w=$(width)
[ "$w" -le 80 ] && pass "resize back to 80x24: nothing drawn past column 80" || fail "resize back: $w columns"
T send-keys q; sleep 0.3; T send-keys q
sleep 1
