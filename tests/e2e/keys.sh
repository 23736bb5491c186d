# One list of keys everywhere: every key `ipcscope --help` lists (it reads the
# dashboard's own key table, the one ? shows) has its row in README.md's key
# table, and the help names the keys a user would look for.
. "$TOP/tests/lib.sh"
IPCSCOPE="$BUILD/bin/ipcscope"

"$IPCSCOPE" --help >help.txt 2>&1 || { fail "ipcscope --help failed"; exit 0; }
absent=""
for k in Enter S Space s + '[' Tab k r b l z f L '?' q; do
    grep -q "^  $(printf '%s' "$k" | sed 's/[][?+]/\\&/g')[ ]" help.txt || absent="$absent $k"
done
[ -z "$absent" ] && pass "--help lists every key of the dashboard, z and f included" \
    || fail "--help does not list:$absent"

missing=""
# the first key of each line of --help's key lists, arrows named as README does
for k in $(sed -n '/^Keys/,/^$/p' help.txt | grep '^  ' | awk '{print $1}' | sort -u); do
    [ "$k" = Up ] && k='↑'
    grep -qF "| $k " "$TOP/README.md" || missing="$missing $k"
done
[ -z "$missing" ] && pass "README's key table has a row for every key --help lists" \
    || fail "README's key table lacks:$missing"
