# Shared by the bench/*.sh scripts; sourced, never run. Each script keeps its
# own column formats; what is the same for all lives here.

# median FILE FIELD: the median over rounds of one numeric field of the JSON
# lines in FILE (0 when there are none)
median() {
    [ -s "$1" ] || { echo 0; return; }
    sed -n "s/.*\"$2\":\\([0-9.e+-]*\\).*/\\1/p" "$1" | sort -g |
        awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print 0}'
}

# ratio A B: "1.23x", or "-" when either is missing
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0 && b > 0) printf "%5.2fx", a/b; else printf "    -"}'; }

# own_cost DEMO_FILE UV_FILE [LABEL]: one line, the demo's p50 over the libuv
# floor's, i.e. what the demo's own code (framing, tracing, its logic) adds to
# a round trip on top of the event loop it runs on
own_cost() {
    [ -s "$1" ] && [ -s "$2" ] || return 0
    printf '  %s own cost (p50 over the libuv row): %s\n' "${3:-the demo's}" \
        "$(ratio "$(median "$1" p50)" "$(median "$2" p50)" | tr -d ' ')"
}

# wait_port FILE SED: until SED finds a port in FILE (at most 30 s); prints it
wait_port() {
    _i=0
    while [ $_i -lt 300 ]; do
        _port=$(sed -n "$2" "$1" | head -1)
        [ -n "$_port" ] && { echo "$_port"; return 0; }
        sleep 0.1; _i=$((_i + 1))
    done
    return 1
}
