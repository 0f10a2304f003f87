#!/bin/sh
# The long-running programs are valgrind-clean: the engine with its thread
# executor (tessera run -n 0, kernels in forked executor processes, which
# valgrind follows) and the engine and workers of an MPI job (tessera-cc on
# 3 ranks, with OpenMPI's suppressions and tests/valgrind-mpi.supp for
# what OpenMPI and PMIx themselves leak). Memory errors and definite leaks
# fail the run (--error-exitcode) and every process's log must stay empty.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/install-deps.sh)"
supp=/usr/share/openmpi/openmpi-valgrind.supp
[ -r "$supp" ] || supp=/dev/null
supp2=$TOP_SRCDIR/tests/valgrind-mpi.supp
# libtool's wrapper scripts hand over to the real program: valgrind must
# start that one (libtool --mode=execute), or it checks only the shell
vg() {
    _tag=$1; shift
    "$TOP_BUILDDIR/libtool" --mode=execute valgrind -q --num-callers=40 \
        --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 \
        --log-file="$SCRATCH/vg-$_tag.%p.log" --suppressions="$supp" \
        --suppressions="$supp2" "$@"
}
# vg_clean TAG MIN: at least MIN processes ran under valgrind, none complained
vg_clean() {
    _n=0
    for f in "$SCRATCH"/vg-"$1".*.log; do
        [ -e "$f" ] || break
        _n=$((_n + 1))
        [ ! -s "$f" ] || fail "$1: valgrind found errors: $(head -40 "$f")"
    done
    [ $_n -ge "$2" ] || fail "$1: $_n processes under valgrind, expected >= $2"
}
"$NEURONS_BIN/tessera-gen-spikes" spikes.h5 --neurons 12 --bins 80 --seed 2 >/dev/null

# the engine, threads: tessera and its executor processes
expect_exit 0 vg engine "$TESSERA" run "$TOP_SRCDIR/examples/neurons/cc_surrogates.xml" \
    -p spikes=spikes.h5 -p maxlag=10 -p num_surrs=20 -p num_frags=3 -n 0 --run-dir threads
vg_clean engine 1
[ -s threads/results.h5 ] || fail "no results.h5 from the thread run"

# an MPI job: engine (rank 0), two workers and their executor processes
export TOP_BUILDDIR SCRATCH supp supp2
expect_exit 0 tess_mpirun -np 3 sh -c '
    exec "$TOP_BUILDDIR/libtool" --mode=execute valgrind -q --num-callers=40 \
        --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 \
        --log-file="$SCRATCH/vg-mpi.%p.log" --suppressions="$supp" \
        --suppressions="$supp2" "$@"' vg \
    "$NEURONS_BIN/tessera-cc" spikes.h5 --run-dir mpi --maxlag 10 --num-surrs 20 --num-frags 3
vg_clean mpi 3
cc_numpy --compare threads/results.h5 mpi/results.h5 ||
    fail "the two runs under valgrind differ"
echo "t1500: $(ls vg-*.log | wc -l) processes checked"
echo "t1500: ok"
