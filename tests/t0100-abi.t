#!/bin/sh
# The installed library's interface: libtessera exports only tess_*
# symbols (the public prefix, STYLE.md), and its soname follows libtool's
# -version-info (docs/api.md, "ABI"): libtessera.so.(CURRENT - AGE).
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
lib="$TOP_BUILDDIR/.libs/libtessera.so"
[ -f "$lib" ] || fail "$lib is missing: build it first (make check does)"
: "${TESS_LT_VERSION:?set by make check (Makefile.am)}"

syms=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }') ||
    fail "nm -D failed on $lib"
case "$syms" in *tess_run_create*) ;; *) fail "no tess_run_create in: $syms" ;; esac
other=$(printf '%s\n' "$syms" | grep -v '^tess_' || true)
[ -z "$other" ] || fail "libtessera exports symbols outside tess_*: $other"

cur=${TESS_LT_VERSION%%:*}
age=${TESS_LT_VERSION##*:}
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[ "$soname" = "libtessera.so.$((cur - age))" ] ||
    fail "soname '$soname', expected libtessera.so.$((cur - age)) for -version-info $TESS_LT_VERSION"
echo "t0100: $(printf '%s\n' "$syms" | wc -l) tess_* symbols, soname $soname"
