#!/bin/sh
# Resume of a C API program (tess_run_create, TESS_RESUME=1): after a task
# failed, a resume with the same program and initial values skips the
# journaled tasks (trace.csv says 'replayed') and gives the uninterrupted
# result; a resume whose initial array values changed is refused before
# any task runs, and leaves the run resumable.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
prog="$TOP_BUILDDIR/tests/prog/capi_resume"

# the uninterrupted run: 1000 * (1 + 10*11/2)
expect_exit 0 "$prog" fresh 1 10
expect_text "sum 56000.0"

# step 6 fails: steps 1..5 are journaled
expect_exit 1 "$prog" run 1 10 6
expect_text "task 6 (step) failed"
grep -q '^state: failed' run/status.txt || fail "status.txt: $(cat run/status.txt)"

# other initial values: refused, nothing runs
before=$(grep -c ',ok,' run/trace.csv)
expect_exit 1 env TESS_RESUME=1 "$prog" run 2 10
expect_text "task 1 (step) is not the task the journal of this run recorded"
[ "$(grep -c ',ok,' run/trace.csv)" -eq "$before" ] ||
    fail "a task ran in the refused resume"

# the same ones: steps 1..5 replayed, 6..10 run, the uninterrupted result
expect_exit 0 env TESS_RESUME=1 "$prog" run 1 10
expect_text "sum 56000.0"
replayed=$(grep -c ',replayed,' run/trace.csv)
[ "$replayed" -eq 5 ] || fail "replayed $replayed tasks, expected 5"
grep -q '^state: completed' run/status.txt || fail "status.txt: $(cat run/status.txt)"
grep -q '^tasks_replayed: 5' run/status.txt || fail "status.txt: $(cat run/status.txt)"
echo "t1220: ok"
