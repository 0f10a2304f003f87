#!/bin/sh
# Build Tessera out of tree: scripts/build.sh BUILD_DIR [configure args...]
# Idempotent: regenerates/configures only when needed, then `make`.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-"$top/_build"}
[ $# -gt 0 ] && shift

if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ]; then
    (cd "$top" && ./autogen.sh >/dev/null 2>&1) || {
        echo "build: autogen.sh failed" >&2; exit 1; }
fi
mkdir -p "$builddir"
cd "$builddir"
if [ ! -f Makefile ] || [ ! -f .configure-args ] ||
   [ "$(cat .configure-args)" != "$*" ]; then
    "$top/configure" -q "$@"
    printf '%s' "$*" > .configure-args
fi
make -j"$(nproc)" >/dev/null
echo "build: $builddir is up to date"
