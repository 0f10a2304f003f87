#!/bin/sh
# t1020-h5-files: result files written by io/ are readable without Tessera
# (h5dump, h5py), and an aborted result leaves the previous file untouched.
# Environment (set by `make check`): TOP_SRCDIR, TOP_BUILDDIR, PYTHON3.
set -u

: "${TOP_BUILDDIR:=$(pwd)}"
: "${PYTHON3:=/usr/bin/python3}"
demo="$TOP_BUILDDIR/io/test/h5result_demo"
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { # check DESCRIPTION COMMAND...
    desc=$1; shift
    if "$@" >"$tmp/out" 2>&1; then ok "$desc"; else not_ok "$desc"; sed 's/^/#   /' "$tmp/out"; fi
}

if ! command -v h5dump >/dev/null 2>&1; then
    echo "1..0 # SKIP h5dump not found (hdf5-tools)"; exit 77
fi
if ! "$PYTHON3" -c 'import h5py, numpy' >/dev/null 2>&1; then
    echo "1..0 # SKIP $PYTHON3 has no h5py/numpy"; exit 77
fi
[ -x "$demo" ] || { echo "Bail out! $demo not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t1020.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
res="$tmp/results.h5"

check "demo writes a result file" "$demo" "$res"
check "no temporary left" sh -c "! ls '$tmp' | grep -q '\.tmp\.'"

h5dump -H "$res" >"$tmp/header" 2>&1
check "h5dump -H reads it" test -s "$tmp/header"
check "dataset cc_original listed" grep -q 'DATASET "cc_original"' "$tmp/header"
check "group counts with per_pair" grep -q 'DATASET "per_pair"' "$tmp/header"
check "float64 little-endian" grep -q 'H5T_IEEE_F64LE' "$tmp/header"
check "dataspace 10 x 5" grep -q 'SIMPLE { ( 10, 5 ) / ( 10, 5 ) }' "$tmp/header"
check "attribute tessera_version" grep -q 'ATTRIBUTE "tessera_version"' "$tmp/header"
check "attribute tess_format_version" grep -q 'ATTRIBUTE "tess_format_version"' "$tmp/header"

h5dump -p -d /cc_original "$res" >"$tmp/props" 2>&1
check "chunked layout" grep -q 'CHUNKED ( 10, 5 )' "$tmp/props"
check "shuffle filter" grep -q 'SHUFFLE' "$tmp/props"
check "deflate level 4" grep -q 'COMPRESSION DEFLATE { LEVEL 4 }' "$tmp/props"
h5dump -a /workflow "$res" >"$tmp/wf" 2>&1
check "h5dump prints the workflow string" grep -q '"demo.xml"' "$tmp/wf"

cat >"$tmp/check.py" <<'EOF'
import re, sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
a = f.attrs
assert isinstance(a["workflow"], str) and a["workflow"] == "demo.xml", a["workflow"]
assert a["parameters"] == "num_frags=3\nmaxlag=2", repr(a["parameters"])
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", a["created"]), a["created"]
assert re.fullmatch(r"\d+\.\d+\.\d+.*", a["tessera_version"]), a["tessera_version"]
assert int(a["tess_format_version"]) == 1
assert int(a["num_ccs"]) == 10 and float(a["alpha"]) == 0.05
cc = f["cc_original"]
assert cc.dtype == np.float64 and cc.shape == (10, 5), (cc.dtype, cc.shape)
assert cc.chunks == (10, 5) and cc.compression == "gzip" and cc.shuffle
p, k = np.meshgrid(np.arange(10), np.arange(5), indexing="ij")
assert np.array_equal(cc[...], p * 1000.0 + k)
c = f["counts/per_pair"]
assert c.dtype == np.int32 and np.array_equal(c[...], np.arange(10) ** 2)
print("h5py ok")
EOF
check "h5py reads attributes as str and the data" "$PYTHON3" "$tmp/check.py" "$res"

sum_before=$(cksum <"$res")
check "an aborted run exits 0" "$demo" "$res" --abort
check "aborted: previous file untouched" test "$(cksum <"$res")" = "$sum_before"
check "aborted: no temporary left" sh -c "! ls '$tmp' | grep -q '\.tmp\.'"
check "aborted: still readable" "$PYTHON3" "$tmp/check.py" "$res"

echo "1..$n"
[ "$failed" -eq 0 ]
