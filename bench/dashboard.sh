#!/bin/sh
# The dashboard's own cost, watching fork-ipc send as fast as it can: its CPU
# time and peak RSS, and the demo's round-trip rate with the dashboard
# attached against the same demo alone with --json (its output read by a
# pipe, as the dashboard reads its events). Rounds alternate the two.
# A benchmark, never a test.
#
#   sh bench/dashboard.sh [BUILD_DIR]     DASH_N=100000 DASH_ROUNDS=3 by default
set -u
BUILD=${1:-build}
N=${DASH_N:-100000}
ROUNDS=${DASH_ROUNDS:-3}
DEMO="$BUILD/demos/fork-ipc"
IPCSCOPE="$BUILD/bin/ipcscope"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-dash.XXXXXX")
SOCK="ipcscope-bench-$$"
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -rf "$OUT"' EXIT
TICK=$(getconf CLK_TCK)
command -v tmux >/dev/null || { echo "dashboard bench: tmux is not installed"; exit 0; }

rate_of() { grep '"ev":"bye"' "$1" | sed -n 's/.*"round_trips_per_s":\([0-9.]*\).*/\1/p'; }
now_ms() { date +%s%3N; }

echo
echo "dashboard: fork-ipc at full speed, $N round trips of 64 B, $ROUNDS rounds, 80x24 in tmux"
for r in $(seq "$ROUNDS"); do
    "$DEMO" --json --count "$N" --size 26 | grep '"ev":"bye"' >"$OUT/alone.$r"
    rm -f "$OUT/rec"
    start=$(now_ms)
    tmux -L "$SOCK" new-session -d -x 80 -y 24 \
        "exec $IPCSCOPE open fork-ipc --rate 0 --size 26 --count $N --record $OUT/rec"
    pid=$(tmux -L "$SOCK" display-message -p '#{pane_pid}')
    i=0
    while ! grep -q '"ev":"bye"' "$OUT/rec" 2>/dev/null && [ $i -lt 3000 ]; do
        sleep 0.1; i=$((i + 1))
    done
    end=$(now_ms)
    # Read the dashboard's own figures before it leaves.
    set -- $(cut -d' ' -f14,15 "/proc/$pid/stat")
    cpu_ms=$(( ($1 + $2) * 1000 / TICK ))
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
    tmux -L "$SOCK" send-keys q
    sleep 0.5
    tmux -L "$SOCK" send-keys q
    i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    tmux -L "$SOCK" kill-server 2>/dev/null
    echo "$(rate_of "$OUT/alone.$r") $(rate_of "$OUT/rec") $cpu_ms $((end - start)) $hwm" >>"$OUT/rounds"
    printf '.'
done
echo
# columns: alone rate, watched rate, dashboard cpu ms, wall ms, peak RSS kB
awk '
function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                    return a[int((n + 1) / 2)] }
{ alone[NR] = $1; watched[NR] = $2; cpu[NR] = 100 * $3 / $4; rss[NR] = $5 / 1024 }
END {
    a = median(alone, NR); w = median(watched, NR); c = median(cpu, NR); m = median(rss, NR)
    printf "%-50s %10.0f\n", "fork-ipc alone (--json), round trips/s", a
    printf "%-50s %10.0f\n", "fork-ipc watched by the dashboard, round trips/s", w
    printf "%-50s %9.1f%%\n", "demo slowed by the dashboard", 100 * (1 - w / a)
    printf "%-50s %9.1f%%\n", "dashboard CPU, % of one core over the run", c
    printf "%-50s %7.1f MB\n", "dashboard peak RSS", m
}' "$OUT/rounds"
echo "Each figure is the median over $ROUNDS rounds. The dashboard's CPU counts from its start"
echo "to the demo's last event (startup included); tmux's own drawing is not counted."
