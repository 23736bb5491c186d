#!/bin/sh
# Installs the Debian packages ipcscope needs, and only those that are missing.
# (gettext: msgfmt, msgcat and xgettext build the Chinese narration's catalog.)
# Quiet when nothing is missing; apt-get as root, sudo otherwise; when neither
# works it names the packages and stops, so the user knows what to install.
#
#   sh mk/deps.sh         what building, testing and running need
#   sh mk/deps.sh fuzz    that, plus clang and its libFuzzer runtime (make fuzz)
#   sh mk/deps.sh bench   that, plus wrk, the HTTP load generator (make bench)
set -eu

PACKAGES="build-essential pkg-config libncurses-dev libuv1-dev libcjson-dev \
libhiredis-dev libhttp-parser-dev libcurl4-openssl-dev libwslay-dev libssl-dev libzmq3-dev libmsgpack-dev redis-server nodejs tmux check \
socat netcat-openbsd curl procps iproute2 valgrind jq gettext"
# Only `make fuzz` needs clang, so `make test` does not pull it in. Debian 12
# ships libFuzzer's runtime apart from clang, as a package clang only
# recommends (and recommends are not installed below).
if [ "${1:-}" = fuzz ]; then
    PACKAGES="$PACKAGES clang libclang-rt-14-dev"
fi
# Only `make bench` loads an HTTP port (bench/cluster.sh).
if [ "${1:-}" = bench ]; then
    PACKAGES="$PACKAGES wrk"
fi

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
    *" installed") ;;
    *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "ipcscope: installing missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
    run=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run="sudo"
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
    run="sudo"
else
    echo "ipcscope: cannot install packages (not root, no usable sudo)." >&2
    echo "ipcscope: please run: sudo apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$run apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$run apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "ipcscope: packages installed."
