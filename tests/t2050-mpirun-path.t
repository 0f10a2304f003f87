#!/bin/sh
# `tessera run` outside Slurm starts the mpirun found in PATH (not one
# compiled in), or the one TESS_MPIRUN names; without any, it says where it
# looked and exits 1.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
real=$(command -v mpirun) || fail "no mpirun in PATH to wrap"
wf="$TOP_SRCDIR/tests/wfrun/naps.xml"
args="--param n=2 --param ms=1 -n 1 --slots 1"

# wrap NAME LOG: an mpirun wrapper that records its use, then runs mpirun
wrap() {
    mkdir -p "$(dirname "$1")"
    printf '#!/bin/sh\necho "$0 $*" >>%s\nexec %s "$@"\n' "$2" "$real" >"$1"
    chmod +x "$1"
}

# the first mpirun in PATH is the one started
wrap "$SCRATCH/bin/mpirun" "$SCRATCH/path.log"
expect_exit 0 env PATH="$SCRATCH/bin:$PATH" "$TESSERA" run "$wf" $args --run-dir r1
grep -q -- "-np 2 .* run $wf" path.log || fail "the mpirun of PATH was not used: $(cat path.log 2>&1)"

# TESS_MPIRUN overrides PATH
wrap "$SCRATCH/other/my-mpirun" "$SCRATCH/env.log"
: >path.log
expect_exit 0 env PATH="$SCRATCH/bin:$PATH" TESS_MPIRUN="$SCRATCH/other/my-mpirun" \
    "$TESSERA" run "$wf" $args --run-dir r2
[ -s env.log ] || fail "TESS_MPIRUN was not used"
[ ! -s path.log ] || fail "PATH's mpirun was used despite TESS_MPIRUN: $(cat path.log)"

# no mpirun in PATH: a clear error, exit 1 (not mpirun's 243)
expect_exit 1 env PATH="$SCRATCH/empty" "$TESSERA" run "$wf" $args --run-dir r3
expect_text "cannot start mpirun: No such file or directory (is it in PATH? TESS_MPIRUN names another mpirun)"
expect_exit 1 env TESS_MPIRUN="$SCRATCH/nope" "$TESSERA" run "$wf" $args --run-dir r4
expect_text "cannot start $SCRATCH/nope"
echo "t2050: ok"
