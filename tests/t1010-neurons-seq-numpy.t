#!/bin/sh
# t1010-neurons-seq-numpy: the sequential C reference of the neurons
# analysis (tessera-cc-seq) equals the numpy original (cc_numpy.py) bit for
# bit, over several shapes, fragment counts and seeds; tessera-gen-spikes
# equals numpy's generator; bad input exits 2 with a message naming the
# place and creates no output.
#
# Run by `make check`, or by hand from a build directory:
#   TOP_SRCDIR=/path/to/src TOP_BUILDDIR=$PWD PYTHON3=/usr/bin/python3 \
#       sh /path/to/src/tests/t1010-neurons-seq-numpy.t
set -u

: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${TOP_BUILDDIR:=$(pwd)}"
: "${PYTHON3:=/usr/bin/python3}"

GEN=$TOP_BUILDDIR/examples/neurons/tessera-gen-spikes
SEQ=$TOP_BUILDDIR/examples/neurons/tessera-cc-seq
np() { "$PYTHON3" "$TOP_SRCDIR/examples/neurons/cc_numpy.py" "$@"; }

for p in "$GEN" "$SEQ"; do
    if [ ! -x "$p" ]; then
        echo "t1010: $p is not built" >&2
        exit 99 # hard error for the automake test driver
    fi
done
if ! "$PYTHON3" -c 'import numpy, h5py' 2>/dev/null; then
    echo "t1010: $PYTHON3 lacks numpy or h5py: skipped"
    exit 77
fi

TMP=$(mktemp -d "$TOP_BUILDDIR/t1010.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

failures=0
pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; failures=$((failures + 1)); }

# --- generator ---------------------------------------------------------
"$GEN" "$TMP/s12.h5" --neurons 12 --bins 80 --rate 0.1 --seed 11 &&
"$GEN" "$TMP/s20.h5" --neurons 20 --bins 120 --seed 12 ||
    { echo "t1010: tessera-gen-spikes failed" >&2; exit 99; }
if "$PYTHON3" - "$TMP/s12.h5" "$TMP/s20.h5" <<'EOF'
import sys, h5py, numpy as np
for path, (n, b, rate, seed) in zip(sys.argv[1:], [(12, 80, 0.1, 11),
                                                   (20, 120, 0.05, 12)]):
    with h5py.File(path, "r") as f:
        s = f["spikes"][()]
        assert s.dtype == np.uint8 and s.shape == (n, b), (s.dtype, s.shape)
        want = np.random.RandomState(seed).random_sample((n, b)) < rate
        assert np.array_equal(s, want.astype(np.uint8)), path
        assert f.attrs["tessera_format_version"] == 1
        assert f.attrs["seed"] == seed and f.attrs["rate"] == rate
        assert f.attrs["generator"] == "tessera-gen-spikes"
EOF
then pass "gen-spikes equals numpy RandomState(seed).random_sample < rate"
else fail "gen-spikes equals numpy RandomState(seed).random_sample < rate"
fi

for args in "--rate 1.5" "--seed -1" "--seed 4294967296" "--neurons 1" \
    "--bins x" "--bogus 1"; do
    # shellcheck disable=SC2086 # $args is a word list on purpose
    "$GEN" "$TMP/g-bad.h5" $args 2>/dev/null
    rc=$?
    if [ $rc -eq 2 ] && [ ! -e "$TMP/g-bad.h5" ] && [ ! -e "$TMP/g-bad.h5.tmp" ]
    then pass "gen-spikes $args: exit 2, no output"
    else fail "gen-spikes $args: exit $rc, expected 2 and no output"
    fi
done

# --- C reference == numpy, bit for bit --------------------------------
# compare NAME SPIKES ARGS...: run both, compare with cc_numpy.py --compare.
compare() {
    name=$1 spikes=$2
    shift 2
    if ! "$SEQ" "$spikes" "$TMP/$name.c.h5" "$@"; then
        fail "$name: tessera-cc-seq $*"
        return
    fi
    if ! np "$spikes" "$TMP/$name.np.h5" "$@"; then
        fail "$name: cc_numpy.py $*"
        return
    fi
    if np --compare "$TMP/$name.c.h5" "$TMP/$name.np.h5"; then
        pass "$name: C = numpy ($*)"
    else
        fail "$name: C = numpy ($*)"
    fi
}

for nf in 1 3 7; do
    compare "a-f$nf" "$TMP/s12.h5" --maxlag 20 --num-surrs 30 --num-frags $nf
done
for seed in 2398645 17; do
    for nf in 1 3 7; do
        compare "b-s$seed-f$nf" "$TMP/s20.h5" --maxlag 40 --num-surrs 25 \
            --num-frags $nf --seed $seed --delta 1782324
    done
done
# Edges: one lag; the widest window (maxlag = bins-2); one fragment per
# pair; 11 surrogates (the fewest that have a 95% element).
compare edge-lag0 "$TMP/s12.h5" --maxlag 0 --num-surrs 11 --num-frags 2
compare edge-wide "$TMP/s12.h5" --maxlag 78 --num-surrs 11 --num-frags 66

# The number of fragments changes the seeds, so it must change the result.
if np --compare "$TMP/b-s17-f1.c.h5" "$TMP/b-s17-f3.c.h5" >/dev/null; then
    fail "different num_frags give different surrogates"
else
    pass "different num_frags give different surrogates"
fi

# Provenance attributes.
if "$PYTHON3" - "$TMP/a-f3.c.h5" <<'EOF'
import sys, h5py
a = h5py.File(sys.argv[1], "r").attrs
assert a["program"] == "tessera-cc-seq" and a["tessera_format_version"] == 1
assert (a["num_neurons"], a["num_bins"], a["num_frags"], a["maxlag"],
        a["num_surrs"], a["seed"], a["delta"]) == (12, 80, 3, 20, 30,
                                                   2398645, 1782324)
EOF
then pass "provenance attributes"
else fail "provenance attributes"
fi

# --- bad input: exit 2, a message naming the place, no output ---------
# bad NAME EXPECTED-MESSAGE ARGS...
bad() {
    name=$1 msg=$2
    shift 2
    out="$TMP/bad-$name.h5"
    "$SEQ" "$@" "$out" >"$TMP/bad.out" 2>"$TMP/bad.err"
    rc=$?
    if [ $rc -ne 2 ]; then
        fail "bad $name: exit $rc, expected 2"
    elif ! grep -qF -- "$msg" "$TMP/bad.err"; then
        fail "bad $name: message '$(cat "$TMP/bad.err")' lacks '$msg'"
    elif [ -e "$out" ] || [ -e "$out.tmp" ]; then
        fail "bad $name: output created"
    else
        pass "bad $name: exit 2, '$msg'"
    fi
}

"$PYTHON3" - "$TMP" <<'EOF'
import sys, h5py, numpy as np
d = sys.argv[1]
with h5py.File(d + "/nospikes.h5", "w") as f:
    f["other"] = np.zeros((3, 10), np.uint8)
with h5py.File(d + "/int32.h5", "w") as f:
    f["spikes"] = np.zeros((3, 10), np.int32)
with h5py.File(d + "/rank1.h5", "w") as f:
    f["spikes"] = np.zeros(10, np.uint8)
with h5py.File(d + "/group.h5", "w") as f:
    f.create_group("spikes")
with h5py.File(d + "/two.h5", "w") as f:
    s = np.zeros((3, 10), np.uint8)
    s[1, 4] = 2
    f["spikes"] = s
EOF
echo "not hdf5" >"$TMP/text.h5"

bad missing "$TMP/missing.h5: No such file or directory" "$TMP/missing.h5"
bad not-hdf5 "$TMP/text.h5: not an HDF5 file" "$TMP/text.h5"
bad no-dataset "$TMP/nospikes.h5: no dataset /spikes" "$TMP/nospikes.h5"
bad group "$TMP/group.h5: /spikes is not a dataset" "$TMP/group.h5"
bad type "$TMP/int32.h5: /spikes: element type is int32, expected uint8" \
    "$TMP/int32.h5"
bad rank "$TMP/rank1.h5: /spikes: rank 1, expected 2" "$TMP/rank1.h5"
bad value "$TMP/two.h5: /spikes (3 x 10): spikes[1][4] = 2" "$TMP/two.h5" \
    --maxlag 3 --num-surrs 11 --num-frags 1
bad maxlag "$TMP/s12.h5: /spikes (12 x 80): maxlag=79: need 0 <= maxlag <= num_bins-2 = 78" \
    "$TMP/s12.h5" --maxlag 79
bad num-surrs "num_surrs=10" "$TMP/s12.h5" --maxlag 5 --num-surrs 10
bad num-frags "num_frags=67: need 1..66" "$TMP/s12.h5" --maxlag 5 \
    --num-frags 67
bad seed "seed of fragment 1" "$TMP/s12.h5" --maxlag 5 --seed 4294967295 \
    --delta 1
bad option "unknown option '--bogus'" "$TMP/s12.h5" --bogus 3
bad integer "--maxlag: '2x' is not an integer" "$TMP/s12.h5" --maxlag 2x

# An existing output is left alone by bad input.
echo keep >"$TMP/keep.h5"
"$SEQ" "$TMP/s12.h5" "$TMP/keep.h5" --maxlag 500 2>/dev/null
if [ $? -eq 2 ] && [ "$(cat "$TMP/keep.h5")" = keep ]; then
    pass "bad input leaves an existing output untouched"
else
    fail "bad input leaves an existing output untouched"
fi

# cc_numpy.py agrees on what is bad input.
np "$TMP/nospikes.h5" "$TMP/np-bad.h5" 2>"$TMP/bad.err"
if [ $? -eq 2 ] && grep -qF "no dataset /spikes" "$TMP/bad.err" &&
    [ ! -e "$TMP/np-bad.h5" ]; then
    pass "cc_numpy.py: bad input exits 2"
else
    fail "cc_numpy.py: bad input exits 2"
fi

if [ $failures -ne 0 ]; then
    echo "t1010: $failures failure(s)"
    exit 1
fi
echo "t1010: all passed"
exit 0
