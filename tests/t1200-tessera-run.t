#!/bin/sh
# `tessera run` on XML workflows: the neurons workflow gives bit for bit the
# results of the C program (which t3030 checks against the sequential
# reference and numpy), with MPI workers and with threads (-n 0); the file
# pipeline example runs; bad input is refused with exit 2 before anything
# runs and nothing is written; help and version answer.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
bin="$TOP_BUILDDIR/examples/neurons"
numpy="${PYTHON3:-/usr/bin/python3} $TOP_SRCDIR/examples/neurons/cc_numpy.py"
wf="$TOP_SRCDIR/examples/neurons/cc_surrogates.xml"

"$bin/tessera-gen-spikes" spikes.h5 --neurons 20 --bins 120 --rate 0.1 --seed 3 >/dev/null
params="--param spikes=spikes.h5 --param maxlag=30 --param num_surrs=40 --param num_frags=6 --param seed=4242"
expect_exit 0 tess_mpirun -np 3 "$bin/tessera-cc" spikes.h5 --run-dir c-run \
    --maxlag 30 --num-surrs 40 --num-frags 6 --seed 4242

for n in 1 2 3; do
    expect_exit 0 "$TESSERA" run "$wf" $params -n $n --run-dir "x-run-$n"
    expect_text "workflow 'cc_surrogates': 12 tasks"
    expect_text "results: $SCRATCH/x-run-$n/results.h5"
    $numpy --compare c-run/results.h5 "x-run-$n/results.h5" ||
        fail "XML workflow with $n workers differs from the C program"
done
expect_exit 0 "$TESSERA" run "$wf" $params -n 0 --run-dir x-run-0
$numpy --compare c-run/results.h5 x-run-0/results.h5 ||
    fail "XML workflow on threads differs from the C program"
# MPMD: the engine is `tessera run` (rank 0), the workers tessera-worker
# processes loading the kernel module from TESS_KERNEL_PATH
expect_exit 0 env TESS_IN_JOB=1 mpirun --oversubscribe --bind-to none -q \
    -np 1 "$TESSERA" run "$wf" $params --run-dir "$SCRATCH/mpmd-run" : \
    -np 2 "$TOP_BUILDDIR/mpi_worker/tessera-worker" --slots 1
$numpy --compare c-run/results.h5 mpmd-run/results.h5 ||
    fail "MPMD run (tessera-worker) differs from the C program"
[ "$(grep -c '^[12] ' mpmd-run/workers.txt)" -eq 2 ] || fail "workers.txt: $(cat mpmd-run/workers.txt)"

# provenance readable without Tessera
/usr/bin/python3 - <<PY || fail "provenance attributes"
import h5py
f = h5py.File("x-run-2/results.h5", "r")
assert f.attrs["workflow"] == "cc_surrogates", f.attrs["workflow"]
assert "num_frags=6" in f.attrs["parameters"], f.attrs["parameters"]
assert f.attrs["tess_format_version"] == 1
assert f["cc_surrs"].shape == (190, 61, 2)
PY

# the file pipeline (FILE_IN/OUT/INOUT, several stages)
expect_exit 0 "$TESSERA" run "$TOP_SRCDIR/examples/pipeline/pipeline.xml" -n 2 --run-dir p-run
expect_text "workflow 'pipeline'"
[ -s summary.txt ] || fail "pipeline wrote no summary.txt"
[ -s pipeline.log ] || fail "pipeline wrote no log"

# bad input: exit 2, the place named, nothing run or written
expect_exit 2 "$TESSERA" run "$wf" --param spikes=nothere.h5 --run-dir bad-1
expect_text "nothere.h5"
[ ! -e bad-1 ] || fail "a run directory was made for a bad workflow"
expect_exit 2 "$TESSERA" run "$wf" --param num_frags=abc
expect_text "--param num_frags"
# a parameter outside its declared range (num_frags min="1"), a loop
# whose count went negative: exit 2 before anything runs, naming them
expect_exit 2 "$TESSERA" run "$wf" $params --param num_frags=-1 --run-dir bad-3
expect_text "--param num_frags: -1 is below its minimum 1"
[ ! -e bad-3 ] || fail "a run directory was made for a parameter out of range"
expect_exit 2 "$TESSERA" run "$wf" $params --param num_frags=0 --run-dir bad-3
expect_text "--param num_frags: 0 is below its minimum 1"
expect_exit 2 "$TESSERA" run "$TOP_SRCDIR/tests/wfrun/partial.xml" --param k=-1 -n 1 --run-dir bad-4
expect_text "partial.xml:18:5: the loop from 0 to -1 (step 1) would run a negative number of times"
[ ! -e bad-4 ] || fail "a run directory was made for a negative loop"
# a value only the kernel can judge fails the run (exit 1), naming the task
expect_exit 1 "$TESSERA" run "$wf" $params --param maxlag=1000 --run-dir bad-2
# (whichever task fails first: any of them may, scheduling decides)
expect_text " (cc_surrogate_range: neurons_kernels:cc_surrogate_range) failed on "
expect_text ": maxlag=1000: need 0 <= maxlag"
[ ! -e bad-2/results.h5 ] || fail "results written for a failed run"
expect_exit 2 "$TESSERA" validate "$TOP_SRCDIR/tests/wf/$(ls "$TOP_SRCDIR/tests/wf" | grep -m1 -i xxe)"
expect_exit 2 "$TESSERA" frobnicate
expect_text "unknown command 'frobnicate'"
expect_exit 0 "$TESSERA" validate "$wf" $params
expect_text "valid workflow 'cc_surrogates'"
# a task needing more memory than the workers have: refused at its place;
# a modest need runs
expect_exit 2 "$TESSERA" run "$TOP_SRCDIR/tests/wfrun/bigmem.xml" -n 1 --run-dir bigmem
expect_text "bigmem.xml:8:3: task 'hog' needs 1099511627776 MiB of memory but workers have at most"
expect_exit 0 "$TESSERA" run "$TOP_SRCDIR/tests/wfrun/bigmem.xml" --param mib=16 -n 1 --run-dir smallmem
expect_exit 0 "$TESSERA" --version
expect_text "tessera "
expect_exit 0 "$TESSERA" run --help
expect_text "usage: tessera run"
echo "t1200: ok"
