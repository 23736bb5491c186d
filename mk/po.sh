#!/bin/sh
# The Chinese narration's catalogs (GNU gettext): one .po per part of the
# source, so that the translators of two demos never edit one file.
#
#   po/zh_CN/lib.po     lib/*.c
#   po/zh_CN/NAME.po    demos/NAME/*.c (or demos/NAME.c)
#
# The build merges them (msgcat) into one catalog, "ipcscope", and compiles it
# (msgfmt --check) into build/locale/zh_CN/LC_MESSAGES/ipcscope.mo.
#
#   sh mk/po.sh pot PART OUT   extract PART's strings into the template OUT
#   sh mk/po.sh update         extract again and msgmerge every po/zh_CN/*.po
#   sh mk/po.sh new NAME       start po/zh_CN/NAME.po for a demo
#   sh mk/po.sh check          fail when a catalog lacks a string its sources
#                              use, or holds one untranslated or fuzzy
#
# What xgettext takes: the format of scope_events_log, scope_events_error and
# scope_demo_check (c-format: msgfmt --check then refuses a translation whose
# %-directives differ), the title of scope_demo_step and scope_events_step,
# the text of scope_demo_bye and scope_events_bye, the words given to
# scope_demo_count_of or scope_events_trn (singular and plural), and what is marked scope_events_tr(...) or N_(...)
# (a word a demo passes as a %s, a lesson table's step titles).
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$TOP"
PO=po/zh_CN
TMP=${TMPDIR:-/tmp}

sources() {
    case $1 in
    lib) ls lib/*.c ;;
    *) ls demos/"$1"/*.c demos/"$1".c 2>/dev/null || true ;;
    esac
}

pot() { # PART OUT
    files=$(sources "$1")
    [ -n "$files" ] || { echo "po.sh: no sources for '$1'" >&2; exit 1; }
    # shellcheck disable=SC2086
    xgettext --language=C --from-code=UTF-8 --no-wrap --package-name=ipcscope \
        --add-comments=TRANSLATORS: \
        --keyword=scope_events_log:1 --flag=scope_events_log:1:c-format \
        --keyword=scope_events_error:2 --flag=scope_events_error:2:c-format \
        --keyword=scope_demo_check:4 --flag=scope_demo_check:4:c-format \
        --keyword=scope_demo_step:2 --keyword=scope_events_step:2 \
        --keyword=scope_demo_bye:3 --keyword=scope_events_bye:2 \
        --keyword=scope_demo_count_of:4,5 --keyword=scope_events_trn:1,2 \
        --keyword=scope_events_tr:1 --flag=scope_events_tr:1:pass-c-format \
        --keyword=N_:1 \
        -o "$2.all" $files
    sed -i 's/charset=CHARSET/charset=UTF-8/' "$2.all"
    # "%s" or "%s%s" alone (texts made before, passed through) has nothing to
    # translate.
    msggrep --no-wrap -v -K -E -e '^(%s)+$' \
        -o "$2" "$2.all"
    rm -f "$2.all"
}

case ${1:-} in
pot)
    pot "$2" "$3"
    ;;
update)
    for po in "$PO"/*.po; do
        part=$(basename "$po" .po)
        pot "$part" "$TMP/ipcscope-$part.pot"
        msgmerge --quiet --update --backup=none --no-wrap "$po" "$TMP/ipcscope-$part.pot"
        rm -f "$TMP/ipcscope-$part.pot"
        echo "po.sh: $po: $(msgfmt --statistics -o /dev/null "$po" 2>&1)"
    done
    ;;
new)
    mkdir -p "$PO"
    [ ! -e "$PO/$2.po" ] || { echo "po.sh: $PO/$2.po is there already" >&2; exit 1; }
    pot "$2" "$TMP/ipcscope-$2.pot"
    msginit --no-translator --no-wrap --locale=zh_CN.UTF-8 -i "$TMP/ipcscope-$2.pot" -o "$PO/$2.po"
    # Chinese has one form for any count; the head says whose strings these are.
    sed -i -e '/^"Plural-Forms: /d' \
        -e 's/^"Content-Transfer-Encoding: 8bit\\n"$/&\n"Plural-Forms: nplurals=1; plural=0;\\n"/' \
        -e "1,4c\\# ipcscope's narration in Chinese: $2 (see mk/po.sh). Terms as in\\n# docs/lessons/GLOSSARY.zh.md; a space between Chinese and Latin or code." "$PO/$2.po"
    rm -f "$TMP/ipcscope-$2.pot"
    ;;
check)
    bad=0
    for po in "$PO"/*.po; do
        part=$(basename "$po" .po)
        pot "$part" "$TMP/ipcscope-$part.pot"
        # msgcmp: every string of the sources is in the catalog, translated
        # and not fuzzy.
        if msgcmp "$po" "$TMP/ipcscope-$part.pot" 2>"$TMP/ipcscope-$part.err"; then
            echo "po.sh: $po: every string of its sources translated"
        else
            echo "po.sh: $po: $(sed -n 's/^msgcmp: found \([0-9]*\) fatal.*/\1/p' "$TMP/ipcscope-$part.err") strings of its sources missing, untranslated or fuzzy (make po-update, then translate them):"
            grep -v 'warning:\|^msgcmp: found' "$TMP/ipcscope-$part.err" | head -20 | sed 's/^/  /'
            bad=1
        fi
        [ $bad = 1 ] || rm -f "$TMP/ipcscope-$part.pot" # kept to be read when it fails
        rm -f "$TMP/ipcscope-$part.err"
    done
    exit $bad
    ;;
*)
    sed -n '2,/^set -eu/p' "$0" | sed '$d'
    exit 2
    ;;
esac
