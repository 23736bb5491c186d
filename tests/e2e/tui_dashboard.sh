# Screen tests of the dashboard in tmux, at 80x24 and at 200x50: the menu,
# launching fork-ipc, the process tree with the child's fd 3 connected to the
# parent, arrows in the flow, latency figures, pause, killing the child, q
# back to a usable shell with no demo process left; then SIGKILL of the
# dashboard itself, and a recorded Chinese stream checked for alignment.
#
# "fork-ipc" here is tests/helpers/fakedemo (a symlink in IPCSCOPE_DEMOS), a
# stand-in that keeps running when its child is killed. Every wait is a
# bounded poll of the screen, never a fixed sleep that assumes a speed.
. "${TOP:-.}/tests/lib.sh"

IPCSCOPE="$BUILD/bin/ipcscope"
FAKE="$HELPERS/fakedemo"
if ! command -v tmux >/dev/null 2>&1; then
    skip "tui: tmux is not installed"
    exit 0
fi
if [ ! -x "$IPCSCOPE" ] || [ ! -x "$FAKE" ]; then
    fail "tui: build $IPCSCOPE and $FAKE first"
    exit 0
fi

SOCK="ipcscope-test-$$"
T() { tmux -L "$SOCK" "$@"; }
trap 'tmux -L "$SOCK" kill-server 2>/dev/null' EXIT
# A session that lives as long as the test: tmux exits its server when the
# last session goes, and a new session sent to a server on its way out dies.
T new-session -d -s keep -x 80 -y 24 "sleep 3600"

DEMOS_DIR="${TMPDIR:-/tmp}/demos"
mkdir -p "$DEMOS_DIR"
ln -sf "$FAKE" "$DEMOS_DIR/fork-ipc"

screen() { T capture-pane -p -t "$1"; }

# wait_for SESSION REGEX [TRIES]: polls the screen (0.1 s apart) until it matches.
wait_for() {
    _n=${3:-300}
    while [ "$_n" -gt 0 ]; do
        screen "$1" | grep -Eq -- "$2" && return 0
        sleep 0.1
        _n=$((_n - 1))
    done
    echo "--- screen of $1 while waiting for: $2"
    screen "$1"
    return 1
}

# start SESSION WIDTH HEIGHT [ENV...]: the dashboard in a fresh session; the
# shell stays afterwards so that the terminal can be checked.
start() {
    _s=$1 _w=$2 _h=$3
    shift 3
    _env=""
    for e in "$@"; do _env="$_env -e $e"; done
    # shellcheck disable=SC2086
    T new-session -d -s "$_s" -x "$_w" -y "$_h" -e LANG=C.UTF-8 -e TERM=xterm-256color \
        -e IPCSCOPE_DEMOS="$DEMOS_DIR" $_env \
        "$IPCSCOPE; echo IPCSCOPE-EXIT-\$?; exec sh"
}

# The demo's processes: the dashboard is the shell's child, the demo its child.
dashboard_pid() { pgrep -P "$(T display -p -t "$1" '#{pane_pid}')" -x ipcscope | head -n 1; }
demo_pid() { pgrep -P "$(dashboard_pid "$1")" | head -n 1; }

# max_ping SESSION: the highest "ping #N" on the screen.
max_ping() { screen "$1" | grep -Eo 'ping #[0-9]+' | sed 's/ping #//' | sort -n | tail -n 1; }

run_size() {
    s="d$1x$2"
    W=$1 H=$2
    start "$s" "$W" "$H"
    check "tui $s: the menu lists the mechanisms" wait_for "$s" 'Mechanisms'
    check "tui $s: a planned mechanism says so" wait_for "$s" 'message-queue +planned'
    # the title bar's text in the title bar's colours, not the terminal's
    # default background between coloured padding (ESC[49m)
    T capture-pane -p -e -t "$s" | head -n 1 | grep -q "$(printf '\033')\[49m.*live" \
        && fail "tui $s: the title's text drawn in the default colours" \
        || pass "tui $s: the title's text in the title bar's colours"
    check "tui $s: fork-ipc shows its row of the articles' tables" wait_for "$s" 'IPC channel \(fork\)'
    check "tui $s: one vocabulary for both articles' rows" wait_for "$s" 'speed ★★★★☆ · cross-machine no'
    screen "$s" | grep -q -e '通道' -e '单机' && fail "tui $s: Chinese on the English menu" \
        || pass "tui $s: the English menu is all English"

    T send-keys -t "$s" Enter
    if ! wait_for "$s" '1 Processes'; then
        fail "tui $s: fork-ipc launches"
        T kill-session -t "$s"
        return
    fi
    pass "tui $s: fork-ipc launches"
    wait_for "$s" 'child' >/dev/null
    parent=$(demo_pid "$s")
    child=$(pgrep -P "$parent" | head -n 1)
    pgid=$parent
    check "tui $s: the tree shows the parent's pid" wait_for "$s" "$parent parent"
    check "tui $s: the tree shows the child's pid" wait_for "$s" "$child child"

    # select the child: its fd 3 is a socket whose other end is the parent
    T send-keys -t "$s" Down
    check "tui $s: the child's fd 3 is a socket connected to the parent" \
        wait_for "$s" "fd3 socket.*parent $parent"
    check "tui $s: the flow shows arrows" wait_for "$s" '(─▶|◀─).*(ping|pong) #[0-9]+'
    check "tui $s: latency figures appear" wait_for "$s" 'p50 [0-9.]+ (ns|µs|ms)'
    check "tui $s: the narration shows the demo's log" wait_for "$s" 'socketpair\(AF_UNIX|SOCK_STREAM\) ->'

    # pause: the flow stops (once the messages in flight have landed)
    T send-keys -t "$s" Space
    check "tui $s: space pauses" wait_for "$s" 'PAUSED'
    before=$(max_ping "$s") stable=0 n=100
    while [ "$n" -gt 0 ] && [ "$stable" -lt 5 ]; do
        sleep 0.2
        now=$(max_ping "$s")
        if [ "$now" = "$before" ]; then stable=$((stable + 1)); else stable=0 before=$now; fi
        n=$((n - 1))
    done
    check "tui $s: pause stops the flow" [ "$stable" -ge 5 ]
    T send-keys -t "$s" Space
    check "tui $s: space resumes the flow" wait_for "$s" "ping #$((before + 1))"

    # k on the selected child: SIGTERM; its exit shows in the tree and the log
    T send-keys -t "$s" k
    check "tui $s: k marks the child exited in the tree" wait_for "$s" "$child child exited 0 after"
    check "tui $s: k shows the child's exit in the log" wait_for "$s" "$child \(child\) exited"
    [ "$1" -ge 200 ] && check "tui $s: the exit is told after the SIGTERM the child caught" \
        wait_for "$s" "$child \(child\) exited with code 0 after SIGTERM"
    check "tui $s: the dashboard says what it sent" wait_for "$s" "SIGTERM (-> )?$child"

    # q: back to the menu with no process of the demo left, q again: out
    T send-keys -t "$s" q
    check "tui $s: q goes back to the menu" wait_for "$s" 'Mechanisms'
    check "tui $s: no process of the demo's group is left" sh -c "! kill -0 -$pgid 2>/dev/null"
    T send-keys -t "$s" q
    check "tui $s: q quits with status 0" wait_for "$s" 'IPCSCOPE-EXIT-0'
    T send-keys -t "$s" 'echo usable-$((40+2))' Enter
    check "tui $s: the terminal is usable again (echo, cooked mode)" wait_for "$s" '^usable-42'
    T kill-session -t "$s"
}

run_size 80 24
run_size 200 50

# Nothing overlaps at 80x24: every row that ends in a box border is exactly
# 80 columns wide, Chinese included (a recorded stream of Chinese messages).
s=zh
start "$s" 80 24 IPCSCOPE_FAKE_REPLAY="$TOP/tests/data/fakedemo_zh.ndjson"
T send-keys -t "$s" L
wait_for "$s" '通信机制' >/dev/null
T send-keys -t "$s" Enter
check "tui zh: the Chinese stream is drawn" wait_for "$s" '父进程 [0-9]+ +子进程'
check "tui zh: Chinese summaries in the flow" wait_for "$s" '─你好'
bad=$(screen "$s" | grep -E '[│┐┘]$' | while IFS= read -r line; do
    w=$(printf '%s' "$line" | wc -L)
    [ "$w" -eq 80 ] || echo "$w: $line"
done)
if [ -z "$bad" ]; then pass "tui zh: every bordered row is 80 columns"; else
    fail "tui zh: rows out of line:"
    echo "$bad"
fi
T send-keys -t "$s" q
wait_for "$s" '通信机制' >/dev/null
T send-keys -t "$s" q
check "tui zh: quits" wait_for "$s" 'IPCSCOPE-EXIT-0'
T kill-session -t "$s"

# Monochrome: TERM=xterm-mono still draws the screen (attributes only).
s=mono
T new-session -d -s "$s" -x 80 -y 24 -e LANG=C.UTF-8 -e TERM=xterm-mono \
    -e IPCSCOPE_DEMOS="$DEMOS_DIR" "$IPCSCOPE; echo IPCSCOPE-EXIT-\$?; exec sh"
check "tui mono: the menu draws without colours" wait_for "$s" 'Mechanisms'
T send-keys -t "$s" q
check "tui mono: quits" wait_for "$s" 'IPCSCOPE-EXIT-0'
T kill-session -t "$s"

# ASCII: a terminal that is not UTF-8 gets ASCII boxes.
s=ascii
T new-session -d -s "$s" -x 80 -y 24 -e LANG=C -e LC_ALL=C \
    -e IPCSCOPE_DEMOS="$DEMOS_DIR" "$IPCSCOPE; echo IPCSCOPE-EXIT-\$?; exec sh"
check "tui ascii: boxes fall back to ASCII" wait_for "$s" '^\+ Mechanisms -+\+'
T send-keys -t "$s" q
check "tui ascii: quits" wait_for "$s" 'IPCSCOPE-EXIT-0'
T kill-session -t "$s"

# SIGKILL to the dashboard: the demo must not outlive it (PR_SET_PDEATHSIG).
s=kill
start "$s" 80 24
wait_for "$s" 'Mechanisms' >/dev/null
T send-keys -t "$s" Enter
wait_for "$s" 'child [0-9]+' >/dev/null
dash=$(dashboard_pid "$s")
pgid=$(demo_pid "$s")
kill -9 "$dash"
n=300
while [ "$n" -gt 0 ] && kill -0 -"$pgid" 2>/dev/null; do
    sleep 0.1
    n=$((n - 1))
done
check "tui kill: no demo process outlives a SIGKILLed dashboard" sh -c "! kill -0 -$pgid 2>/dev/null"
T kill-session -t "$s"
