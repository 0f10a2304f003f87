#!/bin/sh
# Real mpirun ranks: many small tasks with region writes give the exact
# result with 2, 3 and 4 ranks; a kernel failing at run time stops the run
# with exit 1 and an error naming the task; an unknown kernel is refused
# with exit 2 before any task runs.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
synth="$TOP_BUILDDIR/tests/prog/synth"

for np in 2 3 4; do
    expect_exit 0 tess_mpirun -np $np "$synth" rows 1200 12 300
    expect_text "synth rows: 601 tasks, correct"
done

expect_exit 1 tess_mpirun -np 3 "$synth" fail 5
expect_text "task 5 (explode) failed on "
expect_text ": exploded on purpose"

mkdir unknown && cd unknown
expect_exit 2 tess_mpirun -np 3 "$synth" unknown
expect_text "unknown kernel 'no_such_kernel'"
# nothing ran: the run directory has no trace of a task
for t in tessera-run.*/trace.csv; do
    [ "$(wc -l < "$t")" -le 1 ] || fail "tasks ran before the unknown kernel was reported: $t"
done
cd ..

# heterogeneous workers: tasks with a mic implementation use it on the mic
# worker; mic-only tasks run there and nowhere else; a task needing an
# architecture no worker has is refused (synth exits 3 when it was)
expect_exit 3 tess_mpirun -np 3 "$synth" archs 12 : -np 1 env TESS_ARCH=mic "$synth" archs 12
expect_text "workers default,mic"
expect_text "mic-only tasks on mic: 12/12"
expect_text "task which needs architecture 'gpu' but the workers have: default,mic"

expect_exit 0 tess_mpirun -np 3 "$synth" noop 2000
expect_text "synth noop: 2000 tasks"
echo "t3020: ok"
