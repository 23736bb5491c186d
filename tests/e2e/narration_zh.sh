# The narration in Chinese (GNU gettext, po/zh_CN/*.po): fork-ipc with
# IPCSCOPE_LANG=zh gives Chinese step titles, narration and bye, and the same
# events as in English; without it, English as before; --lang zh alone in a
# terminal; the catalog found where an install puts it, and English with a
# word of why when none is found; the dashboard in Chinese at 80x24 shows the
# demo's Chinese narration with every row aligned (CJK takes two columns);
# and no translated catalog lacks a string its sources use.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/fork-ipc"
IPCSCOPE="$BUILD/bin/ipcscope"
MO="$BUILD/locale/zh_CN/LC_MESSAGES/ipcscope.mo"
export IPCSCOPE_MSG_RATE=0 # every msg event, so that counts compare
unset IPCSCOPE_LANG LANGUAGE
HAN='test("\\p{Han}")'

[ -f "$MO" ] || { fail "no catalog at $MO (make builds it from po/zh_CN)"; exit 0; }

# ---- fork-ipc in both languages, headless ----------------------------------
timeout 60 "$DEMO" --json --count 5 >en.json 2>en.err || { fail "English run failed"; cat en.err; }
IPCSCOPE_LANG=zh timeout 60 "$DEMO" --json --count 5 >zh.json 2>zh.err || { fail "Chinese run failed"; cat zh.err; }

titles=$(field zh.json step title)
n=$(echo "$titles" | grep -c .)
han=$(events zh.json step "(.title | $HAN)" | grep -c .)
[ "$n" -eq 9 ] && [ "$han" -eq 9 ] && pass "zh: the nine step titles are Chinese ($(echo "$titles" | sed -n 6p))" \
    || { fail "zh: $han of $n step titles in Chinese"; echo "$titles"; }
logs=$(json_count zh.json log)
hanlogs=$(json_count zh.json log ".text | $HAN")
[ "$logs" -gt 20 ] && [ "$hanlogs" -eq "$logs" ] && pass "zh: every one of the $logs narration lines is Chinese" \
    || { fail "zh: $hanlogs of $logs narration lines in Chinese:"; events zh.json log ".text | $HAN | not" | head -5; }
field zh.json log text | grep -qx "请求 1 的应答：用户 123" && pass "zh: 请求 1 的应答：用户 123" \
    || fail "zh: no Chinese answer to request 1"
has_event zh.json bye '.text | test("^发出 [0-9]+ 条消息.*子进程以 0 退出$")' && pass "zh: the bye is Chinese: $(field zh.json bye text)" \
    || fail "zh: bye '$(field zh.json bye text)'"

kinds() { jq -r '.ev' "$1" | grep -vx 'stats' | sort | uniq -c | tr -s ' ' | tr '\n' ';'; }
[ "$(kinds en.json)" = "$(kinds zh.json)" ] && pass "the same events in both languages: $(kinds zh.json)" \
    || fail "events differ: en $(kinds en.json) / zh $(kinds zh.json)"

# English is untouched: the source text, nothing Chinese anywhere.
[ "$(field en.json step title | head -1)" = "socketpair(): the channel, before any child exists" ] \
    && field en.json log text | grep -qx "answer to request 1: user 123" \
    && pass "en: step titles and narration as written in the source" || fail "en: English changed"
jq -e 'select(tostring | test("\\p{Han}"))' en.json >/dev/null && fail "en: a Chinese character in an English run" \
    || pass "en: no Chinese character in any event"
LANGUAGE=zh_CN LANG=C.UTF-8 timeout 60 "$DEMO" --json --count 2 >en2.json 2>&1
[ "$(json_count en2.json log ".text | $HAN")" -eq 0 ] && pass "en: LANGUAGE=zh_CN alone changes nothing (IPCSCOPE_LANG decides)" \
    || fail "en: LANGUAGE=zh_CN turned the narration Chinese"

# Alone in a terminal: --lang zh, text narration, the step banner too.
timeout 60 "$DEMO" --lang zh --count 2 >text.out 2>&1
grep -q '^-- 第 1 步：socketpair()：' text.out && grep -q '^== 完成：' text.out \
    && pass "--lang zh: $(grep -m1 '^-- 第 1 步' text.out)" || { fail "--lang zh: no Chinese narration"; head -5 text.out; }
"$DEMO" --lang fr --count 1 >/dev/null 2>fr.err; rc=$?
[ $rc -eq 2 ] && grep -q -- "--lang wants en or zh" fr.err && pass "--lang fr is refused: $(head -1 fr.err)" \
    || fail "--lang fr: exit $rc"

# Installed: PREFIX/libexec/ipcscope/NAME finds PREFIX/share/locale.
mkdir -p p/libexec/ipcscope p/share/locale/zh_CN/LC_MESSAGES
cp "$DEMO" p/libexec/ipcscope/ && cp "$MO" p/share/locale/zh_CN/LC_MESSAGES/
IPCSCOPE_LANG=zh timeout 60 p/libexec/ipcscope/fork-ipc --json --count 1 >inst.json 2>&1
[ "$(json_count inst.json step "(.title | $HAN)")" -eq 9 ] && pass "installed: the catalog in PREFIX/share/locale is found" \
    || fail "installed: no Chinese from PREFIX/share/locale"
rm -rf p/share
IPCSCOPE_LANG=zh timeout 60 p/libexec/ipcscope/fork-ipc --json --count 1 >none.json 2>&1
has_event none.json log '.text | test("no catalog ipcscope.mo found.*narrating in English")' \
    && [ "$(json_count none.json step "(.title | $HAN)")" -eq 0 ] \
    && pass "no catalog: English, and the narration says why" || fail "no catalog: $(field none.json log text | head -1)"

# ---- the dashboard in Chinese at 80x24 --------------------------------------
if command -v tmux >/dev/null; then
    SOCK="ipcscope-test-zh-$$"
    trap 'tmux -L "$SOCK" kill-server 2>/dev/null' EXIT
    T() { tmux -L "$SOCK" "$@"; }
    wait_screen() { i=0; while ! T capture-pane -p | grep -q "$1" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done; T capture-pane -p | grep -q "$1"; }
    # A row of the screen is as wide as the terminal when it ends in a box's
    # border: a CJK character counted as one column would shift it.
    misaligned() {
        while IFS= read -r l; do
            case "$l" in
            *[│┐┘]) [ "$(printf '%s' "$l" | LC_ALL=C.UTF-8 wc -L)" -eq 80 ] || echo "$l" ;;
            esac
        done <"$1"
    }
    # IPCSCOPE_LANG=en in the environment: the dashboard's own language wins.
    T new-session -d -x 80 -y 24 "IPCSCOPE_LANG=en $IPCSCOPE --lang zh open fork-ipc --count 5"
    wait_screen 已结束 || fail "the Chinese dashboard's run did not end"
    T capture-pane -p >zh.screen
    grep -q '旁白' zh.screen && grep -q '中位数' zh.screen && pass "80x24, --lang zh: the narration pane shows the demo's Chinese" \
        || { fail "80x24 zh: no Chinese narration"; cat zh.screen; }
    bad=$(misaligned zh.screen)
    rows=$(grep -c '[│┐┘]$' zh.screen)
    [ -z "$bad" ] && [ "$rows" -ge 20 ] && pass "80x24 zh: all $rows rows that end in a border are 80 columns wide" \
        || { fail "80x24 zh: rows misaligned:"; echo "$bad"; }
    T send-keys Tab Tab Tab Home; sleep 0.5
    T capture-pane -p >zh.top
    grep -q '子进程' zh.top && [ -z "$(misaligned zh.top)" ] && pass "80x24 zh: the narration's first lines, scrolled to, are Chinese and aligned" \
        || { fail "80x24 zh: the top of the narration"; cat zh.top; }
    T send-keys q; sleep 0.5; T send-keys q
    T kill-server 2>/dev/null

    T new-session -d -x 80 -y 24 "IPCSCOPE_LANG=zh $IPCSCOPE --lang en open fork-ipc --count 5"
    wait_screen ENDED || fail "the English dashboard's run did not end"
    T capture-pane -p >en.screen
    grep -q 'median' en.screen && ! grep -q '中位数' en.screen && pass "80x24, --lang en: the demo narrates in English" \
        || { fail "80x24 en: not English"; cat en.screen; }
    T send-keys q; sleep 0.5; T send-keys q
    T kill-server 2>/dev/null
else
    skip "tmux is not installed"
fi

# ---- the catalogs ------------------------------------------------------------
if command -v xgettext >/dev/null && command -v msgcmp >/dev/null; then
    sh "$TOP/mk/po.sh" check >po.out 2>&1 && pass "catalogs complete: $(sed 's/^po.sh: po\/zh_CN\///; s/: every.*//' po.out | tr '\n' ' ')" \
        || { fail "a catalog lacks strings its sources use:"; cat po.out; }
else
    skip "gettext's tools are not installed (mk/deps.sh installs them)"
fi
