# ipcscope export: a recorded run (a demo's --json output) as a Mermaid or
# PlantUML sequence diagram: participants named as the dashboard names its
# lanes, an arrow per message, the lesson's steps as notes, an injected
# fault marked on the lane that refused it; bad input refused with a reason.
. "$TOP/tests/lib.sh"
IPCSCOPE="$BUILD/bin/ipcscope"

"$DEMOS/fork-ipc" --json --count 3 --fault malformed >rec.ndjson 2>rec.err
"$IPCSCOPE" export rec.ndjson >out.mmd 2>err.txt; rc=$?
[ $rc -eq 0 ] && [ "$(head -n 1 out.mmd)" = sequenceDiagram ] \
    && pass "export: a Mermaid sequence diagram, exit 0" || fail "export: exit $rc $(cat err.txt)"
grep -Eq '^    participant L0 as parent [0-9]+$' out.mmd && grep -Eq '^    participant L1 as child [0-9]+$' out.mmd \
    && pass "export: the lanes as participants, named as in the dashboard" || fail "export: participants"
[ "$(grep -Ec '^    L0->>L1: ping #[0-9]+ \(' out.mmd)" -ge 3 ] && grep -Eq '^    L1->>L0: pong #[0-9]+ \(.* B, .*s\)$' out.mmd \
    && pass "export: an arrow per ping and pong, with bytes and round trip" || fail "export: arrows"
grep -Eq '^    Note over L0,L1: step 6: ' out.mmd && grep -Eq '^    Note over L0,L1: step 9: ' out.mmd \
    && pass "export: the lesson's steps as notes across the lanes" || fail "export: steps"
grep -Eq '^    Note over L1: ✗ refused: ' out.mmd \
    && pass "export: the injected fault marked on the child's lane" || fail "export: fault note"
grep -v '^ *%%' out.mmd | grep -q ';' && fail "export: a ';' in the diagram (Mermaid reads #x; as an entity)" \
    || pass "export: no ';' to be read as an entity"

"$IPCSCOPE" export rec.ndjson --plantuml >out.puml; rc=$?
[ $rc -eq 0 ] && [ "$(head -n 1 out.puml)" = @startuml ] && [ "$(tail -n 1 out.puml)" = @enduml ] \
    && grep -Eq '^participant "parent [0-9]+" as L0$' out.puml && grep -Eq '^== step 6: ' out.puml \
    && grep -Eq '^L0 -> L1 : ping #' out.puml \
    && pass "export --plantuml: @startuml, participants, steps as dividers, arrows" || fail "export --plantuml: $rc"

out=$("$IPCSCOPE" export nosuch.ndjson 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "No such file" && pass "export of a missing file: exit 1, the reason" || fail "missing: $rc $out"
printf 'not an event\n{"v":1}\n' >junk.ndjson
out=$("$IPCSCOPE" export junk.ndjson 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "no event in the recording" && pass "export of a file with no events: exit 1, said" || fail "junk: $rc $out"
out=$("$IPCSCOPE" export rec.ndjson --svg 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "unknown option '--svg'" && pass "export --svg: exit 2, unknown option" || fail "--svg: $rc $out"
