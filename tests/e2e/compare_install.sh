# An installed ipcscope measures: `make install PREFIX=<a private directory>`
# puts the bench scripts and programs under libexec/ipcscope/bench/, and the
# installed `ipcscope compare --json` finds them there (not in the source
# tree: the prefix has none above it) and measures every row in quick mode.
# npm is left off PATH, so that nothing is fetched: node's Redis row then
# says why. The directory is removed afterwards.
. "${TOP:-.}/tests/lib.sh"

[ -x "$BUILD/bin/ipcscope" ] || { fail "compare_install: build first (make)"; exit 0; }
command -v jq >/dev/null || { skip "compare_install: jq is not installed"; exit 0; }
DIR=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-install.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
PREFIX="$DIR/prefix"

make -C "$TOP" --no-print-directory BUILD="$BUILD" PREFIX="$PREFIX" install >"$DIR/install.log" 2>&1
rc=$?
[ $rc -eq 0 ] || tail -n 5 "$DIR/install.log"
check "make install PREFIX=<private directory>: exits 0 (exit $rc)" [ $rc -eq 0 ]
L="$PREFIX/libexec/ipcscope"
bad=""
for f in bench/compare.sh bench/lib.sh bench/http_rtt.sh bench/node_sock.js bench/compare_doc bench/bench_sock \
    bench/bench_http demos/shared-memory demos/fs-watch demos/patterns demos/http; do
    [ -e "$L/$f" ] || bad="$bad $f"
done
check "make install: the bench scripts and programs, and the demos they run, under libexec/ipcscope${bad:+ (missing:$bad)}" \
    [ -z "$bad" ]

jqe() { jq -e "$@" >/dev/null; }
mkdir -p "$DIR/bin"
for f in /usr/local/bin/* /usr/bin/* /bin/*; do
    case "${f##*/}" in npm | npx) continue ;; esac
    [ -e "$DIR/bin/${f##*/}" ] || ln -s "$f" "$DIR/bin/${f##*/}"
done
(cd "$DIR" && env -u IPCSCOPE_COMPARE -u IPCSCOPE_DEMOS XDG_CACHE_HOME="$DIR/cache" PATH="$DIR/bin" \
    N=100 BYTES=1000000 STARTS=5 SAVES=20 "$PREFIX/bin/ipcscope" compare --json >doc.json 2>progress.txt)
rc=$?
check "installed compare --json: exits 0 (exit $rc; $(tail -n 1 "$DIR/progress.txt"))" [ $rc -eq 0 ]
check "installed compare --json: a quick run's document" jqe '.mode == "quick" and .n == 100' "$DIR/doc.json"
bad=""
for m in pipe fork-channel unix-socket tcp udp posix-mq shm-spin shm-futex fifo http websocket fs-watch-inotify \
    start-spawn; do
    jq -e --arg m "$m" 'any(.rows[]; .mechanism == $m and .impl == "c" and .rtt_p50_ns > 0)' "$DIR/doc.json" \
        >/dev/null || bad="$bad $m"
done
check "installed compare --json: the C rows measured with the installed programs${bad:+ (missing:$bad)}" [ -z "$bad" ]
check "installed compare --json: claims decided by the installed compare_doc" \
    jqe '.claims | length >= 4' "$DIR/doc.json"
check "installed compare --json: the document cached in its XDG_CACHE_HOME" \
    cmp -s "$DIR/doc.json" "$DIR/cache/ipcscope/compare.json"
